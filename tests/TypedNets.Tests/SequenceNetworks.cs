using TypedNets;

// Sequence networks compiled by the generator in this test project, small enough for finite differences.
namespace TypedNets.Tests.Networks;

[Network, TokenInput(6)]
public partial class EmbeddingLstmNet
{
    [Embedding(9, 4)] public partial EmbeddingLayer Embedding { get; }
    [Lstm(5)] public partial LstmLayer Encoder { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, TokenInput(6)]
public partial class MaskedGruNet
{
    [Embedding(9, 4, MaskZero = true)] public partial EmbeddingLayer Embedding { get; }
    [Gru(5, ReturnSequences = true)] public partial GruLayer Encoder { get; }
    [GlobalAveragePooling1D] public partial GlobalAveragePooling1DLayer Pool { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}

[Network, TokenInput(6)]
public partial class MaskedLstmNet
{
    [Embedding(9, 4, MaskZero = true)] public partial EmbeddingLayer Embedding { get; }
    [Lstm(5, ReturnSequences = true)] public partial LstmLayer First { get; }
    [Lstm(3)] public partial LstmLayer Second { get; }
}

[Network, Input(5, 3)]
public partial class SequenceNet
{
    [Lstm(4, ReturnSequences = true)] public partial LstmLayer Encoder { get; }
    [Dense(6, Activation.Tanh)] public partial DenseLayer PerStep { get; }
    [Gru(3, ReturnSequences = true)] public partial GruLayer Decoder { get; }
    [GlobalMaxPooling1D] public partial GlobalMaxPooling1DLayer Pool { get; }
}

[Network, Input(4, 3)]
public partial class GruLastNet
{
    [Gru(4)] public partial GruLayer Encoder { get; }
    [Dense(2, Activation.Sigmoid)] public partial DenseLayer Output { get; }
}

// The tutorial's text classifier at test size, as the PyTorch fixture text_classifier_tiny declares it.
[Network, TokenInput(7), Loss(LossKind.CrossEntropy)]
public partial class TinyTextClassifier
{
    [Embedding(20, 8)] public partial EmbeddingLayer Embedding { get; }
    [Lstm(6)] public partial LstmLayer Encoder { get; }
    [Dropout(0.5)] public partial DropoutLayer Drop1 { get; }
    [Dense(5, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dropout(0.5)] public partial DropoutLayer Drop2 { get; }
    [Dense(2, Activation.Softmax)] public partial DenseLayer Output { get; }
}

// One network per PyTorch layer fixture (reference/pytorch/make_sequence_fixtures.py), named as the fixture's modules.
[Network, TokenInput(5)]
public partial class EmbeddingFixtureNet
{
    [Embedding(11, 4)] public partial EmbeddingLayer Embedding { get; }
}

[Network, Input(5, 4)]
public partial class LstmLastFixtureNet
{
    [Lstm(6)] public partial LstmLayer Encoder { get; }
}

[Network, Input(5, 4)]
public partial class LstmSequencesFixtureNet
{
    [Lstm(6, ReturnSequences = true)] public partial LstmLayer Encoder { get; }
}

[Network, Input(5, 4)]
public partial class GruLastFixtureNet
{
    [Gru(6)] public partial GruLayer Encoder { get; }
}

[Network, Input(5, 4)]
public partial class GruSequencesFixtureNet
{
    [Gru(6, ReturnSequences = true)] public partial GruLayer Encoder { get; }
}

[Network, Input(5, 4)]
public partial class AveragePoolingFixtureNet
{
    [GlobalAveragePooling1D] public partial GlobalAveragePooling1DLayer Pool { get; }
}

[Network, Input(5, 4)]
public partial class MaxPoolingFixtureNet
{
    [GlobalMaxPooling1D] public partial GlobalMaxPooling1DLayer Pool { get; }
}

[Network, Input(5, 4)]
public partial class DensePerStepFixtureNet
{
    [Dense(3)] public partial DenseLayer Projection { get; }
}
