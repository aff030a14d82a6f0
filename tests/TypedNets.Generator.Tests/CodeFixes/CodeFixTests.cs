using System.Threading.Tasks;
using Xunit;
using static TypedNets.Generator.Tests.CodeFixes.CodeFixHarness;

namespace TypedNets.Generator.Tests.CodeFixes;

/// <summary>
/// One test (at least) per code fix: the declaration before, the exact text after, and the fixed declaration compiled
/// again with the generator, which must then report nothing.
/// </summary>
public class CodeFixTests
{
    [Fact]
    public async Task TN0009_DenseOnAnImage_InsertsAFlattenBeforeIt()
    {
        string fixedSource = await ApplyAsync("""
            using TypedNets;

            [Network, Input(1, 8, 8)]
            public partial class Net
            {
                [Conv2D(4, 3)] public partial Conv2DLayer Conv { get; }
                [Dense(10)] public partial DenseLayer Output { get; }
            }
            """, "TN0009", "TypedNets.InsertFlatten", "Add a [Flatten] layer before 'Output'");

        Assert.Equal("""
            using TypedNets;

            [Network, Input(1, 8, 8)]
            public partial class Net
            {
                [Conv2D(4, 3)] public partial Conv2DLayer Conv { get; }
                [Flatten] public partial FlattenLayer Flatten { get; }
                [Dense(10)] public partial DenseLayer Output { get; }
            }
            """, fixedSource);
        AssertCompilesClean(fixedSource);
    }

    [Fact]
    public async Task TN0009_DenseOnAnImage_InsertsAGlobalAveragePoolingBeforeIt()
    {
        string fixedSource = await ApplyAsync("""
            using TypedNets;

            [Network, Input(1, 8, 8)]
            public partial class Net
            {
                [Conv2D(4, 3)] public partial Conv2DLayer Conv { get; }
                [Dense(10)] public partial DenseLayer Output { get; }
            }
            """, "TN0009", "TypedNets.InsertGlobalAveragePooling2D", "Add a [GlobalAveragePooling2D] layer before 'Output'");

        Assert.Equal("""
            using TypedNets;

            [Network, Input(1, 8, 8)]
            public partial class Net
            {
                [Conv2D(4, 3)] public partial Conv2DLayer Conv { get; }
                [GlobalAveragePooling2D] public partial GlobalAveragePooling2DLayer GlobalPool { get; }
                [Dense(10)] public partial DenseLayer Output { get; }
            }
            """, fixedSource);
        AssertCompilesClean(fixedSource);
    }

    [Fact]
    public async Task TN0009_InsertedLayer_TakesAFreeName_AndQualifiesWithoutAUsing()
    {
        // No 'using TypedNets;', a member already named Flatten, internal layers and a comment above the layer.
        string fixedSource = await ApplyAsync("""
            [TypedNets.Network, TypedNets.Input(1, 8, 8)]
            internal partial class Net
            {
                public int Flatten => 0;
                [TypedNets.Conv2D(4, 3)] internal partial TypedNets.Conv2DLayer Conv { get; }
                // The classifier.
                [TypedNets.Dense(10)] internal partial TypedNets.DenseLayer Output { get; }
            }
            """, "TN0009", "TypedNets.InsertFlatten", "Add a [Flatten] layer before 'Output'");

        Assert.Equal("""
            [TypedNets.Network, TypedNets.Input(1, 8, 8)]
            internal partial class Net
            {
                public int Flatten => 0;
                [TypedNets.Conv2D(4, 3)] internal partial TypedNets.Conv2DLayer Conv { get; }
                [TypedNets.Flatten] internal partial TypedNets.FlattenLayer Flatten2 { get; }
                // The classifier.
                [TypedNets.Dense(10)] internal partial TypedNets.DenseLayer Output { get; }
            }
            """, fixedSource);
        AssertCompilesClean(fixedSource);
    }

