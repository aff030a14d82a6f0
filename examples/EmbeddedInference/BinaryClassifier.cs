using TypedNets;

namespace EmbeddedInference;

// The Quickstart's classifier, layer for layer, with the weights it trained compiled in: the generator checks the
// file against these layers at build time (a retrained file of another shape is a build error, TN0031/TN0032), and
// `new BinaryClassifier()` starts from them without reading a file. Built with -p:Int8=true, the generator also
// quantises the two Dense weights to int8 from the same float file, and the network is the quantised one.
#if INT8
[Network, Input(10), Loss(LossKind.CrossEntropy), EmbeddedWeights("BinaryClassifier.safetensors.b64", Quantization = EmbeddedQuantization.Int8)]
#else
[Network, Input(10), Loss(LossKind.CrossEntropy), EmbeddedWeights("BinaryClassifier.safetensors.b64")]
#endif
public partial class BinaryClassifier
{
    [Dense(50, Activation.ReLU)]    public partial DenseLayer Hidden { get; }
    [Dropout(0.5)]                  public partial DropoutLayer Drop { get; }
    [Dense(2, Activation.Softmax)]  public partial DenseLayer Output { get; }
}
