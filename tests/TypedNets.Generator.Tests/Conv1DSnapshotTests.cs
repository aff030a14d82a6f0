using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The generated source of a network of <c>[Conv1D]</c>, <c>[MaxPool1D]</c> and <c>[AvgPool1D]</c> over a sequence
/// <c>[steps, features]</c>, compared with the verified snapshot in <c>Snapshots/</c>.
/// </summary>
public class Conv1DSnapshotTests
{
    [Fact]
    public void ConvolutionsAndPoolingOverSteps()
    {
        // The weight is PyTorch's [filters, features / groups, kernel]; the geometry carries the steps, features, kernel,
        // stride, padding, dilation and groups; the pooling layers keep the features and pool the steps.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo.Sequences;

            [Network, Input(16, 8)]
            public partial class SignalNet
            {
                [Conv1D(8, 3, Padding = 1, Activation = Activation.ReLU)]            public partial Conv1DLayer Conv1 { get; }
                [MaxPool1D(2)]                                                         public partial Pool1DLayer Pool1 { get; }
                [Conv1D(4, 3, Stride = 2, Dilation = 2, Groups = 2, Bias = false)]    public partial Conv1DLayer Conv2 { get; }
                [AvgPool1D(2, Stride = 1, Padding = 1)]                                public partial Pool1DLayer Pool2 { get; }
                [GlobalAveragePooling1D]                                               public partial GlobalAveragePooling1DLayer Pool3 { get; }
                [Dense(2)]                                                             public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        Snapshot.VerifySources(run);
    }
}
