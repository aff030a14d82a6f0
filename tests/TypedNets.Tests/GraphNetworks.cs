using System.Collections.Generic;
using TypedNets;

// Networks that are not a stack: residual blocks, blocks used as layers and repeated, skip connections by nameof.
// TinyResNet is torchvision's resnet18 at test size, as reference/pytorch/make_residual_fixtures.py builds it, so
// its state_dict names (layer2.0.downsample.0.weight, ...) are the fixture's.
namespace TypedNets.Tests.Networks;

/// <summary>torchvision's BasicBlock with the identity shortcut: relu(bn2(conv2(relu(bn1(conv1(x))))) + x).</summary>
[Residual(Activation = Activation.ReLU)]
public partial class BasicBlock2
{
    [Conv2D(2, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv1 { get; }
    [BatchNorm(Activation = Activation.ReLU)] public partial BatchNormLayer Bn1 { get; }
    [Conv2D(2, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv2 { get; }
    [BatchNorm] public partial BatchNormLayer Bn2 { get; }
}

/// <summary>The same block at 4 channels.</summary>
[Residual(Activation = Activation.ReLU)]
public partial class BasicBlock4
{
    [Conv2D(4, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv1 { get; }
    [BatchNorm(Activation = Activation.ReLU)] public partial BatchNormLayer Bn1 { get; }
    [Conv2D(4, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv2 { get; }
    [BatchNorm] public partial BatchNormLayer Bn2 { get; }
}

/// <summary>A BasicBlock that halves the image and doubles the channels, with torchvision's projection shortcut.</summary>
[Residual(Activation = Activation.ReLU)]
public partial class DownBlock4
{
    [Conv2D(4, 3, Stride = 2, Padding = 1, Bias = false)] public partial Conv2DLayer Conv1 { get; }
    [BatchNorm(Activation = Activation.ReLU)] public partial BatchNormLayer Bn1 { get; }
    [Conv2D(4, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv2 { get; }
    [BatchNorm] public partial BatchNormLayer Bn2 { get; }
    [Shortcut] public partial Projection4 Downsample { get; }
}

/// <summary>torchvision's downsample: nn.Sequential(conv1x1 stride 2, BatchNorm2d), so downsample.0 and downsample.1.</summary>
[Sequential]
public partial class Projection4
{
    [Conv2D(4, 1, Stride = 2, Bias = false)] public partial Conv2DLayer Conv { get; }
    [BatchNorm] public partial BatchNormLayer Norm { get; }
}

/// <summary>A stage that widens: layer2.0 projects, layer2.1 keeps the shape.</summary>
[Sequential]
public partial class Stage4
{
    public partial DownBlock4 First { get; }
    [Repeat(1)] public partial IReadOnlyList<BasicBlock4> Rest { get; }
}

[Network, Input(1, 6, 6), Loss(LossKind.CrossEntropy)]
public partial class TinyResNet
{
    [Conv2D(2, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv1 { get; }
    [BatchNorm(Activation = Activation.ReLU)] public partial BatchNormLayer Bn1 { get; }
    [Repeat(1)] public partial IReadOnlyList<BasicBlock2> Layer1 { get; }
    public partial Stage4 Layer2 { get; }
    [GlobalAveragePooling2D] public partial GlobalAveragePooling2DLayer Pool { get; }
    [Dense(3)] public partial DenseLayer Fc { get; }
}

/// <summary>Add and Concatenate by nameof on vectors: the stem's output is read by three later layers.</summary>
[Network, Input(5)]
public partial class SkipDenseNet
{
    [Dense(4, Activation.Tanh)] public partial DenseLayer Stem { get; }
    [Dense(4, Activation.Tanh)] public partial DenseLayer Hidden { get; }
    [Add(nameof(Stem))] public partial AddLayer Join { get; }
    [Dense(3, Activation.Sigmoid)] public partial DenseLayer Wide { get; }
    [Concatenate(nameof(Stem), nameof(Wide), nameof(Join))] public partial ConcatenateLayer Merge { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}

/// <summary>Two convolutions as one branch of an Inception module.</summary>
[Block]
public partial class ReduceThenConv
{
    [Conv2D(2, 1, Activation = Activation.Tanh)] public partial Conv2DLayer Reduce { get; }
    [Conv2D(3, 3, Padding = 1)] public partial Conv2DLayer Conv { get; }
}

// Finite differences need smooth functions: with ReLU after batch normalisation, some of a thousand normalised values
// lie within a step of the kink for almost any parameter, so the gradient checks use Tanh and Sigmoid, and TinyResNet
// (ReLU, as torchvision's) is checked against PyTorch instead.

/// <summary>A residual block with the identity shortcut and smooth activations.</summary>
[Residual(Activation = Activation.Tanh)]
public partial class SmoothBlock3
{
    [Conv2D(3, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv1 { get; }
    [BatchNorm(Activation = Activation.Tanh)] public partial BatchNormLayer Bn1 { get; }
    [Conv2D(3, 3, Padding = 1)] public partial Conv2DLayer Conv2 { get; }
    [BatchNorm] public partial BatchNormLayer Bn2 { get; }
}

/// <summary>A residual block that halves the image, with a projection shortcut declared first.</summary>
[Residual(Activation = Activation.Sigmoid)]
public partial class SmoothDownBlock
{
    [Shortcut] public partial SmoothProjection Downsample { get; }
    [Conv2D(4, 3, Stride = 2, Padding = 1, Activation = Activation.Tanh)] public partial Conv2DLayer Conv1 { get; }
    [Conv2D(4, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv2 { get; }
    [BatchNorm] public partial BatchNormLayer Bn2 { get; }
}

[Sequential]
public partial class SmoothProjection
{
    [Conv2D(4, 1, Stride = 2, Bias = false)] public partial Conv2DLayer Conv { get; }
    [BatchNorm] public partial BatchNormLayer Norm { get; }
}

[Network, Input(2, 5, 5)]
public partial class SmoothResNet
{
    [Conv2D(3, 3, Padding = 1, Activation = Activation.Tanh)] public partial Conv2DLayer Stem { get; }
    [Repeat(2)] public partial IReadOnlyList<SmoothBlock3> Blocks { get; }
    public partial SmoothDownBlock Down { get; }
    [GlobalAveragePooling2D] public partial GlobalAveragePooling2DLayer Pool { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

/// <summary>A Transformer-style residual (no activation after the addition) on vectors.</summary>
[Residual]
public partial class DenseResidual
{
    [Dense(4, Activation.Tanh)] public partial DenseLayer Hidden { get; }
    [Dense(4)] public partial DenseLayer Projection { get; }
}

/// <summary>Residual blocks on the network's input itself: the input gradient sums the block's path and its shortcut.</summary>
[Network, Input(4)]
public partial class InputResidualNet
{
    [Repeat(2)] public partial IReadOnlyList<DenseResidual> Blocks { get; }
    [Add(nameof(Blocks), Activation = Activation.Tanh)] public partial AddLayer Twice { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}

/// <summary>An Inception-shaped network: branches that read the stem, concatenated over the channels.</summary>
[Network, Input(2, 5, 5)]
public partial class TinyInception
{
    [Conv2D(3, 3, Padding = 1, Activation = Activation.Tanh)] public partial Conv2DLayer Stem { get; }
    [Conv2D(2, 1)] public partial Conv2DLayer Branch1 { get; }
    [From(nameof(Stem))] public partial ReduceThenConv Branch2 { get; }
    [From(nameof(Stem)), AvgPool2D(3, Stride = 1, Padding = 1)] public partial Pool2DLayer Branch3 { get; }
    [Concatenate(nameof(Branch1), nameof(Branch2), nameof(Branch3))] public partial ConcatenateLayer Merge { get; }
    [BatchNorm(Activation = Activation.Tanh)] public partial BatchNormLayer Norm { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}

/// <summary>A block that takes whatever features it is given.</summary>
[Block]
public partial class Squeeze
{
    [Dense(3, Activation.Tanh)] public partial DenseLayer Reduce { get; }
    [LayerNorm] public partial LayerNormLayer Norm { get; }
}

/// <summary>One block type used on two shapes: each use has weights of its own shape.</summary>
[Network, Input(6)]
public partial class TwoShapesNet
{
    public partial Squeeze First { get; }              // [6] -> [3]
    [Dense(5, Activation.Sigmoid)] public partial DenseLayer Widen { get; }
    public partial Squeeze Second { get; }             // [5] -> [3]
    [Dense(2)] public partial DenseLayer Output { get; }
}
