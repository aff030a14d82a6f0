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
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Graphs;

            [Block]
            public partial class ReduceThenConv
            {
                [Conv2D(4, 1, Activation = Activation.ReLU)]    public partial Conv2DLayer Reduce { get; }
                [Conv2D(6, 3, Padding = 1)]                     public partial Conv2DLayer Conv { get; }
            }

            [Network, Input(3, 8, 8), Loss(LossKind.CrossEntropy)]
            public partial class InceptionNet
            {
                [Conv2D(8, 3, Padding = 1, Bias = false)]                           public partial Conv2DLayer Stem { get; }
                [BatchNorm(Activation = Activation.ReLU)]                           public partial BatchNormLayer StemNorm { get; }
                [Conv2D(4, 1)]                                                      public partial Conv2DLayer Branch1 { get; }
                [From(nameof(StemNorm))]                                            public partial ReduceThenConv Branch2 { get; }
                [From(nameof(StemNorm)), MaxPool2D(3, Stride = 1, Padding = 1)]    public partial Pool2DLayer Branch3 { get; }
                [Concatenate(nameof(Branch1), nameof(Branch2), nameof(Branch3))]    public partial ConcatenateLayer Merge { get; }
                [GlobalAveragePooling2D]                                            public partial GlobalAveragePooling2DLayer Pool { get; }
                [Dense(10, Activation.Softmax)]                                     public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }

    [Fact]
    public void ResidualStages()
    {
        // torchvision's BasicBlock with and without its downsample, a stage as nn.Sequential, and [Repeat]: names
        // layer1.0.conv1.weight, layer2.0.downsample.0.weight; the skip over each block holds a gradient buffer back.
        GeneratorRun run = GeneratorHarness.Run("""
            using System.Collections.Generic;
            using TypedNets;

            namespace Zoo.Graphs;

            [Residual(Activation = Activation.ReLU)]
            public partial class BasicBlock8
            {
                [Conv2D(8, 3, Padding = 1, Bias = false)]   public partial Conv2DLayer Conv1 { get; }
                [BatchNorm(Activation = Activation.ReLU)]   public partial BatchNormLayer Bn1 { get; }
                [Conv2D(8, 3, Padding = 1, Bias = false)]   public partial Conv2DLayer Conv2 { get; }
                [BatchNorm]                                 public partial BatchNormLayer Bn2 { get; }
            }

            [Residual(Activation = Activation.ReLU)]
            public partial class DownBlock16
            {
                [Conv2D(16, 3, Stride = 2, Padding = 1, Bias = false)]  public partial Conv2DLayer Conv1 { get; }
                [BatchNorm(Activation = Activation.ReLU)]               public partial BatchNormLayer Bn1 { get; }
                [Conv2D(16, 3, Padding = 1, Bias = false)]              public partial Conv2DLayer Conv2 { get; }
                [BatchNorm]                                             public partial BatchNormLayer Bn2 { get; }
                [Shortcut]                                              public partial Downsample16 Downsample { get; }
            }

            [Sequential]
            public partial class Downsample16
            {
                [Conv2D(16, 1, Stride = 2, Bias = false)]   public partial Conv2DLayer Conv { get; }
                [BatchNorm]                                 public partial BatchNormLayer Norm { get; }
            }

            [Sequential]
            public partial class Stage16
            {
                public partial DownBlock16 First { get; }
            }

            [Network, Input(1, 12, 12), Loss(LossKind.CrossEntropy)]
            public partial class SmallResNet
            {
                [Conv2D(8, 3, Padding = 1, Bias = false)]   public partial Conv2DLayer Conv1 { get; }
                [BatchNorm(Activation = Activation.ReLU)]   public partial BatchNormLayer Bn1 { get; }
                [Repeat(2)]                                 public partial IReadOnlyList<BasicBlock8> Layer1 { get; }
                public partial Stage16 Layer2 { get; }
                [GlobalAveragePooling2D]                    public partial GlobalAveragePooling2DLayer Pool { get; }
                [Dense(10)]                                 public partial DenseLayer Fc { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }
}
