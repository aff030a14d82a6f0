using System.Linq;
using Microsoft.CodeAnalysis;
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
            throw new XunitException("The generator failed: " + failed.GetMessage());
        }
    }

    /// <summary>The updated compilation, user code and generated code, has no error and no warning.</summary>
    public static void CompilesCleanly(GeneratorRun run)
    {
        var problems = run.CompilerDiagnostics;
        if (problems.Count > 0)
        {
            throw new XunitException("Expected the updated compilation to have no errors or warnings, got:\n" + DiagnosticRenderer.Render(problems));
        }
    }
}
