// FashionMlpHalved: FashionMlp after structured pruning (hidden1 256 -> 128, hidden2 128 -> 64).
// Written by TypedNets.Compression.StructuredPruning; its weights are FashionMlpHalved.safetensors.
using TypedNets;

namespace Compression;

[Network, Input(784), Loss(LossKind.CrossEntropy)]
public partial class FashionMlpHalved
{
    [Dense(128, Activation.ReLU)]   public partial DenseLayer Hidden1 { get; }
    [Dense(64, Activation.ReLU)]    public partial DenseLayer Hidden2 { get; }
    [Dense(10, Activation.Softmax)] public partial DenseLayer Output { get; }
}
