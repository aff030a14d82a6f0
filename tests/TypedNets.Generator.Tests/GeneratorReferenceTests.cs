using System;
using System.Diagnostics;
using System.IO;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// TN0035: a project that references the attributes (TypedNets.Dsl) but not the generator as an analyzer fails with
/// one MSBuild error naming the missing reference, before the compiler would bury it under follow-on errors. The
/// check is the targets file the Dsl package ships (and the repository imports), run by MSBuild on a project that
/// declares the references a real build would resolve.
/// </summary>
public class GeneratorReferenceTests
{
    private const string TargetsFile = "src/Dsl/buildTransitive/TypedNets.Dsl.targets";

    [Fact]
    public void TN0035_AttributesWithoutTheGenerator()
    {
        (int exitCode, string output) = Build(attributes: true, generator: false);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(
            "error TN0035: UsesNetworks references the TypedNets attributes (TypedNets.Dsl) but not the TypedNets generator as an analyzer, so no network can be generated. " +
            "Add the generator: <ProjectReference Include=\"path/to/src/Generator/TypedNets.Generator.csproj\" OutputItemType=\"Analyzer\" ReferenceOutputAssembly=\"false\" /> " +
            "to the project file; a project that declares no network can set <TypedNetsCheckGenerator>false</TypedNetsCheckGenerator>.",
            output);
        Assert.Single(output.Split('\n'), line => line.Contains("error", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true, true, true)]
    [InlineData(false, false, true)]
    [InlineData(true, false, false)]
    public void No_TN0035_with_the_generator_without_the_attributes_or_when_turned_off(bool attributes, bool generator, bool check)
    {
        (int exitCode, string output) = Build(attributes, generator, check);

        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain("TN0035", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Runs the check on a project whose resolved references (ReferencePath) and analyzers (Analyzer) are those a
    /// build resolves from its project or package references; CoreCompile itself is empty.
    /// </summary>
    private static (int ExitCode, string Output) Build(bool attributes, bool generator, bool check = true)
    {
        string directory = Path.Combine(Path.GetTempPath(), "typednets-tn0034-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            string project = Path.Combine(directory, "UsesNetworks.csproj");
            File.WriteAllText(project, $"""
                <Project>
                  <PropertyGroup>
                    {(check ? string.Empty : "<TypedNetsCheckGenerator>false</TypedNetsCheckGenerator>")}
                  </PropertyGroup>
                  <Import Project="{Path.Combine(RepositoryFiles.Root, TargetsFile)}" />
                  <ItemGroup>
                    <ReferencePath Include="{Path.Combine(directory, "System.Runtime.dll")}" />
                    {(attributes ? $"<ReferencePath Include=\"{Path.Combine(directory, "TypedNets.Dsl.dll")}\" />" : string.Empty)}
                    <Analyzer Include="{Path.Combine(directory, "Microsoft.CodeAnalysis.NetAnalyzers.dll")}" />
                    {(generator ? $"<Analyzer Include=\"{Path.Combine(directory, "TypedNets.Generator.dll")}\" />" : string.Empty)}
                  </ItemGroup>
                  <Target Name="CoreCompile" />
                </Project>
                """);
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                WorkingDirectory = directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string argument in new[] { "msbuild", project, "-t:CoreCompile", "-nologo", "-nodeReuse:false", "-noAutoResponse", "-v:minimal", "-clp:NoSummary" })
            {
                start.ArgumentList.Add(argument);
            }

            using Process process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output + error.Result);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
