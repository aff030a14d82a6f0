using System.Linq;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The API every network shares is the runtime's extension members, which C# finds through the caller's usings. The
/// generator imports them once per project, so that code using a network needs no <c>using TypedNets;</c> for it, as it
/// needed none when the members were generated into the class.
/// </summary>
public class NetworkApiImportTests
{
    private const string Caller = """
        namespace App
        {
            public static class Caller
            {
                public static float First(Models.Tiny net, Models.Tiny.Sample sample) => net.Predict(sample)[0];

                public static int Rows(Models.Tiny net) => net.MaxBatch + net.Parameters.Length;

                public static void Train(Models.Tiny net, float[] input, float[] target)
                {
                    net.Forward(input, training: true);
                    net.LossBackward(target, global::TypedNets.LossFunction.MeanSquaredError);
                    net.ZeroGradients();
                }
            }
        }
        """;

    [Fact]
    public void Code_in_another_namespace_calls_the_api_without_a_using()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            namespace Models
            {
                using TypedNets;

                [Network, Input(3)]
                public partial class Tiny
                {
                    [Dense(2)] public partial DenseLayer Output { get; }
                }

                [Network, Input(4)]
                public partial class Other
                {
                    [Dense(1)] public partial DenseLayer Output { get; }
                }
            }
            """, Caller);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Assert.Equal(2, run.GeneratedSources.Length);
        string api = Assert.Single(run.ApiSources).SourceText.ToString();
        Assert.Contains("global using static global::TypedNets.NetworkExtensions;", api);
    }

    [Fact]
    public void A_project_without_networks_gets_no_import()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            namespace Plain;

            public static class Nothing
            {
            }
            """);

        Assert.Empty(run.Result.GeneratedSources);
    }

    [Fact]
    public void An_invalid_network_gets_the_import_too()
    {
        // Its code keeps compiling (TN diagnostics aside) only if the calls on it still bind.
        GeneratorRun run = GeneratorHarness.Run("""
            namespace Models
            {
                using TypedNets;

                [Network, Input(3)]
                public partial class Tiny
                {
                    [Dense(0)] public partial DenseLayer Output { get; }
                }
            }
            """, Caller);

        Assert.Contains(run.GeneratorDiagnostics, diagnostic => diagnostic.Id == "TN0005");
        Assert.Single(run.ApiSources);
        Assert.DoesNotContain(run.Output.GetDiagnostics(), diagnostic => diagnostic.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
    }
}
