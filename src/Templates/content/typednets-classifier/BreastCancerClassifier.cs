using TypedNets;

namespace TypedNetsClassifier;

// 30 features -> 32 ReLU -> dropout -> 2 classes. The generator checks every shape at compile time: change Input(30)
// to a width the data does not have, or the last layer to one unit, and the build names the line at fault.
[Network, Input(30), Loss(LossKind.CrossEntropy)]
public partial class BreastCancerClassifier
{
    [Dense(32, Activation.ReLU)]    public partial DenseLayer Hidden { get; }
    [Dropout(0.3)]                  public partial DropoutLayer Drop { get; }
    [Dense(2, Activation.Softmax)]  public partial DenseLayer Output { get; }
}
