using TypedNets;

// Networks whose output is a sequence of logits, [steps, classes], trained with cross-entropy at every position.
namespace TypedNets.Tests.Networks;

// A GPT in miniature: a logit per token of the vocabulary at each of 5 positions, [5, 7]; -1 marks padding, as in nanoGPT.
[Network, TokenInput(5), Loss(LossKind.CrossEntropy, IgnoreIndex = -1)]
public partial class NextTokenNet
{
    [Embedding(7, 6)] public partial EmbeddingLayer Tokens { get; }
    [PositionEmbedding(8)] public partial PositionEmbeddingLayer Positions { get; }
    [Dense(18)] public partial DenseLayer Qkv { get; }
    [SelfAttention(2)] public partial SelfAttentionLayer Attention { get; }
    [Dense(7)] public partial DenseLayer Head { get; }
}

// NextTokenNet with a Softmax head: the same parameters, in the same order, and the loss fused with the softmax.
[Network, TokenInput(5)]
public partial class SoftmaxNextTokenNet
{
    [Embedding(7, 6)] public partial EmbeddingLayer Tokens { get; }
    [PositionEmbedding(8)] public partial PositionEmbeddingLayer Positions { get; }
    [Dense(18)] public partial DenseLayer Qkv { get; }
    [SelfAttention(2)] public partial SelfAttentionLayer Attention { get; }
    [Dense(7, Activation.Softmax)] public partial DenseLayer Head { get; }
}

// A tagger: an LSTM keeps the state of every step and a Dense gives each step its 3 classes, [4, 3].
[Network, TokenInput(4)]
public partial class StepTaggerNet
{
    [Embedding(6, 5)] public partial EmbeddingLayer Tokens { get; }
    [Lstm(8, ReturnSequences = true)] public partial LstmLayer Encoder { get; }
    [Dense(3)] public partial DenseLayer Tags { get; }
}
