using System.Collections.Generic;
using TypedNets;

// nanoGPT's GPT, declared with its module names so that its state_dict loads by name: transformer.wte, transformer.wpe,
// transformer.h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj}, transformer.ln_f, and lm_head tied to
// transformer.wte. Sizes of reference/pytorch/make_gpt_fixtures.py's gpt_tiny: vocabulary 11, context 6, width 8, 2 heads.
namespace TypedNets.Tests.Networks;

// nanoGPT's CausalSelfAttention: c_attn (q|k|v), the heads (no parameters), c_proj.
[Block]
public partial class GptAttention
{
    [Dense(3 * 8)] public partial DenseLayer C_attn { get; }
    [SelfAttention(2)] public partial SelfAttentionLayer Heads { get; }
    [Dense(8)] public partial DenseLayer C_proj { get; }
}

// nanoGPT's MLP: c_fc to four times the width, the exact GELU, c_proj back.
[Block]
public partial class GptMlp
{
    [Dense(4 * 8, Activation.GELU)] public partial DenseLayer C_fc { get; }
    [Dense(8)] public partial DenseLayer C_proj { get; }
}

// nanoGPT's Block: x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)), with ln_1, attn, ln_2 and mlp its direct children.
[Block]
public partial class GptBlock
{
    [LayerNorm] public partial LayerNormLayer Ln_1 { get; }
    public partial GptAttention Attn { get; }
    [Add(BlockAttribute.Input)] public partial AddLayer AttnResidual { get; }
    [LayerNorm] public partial LayerNormLayer Ln_2 { get; }
    public partial GptMlp Mlp { get; }
    [Add(nameof(AttnResidual))] public partial AddLayer MlpResidual { get; }
}

// nanoGPT's transformer ModuleDict: wte, wpe, h, ln_f.
[Block]
public partial class GptTransformer
{
    [Embedding(11, 8)] public partial EmbeddingLayer Wte { get; }
    [PositionEmbedding(6)] public partial PositionEmbeddingLayer Wpe { get; }
    [Repeat(2)] public partial IReadOnlyList<GptBlock> H { get; }
    [LayerNorm] public partial LayerNormLayer Ln_f { get; }
}

// nanoGPT's GPT on five tokens: lm_head's weight is transformer.wte's table.
[Network, TokenInput(5)]
public partial class NanoGpt
{
    public partial GptTransformer Transformer { get; }
    [Dense(11, Bias = false, TiedTo = "Transformer.Wte")] public partial DenseLayer Lm_head { get; }
}

// One GptBlock between token embeddings and a small head, for finite differences.
[Network, TokenInput(5)]
public partial class GptBlockNet
{
    [Embedding(7, 8)] public partial EmbeddingLayer Tokens { get; }
    [PositionEmbedding(5)] public partial PositionEmbeddingLayer Positions { get; }
    public partial GptBlock Block { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

// A GptBlock first in a network of features: its input is the network's, read by ln_1 and by the first residual, so
// the input gradient is the sum of both paths.
[Network, Input(5, 8)]
public partial class GptBlockOnInputNet
{
    public partial GptBlock Block { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

// BlockAttribute.Input at network level: y = tanh(W x + b) + x.
[Network, Input(6)]
public partial class InputSkipNet
{
    [Dense(6, Activation.Tanh)] public partial DenseLayer Hidden { get; }
    [Add(BlockAttribute.Input)] public partial AddLayer Skip { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}

// DenseNet's growth as a block: its input joined with new features, [Concatenate(BlockAttribute.Input, ...)]; used
// twice on two widths (4 to 7, 7 to 10), each use reading its own input.
[Block]
public partial class Growth
{
    [Dense(3, Activation.Tanh)] public partial DenseLayer Grow { get; }
    [Concatenate(BlockAttribute.Input, nameof(Grow))] public partial ConcatenateLayer Join { get; }
}

[Network, Input(4)]
public partial class GrowthNet
{
    public partial Growth First { get; }
    public partial Growth Second { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}
