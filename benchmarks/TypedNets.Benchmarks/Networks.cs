using TypedNets;

namespace TypedNets.Benchmarks;

// (a) The tutorial's classifier, as in examples/Quickstart: 10 features -> 50 ReLU -> dropout -> 2 classes.
[Network, Input(10), Loss(LossKind.CrossEntropy)]
public partial class TutorialMlp
{
    [Dense(50, Activation.ReLU)]    public partial DenseLayer Hidden { get; }
    [Dropout(0.5)]                  public partial DropoutLayer Drop { get; }
    [Dense(2, Activation.Softmax)]  public partial DenseLayer Output { get; }
}

// (b) The classic MNIST-sized MLP: 784 -> 256 ReLU -> 128 ReLU -> 10 classes.
[Network, Input(784), Loss(LossKind.CrossEntropy)]
public partial class MnistMlp
{
    [Dense(256, Activation.ReLU)]   public partial DenseLayer Hidden1 { get; }
    [Dense(128, Activation.ReLU)]   public partial DenseLayer Hidden2 { get; }
    [Dense(10, Activation.Softmax)] public partial DenseLayer Output { get; }
}

// (c) The tutorial's text classifier, as in examples/TextClassifier.
[Network, TokenInput(100), Loss(LossKind.CrossEntropy)]
public partial class TextLstm
{
    [Embedding(10000, 128)]         public partial EmbeddingLayer Embedding { get; }
    [Lstm(64)]                      public partial LstmLayer Encoder { get; }
    [Dropout(0.5)]                  public partial DropoutLayer Drop1 { get; }
    [Dense(64, Activation.ReLU)]    public partial DenseLayer Hidden { get; }
    [Dropout(0.5)]                  public partial DropoutLayer Drop2 { get; }
    [Dense(2, Activation.Softmax)]  public partial DenseLayer Output { get; }
}

// (f) examples/FashionMnist's small ResNet: torchvision's BasicBlock at 16, 32 and 64 channels, two blocks a stage.
[Network, Input(1, 28, 28), Loss(LossKind.CrossEntropy)]
public partial class ResNetSmall
{
    [Conv2D(16, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv1 { get; }
    [BatchNorm(Activation = Activation.ReLU)]  public partial BatchNormLayer Bn1 { get; }
    public partial ResBlock16 Block1 { get; }
    public partial ResBlock16 Block2 { get; }
    public partial ResDownBlock32 Block3 { get; }
    public partial ResBlock32 Block4 { get; }
    public partial ResDownBlock64 Block5 { get; }
    public partial ResBlock64 Block6 { get; }
    [GlobalAveragePooling2D]                   public partial GlobalAveragePooling2DLayer Pool { get; }
    [Dense(10, Activation.Softmax)]            public partial DenseLayer Fc { get; }
}

[Residual(Activation = Activation.ReLU)]
public partial class ResBlock16
{
    [Conv2D(16, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv1 { get; }
    [BatchNorm(Activation = Activation.ReLU)]  public partial BatchNormLayer Bn1 { get; }
    [Conv2D(16, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv2 { get; }
    [BatchNorm]                                public partial BatchNormLayer Bn2 { get; }
}

[Residual(Activation = Activation.ReLU)]
public partial class ResBlock32
{
    [Conv2D(32, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv1 { get; }
    [BatchNorm(Activation = Activation.ReLU)]  public partial BatchNormLayer Bn1 { get; }
    [Conv2D(32, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv2 { get; }
    [BatchNorm]                                public partial BatchNormLayer Bn2 { get; }
}

[Residual(Activation = Activation.ReLU)]
public partial class ResBlock64
{
    [Conv2D(64, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv1 { get; }
    [BatchNorm(Activation = Activation.ReLU)]  public partial BatchNormLayer Bn1 { get; }
    [Conv2D(64, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv2 { get; }
    [BatchNorm]                                public partial BatchNormLayer Bn2 { get; }
}

[Residual(Activation = Activation.ReLU)]
public partial class ResDownBlock32
{
    [Conv2D(32, 3, Stride = 2, Padding = 1, Bias = false)] public partial Conv2DLayer Conv1 { get; }
    [BatchNorm(Activation = Activation.ReLU)]              public partial BatchNormLayer Bn1 { get; }
    [Conv2D(32, 3, Padding = 1, Bias = false)]             public partial Conv2DLayer Conv2 { get; }
    [BatchNorm]                                            public partial BatchNormLayer Bn2 { get; }
    [Shortcut]                                             public partial ResShortcut32 Downsample { get; }
}

[Sequential]
public partial class ResShortcut32
{
    [Conv2D(32, 1, Stride = 2, Bias = false)] public partial Conv2DLayer Conv { get; }
    [BatchNorm]                               public partial BatchNormLayer Norm { get; }
}

[Residual(Activation = Activation.ReLU)]
public partial class ResDownBlock64
{
    [Conv2D(64, 3, Stride = 2, Padding = 1, Bias = false)] public partial Conv2DLayer Conv1 { get; }
    [BatchNorm(Activation = Activation.ReLU)]              public partial BatchNormLayer Bn1 { get; }
    [Conv2D(64, 3, Padding = 1, Bias = false)]             public partial Conv2DLayer Conv2 { get; }
    [BatchNorm]                                            public partial BatchNormLayer Bn2 { get; }
    [Shortcut]                                             public partial ResShortcut64 Downsample { get; }
}

[Sequential]
public partial class ResShortcut64
{
    [Conv2D(64, 1, Stride = 2, Bias = false)] public partial Conv2DLayer Conv { get; }
    [BatchNorm]                               public partial BatchNormLayer Norm { get; }
}
