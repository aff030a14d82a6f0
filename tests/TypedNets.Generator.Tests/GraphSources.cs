namespace TypedNets.Generator.Tests;

/// <summary>Networks that are graphs, shared by the snapshot tests of their code and of their diagrams.</summary>
internal static class GraphSources
{
    /// <summary>An Inception module: three <c>[From]</c> branches of the stem, one of them a block, joined by Concatenate.</summary>
    public const string Inception = """
        using TypedNets;

        namespace Zoo.Graphs;

        [Block]
        public partial class ReduceThenConv
        {
            [Conv2D(4, 1, Activation = Activation.ReLU)]    public partial Conv2DLayer Reduce { get; }
            [Conv2D(6, 3, Padding = 1)]                     public partial Conv2DLayer Conv { get; }
        }

        [Network, Input(3, 8, 8), Loss(LossKind.CrossEntropy)]
        public partial class InceptionNet
        {
            [Conv2D(8, 3, Padding = 1, Bias = false)]                           public partial Conv2DLayer Stem { get; }
            [BatchNorm(Activation = Activation.ReLU)]                           public partial BatchNormLayer StemNorm { get; }
            [Conv2D(4, 1)]                                                      public partial Conv2DLayer Branch1 { get; }
            [From(nameof(StemNorm))]                                            public partial ReduceThenConv Branch2 { get; }
            [From(nameof(StemNorm)), MaxPool2D(3, Stride = 1, Padding = 1)]    public partial Pool2DLayer Branch3 { get; }
            [Concatenate(nameof(Branch1), nameof(Branch2), nameof(Branch3))]    public partial ConcatenateLayer Merge { get; }
            [GlobalAveragePooling2D]                                            public partial GlobalAveragePooling2DLayer Pool { get; }
            [Dense(10, Activation.Softmax)]                                     public partial DenseLayer Output { get; }
        }

        """;

    /// <summary>torchvision's BasicBlock with and without its downsample, a stage as nn.Sequential, and <c>[Repeat]</c>.</summary>
    public const string SmallResNet = """
        using System.Collections.Generic;
        using TypedNets;

        namespace Zoo.Graphs;

        [Residual(Activation = Activation.ReLU)]
        public partial class BasicBlock8
        {
            [Conv2D(8, 3, Padding = 1, Bias = false)]   public partial Conv2DLayer Conv1 { get; }
            [BatchNorm(Activation = Activation.ReLU)]   public partial BatchNormLayer Bn1 { get; }
            [Conv2D(8, 3, Padding = 1, Bias = false)]   public partial Conv2DLayer Conv2 { get; }
            [BatchNorm]                                 public partial BatchNormLayer Bn2 { get; }
        }

        [Residual(Activation = Activation.ReLU)]
        public partial class DownBlock16
        {
            [Conv2D(16, 3, Stride = 2, Padding = 1, Bias = false)]  public partial Conv2DLayer Conv1 { get; }
            [BatchNorm(Activation = Activation.ReLU)]               public partial BatchNormLayer Bn1 { get; }
            [Conv2D(16, 3, Padding = 1, Bias = false)]              public partial Conv2DLayer Conv2 { get; }
            [BatchNorm]                                             public partial BatchNormLayer Bn2 { get; }
            [Shortcut]                                              public partial Downsample16 Downsample { get; }
        }

        [Sequential]
        public partial class Downsample16
        {
            [Conv2D(16, 1, Stride = 2, Bias = false)]   public partial Conv2DLayer Conv { get; }
            [BatchNorm]                                 public partial BatchNormLayer Norm { get; }
        }

        [Sequential]
        public partial class Stage16
        {
            public partial DownBlock16 First { get; }
        }

        [Network, Input(1, 12, 12), Loss(LossKind.CrossEntropy)]
        public partial class SmallResNet
        {
            [Conv2D(8, 3, Padding = 1, Bias = false)]   public partial Conv2DLayer Conv1 { get; }
            [BatchNorm(Activation = Activation.ReLU)]   public partial BatchNormLayer Bn1 { get; }
            [Repeat(2)]                                 public partial IReadOnlyList<BasicBlock8> Layer1 { get; }
            public partial Stage16 Layer2 { get; }
            [GlobalAveragePooling2D]                    public partial GlobalAveragePooling2DLayer Pool { get; }
            [Dense(10)]                                 public partial DenseLayer Fc { get; }
        }

        """;

    /// <summary>nanoGPT's block, whose residual adds read the block's input, with the head tied to the token embedding.</summary>
    public const string Gpt = """
        using System.Collections.Generic;
        using TypedNets;

        namespace Zoo.Gpt;

        [Block]
        public partial class CausalSelfAttention
        {
            [Dense(3 * 8)]      public partial DenseLayer C_attn { get; }
            [SelfAttention(2)]  public partial SelfAttentionLayer Heads { get; }
            [Dense(8)]          public partial DenseLayer C_proj { get; }
        }

        [Block]
        public partial class Mlp
        {
            [Dense(4 * 8, Activation.GELU)]                 public partial DenseLayer C_fc { get; }
            [Dense(8)]                                      public partial DenseLayer C_proj { get; }
        }

        [Block]
        public partial class GptBlock
        {
            [LayerNorm]                     public partial LayerNormLayer Ln_1 { get; }
                                            public partial CausalSelfAttention Attn { get; }
            [Add(BlockAttribute.Input)]     public partial AddLayer AttnResidual { get; }
            [LayerNorm]                     public partial LayerNormLayer Ln_2 { get; }
                                            public partial Mlp Mlp { get; }
            [Add(nameof(AttnResidual))]     public partial AddLayer MlpResidual { get; }
        }

        [Block]
        public partial class Transformer
        {
            [Embedding(11, 8)]      public partial EmbeddingLayer Wte { get; }
            [PositionEmbedding(6)]  public partial PositionEmbeddingLayer Wpe { get; }
            [Repeat(2)]             public partial IReadOnlyList<GptBlock> H { get; }
            [LayerNorm]             public partial LayerNormLayer Ln_f { get; }
        }

        [Network, TokenInput(6)]
        public partial class Gpt
        {
                                                                public partial Transformer Transformer { get; }
            [Dense(11, Bias = false, TiedTo = "Transformer.Wte")] public partial DenseLayer Lm_head { get; }
        }

        """;
}
