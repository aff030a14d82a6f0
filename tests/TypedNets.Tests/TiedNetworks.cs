using TypedNets;

// GPT-2's output projection tied to its token embedding, in networks small enough for finite differences.
namespace TypedNets.Tests.Networks;

[Network, TokenInput(4)]
public partial class TiedHeadNet
{
    [Embedding(9, 6)] public partial EmbeddingLayer Tokens { get; }
    [LayerNorm] public partial LayerNormLayer Norm { get; }
    [Dense(9, Bias = false, TiedTo = nameof(Tokens))] public partial DenseLayer Head { get; }
}

// TiedHeadNet with a matrix of its own for the head: the same layers, and the head's weight after the others.
[Network, TokenInput(4)]
public partial class UntiedHeadNet
{
    [Embedding(9, 6)] public partial EmbeddingLayer Tokens { get; }
    [LayerNorm] public partial LayerNormLayer Norm { get; }
    [Dense(9, Bias = false)] public partial DenseLayer Head { get; }
}

// A tied head with a bias of its own, which stays its own.
[Network, TokenInput(4)]
public partial class TiedHeadWithBiasNet
{
    [Embedding(9, 6)] public partial EmbeddingLayer Tokens { get; }
    [Dense(9, TiedTo = nameof(Tokens))] public partial DenseLayer Head { get; }
}
