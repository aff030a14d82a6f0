using TypedNets;

namespace TypedNets.Benchmarks;

// (a) The tutorial's classifier, as in examples/Quickstart: 10 features -> 50 ReLU -> dropout -> 2 classes.
[Network, Input(10), Loss(LossKind.CrossEntropy)]
public partial class TutorialMlp
{
    [Dense(50, Activation.ReLU)]    public partial DenseLayer Hidden { get; }
    [Dropout(0.5)]                  public partial DropoutLayer Drop { get; }
    [Dense(2, Activation.Softmax)]  public partial DenseLayer Output { get; }
}

// (b) The classic MNIST-sized MLP: 784 -> 256 ReLU -> 128 ReLU -> 10 classes.
[Network, Input(784), Loss(LossKind.CrossEntropy)]
public partial class MnistMlp
{
    [Dense(256, Activation.ReLU)]   public partial DenseLayer Hidden1 { get; }
    [Dense(128, Activation.ReLU)]   public partial DenseLayer Hidden2 { get; }
    [Dense(10, Activation.Softmax)] public partial DenseLayer Output { get; }
}

// (c) The tutorial's text classifier, as in examples/TextClassifier.
[Network, TokenInput(100), Loss(LossKind.CrossEntropy)]
public partial class TextLstm
{
    [Embedding(10000, 128)]         public partial EmbeddingLayer Embedding { get; }
    [Lstm(64)]                      public partial LstmLayer Encoder { get; }
    [Dropout(0.5)]                  public partial DropoutLayer Drop1 { get; }
    [Dense(64, Activation.ReLU)]    public partial DenseLayer Hidden { get; }
    [Dropout(0.5)]                  public partial DropoutLayer Drop2 { get; }
    [Dense(2, Activation.Softmax)]  public partial DenseLayer Output { get; }
}
