using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The generated source of nanoGPT's block, whose residual adds read the block's input through
/// <c>BlockAttribute.Input</c>, and of a head tied by a path to the token embedding inside an earlier block, compared
/// with the verified snapshots in <c>Snapshots/</c>.
/// </summary>
public class BlockInputSnapshotTests
{
    [Fact]
    public void GptBlockWithResidualsOnItsInput()
    {
        // ln_1 and AttnResidual both read the block's input, so its gradient is the sum of the two readers'; the head's
        // weight is the table of transformer.wte, a layer of the Transformer block.
        GeneratorRun run = GeneratorHarness.Run("""
            using System.Collections.Generic;
            using TypedNets;

            namespace Zoo.Gpt;

            [Block]
            public partial class CausalSelfAttention
            {
                [Dense(3 * 8)]      public partial DenseLayer C_attn { get; }
                [SelfAttention(2)]  public partial SelfAttentionLayer Heads { get; }
                [Dense(8)]          public partial DenseLayer C_proj { get; }
            }

            [Block]
            public partial class Mlp
            {
                [Dense(4 * 8, Activation.GELU)]                 public partial DenseLayer C_fc { get; }
                [Dense(8)]                                      public partial DenseLayer C_proj { get; }
            }

            [Block]
            public partial class GptBlock
            {
                [LayerNorm]                     public partial LayerNormLayer Ln_1 { get; }
                                                public partial CausalSelfAttention Attn { get; }
                [Add(BlockAttribute.Input)]     public partial AddLayer AttnResidual { get; }
                [LayerNorm]                     public partial LayerNormLayer Ln_2 { get; }
                                                public partial Mlp Mlp { get; }
                [Add(nameof(AttnResidual))]     public partial AddLayer MlpResidual { get; }
            }

            [Block]
            public partial class Transformer
            {
                [Embedding(11, 8)]      public partial EmbeddingLayer Wte { get; }
                [PositionEmbedding(6)]  public partial PositionEmbeddingLayer Wpe { get; }
                [Repeat(2)]             public partial IReadOnlyList<GptBlock> H { get; }
                [LayerNorm]             public partial LayerNormLayer Ln_f { get; }
            }

            [Network, TokenInput(6)]
            public partial class Gpt
            {
                                                                    public partial Transformer Transformer { get; }
                [Dense(11, Bias = false, TiedTo = "Transformer.Wte")] public partial DenseLayer Lm_head { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }
}
