using System;
using System.Linq;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The one-position decode path of a causal language model (its <c>Decoder</c>, <c>CreateGenerator</c> and
/// <c>Generate</c>), compared with the verified snapshot in <c>Snapshots/</c>, and the networks that get none.
/// </summary>
public class DecodeSnapshotTests
{
    [Fact]
    public void PreNormGptDecodesOnePositionAtATime()
    {
        // A pre-norm block (LayerNorm, fused q|k|v, causal attention with dropout, projection, dropout) behind a
        // residual, a GELU MLP behind another, a final LayerNorm and a head tied to the token embedding: every layer
        // on one row, the dropouts the identity, the attention against caches of 4 positions.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Lm;

            [Residual]
            public partial class AttentionPart
            {
                [LayerNorm]                        public partial LayerNormLayer Ln { get; }
                [Dense(24)]                        public partial DenseLayer CAttn { get; }
                [SelfAttention(2, Dropout = 0.1)]  public partial SelfAttentionLayer Attn { get; }
                [Dense(8)]                         public partial DenseLayer CProj { get; }
                [Dropout(0.1)]                     public partial DropoutLayer Drop { get; }
            }

            [Residual]
            public partial class MlpPart
            {
                [LayerNorm]                        public partial LayerNormLayer Ln { get; }
                [Dense(32, Activation.GELU)]       public partial DenseLayer CFc { get; }
                [Dense(8)]                         public partial DenseLayer CProj { get; }
            }

            [Network, TokenInput(4)]
            public partial class TinyLm
            {
                [Embedding(6, 8)]                  public partial EmbeddingLayer Wte { get; }
                [PositionEmbedding(4)]             public partial PositionEmbeddingLayer Wpe { get; }
                public partial AttentionPart Attn { get; }
                public partial MlpPart Mlp { get; }
                [LayerNorm]                        public partial LayerNormLayer LnF { get; }
                [Dense(6, TiedTo = nameof(Wte), Bias = false)] public partial DenseLayer LmHead { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }

    [Theory]
    [InlineData("[SelfAttention(2, Causal = false)] public partial SelfAttentionLayer Attention { get; }\n[Dense(5)] public partial DenseLayer Head { get; }", "attention that reads later positions")]
    [InlineData("[SelfAttention(2)] public partial SelfAttentionLayer Attention { get; }\n[Dense(7)] public partial DenseLayer Head { get; }", "logits that are not the vocabulary's")]
    [InlineData("[SelfAttention(2)] public partial SelfAttentionLayer Attention { get; }\n[Flatten] public partial FlattenLayer Flat { get; }\n[Dense(5)] public partial DenseLayer Head { get; }", "one output for the sequence")]
    [InlineData("[Conv1D(12, 3, Padding = 1)] public partial Conv1DLayer Conv { get; }\n[Dense(5)] public partial DenseLayer Head { get; }", "a convolution, which reads later positions")]
    [InlineData("[Lstm(12, ReturnSequences = true)] public partial LstmLayer Lstm { get; }\n[Dense(5)] public partial DenseLayer Head { get; }", "a recurrent layer")]
    public void A_network_that_cannot_decode_gets_no_generate(string layers, string why)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            namespace Zoo.Lm;

            [Network, TokenInput(4)]
            public partial class NotALanguageModel
            {
                [Embedding(5, 4)] public partial EmbeddingLayer Tokens { get; }
                [PositionEmbedding(4)] public partial PositionEmbeddingLayer Positions { get; }
                [Dense(12)] public partial DenseLayer Qkv { get; }
                {{layers}}
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        string source = Assert.Single(run.GeneratedSources).SourceText.ToString();
        Assert.False(source.Contains("CreateGenerator", StringComparison.Ordinal), why);
        Assert.False(source.Contains("TokenDecoder", StringComparison.Ordinal), why);
    }
}