    [Fact]
    public async Task TN0009_LayerNormOnAnImage_OffersOnlyAFlatten()
    {
        const string Source = """
            using TypedNets;

            [Network, Input(1, 8, 8)]
            public partial class Net
            {
                [LayerNorm] public partial LayerNormLayer Norm { get; }
            }
            """;
        Assert.Equal(["Add a [Flatten] layer before 'Norm'"], await TitlesAsync(Source, "TN0009"));

        string fixedSource = await ApplyAsync(Source, "TN0009", "TypedNets.InsertFlatten", "Add a [Flatten] layer before 'Norm'");
        Assert.Equal("""
            using TypedNets;

            [Network, Input(1, 8, 8)]
            public partial class Net
            {
                [Flatten] public partial FlattenLayer Flatten { get; }
                [LayerNorm] public partial LayerNormLayer Norm { get; }
            }
            """, fixedSource);
        AssertCompilesClean(fixedSource);
    }

    [Fact]
    public async Task TN0009_LayerThatReadsAnotherLayer_GetsNoInsertion()
    {
        // [From] makes the Dense read the input, not the layer declared before it: a layer inserted there would change nothing.
        Assert.Empty(await TitlesAsync("""
            using TypedNets;

            [Network, Input(1, 8, 8)]
            public partial class Net
            {
                [Conv2D(4, 3)] public partial Conv2DLayer Conv { get; }
                [Flatten] public partial FlattenLayer Flat { get; }
                [From(nameof(Conv)), Dense(10)] public partial DenseLayer Output { get; }
            }
            """, "TN0009"));
    }

    [Theory]
    [InlineData("[Lstm(8)]", "[Lstm(8, ReturnSequences = true)]", "[Lstm(6)] public partial LstmLayer Decoder")]
    [InlineData("[Gru(8, ReturnSequences = false)]", "[Gru(8, ReturnSequences = true)]", "[GlobalAveragePooling1D] public partial GlobalAveragePooling1DLayer Pool")]
    [InlineData("[Lstm(8, Bidirectional = true)]", "[Lstm(8, Bidirectional = true, ReturnSequences = true)]", "[Conv1D(4, 3)] public partial Conv1DLayer Conv")]
    public async Task TN0009_SequenceLayerAfterALastState_SetsReturnSequences(string before, string after, string next)
    {
        string type = before.StartsWith("[Gru", System.StringComparison.Ordinal) ? "GruLayer" : "LstmLayer";
        string fixedSource = await ApplyAsync($$"""
            using TypedNets;

            [Network, Input(5, 4)]
            public partial class Net
            {
                {{before}} public partial {{type}} Encoder { get; }
                {{next}} { get; }
            }
            """, "TN0009", "TypedNets.ReturnSequences", "Set ReturnSequences = true on 'Encoder'");

        string expected = $$"""
            using TypedNets;

            [Network, Input(5, 4)]
            public partial class Net
            {
                {{after}} public partial {{type}} Encoder { get; }
                {{next}} { get; }
            }
            """;
        Assert.Equal(expected, fixedSource);
        AssertCompilesClean(fixedSource);
    }

    [Fact]
    public async Task TN0018_BinaryLossOnASequence_SetsReturnSequencesFalse()
    {
        string fixedSource = await ApplyAsync("""
            using TypedNets;

            [Network, Input(5, 4), Loss(LossKind.BinaryCrossEntropy)]
            public partial class Net
            {
                [Lstm(8, ReturnSequences = true)] public partial LstmLayer Encoder { get; }
                [Dense(1, Activation.Sigmoid)] public partial DenseLayer Output { get; }
            }
            """, "TN0018", "TypedNets.ReturnLastState", "Set ReturnSequences = false on 'Encoder'");

        Assert.Equal("""
            using TypedNets;

            [Network, Input(5, 4), Loss(LossKind.BinaryCrossEntropy)]
            public partial class Net
            {
                [Lstm(8, ReturnSequences = false)] public partial LstmLayer Encoder { get; }
                [Dense(1, Activation.Sigmoid)] public partial DenseLayer Output { get; }
            }
            """, fixedSource);
        AssertCompilesClean(fixedSource);
    }

