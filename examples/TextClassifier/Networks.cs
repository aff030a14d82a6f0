using TypedNets;

namespace TextClassifier;

// The tutorial's text classifier, exactly: 100 tokens from a 10,000-word vocabulary -> 128-dimensional embeddings
// -> LSTM(64) -> dropout -> Dense(64, ReLU) -> dropout -> two classes.
[Network, TokenInput(100), Loss(LossKind.CrossEntropy)]
public partial class FortuneClassifier
{
    [Embedding(10000, 128)]         public partial EmbeddingLayer Embedding { get; }
    [Lstm(64)]                      public partial LstmLayer Encoder { get; }
    [Dropout(0.5)]                  public partial DropoutLayer Drop1 { get; }
    [Dense(64, Activation.ReLU)]    public partial DenseLayer Hidden { get; }
    [Dropout(0.5)]                  public partial DropoutLayer Drop2 { get; }
    [Dense(2, Activation.Softmax)]  public partial DenseLayer Output { get; }
}

// The bag-of-words baseline: which of the 10,000 words occur, straight into a softmax (logistic regression).
[Network, Input(10000), Loss(LossKind.CrossEntropy)]
public partial class BagOfWords
{
    [Dense(2, Activation.Softmax)]  public partial DenseLayer Output { get; }
}
