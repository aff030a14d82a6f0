namespace TypedNets.Tests.Compression;

// The networks the structured-pruning tests prune. Their pruned forms, as StructuredPruning writes them, are committed
// beside them (TinyPrunableMlpPruned.cs, TinyPrunableConvnetPruned.cs) and compiled here, so the tests load the pruned
// weights into real typed networks; a test re-runs the tool and requires the same files.
[Network, Input(6), Loss(LossKind.CrossEntropy)]
public partial class TinyPrunableMlp
{
    [Dense(8, Activation.ReLU)]            public partial DenseLayer Hidden1 { get; }
    [Dropout(0.25)]                        public partial DropoutLayer Drop { get; }
    [Dense(5, Activation.Tanh, L2 = 0.01)] public partial DenseLayer Hidden2 { get; }
    [Dense(3, Activation.Softmax)]         public partial DenseLayer Output { get; }
}

// A convolution without bias into a BatchNorm, pooling, a rectangular kernel, a second BatchNorm with its own
// momentum and epsilon, then Flatten into Dense: every way a unit's removal reaches the layers after it.
[Network, Input(2, 8, 8), Loss(LossKind.CrossEntropy)]
public partial class TinyPrunableConvnet
{
    [Conv2D(6, 3, Padding = 1, Bias = false)]                     public partial Conv2DLayer Conv1 { get; }   // [6, 8, 8]
    [BatchNorm(Activation = Activation.ReLU)]                     public partial BatchNormLayer Norm1 { get; }
    [MaxPool2D(2)]                                                public partial Pool2DLayer Pool1 { get; }   // [6, 4, 4]
    [Conv2D(4, 3, KernelWidth = 2, Activation = Activation.ReLU)] public partial Conv2DLayer Conv2 { get; }   // [4, 2, 3]
    [BatchNorm(Momentum = 0.2, Epsilon = 0.001)]                  public partial BatchNormLayer Norm2 { get; }
    [Flatten]                                                     public partial FlattenLayer Flat { get; }   // [24]
    [Dense(7, Activation.ReLU)]                                   public partial DenseLayer Hidden { get; }
    [Dropout(0.5)]                                                public partial DropoutLayer Drop { get; }
    [Dense(3, Activation.Softmax)]                                public partial DenseLayer Output { get; }
}