    [Theory]
    [InlineData("[Dense(10)]", "Conv2DLayer", "DenseLayer", "Input(4)")]
    [InlineData("[MaxPool2D(2)]", "DenseLayer", "Pool2DLayer", "Input(1, 8, 8)")]
    [InlineData("[AvgPool1D(2)]", "Pool2DLayer", "Pool1DLayer", "Input(6, 3)")]
    [InlineData("[Lstm(4)]", "GruLayer", "LstmLayer", "Input(6, 3)")]
    public async Task TN0010_WrongPropertyType_TakesTheAttributesType(string attribute, string wrong, string right, string input)
    {
        string fixedSource = await ApplyAsync($$"""
            using TypedNets;

            [Network, {{input}}]
            public partial class Net
            {
                {{attribute}} public partial {{wrong}} Layer { get; }
            }
            """, "TN0010", "TypedNets.LayerType", $"Change the type of 'Layer' to {right}");

        Assert.Equal($$"""
            using TypedNets;

            [Network, {{input}}]
            public partial class Net
            {
                {{attribute}} public partial {{right}} Layer { get; }
            }
            """, fixedSource);
        AssertCompilesClean(fixedSource);
    }

    [Fact]
    public async Task TN0010_FixAll_RetypesEveryLayer()
    {
        string fixedSource = await FixAllAsync("""
            using TypedNets;

            [Network, Input(4)]
            public partial class Net
            {
                [Dense(8, Activation.ReLU)] public partial DropoutLayer Hidden { get; }
                [Dropout(0.5)] public partial DenseLayer Drop { get; }
                [Dense(2)] public partial TypedNets.FlattenLayer Output { get; }
            }
            """, "TN0010", "TypedNets.LayerType");

        Assert.Equal("""
            using TypedNets;

            [Network, Input(4)]
            public partial class Net
            {
                [Dense(8, Activation.ReLU)] public partial DenseLayer Hidden { get; }
                [Dropout(0.5)] public partial DropoutLayer Drop { get; }
                [Dense(2)] public partial DenseLayer Output { get; }
            }
            """, fixedSource);
        AssertCompilesClean(fixedSource);
    }

    [Theory]
    [InlineData("-0.2", "TypedNets.ClampRate", "Clamp the rate to 0.0", "0.0")]
    [InlineData("1", "TypedNets.ClampRate", "Clamp the rate to 0.99", "0.99")]
    [InlineData("50", "TypedNets.RateAsPercentage", "Read 50 as a percentage: 0.5", "0.5")]
    [InlineData("double.NaN", "TypedNets.ClampRate", "Clamp the rate to 0.0", "0.0")]
    public async Task TN0006_DropoutRateOutOfRange_IsClamped(string rate, string key, string title, string fixedRate)
    {
        string fixedSource = await ApplyAsync(Dropout(rate), "TN0006", key, title);

        Assert.Equal(Dropout(fixedRate), fixedSource);
        AssertCompilesClean(fixedSource);

        static string Dropout(string rate) => $$"""
            using TypedNets;

            [Network, Input(4)]
            public partial class Net
            {
                [Dense(8, Activation.ReLU)] public partial DenseLayer Hidden { get; }
                [Dropout( {{rate}} /* rate */)] public partial DropoutLayer Drop { get; }
                [Dense(2)] public partial DenseLayer Output { get; }
            }
            """;
    }

    [Fact]
    public async Task TN0006_RateAbove100_IsOnlyClamped()
    {
        Assert.Equal(["Clamp the rate to 0.99"], await TitlesAsync("""
            using TypedNets;

            [Network, Input(4)]
            public partial class Net
            {
                [Dropout(250)] public partial DropoutLayer Drop { get; }
                [Dense(2)] public partial DenseLayer Output { get; }
            }
            """, "TN0006"));
    }

