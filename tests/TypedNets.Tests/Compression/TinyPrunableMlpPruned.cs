// TinyPrunableMlpPruned: TinyPrunableMlp after structured pruning (hidden1 8 -> 4, hidden2 5 -> 2).
// Written by TypedNets.Compression.StructuredPruning; its weights are TinyPrunableMlpPruned.safetensors.
using TypedNets;

namespace TypedNets.Tests.Compression;

[Network, Input(6), Loss(LossKind.CrossEntropy)]
public partial class TinyPrunableMlpPruned
{
    [Dense(4, Activation.ReLU)]            public partial DenseLayer Hidden1 { get; }
    [Dropout(0.25)]                        public partial DropoutLayer Drop { get; }
    [Dense(2, Activation.Tanh, L2 = 0.01)] public partial DenseLayer Hidden2 { get; }
    [Dense(3, Activation.Softmax)]         public partial DenseLayer Output { get; }
}
