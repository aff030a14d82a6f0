using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The diagnostics of weight tying, <c>[Dense(..., TiedTo = nameof(Tokens))]</c>; part of <see cref="DiagnosticTests"/>,
/// so that <see cref="OneErrorTests"/> compiles their invalid declarations too.
/// </summary>
public partial class DiagnosticTests
{
    [Fact]
    public void TN0059_TiedToALayerThatIsNotAnEmbedding()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, TokenInput(4)]
            public partial class Net
            {
                [Embedding(9, 6)] public partial EmbeddingLayer Tokens { get; }
                [LayerNorm] public partial LayerNormLayer Norm { get; }
                [Dense(9, Bias = false, TiedTo = nameof(Norm))] public partial DenseLayer Head { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0059", Error, 8, "nameof(Norm)",
            "Layer 'Head' (Dense) ties its weight to 'Norm', which is a LayerNorm layer; TiedTo names an [Embedding] declared before it in the same network, such as 'Tokens'");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0040_TiedToALaterLayer()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, TokenInput(4)]
            public partial class Net
            {
                [Embedding(9, 6)] public partial EmbeddingLayer Tokens { get; }
                [Dense(9, Bias = false, TiedTo = nameof(Late))] public partial DenseLayer Head { get; }
                [Dense(6)] public partial DenseLayer Late { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0040", Error, 7, "nameof(Late)",
            "Layer 'Head' reads 'Late', which is declared after it; a layer can read only layers declared before it");
        Expect.NothingInGeneratedCode(run);
    }

    [Theory]
    [InlineData(7, "[7, 6]", "declare [Dense(9)], one output per id")]
    [InlineData(9, "[9, 6]", null)]
    public void TN0060_TiedWeightsOfMismatchedShapes(int units, string shown, string? fix)
    {
        // 9 units on 6 features fit the [9, 6] table, so the second row reports nothing.
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, TokenInput(4)]
            public partial class Net
            {
                [Embedding(9, 6)] public partial EmbeddingLayer Tokens { get; }
                [Dense({{units}}, Bias = false, TiedTo = nameof(Tokens))] public partial DenseLayer Head { get; }
            }
            """);

        if (fix is null)
        {
            Expect.NoGeneratorDiagnostics(run);
            Expect.CompilesCleanly(run);
            return;
        }

        Expect.Diagnostic(run, "TN0060", Error, 7, $"Dense({units}, Bias = false, TiedTo = nameof(Tokens))",
            $"Layer 'Head' (Dense) ties its weight {shown} to 'Tokens' (Embedding), whose table is [9, 6]; the shapes must be equal: {fix}");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0060_TiedWeightsOnOtherInputFeatures()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, TokenInput(4)]
            public partial class Net
            {
                [Embedding(9, 6)] public partial EmbeddingLayer Tokens { get; }
                [Dense(5)] public partial DenseLayer Narrow { get; }
                [Dense(9, Bias = false, TiedTo = nameof(Tokens))] public partial DenseLayer Head { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0060", Error, 8, "Dense(9, Bias = false, TiedTo = nameof(Tokens))",
            "Layer 'Head' (Dense) ties its weight [9, 5] to 'Tokens' (Embedding), whose table is [9, 6]; the shapes must be equal: give it 6 input features, the embedding's dimension");
        Expect.NothingInGeneratedCode(run);
    }
}