    [Fact]
    public async Task TN0006_FixAll_ClampsEveryRate()
    {
        string fixedSource = await FixAllAsync("""
            using TypedNets;

            [Network, Input(4)]
            public partial class Net
            {
                [Dropout(-1)] public partial DropoutLayer First { get; }
                [Dense(8, Activation.ReLU)] public partial DenseLayer Hidden { get; }
                [Dropout(2.5)] public partial DropoutLayer Second { get; }
                [Dense(2)] public partial DenseLayer Output { get; }
            }
            """, "TN0006", "TypedNets.ClampRate");

        Assert.Equal("""
            using TypedNets;

            [Network, Input(4)]
            public partial class Net
            {
                [Dropout(0.0)] public partial DropoutLayer First { get; }
                [Dense(8, Activation.ReLU)] public partial DenseLayer Hidden { get; }
                [Dropout(0.99)] public partial DropoutLayer Second { get; }
                [Dense(2)] public partial DenseLayer Output { get; }
            }
            """, fixedSource);
        AssertCompilesClean(fixedSource);
    }

    [Fact]
    public async Task TN0054_RecurrentDropoutOutOfRange_IsClamped()
    {
        string fixedSource = await ApplyAsync("""
            using TypedNets;

            [Network, Input(5, 4)]
            public partial class Net
            {
                [Gru(8, NumLayers = 2, Dropout = 1.0)] public partial GruLayer Encoder { get; }
            }
            """, "TN0054", "TypedNets.ClampRate", "Clamp the rate to 0.99");

        Assert.Equal("""
            using TypedNets;

            [Network, Input(5, 4)]
            public partial class Net
            {
                [Gru(8, NumLayers = 2, Dropout = 0.99)] public partial GruLayer Encoder { get; }
            }
            """, fixedSource);
        AssertCompilesClean(fixedSource);
    }

    [Fact]
    public async Task TN0058_AttentionDropoutOutOfRange_IsClamped()
    {
        string fixedSource = await ApplyAsync("""
            using TypedNets;

            [Network, Input(5, 12)]
            public partial class Net
            {
                [SelfAttention(2, Dropout = -0.1)] public partial SelfAttentionLayer Attention { get; }
            }
            """, "TN0058", "TypedNets.ClampRate", "Clamp the rate to 0.0");

        Assert.Equal("""
            using TypedNets;

            [Network, Input(5, 12)]
            public partial class Net
            {
                [SelfAttention(2, Dropout = 0.0)] public partial SelfAttentionLayer Attention { get; }
            }
            """, fixedSource);
        AssertCompilesClean(fixedSource);
    }

    [Theory]
    [InlineData("Summary", "SummaryLayer")]
    [InlineData("Sample", "SampleLayer")]
    [InlineData("Net", "NetLayer")]
    public async Task TN0011_LayerWithAGeneratedName_IsRenamedWithItsReferences(string name, string renamed)
    {
        string fixedSource = await ApplyAsync(Source(name), "TN0011", "TypedNets.RenameLayer", $"Rename '{name}' to '{renamed}'");

        Assert.Equal(Source(renamed), fixedSource);
        AssertCompilesClean(fixedSource);

        static string Source(string name) => $$"""
            using TypedNets;

            [Network, Input(4)]
            public partial class Net
            {
                [Dense(2)] public partial DenseLayer {{name}} { get; }

                public object Head => {{name}};
            }
            """;
    }

    [Fact]
    public async Task TN0011_RenamedLayer_AvoidsATakenName()
    {
        string fixedSource = await ApplyAsync("""
            using TypedNets;

            [Network, Input(4)]
            public partial class Net
            {
                [Dense(3)] public partial DenseLayer SummaryLayer { get; }
                [Dense(2)] public partial DenseLayer Summary { get; }
            }
            """, "TN0011", "TypedNets.RenameLayer", "Rename 'Summary' to 'SummaryLayer2'");

        Assert.Contains("public partial DenseLayer SummaryLayer2 { get; }", fixedSource);
        AssertCompilesClean(fixedSource);
    }

