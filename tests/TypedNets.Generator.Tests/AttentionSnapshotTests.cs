using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The generated source of a GPT-style network, learned positions and causal multi-head self-attention with dropout
/// between the projections, compared with the verified snapshot in <c>Snapshots/</c>.
/// </summary>
public class AttentionSnapshotTests
{
    [Fact]
    public void PositionEmbeddingAndSelfAttention()
    {
        // The attention's log-sum-exp and scratch are planned with the engine's buffers; its dropout seed is drawn
        // per training pass from the dropout stream and kept for the backward pass. The padding mask passes the
        // position embedding and the Dense, and stops at the attention.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Gpt;

            [Network, TokenInput(8)]
            public partial class TinyGpt
            {
                [Embedding(20, 12, MaskZero = true)]            public partial EmbeddingLayer Tokens { get; }
                [PositionEmbedding(16)]                         public partial PositionEmbeddingLayer Positions { get; }
                [Dense(36, Bias = false)]                       public partial DenseLayer Qkv { get; }
                [SelfAttention(3, Dropout = 0.1)]               public partial SelfAttentionLayer Attention { get; }
                [Dense(12)]                                     public partial DenseLayer Projection { get; }
                [SelfAttention(1, Causal = false)]              public partial SelfAttentionLayer Mixer { get; }
                [Flatten]                                       public partial FlattenLayer Flat { get; }
                [Dense(20, Activation.Softmax)]                 public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }
}
