using TypedNets;

namespace EmbeddedInference;

// The Quickstart's classifier, layer for layer, with the weights it trained compiled in: the generator checks the
// file against these layers at build time (a retrained file of another shape is a build error, TN0031/TN0032), and
// `new BinaryClassifier()` starts from them without reading a file.
[Network, Input(10), Loss(LossKind.CrossEntropy), EmbeddedWeights("BinaryClassifier.safetensors.b64")]
public partial class BinaryClassifier
{
    [Dense(50, Activation.ReLU)]    public partial DenseLayer Hidden { get; }
    [Dropout(0.5)]                  public partial DropoutLayer Drop { get; }
    [Dense(2, Activation.Softmax)]  public partial DenseLayer Output { get; }
}