    [Theory]
    [InlineData("CrossEntropy", "[Dense(3, Activation.Sigmoid)]", "TypedNets.OutputActivation", "Use Activation.Softmax on 'Output'", "CrossEntropy", "[Dense(3, Activation.Softmax)]")]
    [InlineData("BinaryCrossEntropy", "[Dense(1, Activation.ReLU)]", "TypedNets.OutputActivation", "Use Activation.Sigmoid on 'Output'", "BinaryCrossEntropy", "[Dense(1, Activation.Sigmoid)]")]
    [InlineData("CrossEntropy", "[Dense(1, Activation.Sigmoid)]", "TypedNets.LossForOutput", "Use LossKind.BinaryCrossEntropy", "BinaryCrossEntropy", "[Dense(1, Activation.Sigmoid)]")]
    [InlineData("BinaryCrossEntropy", "[Dense(3)]", "TypedNets.LossForOutput", "Use LossKind.CrossEntropy", "CrossEntropy", "[Dense(3)]")]
    [InlineData("BinaryCrossEntropy", "[Dense(3, Activation.Sigmoid)]", "TypedNets.LossForOutput", "Use LossKind.CrossEntropy with Activation.Softmax on 'Output'", "CrossEntropy", "[Dense(3, Activation.Softmax)]")]
    [InlineData("CrossEntropy", "[Dense(3, activation: Activation.Tanh, Bias = false)]", "TypedNets.OutputActivation", "Use Activation.Softmax on 'Output'", "CrossEntropy", "[Dense(3, activation: Activation.Softmax, Bias = false)]")]
    public async Task TN0018_LossAndOutputThatDoNotFit_AreMadeToFit(string loss, string output, string key, string title, string fixedLoss, string fixedOutput)
    {
        string fixedSource = await ApplyAsync(Source(loss, output), "TN0018", key, title);

        Assert.Equal(Source(fixedLoss, fixedOutput), fixedSource);
        AssertCompilesClean(fixedSource);

        static string Source(string loss, string output) => $$"""
            using TypedNets;

            [Network, Input(4), Loss(LossKind.{{loss}})]
            public partial class Net
            {
                [Dense(8, Activation.ReLU)] public partial DenseLayer Hidden { get; }
                {{output}} public partial DenseLayer Output { get; }
            }
            """;
    }

    [Fact]
    public async Task TN0018_BinaryLossWithoutADenseOutput_AddsOne()
    {
        string fixedSource = await ApplyAsync("""
            using TypedNets;

            [Network, Input(4), Loss(LossKind.BinaryCrossEntropy)]
            public partial class Net
            {
                [Dense(8, Activation.ReLU)] public partial DenseLayer Hidden { get; }
                [Dropout(0.5)] public partial DropoutLayer Drop { get; }
            }
            """, "TN0018", "TypedNets.AddOutput", "Add a [Dense(1, Activation.Sigmoid)] output layer");

        Assert.Equal("""
            using TypedNets;

            [Network, Input(4), Loss(LossKind.BinaryCrossEntropy)]
            public partial class Net
            {
                [Dense(8, Activation.ReLU)] public partial DenseLayer Hidden { get; }
                [Dropout(0.5)] public partial DropoutLayer Drop { get; }
                [Dense(1, Activation.Sigmoid)] public partial DenseLayer Output { get; }
            }
            """, fixedSource);
        AssertCompilesClean(fixedSource);
    }

    [Theory]
    [InlineData("[Lstm(8)] public partial LstmLayer Encoder { get; }")]
    [InlineData("[Lstm(8, ReturnSequences = true)] public partial LstmLayer Encoder { get; }\n    [GlobalMaxPooling1D] public partial GlobalMaxPooling1DLayer Pool { get; }")]
    public async Task TN0018_BinaryLossAfterARecurrentOrPoolingLayer_AddsADenseOutput(string layers)
    {
        string source = $$"""
            using TypedNets;

            [Network, Input(5, 4), Loss(LossKind.BinaryCrossEntropy)]
            public partial class Net
            {
                {{layers}}
            }
            """;
        string fixedSource = await ApplyAsync(source, "TN0018", "TypedNets.AddOutput", "Add a [Dense(1, Activation.Sigmoid)] output layer");

        Assert.Equal(source.Replace("\n}", "\n    [Dense(1, Activation.Sigmoid)] public partial DenseLayer Output { get; }\n}", System.StringComparison.Ordinal), fixedSource);
        AssertCompilesClean(fixedSource);
    }

