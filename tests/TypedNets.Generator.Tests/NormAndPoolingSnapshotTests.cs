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
}
