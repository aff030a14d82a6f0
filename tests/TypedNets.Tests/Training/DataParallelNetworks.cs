using TypedNets;

// Networks large enough that Trainer.Step splits their batches into two shards (Trainer.Shards), one of each kind the
// data-parallel step must handle: dense layers (with and without dropout), convolutions with pooling, an embedding with
// an LSTM and an ignore index, and a small GPT whose head is tied to its token table, with sequence targets. Only one
// has dropout, so that the others' sharded gradients can be compared with the whole batch's.
namespace TypedNets.Tests.Networks;

[Network, Input(96), Loss(LossKind.CrossEntropy)]
public partial class ShardedMlp
{
    [Dense(192, Activation.ReLU)]  public partial DenseLayer Hidden1 { get; }
    [Dense(128, Activation.ReLU)]  public partial DenseLayer Hidden2 { get; }
    [Dense(5, Activation.Softmax)] public partial DenseLayer Output { get; }
}

// The same MLP with dropout, whose masks each shard draws from a stream of its own.
[Network, Input(96), Loss(LossKind.CrossEntropy)]
public partial class ShardedDropoutMlp
{
    [Dense(192, Activation.ReLU)]  public partial DenseLayer Hidden1 { get; }
    [Dropout(0.3)]                 public partial DropoutLayer Drop { get; }
    [Dense(128, Activation.ReLU)]  public partial DenseLayer Hidden2 { get; }
    [Dense(5, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, Input(1, 16, 16), Loss(LossKind.CrossEntropy)]
public partial class ShardedConvnet
{
    [Conv2D(16, 3, Activation = Activation.ReLU)] public partial Conv2DLayer Conv1 { get; }
    [MaxPool2D(2)]                                public partial Pool2DLayer Pool1 { get; }
    [Conv2D(32, 3, Activation = Activation.ReLU)] public partial Conv2DLayer Conv2 { get; }
    [MaxPool2D(2)]                                public partial Pool2DLayer Pool2 { get; }
    [Flatten]                                     public partial FlattenLayer Flat { get; }
    [Dense(32, Activation.ReLU)]                  public partial DenseLayer Hidden { get; }
    [Dense(4, Activation.Softmax)]                public partial DenseLayer Output { get; }
}

// The text classifier's layers at a smaller size; class id -1 marks a sample that does not count.
[Network, TokenInput(24), Loss(LossKind.CrossEntropy, IgnoreIndex = -1)]
public partial class ShardedTextClassifier
{
    [Embedding(60, 16)]            public partial EmbeddingLayer Embedding { get; }
    [Lstm(32)]                     public partial LstmLayer Encoder { get; }
    [Dense(16, Activation.ReLU)]   public partial DenseLayer Hidden { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}

// A GPT in nanoGPT's layout on 16 tokens of a 23-token vocabulary, the next token at every position the target.
[Network, TokenInput(16), Loss(LossKind.CrossEntropy, IgnoreIndex = -1)]
public partial class ShardedGpt
{
    [Embedding(23, 32)]                              public partial EmbeddingLayer Wte { get; }
    [PositionEmbedding(16)]                          public partial PositionEmbeddingLayer Wpe { get; }
    public partial ShardedGptAttention Attn { get; }
    public partial ShardedGptMlp Mlp { get; }
    [LayerNorm]                                      public partial LayerNormLayer LnF { get; }
    [Dense(23, Bias = false, TiedTo = nameof(Wte))]  public partial DenseLayer LmHead { get; }
}

[Residual]
public partial class ShardedGptAttention
{
    [LayerNorm]        public partial LayerNormLayer Ln1 { get; }
    [Dense(3 * 32)]    public partial DenseLayer CAttn { get; }
    [SelfAttention(2)] public partial SelfAttentionLayer Attention { get; }
    [Dense(32)]        public partial DenseLayer CProj { get; }
}

[Residual]
public partial class ShardedGptMlp
{
    [LayerNorm]                    public partial LayerNormLayer Ln2 { get; }
    [Dense(128, Activation.GELU)]  public partial DenseLayer CFc { get; }
    [Dense(32)]                    public partial DenseLayer CProj { get; }
}

// As large as ShardedMlp, but batch normalisation couples the samples of a batch: never split.
[Network, Input(96), Loss(LossKind.CrossEntropy)]
public partial class ShardedBatchNormMlp
{
    [Dense(192)]                              public partial DenseLayer Hidden1 { get; }
    [BatchNorm(Activation = Activation.ReLU)] public partial BatchNormLayer Norm { get; }
    [Dense(128, Activation.ReLU)]             public partial DenseLayer Hidden2 { get; }
    [Dense(5, Activation.Softmax)]            public partial DenseLayer Output { get; }
}

// A table of 1,000 rows of 24 values: its rows do not line up with the pieces a split step's optimizer update is cut
// into, so some row straddles two pieces.
[Network, TokenInput(24), Loss(LossKind.CrossEntropy)]
public partial class ShardedWideTableClassifier
{
    [Embedding(1000, 24)]          public partial EmbeddingLayer Embedding { get; }
    [Lstm(32)]                     public partial LstmLayer Encoder { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}
