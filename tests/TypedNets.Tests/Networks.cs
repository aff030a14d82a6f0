using TypedNets;

// Networks compiled by the generator inside this test project. Small sizes keep finite differences cheap;
// together they cover every activation, dropout, flatten and both ends of the network.
namespace TypedNets.Tests.Networks;

[Network, Input(10)]
public partial class TutorialClassifier
{
    [Dense(50, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dropout(0.5)] public partial DropoutLayer Drop { get; }
    [Dense(2, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, Input(4)]
public partial class IdentityNet
{
    [Dense(5)] public partial DenseLayer Hidden { get; }
    [Dense(3, Activation.Identity)] public partial DenseLayer Output { get; }
}

[Network, Input(4)]
public partial class ReluNet
{
    [Dense(6, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

[Network, Input(4)]
public partial class LeakyReluNet
{
    [Dense(6, Activation.LeakyReLU)] public partial DenseLayer Hidden { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

[Network, Input(4)]
public partial class SigmoidNet
{
    [Dense(6, Activation.Sigmoid)] public partial DenseLayer Hidden { get; }
    [Dense(2, Activation.Sigmoid)] public partial DenseLayer Output { get; }
}

[Network, Input(4)]
public partial class TanhNet
{
    [Dense(6, Activation.Tanh)] public partial DenseLayer Hidden { get; }
    [Dense(3, Activation.Tanh)] public partial DenseLayer Output { get; }
}

[Network, Input(4)]
public partial class SoftmaxNet
{
    [Dense(6, Activation.Softmax)] public partial DenseLayer Hidden { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, Input(4)]
public partial class GeluNet
{
    [Dense(6, Activation.GELU)] public partial DenseLayer Hidden { get; }
    [Dense(3, Activation.GELU)] public partial DenseLayer Output { get; }
}

[Network, Input(5)]
public partial class DropoutNet
{
    [Dense(7, Activation.Sigmoid)] public partial DenseLayer First { get; }
    [Dropout(0.3)] public partial DropoutLayer FirstDrop { get; }
    [Dense(6, Activation.GELU)] public partial DenseLayer Second { get; }
    [Dropout(0.5)] public partial DropoutLayer SecondDrop { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}

// Dropout first and last: the input gradient and the output both pass through a mask.
[Network, Input(4)]
public partial class DropoutEndsNet
{
    [Dropout(0.25)] public partial DropoutLayer InputDrop { get; }
    [Dense(5, Activation.LeakyReLU)] public partial DenseLayer Hidden { get; }
    [Dropout(0.4)] public partial DropoutLayer OutputDrop { get; }
}

[Network, Input(2, 3, 2)]
public partial class FlattenNet
{
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(4, Activation.Tanh)] public partial DenseLayer Hidden { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}

// The networks of the PyTorch fixtures mlp_tiny and mlp_tiny_mse (reference/pytorch/make_fixtures.py).
[Network, Input(4), Loss(LossKind.CrossEntropy)]
public partial class TinyMlp
{
    [Dense(5, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

// The same as TinyMlp with the softmax inside the network: the loss fuses with it.
[Network, Input(4), Loss(LossKind.CrossEntropy)]
public partial class TinyMlpSoftmax
{
    [Dense(5, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, Input(4), Loss(LossKind.MeanSquaredError)]
public partial class TinyMlpMse
{
    [Dense(5, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dense(3, Activation.Sigmoid)] public partial DenseLayer Output { get; }
}

[Network, Input(4), Loss(LossKind.BinaryCrossEntropy)]
public partial class BinaryNet
{
    [Dense(6, Activation.Tanh)] public partial DenseLayer Hidden { get; }
    [Dropout(0.2)] public partial DropoutLayer Drop { get; }
    [Dense(1, Activation.Sigmoid)] public partial DenseLayer Output { get; }
}

[Network, Input(4), Loss(LossKind.Huber, Delta = 0.5)]
public partial class RegularizedNet
{
    [Dense(5, Activation.ReLU, L1 = 0.01, L2 = 0.02)] public partial DenseLayer Hidden { get; }
    [Dense(2, L2 = 0.05)] public partial DenseLayer Output { get; }
}
