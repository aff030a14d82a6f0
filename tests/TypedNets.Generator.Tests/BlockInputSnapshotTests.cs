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
        GeneratorRun run = GeneratorHarness.Run(GraphSources.Gpt);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }
}
