using TypedNets;

namespace Quickstart;

// The same network over all 30 features of the data set (--all-features).
[Network, Input(30), Loss(LossKind.CrossEntropy)]
public partial class WideBinaryClassifier
{
    [Dense(50, Activation.ReLU)]    public partial DenseLayer Hidden { get; }
    [Dropout(0.5)]                  public partial DropoutLayer Drop { get; }
    [Dense(2, Activation.Softmax)]  public partial DenseLayer Output { get; }
}
