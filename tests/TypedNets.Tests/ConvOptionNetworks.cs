using TypedNets;

// Networks that use PyTorch's nn.Conv2d options (dilation, rectangular kernels, groups), compiled by the generator in
// this test project: small enough for finite differences, and one per PyTorch fixture of
// reference/pytorch/make_option_fixtures.py, named as its modules.
namespace TypedNets.Tests.Networks;

[Network, Input(2, 7, 6)]
public partial class DilationGradientNet
{
    // Padding 2 with dilation 2 keeps the size, as PyTorch's "same" for a 3x3 kernel; the second layer strides too.
    [Conv2D(3, 3, Padding = 2, Dilation = 2, Activation = Activation.Tanh)] public partial Conv2DLayer Same { get; }
    [Conv2D(2, 2, Stride = 2, Padding = 1, Dilation = 3, Activation = Activation.GELU)] public partial Conv2DLayer Strided { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, Input(2, 9, 8)]
public partial class DilationFixtureNet
{
    [Conv2D(3, 3, Padding = 1, Dilation = 2, Activation = Activation.Tanh)] public partial Conv2DLayer Conv1 { get; }
    [Conv2D(2, 2, Stride = 2, Dilation = 3)] public partial Conv2DLayer Conv2 { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

[Network, Input(2, 5, 7)]
public partial class RectangularGradientNet
{
    [Conv2D(3, 3, KernelWidth = 2, StrideWidth = 2, PaddingHeight = 1, Activation = Activation.Tanh)] public partial Conv2DLayer Wide { get; }
    [Conv2D(2, 1, KernelHeight = 3, StrideHeight = 2, Padding = 1, PaddingHeight = 0, Activation = Activation.GELU)] public partial Conv2DLayer Tall { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, Input(2, 6, 9)]
public partial class RectangularFixtureNet
{
    // PyTorch's kernel_size=(3, 5), stride=(1, 2), padding=(2, 1).
    [Conv2D(3, 3, KernelWidth = 5, StrideWidth = 2, Padding = 2, PaddingWidth = 1, Activation = Activation.Tanh)] public partial Conv2DLayer Conv1 { get; }

    // PyTorch's kernel_size=(2, 1), stride=(3, 1), padding=(0, 1), dilation=2.
    [Conv2D(2, 1, KernelHeight = 2, StrideHeight = 3, PaddingWidth = 1, Dilation = 2)] public partial Conv2DLayer Conv2 { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

[Network, Input(4, 5, 4)]
public partial class GroupsGradientNet
{
    [Conv2D(6, 3, Padding = 1, Groups = 2, Activation = Activation.Tanh)] public partial Conv2DLayer Grouped { get; }
    [Conv2D(6, 3, Stride = 2, Padding = 1, Groups = 6, Activation = Activation.GELU)] public partial Conv2DLayer Depthwise { get; }
    [Conv2D(4, 1, Groups = 2, Bias = false)] public partial Conv2DLayer Pointwise { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, Input(4, 5, 6)]
public partial class GroupsFixtureNet
{
    [Conv2D(6, 3, Padding = 1, Groups = 2, Activation = Activation.Tanh)] public partial Conv2DLayer Grouped { get; }
    [Conv2D(6, 3, Stride = 2, Padding = 1, Groups = 6, Bias = false, Activation = Activation.Tanh)] public partial Conv2DLayer Depthwise { get; }
    [Conv2D(12, 1, Groups = 3)] public partial Conv2DLayer Multiplier { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}
