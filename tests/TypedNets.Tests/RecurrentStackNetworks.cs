using TypedNets;

// Stacked and bidirectional recurrent layers (PyTorch's num_layers and bidirectional), compiled by the generator in
// this test project: one network per PyTorch fixture of reference/pytorch/make_sequence_fixtures.py, and small ones
// for finite differences.
namespace TypedNets.Tests.Networks;

[Network, Input(5, 4)]
public partial class LstmTwoLayersFixtureNet
{
    [Lstm(6, NumLayers = 2)] public partial LstmLayer Encoder { get; }
}

[Network, Input(5, 4)]
public partial class LstmBidirectionalFixtureNet
{
    [Lstm(6, Bidirectional = true, ReturnSequences = true)] public partial LstmLayer Encoder { get; }
}

[Network, Input(5, 4)]
public partial class LstmTwoLayersBidirectionalFixtureNet
{
    [Lstm(6, NumLayers = 2, Bidirectional = true)] public partial LstmLayer Encoder { get; }
}

[Network, Input(5, 4)]
public partial class GruTwoLayersFixtureNet
{
    [Gru(6, NumLayers = 2, ReturnSequences = true)] public partial GruLayer Encoder { get; }
}

[Network, Input(5, 4)]
public partial class GruBidirectionalFixtureNet
{
    [Gru(6, Bidirectional = true)] public partial GruLayer Encoder { get; }
}

[Network, Input(5, 4)]
public partial class GruTwoLayersBidirectionalFixtureNet
{
    [Gru(6, NumLayers = 2, Bidirectional = true, ReturnSequences = true)] public partial GruLayer Encoder { get; }
}

[Network, TokenInput(5)]
public partial class LstmMaskedBidirectionalFixtureNet
{
    [Embedding(11, 4, MaskZero = true)] public partial EmbeddingLayer Embedding { get; }
    [Lstm(6, NumLayers = 2, Bidirectional = true)] public partial LstmLayer Encoder { get; }
}

[Network, TokenInput(5)]
public partial class GruMaskedBidirectionalFixtureNet
{
    [Embedding(11, 4, MaskZero = true)] public partial EmbeddingLayer Embedding { get; }
    [Gru(6, NumLayers = 2, Bidirectional = true, ReturnSequences = true)] public partial GruLayer Encoder { get; }
}

// Three stacked bidirectional LSTM layers with dropout between them, then a per-step Dense and a bidirectional GRU.
[Network, Input(4, 3)]
public partial class StackedSequenceNet
{
    [Lstm(3, NumLayers = 3, Bidirectional = true, Dropout = 0.3, ReturnSequences = true)] public partial LstmLayer Encoder { get; }
    [Dense(4, Activation.Tanh)] public partial DenseLayer PerStep { get; }
    [Gru(2, NumLayers = 2, Bidirectional = true, Dropout = 0.5)] public partial GruLayer Reader { get; }
}

// Padding masks through stacked bidirectional layers: the reverse direction starts at each sample's last real token.
[Network, TokenInput(6)]
public partial class MaskedBidirectionalNet
{
    [Embedding(9, 4, MaskZero = true)] public partial EmbeddingLayer Embedding { get; }
    [Lstm(3, NumLayers = 2, Bidirectional = true, Dropout = 0.2, ReturnSequences = true)] public partial LstmLayer Encoder { get; }
    [Gru(3, Bidirectional = true)] public partial GruLayer Reader { get; }
    [Dense(2, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, TokenInput(6)]
public partial class MaskedBidirectionalPoolNet
{
    [Embedding(9, 4, MaskZero = true)] public partial EmbeddingLayer Embedding { get; }
    [Gru(3, Bidirectional = true, ReturnSequences = true)] public partial GruLayer Encoder { get; }
    [GlobalAveragePooling1D] public partial GlobalAveragePooling1DLayer Pool { get; }
}
