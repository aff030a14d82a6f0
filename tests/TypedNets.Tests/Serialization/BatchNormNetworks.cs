using TypedNets;

// A network with batch normalisation for the safetensors tests, mirrored module for module (same snake_case names) by
// TinyBatchNormConvNet in reference/pytorch/make_safetensors_fixtures.py, so that its state_dict keys are TypedNets'
// tensor names: conv.weight, conv.bias, norm.weight, norm.bias, norm.running_mean, norm.running_var (and PyTorch's
// norm.num_batches_tracked, which TypedNets ignores), output.weight, output.bias.
namespace TypedNets.Tests.Networks;

/// <summary>Conv2d(1, 4, 3) + ReLU, BatchNorm2d(4), MaxPool2d(2), Flatten, Linear(36, 3) + Softmax on 1 x 8 x 8 images.</summary>
[Network, Input(1, 8, 8)]
public partial class TinyBatchNormConvNet
{
    [Conv2D(4, 3, Activation = Activation.ReLU)] public partial Conv2DLayer Conv { get; }
    [BatchNorm] public partial BatchNormLayer Norm { get; }
    [MaxPool2D(2)] public partial Pool2DLayer Pool { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}
