namespace TypedNets.Tests.Onnx;

// Small networks, one or a few layer kinds each, that the ONNX export tests run through ONNX Runtime.

[Network, Input(6)]
public partial class OnnxDenseActivationsNet
{
    [Dense(8, Activation.ReLU)] public partial DenseLayer Relu { get; }
    [Dense(8, Activation.LeakyReLU)] public partial DenseLayer Leaky { get; }
    [Dense(8, Activation.Sigmoid)] public partial DenseLayer Sigmoid { get; }
    [Dense(8, Activation.Tanh)] public partial DenseLayer Tanh { get; }
    [Dense(8, Activation.GELU)] public partial DenseLayer Gelu { get; }
    [Dense(8, Activation.GeluTanh)] public partial DenseLayer GeluTanh { get; }
    [Dense(8, Activation.Identity, Bias = false)] public partial DenseLayer Linear { get; }
    [Dropout(0.5)] public partial DropoutLayer Drop { get; }
    [Dense(4, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, Input(5, 6)]
public partial class OnnxSequenceDenseNet
{
    [Dense(7, Activation.GELU)] public partial DenseLayer Hidden { get; }
    [LayerNorm(Epsilon = 1e-3)] public partial LayerNormLayer Norm { get; }
    [Dense(4, Activation.Identity, Bias = false)] public partial DenseLayer Project { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, Input(2, 9, 9)]
public partial class OnnxConvNet
{
    [Conv2D(4, 3, Padding = 1, Dilation = 2, Groups = 2, Bias = false)] public partial Conv2DLayer Grouped { get; }
    [BatchNorm(Activation = Activation.ReLU)] public partial BatchNormLayer Norm { get; }
    [MaxPool2D(3, Stride = 2, Padding = 1)] public partial Pool2DLayer Max { get; }
    [Conv2D(6, 3, KernelWidth = 2, StrideWidth = 2, Activation = Activation.Tanh)] public partial Conv2DLayer Rectangular { get; }
    [AvgPool2D(2, Stride = 1, Padding = 1)] public partial Pool2DLayer Average { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

[Network, Input(3, 6, 6)]
public partial class OnnxGlobalPoolNet
{
    [Conv2D(5, 3, Stride = 2, Padding = 1, Activation = Activation.LeakyReLU)] public partial Conv2DLayer Conv { get; }
    [GlobalAveragePooling2D] public partial GlobalAveragePooling2DLayer Pool { get; }
    [Dense(2, Activation.Sigmoid)] public partial DenseLayer Output { get; }
}

[Network, Input(8, 8)]
public partial class OnnxOneChannelNet
{
    [Conv2D(3, 3, Activation = Activation.ReLU)] public partial Conv2DLayer Conv { get; }
    [MaxPool2D(2)] public partial Pool2DLayer Pool { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}

[Network, Input(4, 3)]
public partial class OnnxSequenceBatchNormNet
{
    [BatchNorm(Epsilon = 1e-3)] public partial BatchNormLayer Norm { get; }
    [GlobalMaxPooling1D] public partial GlobalMaxPooling1DLayer Pool { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}

[Network, Input(5)]
public partial class OnnxVectorBatchNormNet
{
    [Dense(6)] public partial DenseLayer Hidden { get; }
    [BatchNorm(Activation = Activation.Tanh)] public partial BatchNormLayer Norm { get; }
    [Dense(2, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, TokenInput(5)]
public partial class OnnxEmbeddingNet
{
    [Embedding(11, 4)] public partial EmbeddingLayer Tokens { get; }
    [LayerNorm] public partial LayerNormLayer Norm { get; }
    [Dense(6, Activation.Tanh)] public partial DenseLayer Hidden { get; }
    [GlobalAveragePooling1D] public partial GlobalAveragePooling1DLayer Pool { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, TokenInput(4)]
public partial class OnnxTiedEmbeddingNet
{
    [Embedding(9, 5)] public partial EmbeddingLayer Tokens { get; }
    [Dense(9, TiedTo = nameof(Tokens), Bias = false)] public partial DenseLayer Head { get; }
}

[Network, TokenInput(4)]
public partial class OnnxLstmNet
{
    [Embedding(9, 4)] public partial EmbeddingLayer Tokens { get; }
    [Lstm(3)] public partial LstmLayer Encoder { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}

[Network, Input(5, 3)]
public partial class OnnxStackedLstmNet
{
    [Lstm(4, NumLayers = 2, Bidirectional = true, ReturnSequences = true, Dropout = 0.3)] public partial LstmLayer Encoder { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}

[Network, Input(5, 3)]
public partial class OnnxGruNet
{
    [Gru(4, ReturnSequences = true)] public partial GruLayer First { get; }
    [Gru(3, NumLayers = 2, Bidirectional = true)] public partial GruLayer Second { get; }
    [Dense(2, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, Input(9, 4)]
public partial class OnnxConv1DNet
{
    [Conv1D(6, 3, Padding = 1, Dilation = 2, Groups = 2, Activation = Activation.ReLU)] public partial Conv1DLayer Conv { get; }
    [MaxPool1D(3, Stride = 2, Padding = 1)] public partial Pool1DLayer Max { get; }
    [Conv1D(5, 2, Stride = 2, Bias = false)] public partial Conv1DLayer Strided { get; }
    [AvgPool1D(2, Stride = 1, Padding = 1)] public partial Pool1DLayer Average { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}

[Network, TokenInput(6)]
public partial class OnnxPositionEmbeddingNet
{
    [Embedding(10, 4)] public partial EmbeddingLayer Tokens { get; }
    [PositionEmbedding(8)] public partial PositionEmbeddingLayer Positions { get; }
    [LayerNorm] public partial LayerNormLayer Norm { get; }
    [Dense(10, Bias = false)] public partial DenseLayer Head { get; }
}

[Network, TokenInput(5)]
public partial class OnnxAttentionNet
{
    [Embedding(12, 8)] public partial EmbeddingLayer Tokens { get; }
    [PositionEmbedding(5)] public partial PositionEmbeddingLayer Positions { get; }
    [LayerNorm] public partial LayerNormLayer Norm { get; }
    [Dense(24)] public partial DenseLayer Fused { get; }
    [SelfAttention(2)] public partial SelfAttentionLayer Attention { get; }
    [Dense(8)] public partial DenseLayer Projection { get; }
    [Dense(12, Bias = false)] public partial DenseLayer Head { get; }
}

[Network, Input(4, 6)]
public partial class OnnxEncoderAttentionNet
{
    [Dense(12)] public partial DenseLayer Fused { get; }
    [SelfAttention(4, Causal = false, Dropout = 0.1)] public partial SelfAttentionLayer Attention { get; }
    [GlobalAveragePooling1D] public partial GlobalAveragePooling1DLayer Pool { get; }
    [Dense(2, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, Input(4)]
public partial class OnnxConcatenateNet
{
    [Dense(3)] public partial DenseLayer Left { get; }
    [Dense(2)] public partial DenseLayer Right { get; }
    [Concatenate(nameof(Left), nameof(Right))] public partial ConcatenateLayer Joined { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}

[Network, Input(4)]
public partial class OnnxBranchNet
{
    [Dense(3)] public partial DenseLayer Left { get; }
    [Dense(2), From(BlockAttribute.Input)] public partial DenseLayer Right { get; }
    [Concatenate(nameof(Left), nameof(Right))] public partial ConcatenateLayer Joined { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}

[Network, TokenInput(4)]
public partial class OnnxMaskedEmbeddingNet
{
    [Embedding(9, 4, MaskZero = true)] public partial EmbeddingLayer Tokens { get; }
    [GlobalAveragePooling1D] public partial GlobalAveragePooling1DLayer Pool { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}

[Network, Input(4)]
public partial class OnnxResidualNet
{
    [Dense(4, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Add(BlockAttribute.Input)] public partial AddLayer Skip { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}

[Network, TokenInput(5)]
public partial class OnnxMaskedMaxNet
{
    [Embedding(9, 4, MaskZero = true)] public partial EmbeddingLayer Tokens { get; }
    [Dense(3, Activation.Tanh)] public partial DenseLayer Hidden { get; }
    [GlobalMaxPooling1D] public partial GlobalMaxPooling1DLayer Pool { get; }
}

// Concatenate on sequences joins the features of each step (the last axis).
[Network, Input(4, 3)]
public partial class OnnxSequenceConcatenateNet
{
    [Dense(2, Activation.Tanh)] public partial DenseLayer Left { get; }
    [Conv1D(3, 3, Padding = 1), From(BlockAttribute.Input)] public partial Conv1DLayer Right { get; }
    [Concatenate(BlockAttribute.Input, nameof(Left), nameof(Right))] public partial ConcatenateLayer Joined { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}

// Images join their channels; an Add reads a layer before the join.
[Network, Input(2, 5, 5)]
public partial class OnnxImageConcatenateNet
{
    [Conv2D(2, 3, Padding = 1, Activation = Activation.ReLU)] public partial Conv2DLayer Conv { get; }
    [Concatenate(BlockAttribute.Input, nameof(Conv))] public partial ConcatenateLayer Joined { get; }
    [Conv2D(2, 1)] public partial Conv2DLayer Mix { get; }
    [Add(nameof(Conv), Activation = Activation.Sigmoid)] public partial AddLayer Sum { get; }
    [GlobalAveragePooling2D] public partial GlobalAveragePooling2DLayer Pool { get; }
}
