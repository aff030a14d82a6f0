using TypedNets;

// Image networks compiled by the generator in this test project: small enough for finite differences, and one per
// PyTorch image fixture (reference/pytorch/make_image_fixtures.py), named as its modules.
namespace TypedNets.Tests.Networks;

[Network, Input(2, 6, 5)]
public partial class ImageGradientNet
{
    [Conv2D(3, 3, Padding = 1, Activation = Activation.Tanh)] public partial Conv2DLayer Conv { get; }
    [BatchNorm] public partial BatchNormLayer Norm { get; }
    [MaxPool2D(2)] public partial Pool2DLayer Pool { get; }
    [Conv2D(4, 2, Stride = 1, Activation = Activation.GELU)] public partial Conv2DLayer Second { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, Input(7, 7)]
public partial class StridedImageNet
{
    [Conv2D(3, 3, Stride = 2, Padding = 1, Activation = Activation.ReLU)] public partial Conv2DLayer Conv { get; }
    [AvgPool2D(2, Stride = 1)] public partial Pool2DLayer Pool { get; }
    [GlobalAveragePooling2D] public partial GlobalAveragePooling2DLayer Global { get; }
    [BatchNorm] public partial BatchNormLayer Norm { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}

[Network, Input(3, 7, 6)]
public partial class Conv2DFixtureNet
{
    [Conv2D(4, 3)] public partial Conv2DLayer Conv { get; }
}

[Network, Input(2, 7, 7)]
public partial class Conv2DStridePaddingFixtureNet
{
    [Conv2D(3, 3, Stride = 2, Padding = 1)] public partial Conv2DLayer Conv { get; }
}

[Network, Input(3, 6, 6)]
public partial class MaxPoolFixtureNet
{
    [MaxPool2D(2)] public partial Pool2DLayer Pool { get; }
}

[Network, Input(3, 6, 6)]
public partial class AvgPoolFixtureNet
{
    [AvgPool2D(2)] public partial Pool2DLayer Pool { get; }
}

[Network, Input(2, 5, 5)]
public partial class AvgPoolStrideOneFixtureNet
{
    [AvgPool2D(3, Stride = 1)] public partial Pool2DLayer Pool { get; }
}

[Network, Input(3, 4, 5)]
public partial class GlobalAvgPoolFixtureNet
{
    [GlobalAveragePooling2D] public partial GlobalAveragePooling2DLayer Pool { get; }
}

[Network, Input(3, 3, 3)]
public partial class BatchNorm2DFixtureNet
{
    [BatchNorm] public partial BatchNormLayer Norm { get; }
}

[Network, Input(5)]
public partial class BatchNorm1DFixtureNet
{
    [BatchNorm] public partial BatchNormLayer Norm { get; }
}

[Network, Input(1, 14, 14), Loss(LossKind.CrossEntropy)]
public partial class TinyConvNet
{
    [Conv2D(4, 3, Activation = Activation.ReLU)] public partial Conv2DLayer Conv1 { get; }
    [MaxPool2D(2)] public partial Pool2DLayer Pool1 { get; }
    [Conv2D(6, 3, Activation = Activation.ReLU)] public partial Conv2DLayer Conv2 { get; }
    [MaxPool2D(2)] public partial Pool2DLayer Pool2 { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(8, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}
