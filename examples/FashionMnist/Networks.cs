using System.Collections.Generic;
using TypedNets;

namespace FashionMnist;

// The dataset README's multilayer perceptron: 784 pixels -> 256 -> 128 -> 10 classes.
[Network, Input(784), Loss(LossKind.CrossEntropy)]
public partial class FashionMlp
{
    [Dense(256, Activation.ReLU)]   public partial DenseLayer Hidden1 { get; }
    [Dense(128, Activation.ReLU)]   public partial DenseLayer Hidden2 { get; }
    [Dense(10, Activation.Softmax)] public partial DenseLayer Output { get; }
}

// Two convolutions with pooling, then a dense layer, as TensorFlow's Fashion-MNIST tutorial.
[Network, Input(1, 28, 28), Loss(LossKind.CrossEntropy)]
public partial class FashionConvnet
{
    [Conv2D(32, 3, Activation = Activation.ReLU)] public partial Conv2DLayer Conv1 { get; }
    [MaxPool2D(2)]                                public partial Pool2DLayer Pool1 { get; }
    [Conv2D(64, 3, Activation = Activation.ReLU)] public partial Conv2DLayer Conv2 { get; }
    [MaxPool2D(2)]                                public partial Pool2DLayer Pool2 { get; }
    [Flatten]                                     public partial FlattenLayer Flat { get; }
    [Dense(128, Activation.ReLU)]                 public partial DenseLayer Hidden { get; }
    [Dropout(0.3)]                                public partial DropoutLayer Drop { get; }
    [Dense(10, Activation.Softmax)]               public partial DenseLayer Output { get; }
}

// A small ResNet: torchvision's BasicBlock and names at 16, 32 and 64 channels, two blocks a stage, global average
// pooling and one dense layer; the state_dict of reference/pytorch/fashion_resnet.py's FashionResNet, key for key.
[Network, Input(1, 28, 28), Loss(LossKind.CrossEntropy)]
public partial class FashionResNet
{
    [Conv2D(16, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv1 { get; }                // [16, 28, 28]
    [BatchNorm(Activation = Activation.ReLU)]  public partial BatchNormLayer Bn1 { get; }
    [Repeat(2)]                                public partial IReadOnlyList<BasicBlock16> Layer1 { get; }  // layer1.0, layer1.1
    public partial Stage32 Layer2 { get; }                                                                 // [32, 14, 14]
    public partial Stage64 Layer3 { get; }                                                                 // [64, 7, 7]
    [GlobalAveragePooling2D]                   public partial GlobalAveragePooling2DLayer Pool { get; }    // [64]
    [Dense(10, Activation.Softmax)]            public partial DenseLayer Fc { get; }
}

// out = relu(bn2(conv2(relu(bn1(conv1(x))))) + x), torchvision's BasicBlock without a downsample.
[Residual(Activation = Activation.ReLU)]
public partial class BasicBlock16
{
    [Conv2D(16, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv1 { get; }
    [BatchNorm(Activation = Activation.ReLU)]  public partial BatchNormLayer Bn1 { get; }
    [Conv2D(16, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv2 { get; }
    [BatchNorm]                                public partial BatchNormLayer Bn2 { get; }
}

[Residual(Activation = Activation.ReLU)]
public partial class BasicBlock32
{
    [Conv2D(32, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv1 { get; }
    [BatchNorm(Activation = Activation.ReLU)]  public partial BatchNormLayer Bn1 { get; }
    [Conv2D(32, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv2 { get; }
    [BatchNorm]                                public partial BatchNormLayer Bn2 { get; }
}

[Residual(Activation = Activation.ReLU)]
public partial class BasicBlock64
{
    [Conv2D(64, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv1 { get; }
    [BatchNorm(Activation = Activation.ReLU)]  public partial BatchNormLayer Bn1 { get; }
    [Conv2D(64, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv2 { get; }
    [BatchNorm]                                public partial BatchNormLayer Bn2 { get; }
}

// The first block of a stage halves the image and doubles the channels; its shortcut is ResNet's downsample,
// a strided 1x1 convolution and a BatchNorm (downsample.0, downsample.1).
[Residual(Activation = Activation.ReLU)]
public partial class DownBlock32
{
    [Conv2D(32, 3, Stride = 2, Padding = 1, Bias = false)] public partial Conv2DLayer Conv1 { get; }
    [BatchNorm(Activation = Activation.ReLU)]              public partial BatchNormLayer Bn1 { get; }
    [Conv2D(32, 3, Padding = 1, Bias = false)]             public partial Conv2DLayer Conv2 { get; }
    [BatchNorm]                                            public partial BatchNormLayer Bn2 { get; }
    [Shortcut]                                             public partial Downsample32 Downsample { get; }
}

[Sequential]
public partial class Downsample32
{
    [Conv2D(32, 1, Stride = 2, Bias = false)] public partial Conv2DLayer Conv { get; }
    [BatchNorm]                               public partial BatchNormLayer Norm { get; }
}

[Residual(Activation = Activation.ReLU)]
public partial class DownBlock64
{
    [Conv2D(64, 3, Stride = 2, Padding = 1, Bias = false)] public partial Conv2DLayer Conv1 { get; }
    [BatchNorm(Activation = Activation.ReLU)]              public partial BatchNormLayer Bn1 { get; }
    [Conv2D(64, 3, Padding = 1, Bias = false)]             public partial Conv2DLayer Conv2 { get; }
    [BatchNorm]                                            public partial BatchNormLayer Bn2 { get; }
    [Shortcut]                                             public partial Downsample64 Downsample { get; }
}

[Sequential]
public partial class Downsample64
{
    [Conv2D(64, 1, Stride = 2, Bias = false)] public partial Conv2DLayer Conv { get; }
    [BatchNorm]                               public partial BatchNormLayer Norm { get; }
}

// layer2 and layer3: nn.Sequential(BasicBlock with downsample, BasicBlock).
[Sequential]
public partial class Stage32
{
    public partial DownBlock32 First { get; }
    public partial BasicBlock32 Second { get; }
}

[Sequential]
public partial class Stage64
{
    public partial DownBlock64 First { get; }
    public partial BasicBlock64 Second { get; }
}
