using TypedNets;

namespace TrainUntilKilled;

/// <summary>Large enough that an epoch takes a noticeable time, with two dropout layers whose masks must resume too.</summary>
[Network, Input(64), Loss(LossKind.CrossEntropy)]
public partial class KilledClassifier
{
    [Dense(256, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dropout(0.3)] public partial DropoutLayer HiddenDrop { get; }
    [Dense(256, Activation.ReLU)] public partial DenseLayer Second { get; }
    [Dropout(0.2)] public partial DropoutLayer SecondDrop { get; }
    [Dense(2)] public partial DenseLayer Output { get; }
}
