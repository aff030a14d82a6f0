using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The generated source of networks that use PyTorch's <c>nn.Conv2d</c> options (<c>dilation</c>, <c>(height, width)</c> sizes, <c>groups</c>), compared with
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

    [Fact]
    public void RectangularConvolutions()
    {
        // The kernel's width reaches the weight shape, the columns buffer, the initializer's fan-in and the geometry;
        // the width's stride and padding reach the geometry and the layer object.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Options;

            [Network, Input(1, 8, 16)]
            public partial class SpectrogramNet
            {
                [Conv2D(4, 3, KernelWidth = 5, StrideWidth = 2, Padding = 1, PaddingWidth = 2, Activation = Activation.ReLU)] public partial Conv2DLayer Time { get; }
                [Conv2D(2, 1, KernelHeight = 3, StrideHeight = 2)]                                                       public partial Conv2DLayer Frequency { get; }
                [Flatten]                                                                                                public partial FlattenLayer Flat { get; }
                [Dense(2)]                                                                                               public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }

    [Fact]
    public void GroupedAndDepthwiseConvolutions()
    {
        // The weight is [filters, channels / groups, k, k], the fan-in that of one group, and the groups reach the
        // kernel's geometry and the layer object.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Options;

            [Network, Input(4, 8, 8)]
            public partial class MobileBlock
            {
                [Conv2D(8, 3, Padding = 1, Groups = 2, Activation = Activation.ReLU)]   public partial Conv2DLayer Grouped { get; }
                [Conv2D(8, 3, Padding = 1, Groups = 8, Bias = false)]                  public partial Conv2DLayer Depthwise { get; }
                [Conv2D(4, 1)]                                                         public partial Conv2DLayer Pointwise { get; }
                [Flatten]                                                              public partial FlattenLayer Flat { get; }
                [Dense(2)]                                                             public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }
}
