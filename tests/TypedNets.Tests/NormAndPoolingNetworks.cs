using TypedNets;

// Networks with batch normalisation over the features of sequences and with padded pooling, compiled by the generator in this test project:
// small enough for finite differences, and one per PyTorch fixture of reference/pytorch/make_option_fixtures.py,
// named as its modules.
namespace TypedNets.Tests.Networks;

[Network, Input(4, 6)]
public partial class SequenceBatchNormFixtureNet
{
    [BatchNorm(Momentum = 0.2, Epsilon = 1e-3)] public partial BatchNormLayer Norm { get; }
}

[Network, Input(4, 5)]
public partial class SequenceBatchNormGradientNet
{
    [BatchNorm] public partial BatchNormLayer Norm { get; }
    [Dense(3, Activation.Tanh)] public partial DenseLayer PerStep { get; }
    [BatchNorm(Epsilon = 0.1)] public partial BatchNormLayer StepNorm { get; }
    [Lstm(2, ReturnSequences = true)] public partial LstmLayer Encoder { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

[Network, TokenInput(5)]
public partial class MaskedSequenceBatchNormNet
{
    [Embedding(9, 3, MaskZero = true)] public partial EmbeddingLayer Embedding { get; }
    [BatchNorm] public partial BatchNormLayer Norm { get; }
    [Gru(4)] public partial GruLayer Encoder { get; }
}

[Network, Input(2, 5, 6)]
public partial class MaxPoolPaddingFixtureNet
{
    [MaxPool2D(3, Stride = 2, Padding = 1)] public partial Pool2DLayer Pool { get; }
}

[Network, Input(2, 5, 6)]
public partial class AvgPoolPaddingFixtureNet
{
    [AvgPool2D(3, Stride = 2, Padding = 1)] public partial Pool2DLayer Pool { get; }
}

[Network, Input(2, 5, 6)]
public partial class MaxPoolPaddingStrideOneFixtureNet
{
    [MaxPool2D(2, Stride = 1, Padding = 1)] public partial Pool2DLayer Pool { get; }
}

[Network, Input(2, 5, 6)]
public partial class AvgPoolPaddingStrideOneFixtureNet
{
    [AvgPool2D(2, Stride = 1, Padding = 1)] public partial Pool2DLayer Pool { get; }
}

[Network, Input(2, 5, 4)]
public partial class PaddedPoolGradientNet
{
    [Conv2D(3, 3, Padding = 1, Activation = Activation.Tanh)] public partial Conv2DLayer Conv { get; }
    [AvgPool2D(3, Stride = 2, Padding = 1)] public partial Pool2DLayer Average { get; }
    [MaxPool2D(2, Stride = 1, Padding = 1)] public partial Pool2DLayer Max { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}
