using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The generated source of networks that use batch normalisation over sequences and padded pooling, compared with the
/// verified snapshots in <c>Snapshots/</c>.
/// </summary>
public class NormAndPoolingSnapshotTests
{
    [Fact]
    public void BatchNormOverSequences()
    {
        // batch * steps rows of features for the kernel; the padding mask passes through to the GRU.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Options;

            [Network, TokenInput(6)]
            public partial class SequenceNormedTagger
            {
                [Embedding(50, 8, MaskZero = true)]             public partial EmbeddingLayer Embedding { get; }
                [BatchNorm(Momentum = 0.2, Epsilon = 1e-3)]     public partial BatchNormLayer EmbeddingNorm { get; }
                [Gru(4)]                                        public partial GruLayer Encoder { get; }
                [BatchNorm]                                     public partial BatchNormLayer StateNorm { get; }
                [Dense(2, Activation.Softmax)]                  public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }

    [Fact]
    public void PoolingWithPadding()
    {
        // The padding reaches the kernels' geometry and the layer objects; shapes as PyTorch's (h + 2p - k) / s + 1.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Options;

            [Network, Input(3, 9, 8)]
            public partial class PaddedPoolNet
            {
                [Conv2D(4, 3, Padding = 1, Activation = Activation.ReLU)]   public partial Conv2DLayer Conv { get; }
                [MaxPool2D(3, Stride = 2, Padding = 1)]                     public partial Pool2DLayer Pool { get; }
                [AvgPool2D(2, Stride = 1, Padding = 1)]                     public partial Pool2DLayer Smooth { get; }
                [Flatten]                                                   public partial FlattenLayer Flat { get; }
                [Dense(2, Activation.Softmax)]                              public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }
}
