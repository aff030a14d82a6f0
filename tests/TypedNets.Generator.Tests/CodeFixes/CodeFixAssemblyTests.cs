using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Microsoft.CodeAnalysis.CodeFixes;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests.CodeFixes;

/// <summary>What lets the compiler and the IDE load the code fixes, and what documents them.</summary>
public class CodeFixAssemblyTests
{
    /// <summary>
    /// The newest Roslyn the .NET SDK this repository builds with (10.0.4xx) ships. An analyzer folder's assembly built
    /// against a newer Microsoft.CodeAnalysis is refused with CS9057, so the fixes must stay at or below it.
    /// </summary>
    private static readonly Version SdkCompiler = new(5, 9, 0, 0);

    [Fact]
    public void CodeFixes_ReferenceNoRoslynNewerThanTheSdksCompiler_AndTheGeneratorsVersion()
    {
        Dictionary<string, Version> fixes = RoslynReferences(CodeFixHarness.Assembly.Location);
        Dictionary<string, Version> generator = RoslynReferences(GeneratorInternals.Assembly.Location);

        Assert.Contains("Microsoft.CodeAnalysis.Workspaces", fixes.Keys);
        Assert.All(fixes, reference => Assert.True(reference.Value <= SdkCompiler, $"{reference.Key} {reference.Value} is newer than the SDK's compiler ({SdkCompiler})."));
        // One Roslyn for both assemblies of the analyzer folder.
        Assert.Equal(generator["Microsoft.CodeAnalysis"], fixes["Microsoft.CodeAnalysis"]);
    }

    [Fact]
    public void EveryFixedDiagnostic_HasItsCodeFixOnItsPage_AndInTheReadme()
    {
        string readme = RepositoryFiles.Read("README.md");
        string[] ids = CodeFixHarness.Providers.SelectMany(provider => provider.FixableDiagnosticIds).Distinct().Order(StringComparer.Ordinal).ToArray();

        Assert.NotEmpty(ids);
        Assert.All(ids, id =>
        {
            Assert.Contains("Code fix:", RepositoryFiles.Read(Path.Combine("docs", "diagnostics", id + ".md")));
            Assert.Contains(id, readme.Substring(readme.IndexOf("## Code fixes", StringComparison.Ordinal)));
        });
    }

    [Fact]
    public void EveryProvider_HasAnEquivalenceKeyForEachFix_AndNamesItsIds()
    {
        Assert.NotEmpty(CodeFixHarness.Providers);
        Assert.All(CodeFixHarness.Providers, provider =>
        {
            Assert.NotEmpty(provider.FixableDiagnosticIds);
            Assert.All(provider.FixableDiagnosticIds, id => Assert.Matches("^TN[0-9]{4}$", id));
            FixAllProvider? fixAll = provider.GetFixAllProvider();
            Assert.True(fixAll is null || fixAll == WellKnownFixAllProviders.BatchFixer);
        });
    }

    private static Dictionary<string, Version> RoslynReferences(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new PEReader(stream);
        MetadataReader metadata = reader.GetMetadataReader();
        return metadata.AssemblyReferences
            .Select(handle => metadata.GetAssemblyReference(handle))
            .Select(reference => (Name: metadata.GetString(reference.Name), reference.Version))
            .Where(reference => reference.Name.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal))
            .ToDictionary(reference => reference.Name, reference => reference.Version);
    }
}
