using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The generated source of networks that are graphs rather than stacks, compared with the verified snapshots in
/// <c>Snapshots/</c>: blocks with PyTorch's nested names, their code written once a type and called per use with its state,
/// and the gradients of layers read twice summed.
/// </summary>
public class GraphSnapshotTests
{
    [Fact]
    public void InceptionModule()
    {
        // Three branches read the stem ([From]); their outputs are joined over the channels. The stem's gradient is the
        // sum of the three branches': the first written, the others added through a scratch buffer.
        GeneratorRun run = GeneratorHarness.Run(GraphSources.Inception);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }

    [Fact]
    public void ResidualStages()
    {
        // torchvision's BasicBlock with and without its downsample, a stage as nn.Sequential, and [Repeat]: names
        // layer1.0.conv1.weight, layer2.0.downsample.0.weight; the skip over each block holds a gradient buffer back.
        GeneratorRun run = GeneratorHarness.Run(GraphSources.SmallResNet);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }
}
