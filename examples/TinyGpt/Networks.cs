using System.Collections.Generic;
using TypedNets;

namespace TinyGpt;

// nanoGPT's GPT-2 layout with its state_dict names (transformer.wte.weight, transformer.h.0.attn.c_attn.weight, ...),
// at its CPU "baby" size: 4 blocks, 4 heads, width 128, a context of 64 characters. The vocabulary is the 113
// distinct characters of Debian's fortunes; the corpus is checked against it when the program starts.
[Network, TokenInput(FortuneGpt.Context), Loss(LossKind.CrossEntropy)]
public partial class FortuneGpt
{
    public const int Vocabulary = 113;
    public const int Context = 64;

    public partial GptTransformer Transformer { get; }

    // The output projection is the token embedding's table, as GPT-2 ties them.
    [Dense(Vocabulary, Bias = false, TiedTo = "Transformer.Wte")] public partial DenseLayer LmHead { get; }
}

[Block]
public partial class GptTransformer
{
    [Embedding(FortuneGpt.Vocabulary, 128)] public partial EmbeddingLayer Wte { get; }
    [PositionEmbedding(FortuneGpt.Context)] public partial PositionEmbeddingLayer Wpe { get; }
    [Repeat(4)] public partial IReadOnlyList<GptBlock> H { get; }
    [LayerNorm] public partial LayerNormLayer Ln_f { get; }
}

// x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))
[Block]
public partial class GptBlock
{
    [LayerNorm] public partial LayerNormLayer Ln_1 { get; }
    public partial CausalSelfAttention Attn { get; }
    [Add(BlockAttribute.Input)] public partial AddLayer AttentionResidual { get; }
    [LayerNorm] public partial LayerNormLayer Ln_2 { get; }
    public partial Mlp Mlp { get; }
    [Add(nameof(AttentionResidual))] public partial AddLayer MlpResidual { get; }
}

[Block]
public partial class CausalSelfAttention
{
    [Dense(3 * 128)] public partial DenseLayer C_attn { get; }
    [SelfAttention(4)] public partial SelfAttentionLayer Attention { get; }
    [Dense(128)] public partial DenseLayer C_proj { get; }
}

[Block]
public partial class Mlp
{
    [Dense(4 * 128, Activation.GELU)] public partial DenseLayer C_fc { get; }
    [Dense(128)] public partial DenseLayer C_proj { get; }
}
