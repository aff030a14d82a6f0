using TypedNets;

namespace Quickstart;

// The tutorial's classifier: 10 features -> 50 ReLU -> dropout -> 2 classes.
[Network, Input(10), Loss(LossKind.CrossEntropy)]
public partial class BinaryClassifier
{
    [Dense(50, Activation.ReLU)]    public partial DenseLayer Hidden { get; }
    [Dropout(0.5)]                  public partial DropoutLayer Drop { get; }
    [Dense(2, Activation.Softmax)]  public partial DenseLayer Output { get; }
}
