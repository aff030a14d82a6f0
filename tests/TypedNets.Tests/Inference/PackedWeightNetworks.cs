using TypedNets;

namespace TypedNets.Tests.Networks;

// Dense layers whose products at a batch of four or more run on packed blocks of the weight (more than 16 inputs, 16
// or more outputs), with widths that leave edge micro-tiles (40 = 32 + 8, 33 = 32 + 1), and an output layer of fewer
// than 16 that takes the small path.
[Network, Input(70)]
public partial class PackedMlp
{
    [Dense(40, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dense(33, Activation.Tanh)] public partial DenseLayer Middle { get; }
    [Dense(10, Activation.Softmax)] public partial DenseLayer Output { get; }
}

// A convolution whose output, 32 planes of 26 x 26, makes its activations large (about 120 KB a sample), so that
// Predict takes many rows a chunk at a time; pooled 2 x 2 with stride 2 at both widths (26 and 11: the last row and
// column unused), as the Fashion-MNIST convnet is.
[Network, Input(1, 28, 28)]
public partial class WideConvNet
{
    [Conv2D(32, 3, Activation = Activation.ReLU)] public partial Conv2DLayer Conv1 { get; }
    [MaxPool2D(2)] public partial Pool2DLayer Pool1 { get; }
    [Conv2D(16, 3, Activation = Activation.ReLU)] public partial Conv2DLayer Conv2 { get; }
    [MaxPool2D(2)] public partial Pool2DLayer Pool2 { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(10, Activation.Softmax)] public partial DenseLayer Output { get; }
}
