using TypedNets;

// reference/pytorch/make_mha_fixtures.py's TinyMha in GPT-2's layout: nn.MultiheadAttention's in_proj is Qkv and its
// out_proj is Projection; tokens and head keep PyTorch's names.
namespace TypedNets.Tests.Networks;

[Network, TokenInput(5)]
public partial class TinyMhaCausal
{
    [Embedding(7, 8)] public partial EmbeddingLayer Tokens { get; }
    [Dense(24)] public partial DenseLayer Qkv { get; }
    [SelfAttention(2)] public partial SelfAttentionLayer Attention { get; }
    [Dense(8)] public partial DenseLayer Projection { get; }
    [Dense(4)] public partial DenseLayer Head { get; }
}

[Network, TokenInput(5)]
public partial class TinyMhaFull
{
    [Embedding(7, 8)] public partial EmbeddingLayer Tokens { get; }
    [Dense(24)] public partial DenseLayer Qkv { get; }
    [SelfAttention(2, Causal = false)] public partial SelfAttentionLayer Attention { get; }
    [Dense(8)] public partial DenseLayer Projection { get; }
    [Dense(4)] public partial DenseLayer Head { get; }
}

// TinyMha with attention half as wide (width 4 in 2 heads): its qkv.weight is [12, 8], not PyTorch's [24, 8].
[Network, TokenInput(5)]
public partial class TinyMhaNarrow
{
    [Embedding(7, 8)] public partial EmbeddingLayer Tokens { get; }
    [Dense(12)] public partial DenseLayer Qkv { get; }
    [SelfAttention(2)] public partial SelfAttentionLayer Attention { get; }
    [Dense(8)] public partial DenseLayer Projection { get; }
    [Dense(4)] public partial DenseLayer Head { get; }
}
