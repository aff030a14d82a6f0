using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The diagnostics of <c>BlockAttribute.Input</c> (an Add, Concatenate or From reading the block's or the network's
/// input) and of a TiedTo path into an earlier block; part of <see cref="DiagnosticTests"/>, so that
/// <see cref="OneErrorTests"/> compiles their invalid declarations too.
/// </summary>
public partial class DiagnosticTests
{
    [Fact]
    public void TN0039_AddOfTheBlockInputOfAnotherShape()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Block]
            public partial class Widen
            {
                [Dense(12)] public partial DenseLayer Up { get; }
                [Add(BlockAttribute.Input)] public partial AddLayer Skip { get; }
            }

            [Network, Input(4, 8)]
            public partial class Net
            {
                public partial Widen Block { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0039", Error, 7, "Add(BlockAttribute.Input)",
            "Layer 'block.skip' (Add) cannot join 'block.up' [4, 12] with 'the input' [4, 8]: the two must have the same shape; read a layer of the same shape, or map one to the other's shape with a layer (a 1x1 Conv2D, a Dense) first");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0062_AddOfTheNetworksTokenIds()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, TokenInput(4)]
            public partial class Net
            {
                [Embedding(9, 6)] public partial EmbeddingLayer Tokens { get; }
                [Add(BlockAttribute.Input)] public partial AddLayer Skip { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0062", Error, 7, "BlockAttribute.Input",
            "Layer 'Skip' (Add) reads BlockAttribute.Input, which here is the network's token ids [TokenInput(4)]; only an [Embedding] reads token ids: name a layer after the embedding, such as 'Tokens'");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0062_DenseFromTheTokenIdsInsideTheFirstBlock()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Block]
            public partial class Stem
            {
                [Embedding(9, 6)] public partial EmbeddingLayer Tokens { get; }
                [Dense(6), From(BlockAttribute.Input)] public partial DenseLayer Raw { get; }
            }

            [Network, TokenInput(4)]
            public partial class Net
            {
                public partial Stem First { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0062", Error, 7, "BlockAttribute.Input",
            "Layer 'Raw' (Dense) reads BlockAttribute.Input, which here is the network's token ids [TokenInput(4)]; only an [Embedding] reads token ids: name a layer after the embedding, such as 'Tokens'");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0059_TiedToTheBlockInput()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, TokenInput(4)]
            public partial class Net
            {
                [Embedding(9, 6)] public partial EmbeddingLayer Tokens { get; }
                [Dense(9, Bias = false, TiedTo = BlockAttribute.Input)] public partial DenseLayer Head { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0059", Error, 7, "BlockAttribute.Input",
            "Layer 'Head' (Dense) ties its weight to '(input)', which is the network's input, not a layer; TiedTo names an [Embedding] declared before it in the same network, such as 'Tokens'");
        Expect.NothingInGeneratedCode(run);
    }

    private const string TiedPathBlocks = """
        using System.Collections.Generic;
        using TypedNets;

        [Block]
        public partial class Decoder
        {
            [LayerNorm] public partial LayerNormLayer Norm { get; }
            [Dense(6)] public partial DenseLayer Mix { get; }
        }

        [Block]
        public partial class Body
        {
            [Embedding(9, 6)] public partial EmbeddingLayer Wte { get; }
            [Repeat(2)] public partial IReadOnlyList<Decoder> H { get; }
            [LayerNorm] public partial LayerNormLayer Ln_f { get; }
        }

        """;

    [Theory]
    [InlineData("Body.Wtf", "\"Body.Wtf\"", "'Body' (Body) has no layer 'Wtf'; its layers are Wte, H, Ln_f")]
    [InlineData("Body.Wte.Weight", "\"Body.Wte.Weight\"", "'Body.Wte' is a layer, not a block, so the path cannot go on to 'Weight'; end the path at 'Body.Wte'")]
    [InlineData("Body.H.Norm", "\"Body.H.Norm\"", "'Body.H' is a [Repeat] of 2 blocks; name a copy by its index, 0 to 1, as 'Body.H.0.Norm'")]
    [InlineData("Body.H.2.Norm", "\"Body.H.2.Norm\"", "'Body.H' is a [Repeat] of 2 blocks; name a copy by its index, 0 to 1, as 'Body.H.0.Norm'")]
    [InlineData("Body.", "\"Body.\"", "the path has an empty part; write it as 'Block.Layer', such as 'Body.Wte'")]
    [InlineData("(input).Wte", "\"(input).Wte\"", "'(input)' is the network's input, not a block; a path starts at an earlier child of the network, such as 'Body.Wte'")]
    public void TN0063_TiedPathThatLeadsNowhere(string path, string span, string why)
    {
        GeneratorRun run = GeneratorHarness.Run(TiedPathBlocks + $$"""
            [Network, TokenInput(4)]
            public partial class Net
            {
                public partial Body Body { get; }
                [Dense(9, Bias = false, TiedTo = "{{path}}")] public partial DenseLayer Head { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0063", Error, 22, span, $"Layer 'Head' (Dense) ties its weight to '{path}', but {why}");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0059_TiedPathToALayerThatIsNotAnEmbedding()
    {
        GeneratorRun run = GeneratorHarness.Run(TiedPathBlocks + """
            [Network, TokenInput(4)]
            public partial class Net
            {
                public partial Body Body { get; }
                [Dense(9, Bias = false, TiedTo = "Body.H.1.Norm")] public partial DenseLayer Head { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0059", Error, 22, "\"Body.H.1.Norm\"",
            "Layer 'Head' (Dense) ties its weight to 'Body.H.1.Norm', which is a LayerNorm layer; TiedTo names an [Embedding] declared before it in the same network, or one inside an earlier block by its path, such as 'Body.Wte'");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0040_TiedPathThroughALaterBlock()
    {
        GeneratorRun run = GeneratorHarness.Run(TiedPathBlocks + """
            [Network, TokenInput(4)]
            public partial class Net
            {
                [Embedding(9, 6)] public partial EmbeddingLayer Tokens { get; }
                [Dense(9, Bias = false, TiedTo = "Body.Wte")] public partial DenseLayer Head { get; }
                public partial Body Body { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0040", Error, 22, "\"Body.Wte\"",
            "Layer 'Head' reads 'Body', which is declared after it; a layer can read only layers declared before it");
        Expect.NothingInGeneratedCode(run);
    }
}
