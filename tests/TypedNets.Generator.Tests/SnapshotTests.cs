using System.Linq;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The generated source of representative networks, compared with the verified snapshots in <c>Snapshots/</c>.
/// Every generated file must also compile without errors or warnings next to the declaration.
/// </summary>
public class SnapshotTests
{
    [Fact]
    public void TutorialClassifier()
    {
        // The Quickstart's declaration exactly as users read it in the tutorial.
        GeneratorRun run = GeneratorHarness.Run(RepositoryFiles.Read("examples/Quickstart/BinaryClassifier.cs"));

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Assert.Equal("Quickstart.BinaryClassifier.g.cs", Assert.Single(run.GeneratedSources).HintName);
        Snapshot.VerifySources(run);
    }

    [Fact]
    public void TutorialTextClassifier()
    {
        // The tutorial's text model: Embedding -> LSTM -> Dropout -> Dense -> Dropout -> Dense.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Text;

            [Network, TokenInput(100), Loss(LossKind.CrossEntropy)]
            public partial class TextClassifier
            {
                [Embedding(10000, 128)]        public partial EmbeddingLayer Embedding { get; }
                [Lstm(64)]                     public partial LstmLayer Encoder { get; }
                [Dropout(0.5)]                 public partial DropoutLayer Drop1 { get; }
                [Dense(64, Activation.ReLU)]   public partial DenseLayer Hidden { get; }
                [Dropout(0.5)]                 public partial DropoutLayer Drop2 { get; }
                [Dense(2, Activation.Softmax)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }

    [Fact]
    public void MaskedSequencesWithPooling()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Text;

            [Network, TokenInput(20)]
            public partial class Tagger
            {
                [Embedding(500, 16, MaskZero = true)] public partial EmbeddingLayer Embedding { get; }
                [Gru(8, ReturnSequences = true)]      public partial GruLayer Encoder { get; }
                [Dense(8, Activation.Tanh)]           public partial DenseLayer PerStep { get; }
                [GlobalMaxPooling1D]                  public partial GlobalMaxPooling1DLayer Pool { get; }
                [Dense(3, Activation.Softmax)]        public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }

    [Fact]
    public void ConvnetWithBatchNorm()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Images;

            [Network, Input(1, 28, 28), Loss(LossKind.CrossEntropy)]
            public partial class FashionConvnet
            {
                [Conv2D(16, 3, Padding = 1, Activation = Activation.ReLU)] public partial Conv2DLayer Conv1 { get; }
                [BatchNorm]                                                 public partial BatchNormLayer Norm1 { get; }
                [MaxPool2D(2)]                                              public partial Pool2DLayer Pool1 { get; }
                [Conv2D(32, 3, Activation = Activation.ReLU)]               public partial Conv2DLayer Conv2 { get; }
                [AvgPool2D(2)]                                              public partial Pool2DLayer Pool2 { get; }
                [Flatten]                                                   public partial FlattenLayer Flat { get; }
                [Dense(10, Activation.Softmax)]                             public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }

    [Fact]
    public void DeepMlpWithEveryActivation()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Mlp;

            [Network, Input(16)]
            public partial class DeepMlp
            {
                [Dense(32)]                         public partial DenseLayer Linear { get; }
                [Dense(32, Activation.ReLU)]        public partial DenseLayer Rectified { get; }
                [Dense(32, Activation.LeakyReLU)]   public partial DenseLayer Leaky { get; }
                [Dense(24, Activation.Sigmoid)]     public partial DenseLayer Gate { get; }
                [Dense(24, Activation.Tanh)]        public partial DenseLayer Squash { get; }
                [Dense(16, activation: Activation.GELU)] public partial DenseLayer Smooth { get; }
                [Dropout(0.25)]                     public partial DropoutLayer Drop { get; }
                [Dense(units: 10, activation: Activation.Softmax)] public partial DenseLayer Classes { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }

    [Fact]
    public void ImageInputFlattenedIntoDense()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Images;

            // A one-channel 28x28 image, flattened into 784 features.
            [Network, Input(1, 28, 28)]
            public partial class DigitClassifier
            {
                [Flatten]                       public partial FlattenLayer Pixels { get; }
                [Dense(128, Activation.ReLU)]   public partial DenseLayer Hidden { get; }
                [Dense(10, Activation.Softmax)] public partial DenseLayer Digits { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }

    [Fact]
    public void NetworkInGlobalNamespace()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(4)]
            partial class Regressor
            {
                [Dense(8, Activation.Tanh)] public partial DenseLayer Hidden { get; }
                [Dense(1)]                  public partial DenseLayer Value { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Assert.Equal("Regressor.g.cs", Assert.Single(run.GeneratedSources).HintName);
        Snapshot.VerifySources(run);
    }

    [Fact]
    public void NetworkNestedInPartialOuterClasses()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo
            {
                public static partial class Models
                {
                    internal sealed partial class Small
                    {
                        [Network, Input(3)]
                        public sealed partial class Xor
                        {
                            [Dense(4, Activation.Sigmoid)] public partial DenseLayer Hidden { get; }
                            [Dense(1, Activation.Sigmoid)] public partial DenseLayer Output { get; }
                        }
                    }
                }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Assert.Equal("Zoo.Models.Small.Xor.g.cs", Assert.Single(run.GeneratedSources).HintName);
        Snapshot.VerifySources(run);
    }

    [Fact]
    public void InternalLayersNamedInputAndOutput()
    {
        // 'Input' is also the name of the class attribute and 'Output' a natural last layer: neither may clash with
        // anything generated.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo;

            [Network, Input(6)]
            internal sealed partial class Encoder
            {
                [Dense(12, Activation.ReLU)] internal partial DenseLayer Input { get; }
                [Dropout(0)]                 private partial DropoutLayer Noise { get; }
                [Dense(3)]                   internal partial DenseLayer Output { get; }

                public DropoutLayer NoiseLayer => Noise;
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }

    [Fact]
    public void OnlyAFlattenLayer()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo;

            [Network, Input(2, 3, 4)]
            public partial class Reshape
            {
                [Flatten] public partial FlattenLayer Flat { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }

    [Fact]
    public void SmallNetworkWithEmbeddedWeights()
    {
        // The weights become constant data (64-bit words, two parameters each) behind a ReadOnlySpan, in the layout of
        // the parameter buffer (the file lists the tensors in another order), and the constructor loads them. 17
        // parameters: output.weight starts inside a word, and the last word is padded.
        GeneratorRun run = GeneratorHarness.Run(
            """
            using TypedNets;

            namespace Zoo;

            [Network, Input(2), Loss(LossKind.CrossEntropy), EmbeddedWeights("Weights/tiny.safetensors.b64")]
            public partial class TinyEmbedded
            {
                [Dense(3, Activation.ReLU)]    public partial DenseLayer Hidden { get; }
                [Dense(2, Activation.Softmax)] public partial DenseLayer Output { get; }
            }
            """,
            WeightsFiles.Base64File(
                "/src/Zoo/Weights/tiny.safetensors.b64",
                new("output.bias", [2], First: -1),
                new("output.weight", [2, 3], First: 2),
                new("hidden.weight", [3, 2], First: 0.5f),
                new("hidden.bias", [3], First: -0.5f)));

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }

    [Fact]
    public void SmallNetworkWithInt8EmbeddedWeights()
    {
        // Quantised at build time: the words hold BatchNorm's running statistics, the float parameters (the biases and
        // the norm's), the scales of the two Dense weights' rows, then their codes, one byte each; LoadEmbeddedWeights
        // hands the int8 part to the runtime with the weights' offsets, which it checks against its own list.
        GeneratorRun run = GeneratorHarness.Run(
            """
            using TypedNets;

            namespace Zoo;

            [Network, Input(3), Loss(LossKind.CrossEntropy), EmbeddedWeights("tiny.safetensors.b64", Quantization = EmbeddedQuantization.Int8)]
            public partial class TinyInt8
            {
                [Dense(4, Activation.ReLU)]    public partial DenseLayer Hidden { get; }
                [BatchNorm]                    public partial BatchNormLayer Norm { get; }
                [Dense(2, Activation.Softmax)] public partial DenseLayer Output { get; }
            }
            """,
            WeightsFiles.Base64File(
                "/src/Zoo/tiny.safetensors.b64",
                new("hidden.weight", [4, 3], First: -1.5f),
                new("hidden.bias", [4], First: 0.125f),
                new("norm.weight", [4], First: 1),
                new("norm.bias", [4], First: -0.5f),
                new("norm.running_mean", [4], First: 0.25f),
                new("norm.running_var", [4], First: 2),
                new("output.weight", [2, 4], First: 0.75f),
                new("output.bias", [2], First: -1)));

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }

    [Fact]
    public void InvalidDeclarationGetsASurfaceThatThrows()
    {
        // With a declaration error the network still gets its whole public surface, with the sizes known so far and
        // every member throwing, so that the TypedNets diagnostics are the only errors the user sees.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo;

            [Network, Input(10)]
            public partial class Broken
            {
                [Dense(50, Activation.ReLU)]   public partial DenseLayer Hidden { get; }
                [Dropout(1.5)]                 internal partial DropoutLayer Drop { get; }
                [Dense(0, Activation.Softmax)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorException(run);
        Assert.Equal(["TN0006", "TN0005"], run.GeneratorDiagnostics.Select(diagnostic => diagnostic.Id));
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
        Snapshot.VerifyDiagnostics(run.GeneratorDiagnostics);
    }
}
