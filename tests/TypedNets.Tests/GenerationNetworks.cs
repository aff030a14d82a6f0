using System.Collections.Generic;
using TypedNets;

// Causal language models that decode one position at a time: token ids in, one row of logits per position out.
namespace TypedNets.Tests.Networks;

// CausalSequenceNet with a head onto the vocabulary: the smallest network that generates.
[Network, TokenInput(6)]
public partial class CausalLanguageNet
{
    [Embedding(9, 16)] public partial EmbeddingLayer Tokens { get; }
    [PositionEmbedding(64)] public partial PositionEmbeddingLayer Positions { get; }
    [Dense(48)] public partial DenseLayer Qkv { get; }
    [SelfAttention(4)] public partial SelfAttentionLayer Attention { get; }
    [Dense(9)] public partial DenseLayer Head { get; }
}

/// <summary>nanoGPT's CausalSelfAttention under its pre-norm residual: x + c_proj(attn(c_attn(ln_1(x)))).</summary>
[Residual]
public partial class ResidualAttention
{
    [LayerNorm] public partial LayerNormLayer Ln1 { get; }
    [Dense(48)] public partial DenseLayer CAttn { get; }
    [SelfAttention(2, Dropout = 0.1)] public partial SelfAttentionLayer Attn { get; }
    [Dense(16)] public partial DenseLayer CProj { get; }
    [Dropout(0.1)] public partial DropoutLayer ResidDropout { get; }
}

/// <summary>nanoGPT's MLP under its pre-norm residual: x + c_proj(gelu(c_fc(ln_2(x)))).</summary>
[Residual]
public partial class ResidualMlp
{
    [LayerNorm] public partial LayerNormLayer Ln2 { get; }
    [Dense(64, Activation.GELU)] public partial DenseLayer CFc { get; }
    [Dense(16)] public partial DenseLayer CProj { get; }
    [Dropout(0.1)] public partial DropoutLayer Dropout { get; }
}

/// <summary>One transformer block: attention, then the MLP, each behind its own residual.</summary>
[Block]
public partial class ResidualGptBlock
{
    public partial ResidualAttention Attn { get; }
    public partial ResidualMlp Mlp { get; }
}

// A two-block GPT, nanoGPT's layout at toy size: token and position embeddings, dropout, the blocks, the final
// LayerNorm and a head tied to the token embedding.
[Network, TokenInput(8)]
public partial class TinyGptLm
{
    [Embedding(11, 16)] public partial EmbeddingLayer Wte { get; }
    [PositionEmbedding(8)] public partial PositionEmbeddingLayer Wpe { get; }
    [Dropout(0.1)] public partial DropoutLayer Drop { get; }
    [Repeat(2)] public partial IReadOnlyList<ResidualGptBlock> H { get; }
    [LayerNorm] public partial LayerNormLayer LnF { get; }
    [Dense(11, TiedTo = nameof(Wte), Bias = false)] public partial DenseLayer LmHead { get; }
}

// A position-wise network whose head ends in a softmax: generation samples from the logits before it.
[Network, TokenInput(4)]
public partial class SoftmaxHeadLanguageNet
{
    [Embedding(5, 8)] public partial EmbeddingLayer Tokens { get; }
    [PositionEmbedding(4)] public partial PositionEmbeddingLayer Positions { get; }
    [Dense(24)] public partial DenseLayer Qkv { get; }
    [SelfAttention(2)] public partial SelfAttentionLayer Attention { get; }
    [Dense(5, Activation.Softmax)] public partial DenseLayer Head { get; }
}
