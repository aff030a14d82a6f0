namespace TypedNets.Tests.Onnx;

// The TypedNets twins of the PyTorch modules reference/onnx/export_torch.py exports: the same layers under the same
// state_dict names (a property's name, in lower case, is its module's name).

[Network, Input(4)]
public partial class OnnxImportMlp
{
    [Dense(8, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}

// The MLP with a hidden layer of another width, to be refused the MLP's weights.
[Network, Input(4)]
public partial class OnnxImportWideMlp
{
    [Dense(9, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, Input(1, 6, 6)]
public partial class OnnxImportConvNet
{
    [Conv2D(3, 3)] public partial Conv2DLayer Conv { get; }
    [BatchNorm(Activation = Activation.ReLU)] public partial BatchNormLayer Norm { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}

[Network, Input(5, 3)]
public partial class OnnxImportLstmClassifier
{
    [Lstm(4)] public partial LstmLayer Lstm { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}

[Network, Input(5, 3)]
public partial class OnnxImportSequenceMlp
{
    [Dense(4, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [GlobalAveragePooling1D] public partial GlobalAveragePooling1DLayer Pool { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}
