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