    [Fact]
    public async Task TN0018_BinaryLossOnASequenceWithoutADense_GetsNoOutputLayer()
    {
        // A Dense after a returned sequence would run on every step, still not one prediction per sample.
        Assert.DoesNotContain("Add a [Dense(1, Activation.Sigmoid)] output layer", await TitlesAsync("""
            using TypedNets;

            [Network, Input(5, 4), Loss(LossKind.BinaryCrossEntropy)]
            public partial class Net
            {
                [Lstm(8, ReturnSequences = true)] public partial LstmLayer Encoder { get; }
                [Dropout(0.2)] public partial DropoutLayer Drop { get; }
            }
            """, "TN0018"));
    }

    [Fact]
    public async Task TN0018_BinaryLossAfterADenseOnASequence_GetsNoOutputLayer()
    {
        // The Dense runs on every step of the [steps, features] input, so a Dense output after the Dropout would too.
        Assert.DoesNotContain("Add a [Dense(1, Activation.Sigmoid)] output layer", await TitlesAsync("""
            using TypedNets;

            [Network, Input(5, 4), Loss(LossKind.BinaryCrossEntropy)]
            public partial class Net
            {
                [Dense(8, Activation.ReLU)] public partial DenseLayer Hidden { get; }
                [Dropout(0.2)] public partial DropoutLayer Drop { get; }
            }
            """, "TN0018"));
    }

    [Fact]
    public async Task TN0017_SoftmaxOverOneUnit_BecomesSigmoid()
    {
        string fixedSource = await ApplyAsync("""
            using TypedNets;

            [Network, Input(4)]
            public partial class Net
            {
                [Dense(1, TypedNets.Activation.Softmax)] public partial DenseLayer Output { get; }
            }
            """, "TN0017", "TypedNets.OutputActivation", "Use Activation.Sigmoid on 'Output'");

        Assert.Equal("""
            using TypedNets;

            [Network, Input(4)]
            public partial class Net
            {
                [Dense(1, TypedNets.Activation.Sigmoid)] public partial DenseLayer Output { get; }
            }
            """, fixedSource);
        AssertCompilesClean(fixedSource);
    }

    [Fact]
    public async Task TN0001_NetworkNotPartial_BecomesPartial()
    {
        string fixedSource = await ApplyAsync("""
            using TypedNets;

            [Network, Input(10)]
            public sealed class Plain
            {
                [Dense(2)] public partial DenseLayer Output { get; }
            }
            """, "TN0001", "TypedNets.MakePartial", "Make 'Plain' partial");

        Assert.Equal("""
            using TypedNets;

            [Network, Input(10)]
            public sealed partial class Plain
            {
                [Dense(2)] public partial DenseLayer Output { get; }
            }
            """, fixedSource);
        AssertCompilesClean(fixedSource);
    }

    [Fact]
    public async Task TN0002_LayerNotPartial_BecomesPartial()
    {
        string fixedSource = await ApplyAsync("""
            using TypedNets;

            [Network, Input(10)]
            partial class Net
            {
                [Dense(2)]
                DenseLayer Output { get; }
            }
            """, "TN0002", "TypedNets.MakePartial", "Make 'Output' partial");

        Assert.Equal("""
            using TypedNets;

            [Network, Input(10)]
            partial class Net
            {
                [Dense(2)]
                partial DenseLayer Output { get; }
            }
            """, fixedSource);
        AssertCompilesClean(fixedSource);
    }
}
