using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The generated source of stacked and bidirectional recurrent layers (PyTorch's <c>num_layers</c>, <c>bidirectional</c>
/// and <c>dropout</c>), compared with the verified snapshot in <c>Snapshots/</c>.
/// </summary>
public class RecurrentSnapshotTests
{
    [Fact]
    public void StackedBidirectionalLayersOverMaskedTokens()
    {
        // Per-layer, per-direction tensors in state_dict order, one stacked workspace per layer, the padding mask and
        // the dropout stream handed to the kernel with constant sizes; a stack in one direction and a bidirectional single layer take the same call.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Recurrent;

            [Network, TokenInput(12), Loss(LossKind.CrossEntropy)]
            public partial class BiTagger
            {
                [Embedding(100, 8, MaskZero = true)]                                          public partial EmbeddingLayer Embedding { get; }
                [Lstm(16, NumLayers = 2, Bidirectional = true, Dropout = 0.25, ReturnSequences = true)] public partial LstmLayer Encoder { get; }
                [Gru(8, Bidirectional = true, ReturnSequences = true)]                         public partial GruLayer Context { get; }
                [Gru(4, NumLayers = 3)]                                                        public partial GruLayer Reader { get; }
                [Dense(3, Activation.Softmax)]                                                 public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }
}
