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
