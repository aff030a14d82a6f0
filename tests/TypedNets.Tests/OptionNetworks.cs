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

[Network, Input(2, 4, 4)]
public partial class GeluTanhGradientNet
{
    [Conv2D(2, 3, Padding = 1, Activation = Activation.GeluTanh)] public partial Conv2DLayer Conv { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(5, Activation.GeluTanh)] public partial DenseLayer Hidden { get; }
    [Dense(3, Activation.GeluTanh)] public partial DenseLayer Output { get; }
}

[Network, Input(1, 5, 5)]
public partial class GeluTanhFixtureNet
{
    [Conv2D(2, 3, Activation = Activation.GeluTanh)] public partial Conv2DLayer Conv { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(6, Activation.GeluTanh)] public partial DenseLayer Hidden { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

/// <summary><see cref="GeluTanhFixtureNet"/> with ReLU: the same He-uniform draws from the same seed.</summary>
[Network, Input(1, 5, 5)]
public partial class GeluTanhReluTwinNet
{
    [Conv2D(2, 3, Activation = Activation.ReLU)] public partial Conv2DLayer Conv { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(6, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

[Network, Input(4, 5)]
public partial class LayerNormGradientNet
{
    [LayerNorm] public partial LayerNormLayer Norm { get; }
    [Dense(3, Activation.Tanh)] public partial DenseLayer PerStep { get; }
    [LayerNorm(Epsilon = 0.1)] public partial LayerNormLayer StepNorm { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(6)] public partial DenseLayer Hidden { get; }
    [LayerNorm] public partial LayerNormLayer Output { get; }
}

[Network, Input(6)]
public partial class LayerNormFixtureNet
{
    [LayerNorm] public partial LayerNormLayer Norm { get; }
}

[Network, Input(4, 5)]
public partial class LayerNormSequenceFixtureNet
{
    [Dense(6)] public partial DenseLayer Proj { get; }
    [LayerNorm(Epsilon = 1e-3)] public partial LayerNormLayer Norm { get; }
}

[Network, TokenInput(5)]
public partial class PaddingIndexGradientNet
{
    [Embedding(7, 3, PaddingIndex = 2)] public partial EmbeddingLayer Embedding { get; }
    [GlobalAveragePooling1D] public partial GlobalAveragePooling1DLayer Pool { get; }
    [Dense(2, Activation.Tanh)] public partial DenseLayer Output { get; }
}

[Network, TokenInput(5)]
public partial class PaddingIndexFixtureNet
{
    [Embedding(10, 4, PaddingIndex = 2)] public partial EmbeddingLayer Embedding { get; }
}
