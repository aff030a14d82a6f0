using TypedNets;

// GPT's two layers, learned positions and multi-head self-attention, in networks small enough for finite differences.
namespace TypedNets.Tests.Networks;

[Network, TokenInput(5)]
public partial class CausalAttentionNet
{
    [Embedding(7, 6)] public partial EmbeddingLayer Tokens { get; }
    [PositionEmbedding(8)] public partial PositionEmbeddingLayer Positions { get; }
    [Dense(18)] public partial DenseLayer Qkv { get; }
    [SelfAttention(2)] public partial SelfAttentionLayer Attention { get; }
    [Dense(6)] public partial DenseLayer Projection { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

[Network, TokenInput(5)]
public partial class BidirectionalAttentionNet
{
    [Embedding(7, 6)] public partial EmbeddingLayer Tokens { get; }
    [PositionEmbedding(8)] public partial PositionEmbeddingLayer Positions { get; }
    [Dense(18)] public partial DenseLayer Qkv { get; }
    [SelfAttention(2, Causal = false)] public partial SelfAttentionLayer Attention { get; }
    [Dense(6)] public partial DenseLayer Projection { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

// CausalAttentionNet with dropout on the attention weights: the same parameters, in the same order.
[Network, TokenInput(5)]
public partial class DropoutAttentionNet
{
    [Embedding(7, 6)] public partial EmbeddingLayer Tokens { get; }
    [PositionEmbedding(8)] public partial PositionEmbeddingLayer Positions { get; }
    [Dense(18)] public partial DenseLayer Qkv { get; }
    [SelfAttention(2, Dropout = 0.4)] public partial SelfAttentionLayer Attention { get; }
    [Dense(6)] public partial DenseLayer Projection { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

// Attention straight on the input, no parameters: its output is the layer's alone.
[Network, Input(4, 12)]
public partial class BareAttentionNet
{
    [SelfAttention(2, Causal = false)] public partial SelfAttentionLayer Attention { get; }
}

// A causal decoder whose output is still a sequence, one row per position.
[Network, TokenInput(6)]
public partial class CausalSequenceNet
{
    [Embedding(9, 16)] public partial EmbeddingLayer Tokens { get; }
    [PositionEmbedding(64)] public partial PositionEmbeddingLayer Positions { get; }
    [Dense(48)] public partial DenseLayer Qkv { get; }
    [SelfAttention(4)] public partial SelfAttentionLayer Attention { get; }
}

// A padding mask passes a position embedding on to the pooling, which skips padded steps.
[Network, TokenInput(5)]
public partial class MaskedPositionNet
{
    [Embedding(7, 4, MaskZero = true)] public partial EmbeddingLayer Tokens { get; }
    [PositionEmbedding(6)] public partial PositionEmbeddingLayer Positions { get; }
    [GlobalAveragePooling1D] public partial GlobalAveragePooling1DLayer Pool { get; }
}
