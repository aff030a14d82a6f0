using TypedNets;

// Networks that tests/TypedNets.Tests/Compression/QuantizationTests.cs quantises to int8.
namespace TypedNets.Tests.Networks;

[Network, Input(40), Loss(LossKind.CrossEntropy)]
public partial class QuantMlp
{
    [Dense(24, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dense(16, Activation.Tanh)] public partial DenseLayer Second { get; }
    [Dense(5, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, Input(3, 8, 7)]
public partial class QuantConvNet
{
    [Conv2D(5, 3, Padding = 1, Activation = Activation.ReLU)] public partial Conv2DLayer First { get; }
    [Conv2D(4, 3, Stride = 2, Activation = Activation.Identity)] public partial Conv2DLayer Second { get; }
}

[Network, Input(5, 4)]
public partial class QuantLstmNet
{
    [Lstm(6)] public partial LstmLayer Encoder { get; }
}

[Network, Input(5, 4)]
public partial class QuantGruNet
{
    [Gru(6, ReturnSequences = true)] public partial GruLayer Encoder { get; }
}
