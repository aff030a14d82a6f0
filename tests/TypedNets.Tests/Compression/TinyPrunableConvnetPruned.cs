// TinyPrunableConvnetPruned: TinyPrunableConvnet after structured pruning (conv1 6 -> 3, conv2 4 -> 2, hidden 7 -> 4).
// Written by TypedNets.Compression.StructuredPruning; its weights are TinyPrunableConvnetPruned.safetensors.
using TypedNets;

namespace TypedNets.Tests.Compression;

[Network, Input(2, 8, 8), Loss(LossKind.CrossEntropy)]
public partial class TinyPrunableConvnetPruned
{
    [Conv2D(3, 3, Padding = 1, Bias = false)]                     public partial Conv2DLayer Conv1 { get; }
    [BatchNorm(Activation = Activation.ReLU)]                     public partial BatchNormLayer Norm1 { get; }
    [MaxPool2D(2)]                                                public partial Pool2DLayer Pool1 { get; }
    [Conv2D(2, 3, KernelWidth = 2, Activation = Activation.ReLU)] public partial Conv2DLayer Conv2 { get; }
    [BatchNorm(Momentum = 0.2, Epsilon = 0.001)]                  public partial BatchNormLayer Norm2 { get; }
    [Flatten]                                                     public partial FlattenLayer Flat { get; }
    [Dense(4, Activation.ReLU)]                                   public partial DenseLayer Hidden { get; }
    [Dropout(0.5)]                                                public partial DropoutLayer Drop { get; }
    [Dense(3, Activation.Softmax)]                                public partial DenseLayer Output { get; }
}
