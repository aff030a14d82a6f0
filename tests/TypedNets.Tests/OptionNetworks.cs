using TypedNets;

// Networks that use the layer options PyTorch users reach for, compiled by the generator in this test project: small
// enough for finite differences, and one per PyTorch fixture of reference/pytorch/make_option_fixtures.py, named as
// its modules.
namespace TypedNets.Tests.Networks;

[Network, Input(2, 5, 5)]
public partial class NoBiasGradientNet
{
    [Conv2D(3, 3, Padding = 1, Activation = Activation.Tanh, Bias = false)] public partial Conv2DLayer Conv { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(4, Activation.GELU, Bias = false)] public partial DenseLayer Hidden { get; }
    [Dense(3, Activation.Softmax, Bias = false)] public partial DenseLayer Output { get; }
}

[Network, Input(6)]
public partial class NoBiasReluNet
{
    // A ReLU without bias takes the product's fused epilogue with no bias to add.
    [Dense(5, Activation.ReLU, Bias = false)] public partial DenseLayer Hidden { get; }
    [Dense(2, Bias = false)] public partial DenseLayer Output { get; }
}

[Network, Input(2, 6, 5)]
public partial class NoBiasFixtureNet
{
    [Conv2D(3, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(4, Activation.ReLU, Bias = false)] public partial DenseLayer Hidden { get; }
    [Dense(3, Bias = false)] public partial DenseLayer Output { get; }
}
