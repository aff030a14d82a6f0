using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;
using Xunit.Sdk;

namespace TypedNets.Generator.Tests.Infrastructure;

/// <summary>Assertions on generator runs whose failure messages show the diagnostics with their source lines.</summary>
internal static class Expect
{
    /// <summary>The generator ran without exception and reported nothing.</summary>
    public static void NoGeneratorDiagnostics(GeneratorRun run)
    {
        NoGeneratorException(run);
        if (run.GeneratorDiagnostics.Count > 0)
        {
            throw new XunitException("Expected no generator diagnostics, got:\n" + DiagnosticRenderer.Render(run.GeneratorDiagnostics));
        }
    }

    public static void NoGeneratorException(GeneratorRun run)
    {
        if (run.Result.Exception is not null)
        {
            throw new XunitException($"The generator threw: {run.Result.Exception}");
        }

        Diagnostic? failed = run.DriverDiagnostics.FirstOrDefault(diagnostic => diagnostic.Id == "CS8785");
        if (failed is not null)
        {
            throw new XunitException("The generator failed: " + failed.GetMessage(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>The updated compilation, user code and generated code, has no error and no warning.</summary>
    public static void CompilesCleanly(GeneratorRun run)
    {
        var problems = run.CompilerDiagnostics;
        if (problems.Count > 0)
        {
            throw new XunitException("Expected the updated compilation to have no errors or warnings, got:\n" + RenderSome(problems));
        }
    }

    /// <summary>No compiler error or warning lies inside a generated file.</summary>
    public static void NothingInGeneratedCode(GeneratorRun run)
    {
        var generated = run.GeneratedTrees.ToHashSet();
        var problems = run.CompilerDiagnostics.Where(diagnostic => diagnostic.Location.SourceTree is { } tree && generated.Contains(tree)).ToList();
        if (problems.Count > 0)
        {
            throw new XunitException("Expected no compiler diagnostics inside generated code, got:\n" + RenderSome(problems));
        }
    }

    /// <summary>
    /// The generator reported exactly one diagnostic with <paramref name="id"/>, on line <paramref name="line"/>
    /// (1-based) of the test source, under exactly <paramref name="spanText"/>, with exactly <paramref name="message"/>.
    /// </summary>
    public static Diagnostic Diagnostic(GeneratorRun run, string id, DiagnosticSeverity severity, int line, string spanText, string message)
    {
        NoGeneratorException(run);
        var matching = run.GeneratorDiagnostics.Where(diagnostic => diagnostic.Id == id).ToList();
        if (matching.Count != 1)
        {
            throw new XunitException($"Expected one {id}, got {matching.Count}. The generator reported:\n{DiagnosticRenderer.Render(run.GeneratorDiagnostics)}");
        }

        Diagnostic found = matching[0];
        string rendered = DiagnosticRenderer.Render(found);
        Assert.True(found.Location.IsInSource, $"{id} has no source location:\n{rendered}");
        Assert.Equal(severity, found.Severity);
        Assert.Equal(message, found.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal(GeneratorHarness.SourcePath, found.Location.SourceTree!.FilePath);
        Assert.True(line == found.Location.GetLineSpan().StartLinePosition.Line + 1, $"Expected {id} on line {line}:\n{rendered}");
        Assert.Equal(spanText, found.Location.SourceTree.GetText().ToString(found.Location.SourceSpan));
        return found;
    }

    // A broken generated file can carry a hundred follow-on errors; the first few tell the story.
    private static string RenderSome(System.Collections.Generic.IReadOnlyList<Microsoft.CodeAnalysis.Diagnostic> diagnostics)
        => DiagnosticRenderer.Render(diagnostics.Take(8)) + (diagnostics.Count > 8 ? $"\n... and {diagnostics.Count - 8} more" : string.Empty);
}
