using TypedNets;

namespace FashionMnist;

// The dataset README's multilayer perceptron: 784 pixels -> 256 -> 128 -> 10 classes.
[Network, Input(784), Loss(LossKind.CrossEntropy)]
public partial class FashionMlp
{
    [Dense(256, Activation.ReLU)]   public partial DenseLayer Hidden1 { get; }
    [Dense(128, Activation.ReLU)]   public partial DenseLayer Hidden2 { get; }
    [Dense(10, Activation.Softmax)] public partial DenseLayer Output { get; }
}

// Two convolutions with pooling, then a dense layer, as TensorFlow's Fashion-MNIST tutorial.
[Network, Input(1, 28, 28), Loss(LossKind.CrossEntropy)]
public partial class FashionConvnet
{
    [Conv2D(32, 3, Activation = Activation.ReLU)] public partial Conv2DLayer Conv1 { get; }
    [MaxPool2D(2)]                                public partial Pool2DLayer Pool1 { get; }
    [Conv2D(64, 3, Activation = Activation.ReLU)] public partial Conv2DLayer Conv2 { get; }
    [MaxPool2D(2)]                                public partial Pool2DLayer Pool2 { get; }
    [Flatten]                                     public partial FlattenLayer Flat { get; }
    [Dense(128, Activation.ReLU)]                 public partial DenseLayer Hidden { get; }
    [Dropout(0.3)]                                public partial DropoutLayer Drop { get; }
    [Dense(10, Activation.Softmax)]               public partial DenseLayer Output { get; }
}
