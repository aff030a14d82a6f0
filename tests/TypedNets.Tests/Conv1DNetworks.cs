using TypedNets;

// Networks of Conv1D, MaxPool1D and AvgPool1D over sequences [steps, features], compiled by the generator in this test
// project: small enough for finite differences, and one per PyTorch fixture of reference/pytorch/make_option_fixtures.py,
// named as its modules.
namespace TypedNets.Tests.Networks;

[Network, Input(7, 4)]
public partial class Conv1DGradientNet
{
    // Padding 2 with dilation 2 keeps the 7 steps; the groups split the 4 features in two.
    [Conv1D(6, 3, Padding = 2, Dilation = 2, Groups = 2, Activation = Activation.Tanh)] public partial Conv1DLayer Same { get; }
    [MaxPool1D(3, Stride = 2, Padding = 1)] public partial Pool1DLayer Max { get; }
    [Conv1D(3, 2, Activation = Activation.GELU)] public partial Conv1DLayer Pair { get; }
    [AvgPool1D(2, Stride = 1, Padding = 1)] public partial Pool1DLayer Average { get; }
    [Conv1D(2, 1, Stride = 2, Bias = false)] public partial Conv1DLayer Pointwise { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, Input(10, 4)]
public partial class Conv1DFixtureNet
{
    [Conv1D(6, 3, Padding = 1, Groups = 2, Activation = Activation.Tanh)] public partial Conv1DLayer Conv1 { get; }
    [MaxPool1D(2)] public partial Pool1DLayer Pool { get; }
    [Conv1D(4, 2, Stride = 2, Dilation = 2, Bias = false)] public partial Conv1DLayer Conv2 { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

[Network, Input(7, 3)]
public partial class MaxPool1DFixtureNet
{
    [MaxPool1D(2)] public partial Pool1DLayer Pool { get; }
}

[Network, Input(7, 3)]
public partial class MaxPool1DPaddingFixtureNet
{
    [MaxPool1D(3, Stride = 2, Padding = 1)] public partial Pool1DLayer Pool { get; }
}

[Network, Input(7, 3)]
public partial class AvgPool1DPaddingFixtureNet
{
    [AvgPool1D(3, Stride = 2, Padding = 1)] public partial Pool1DLayer Pool { get; }
}

[Network, Input(7, 3)]
public partial class AvgPool1DPaddingStrideOneFixtureNet
{
    [AvgPool1D(2, Stride = 1, Padding = 1)] public partial Pool1DLayer Pool { get; }
}

// A padding mask reaching a convolution: Keras 3 warns that Conv1D does not support masking and drops the mask, and so
// does TypedNets (TN0050), so the two networks below compute the same thing.
#pragma warning disable TN0050
[Network, TokenInput(6)]
public partial class MaskedConv1DNet
{
    [Embedding(5, 3, MaskZero = true)] public partial EmbeddingLayer Tokens { get; }
    [Conv1D(4, 2, Padding = 1, Activation = Activation.Tanh)] public partial Conv1DLayer Conv { get; }
    [GlobalAveragePooling1D] public partial GlobalAveragePooling1DLayer Pool { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}
#pragma warning restore TN0050

[Network, TokenInput(6)]
public partial class UnmaskedConv1DNet
{
    [Embedding(5, 3)] public partial EmbeddingLayer Tokens { get; }
    [Conv1D(4, 2, Padding = 1, Activation = Activation.Tanh)] public partial Conv1DLayer Conv { get; }
    [GlobalAveragePooling1D] public partial GlobalAveragePooling1DLayer Pool { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}
