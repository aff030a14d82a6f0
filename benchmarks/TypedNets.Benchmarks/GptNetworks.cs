using System.Collections.Generic;
using TypedNets;

namespace TypedNets.Benchmarks;

// Two GPTs in GPT-2's layout as nanoGPT writes it (reference/pytorch/tiny_gpt.py is the PyTorch twin): token and
// position embeddings, blocks of x + attn(ln_1(x)) and x + mlp(ln_2(x)), a final LayerNorm and a head tied to the
// token embedding. Biases everywhere but the head, exact GELU, no dropout.

// (f) nanoGPT's CPU "baby" model: 113 characters, context 64, 4 layers, 4 heads, width 128, MLP 512.
[Network, TokenInput(64), Loss(LossKind.CrossEntropy)]
public partial class BabyGpt
{
    [Embedding(113, 128)]                              public partial EmbeddingLayer Wte { get; }
    [PositionEmbedding(64)]                            public partial PositionEmbeddingLayer Wpe { get; }
    [Repeat(4)]                                        public partial IReadOnlyList<BabyGptBlock> H { get; }
    [LayerNorm]                                        public partial LayerNormLayer LnF { get; }
    [Dense(113, Bias = false, TiedTo = nameof(Wte))]   public partial DenseLayer LmHead { get; }
}

[Block]
public partial class BabyGptBlock
{
    public partial BabyGptAttention Attn { get; }
    public partial BabyGptMlp Mlp { get; }
}

// x + c_proj(attention(c_attn(ln_1(x))))
[Residual]
public partial class BabyGptAttention
{
    [LayerNorm]          public partial LayerNormLayer Ln1 { get; }
    [Dense(3 * 128)]     public partial DenseLayer CAttn { get; }
    [SelfAttention(4)]   public partial SelfAttentionLayer Attention { get; }
    [Dense(128)]         public partial DenseLayer CProj { get; }
}

// x + c_proj(gelu(c_fc(ln_2(x))))
[Residual]
public partial class BabyGptMlp
{
    [LayerNorm]                            public partial LayerNormLayer Ln2 { get; }
    [Dense(512, Activation.GELU)]          public partial DenseLayer CFc { get; }
    [Dense(128)]                           public partial DenseLayer CProj { get; }
}

// (g) llama2.c's "stories15M" shape in GPT-2's layout: 32,000 tokens, context 256, 6 layers, 6 heads, width 288, MLP 768.
[Network, TokenInput(256), Loss(LossKind.CrossEntropy)]
public partial class Stories15MGpt
{
    [Embedding(32000, 288)]                            public partial EmbeddingLayer Wte { get; }
    [PositionEmbedding(256)]                           public partial PositionEmbeddingLayer Wpe { get; }
    [Repeat(6)]                                        public partial IReadOnlyList<Stories15MBlock> H { get; }
    [LayerNorm]                                        public partial LayerNormLayer LnF { get; }
    [Dense(32000, Bias = false, TiedTo = nameof(Wte))] public partial DenseLayer LmHead { get; }
}

[Block]
public partial class Stories15MBlock
{
    public partial Stories15MAttention Attn { get; }
    public partial Stories15MMlp Mlp { get; }
}

[Residual]
public partial class Stories15MAttention
{
    [LayerNorm]          public partial LayerNormLayer Ln1 { get; }
    [Dense(3 * 288)]     public partial DenseLayer CAttn { get; }
    [SelfAttention(6)]   public partial SelfAttentionLayer Attention { get; }
    [Dense(288)]         public partial DenseLayer CProj { get; }
}

[Residual]
public partial class Stories15MMlp
{
    [LayerNorm]                                public partial LayerNormLayer Ln2 { get; }
    [Dense(768, Activation.GELU)] public partial DenseLayer CFc { get; }
    [Dense(288)]                               public partial DenseLayer CProj { get; }
}
