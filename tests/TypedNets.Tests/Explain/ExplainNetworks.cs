using TypedNets;

// The networks of the PyTorch fixtures attributions_*.json (reference/pytorch/attributions.py), named as its modules.
namespace TypedNets.Tests.Explain;

[Network, Input(4)]
public partial class ExplainMlp
{
    [Dense(6, Activation.Tanh)] public partial DenseLayer Hidden { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

[Network, Input(1, 6, 6)]
public partial class ExplainConvNet
{
    [Conv2D(2, 3, Activation = Activation.Tanh)] public partial Conv2DLayer Conv { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

[Network, TokenInput(5)]
public partial class ExplainText
{
    [Embedding(10, 4)] public partial EmbeddingLayer Embedding { get; }
    [Lstm(6)] public partial LstmLayer Encoder { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

// A classifier with Softmax, dropout, max pooling and ReLU, at the tutorial's shapes in small, for completeness.
[Network, Input(1, 8, 8)]
public partial class ExplainPoolNet
{
    [Conv2D(3, 3, Activation = Activation.Tanh)] public partial Conv2DLayer Conv { get; }
    [MaxPool2D(2)] public partial Pool2DLayer Pool { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dropout(0.5)] public partial DropoutLayer Drop { get; }
    [Dense(4, Activation.Softmax)] public partial DenseLayer Output { get; }
}
