using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The generated source of networks that use PyTorch's <c>nn.Conv2d</c> options (<c>dilation</c>, ...), compared with
/// the verified snapshots in <c>Snapshots/</c>.
/// </summary>
public class ConvOptionSnapshotTests
{
    [Fact]
    public void DilatedConvolutions()
    {
        // The dilation reaches the kernel's geometry and the layer object; the undilated layer's code is as before.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Options;

            [Network, Input(1, 12, 12)]
            public partial class AtrousNet
            {
                [Conv2D(4, 3, Padding = 2, Dilation = 2, Activation = Activation.ReLU)] public partial Conv2DLayer Atrous { get; }
                [Conv2D(2, 3, Stride = 2, Dilation = 3, Bias = false)]                  public partial Conv2DLayer Wide { get; }
                [Conv2D(2, 1)]                                                          public partial Conv2DLayer Pointwise { get; }
                [Flatten]                                                               public partial FlattenLayer Flat { get; }
                [Dense(2)]                                                              public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }
}
