using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The generated source of a GPT-2-style head tied to the token embedding, compared with the verified snapshot in
/// <c>Snapshots/</c>.
/// </summary>
public class TiedSnapshotTests
{
    [Fact]
    public void DenseTiedToTheTokenEmbedding()
    {
        // The head's forward and backward read and accumulate into the table's parameter and gradient ranges; it has no
        // weight of its own, draws nothing, and its description's weight is the embedding's tensor.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Gpt;

            [Network, TokenInput(8)]
            public partial class TiedGpt
            {
                [Embedding(20, 12)]                                      public partial EmbeddingLayer Tokens { get; }
                [PositionEmbedding(8)]                                   public partial PositionEmbeddingLayer Positions { get; }
                [LayerNorm]                                              public partial LayerNormLayer Norm { get; }
                [Dense(20, Bias = false, TiedTo = nameof(Tokens))]       public partial DenseLayer Head { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }
}
