using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The generated source of networks that use the layer options PyTorch users reach for (<c>bias=False</c>, GELU's
/// tanh form, LayerNorm, <c>padding_idx</c>), compared with the verified snapshots in <c>Snapshots/</c>.
/// </summary>
public class OptionSnapshotTests
{
    [Fact]
    public void LayersWithoutBias()
    {
        // No bias tensor, no bias clearing in Initialize, and empty bias spans handed to the kernels, on both the
        // fused ReLU product and the plain one.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Options;

            [Network, Input(1, 6, 6)]
            public partial class NoBiasNet
            {
                [Conv2D(2, 3, Bias = false)]                public partial Conv2DLayer Conv { get; }
                [BatchNorm]                                 public partial BatchNormLayer Norm { get; }
                [Flatten]                                   public partial FlattenLayer Flat { get; }
                [Dense(4, Activation.ReLU, Bias = false)]   public partial DenseLayer Hidden { get; }
                [Dense(2, Bias = false)]                    public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }

    [Fact]
    public void GeluTanhOnConvolutionAndDense()
    {
        // Both layers keep their pre-activation for the backward pass and start He-uniform, as with the exact GELU.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Options;

            [Network, Input(1, 5, 5)]
            public partial class GeluTanhNet
            {
                [Conv2D(2, 3, Activation = Activation.GeluTanh)] public partial Conv2DLayer Conv { get; }
                [Flatten]                                        public partial FlattenLayer Flat { get; }
                [Dense(4, Activation.GeluTanh)]                  public partial DenseLayer Hidden { get; }
                [Dense(2, Activation.GeluTanh)]                  public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }

    [Fact]
    public void LayerNormOnVectorsAndSequences()
    {
        // One row per sample for a vector, one per step for a sequence; the padding mask passes through per step.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Options;

            [Network, TokenInput(6)]
            public partial class NormedTagger
            {
                [Embedding(50, 8, MaskZero = true)] public partial EmbeddingLayer Embedding { get; }
                [LayerNorm]                         public partial LayerNormLayer EmbeddingNorm { get; }
                [Gru(4)]                            public partial GruLayer Encoder { get; }
                [LayerNorm(Epsilon = 1e-3)]         public partial LayerNormLayer StateNorm { get; }
                [Dense(2, Activation.Softmax)]      public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }

    [Fact]
    public void EmbeddingWithPaddingIndex()
    {
        // The padding row is cleared after the initial draw, the kernel skips it in the backward pass, and the layer
        // description carries it.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Options;

            [Network, TokenInput(5)]
            public partial class PaddedEmbedding
            {
                [Embedding(10, 4, PaddingIndex = 2)] public partial EmbeddingLayer Embedding { get; }
                [GlobalAveragePooling1D]              public partial GlobalAveragePooling1DLayer Pool { get; }
                [Dense(2)]                            public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }
}
