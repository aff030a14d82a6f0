using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// One test (at least) per diagnostic id: the id, the line, the exact text under the span and the full message.
/// Every test also requires that no compiler error lands inside generated code: a declaration error must surface as a
/// TypedNets diagnostic on the user's line, never as a CS error in a file the user did not write.
/// </summary>
public partial class DiagnosticTests
{
    private const DiagnosticSeverity Error = DiagnosticSeverity.Error;

    // The documentation site docs/docfx.json builds; every diagnostic's help link is one of its pages.
    private const string DocumentationSite = "https://typednets.github.io/typednets/";

    [Fact]
    public void TN0001_NetworkNotPartial()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public class Plain
            {
                [Dense(2)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0001", Error, 4, "Plain",
            "'Plain' must be declared partial, so that the generator can add the network's forward and backward passes");

        // The network's surface is still generated (see OneErrorTests); the compiler then names the same mistake.
        Expect.NothingInGeneratedCode(run);
        Assert.Equal(["CS0260"], run.CompilerDiagnostics.Select(diagnostic => diagnostic.Id));
    }

    [Fact]
    public void TN0001_EnclosingTypeNotPartial()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            public class Outer
            {
                [Network, Input(10)]
                public partial class Inner
                {
                    [Dense(2)] public partial DenseLayer Output { get; }
                }
            }
            """);

        Expect.Diagnostic(run, "TN0001", Error, 3, "Outer",
            "'Outer' must be declared partial because it encloses network 'Inner', so that the generator can add the network's forward and backward passes");
        Expect.NothingInGeneratedCode(run);
        Assert.Equal(["CS0260"], run.CompilerDiagnostics.Select(diagnostic => diagnostic.Id));
    }

    [Fact]
    public void TN0002_LayerNotPartial()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dense(2)] internal DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0002", Error, 6, "Output",
            "Layer 'Output' must be declared as a partial property: 'internal partial DenseLayer Output { get; }'");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0003_MissingInput()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network]
            public partial class Net
            {
                [Dense(2)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0003", Error, 4, "Net",
            "Network 'Net' has no [Input] attribute; declare the shape of one sample, for example [Input(10)] for ten features, or [TokenInput(100)] for 100 token ids");
        Expect.NothingInGeneratedCode(run);
    }

    [Theory]
    [InlineData("Input(0)", "[0]", "every dimension must be positive")]
    [InlineData("Input(10, -3)", "[10, -3]", "every dimension must be positive")]
    [InlineData("Input()", "[]", "a sample has one to three dimensions ([features], [steps, features] or [channels, height, width]), not 0")]
    [InlineData("Input(1, 2, 3, 4)", "[1, 2, 3, 4]", "a sample has one to three dimensions ([features], [steps, features] or [channels, height, width]), not 4")]
    [InlineData("Input(65536, 32768)", "[65536, 32768]", "one sample would hold more than 2,147,483,647 elements")]
    public void TN0004_InvalidInputShape(string attribute, string shape, string problem)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, {{attribute}}]
            public partial class Net
            {
                [Dense(2)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0004", Error, 3, attribute, $"Network 'Net' declares input shape {shape}, but {problem}");
        Expect.NothingInGeneratedCode(run);
    }

    [Theory]
    [InlineData("Dense(0)", "0", "0")]
    [InlineData("Dense(activation: Activation.ReLU, units: -4)", "-4", "-4")]
    public void TN0005_NonPositiveUnits(string attribute, string spanText, string units)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dense(8)] public partial DenseLayer Hidden { get; }
                [{{attribute}}] public partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0005", Error, 7, spanText, $"Layer 'Output' (Dense) declares {units} units; a layer needs at least 1");
        Expect.NothingInGeneratedCode(run);
    }

    [Theory]
    [InlineData("1.5", "1.5")]
    [InlineData("rate: -0.1", "-0.1")]
    [InlineData("1", "1")]
    [InlineData("double.NaN", "NaN")]
    public void TN0006_DropoutRateOutOfRange(string argument, string rate)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dropout({{argument}})] public partial DropoutLayer Drop { get; }
                [Dense(2)] public partial DenseLayer Output { get; }
            }
            """);

        // The span is the argument's expression, without a parameter name.
        string spanText = argument.StartsWith("rate: ", StringComparison.Ordinal) ? argument["rate: ".Length..] : argument;
        Expect.Diagnostic(run, "TN0006", Error, 6, spanText,
            $"Layer 'Drop' (Dropout) declares rate {rate}, but a dropout rate is a probability in [0, 1), such as 0.5");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0006_QuickstartWithRateAboveOne()
    {
        // The acceptance case: the tutorial's own declaration with one typo must fail on that attribute's line with
        // the TypedNets error alone, not with compiler errors about missing implementations piled on top.
        string quickstart = RepositoryFiles.Read("examples/Quickstart/BinaryClassifier.cs");
        Assert.Contains("Dropout(0.5)", quickstart);
        string broken = quickstart.Replace("Dropout(0.5)", "Dropout(1.5)");
        int line = broken.Replace("\r\n", "\n").Split('\n').ToList().FindIndex(text => text.Contains("[Dropout(1.5)]", StringComparison.Ordinal)) + 1;

        GeneratorRun run = GeneratorHarness.Run(broken);

        Expect.Diagnostic(run, "TN0006", Error, line, "1.5",
            "Layer 'Drop' (Dropout) declares rate 1.5, but a dropout rate is a probability in [0, 1), such as 0.5");
        Assert.Equal(["TN0006"], run.GeneratorDiagnostics.Select(diagnostic => diagnostic.Id));
        Expect.CompilesCleanly(run);

        // What the build sees: every error is a TypedNets error.
        var errors = run.Output.GetDiagnostics().Concat(run.GeneratorDiagnostics).Where(d => d.Severity == Error).ToList();
        Assert.NotEmpty(errors);
        Assert.All(errors, error => Assert.StartsWith("TN", error.Id, StringComparison.Ordinal));
    }

    [Fact]
    public void TN0007_MultipleLayerAttributes()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dense(2), Dropout(0.5)]
                public partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0007", Error, 6, "Dropout(0.5)",
            "Property 'Output' carries both [Dense] and [Dropout]; declare one layer per property");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0008_NoLayers()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public partial class Empty
            {
                public DenseLayer? NotALayer { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0008", Error, 4, "Empty",
            "Network 'Empty' declares no layers; add a partial property with a layer attribute, for example [Dense(10)] public partial DenseLayer Output { get; }");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0009_DenseOnAnImage()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(1, 28, 28)]
            public partial class Net
            {
                [Dense(10, Activation.Softmax)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0009", Error, 6, "Dense(10, Activation.Softmax)",
            "Layer 'Output' (Dense) needs a vector [features] or a sequence [steps, features] but receives [1, 28, 28] from the input; add a [Flatten] layer before it");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0009_NamesThePreviousLayer()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(2, 4, 4)]
            public partial class Net
            {
                [Dropout(0.1)] public partial DropoutLayer Noise { get; }
                [Dense(3)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0009", Error, 7, "Dense(3)",
            "Layer 'Output' (Dense) needs a vector [features] or a sequence [steps, features] but receives [2, 4, 4] from 'Noise'; add a [Flatten] layer before it");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0010_WrongLayerType()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dense(2)] public partial DropoutLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0010", Error, 6, "DropoutLayer",
            "Layer 'Output' is declared with [Dense], so its property must have type DenseLayer, not DropoutLayer");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0011_LayerNamedLikeAGeneratedConstant()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dense(2)] public partial DenseLayer Summary { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0011", Error, 6, "Summary",
            "'Summary' in network 'Net' clashes with the constant Summary that TypedNets generates; rename it");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void A_layer_named_like_a_runtime_member_is_no_clash()
    {
        // Forward is an extension member of the runtime, not generated into the class: the user's property simply
        // wins over it, as an instance member wins over an extension.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dense(2)] public partial DenseLayer Forward { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0011_OtherMemberNamedLikeAGeneratedOne()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dense(2)] public partial DenseLayer Output { get; }

                private readonly float[] _core = new float[3];
            }
            """);

        Expect.Diagnostic(run, "TN0011", Error, 8, "_core",
            "'_core' in network 'Net' clashes with the private field _core that TypedNets generates; rename it");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0011_FieldNamedLikeALayerField()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dense(2)] public partial DenseLayer Output { get; }

                private int _outputLayer;
            }
            """);

        Expect.Diagnostic(run, "TN0011", Error, 8, "_outputLayer",
            "'_outputLayer' in network 'Net' clashes with the private field _outputLayer that TypedNets generates; rename it");
        Expect.NothingInGeneratedCode(run);
    }

    [Theory]
    [InlineData("{ get; set; }", "public")]
    [InlineData("{ get; init; }", "public")]
    public void TN0012_LayerWithSetter(string accessors, string accessibility)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dense(2)] {{accessibility}} partial DenseLayer Output {{accessors}}
            }
            """);

        Expect.Diagnostic(run, "TN0012", Error, 6, "Output",
            $"Layer 'Output' must be an instance property with a get accessor only, such as '{accessibility} partial DenseLayer Output {{ get; }}'");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0012_StaticLayer()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dense(2)] public static partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0012", Error, 6, "Output",
            "Layer 'Output' must be an instance property with a get accessor only, such as 'public partial DenseLayer Output { get; }'");
        Expect.NothingInGeneratedCode(run);
    }

    [Theory]
    [InlineData("public partial record Net", "Net", "a network must be a class, not a record or struct")]
    [InlineData("public partial struct Net", "Net", "a network must be a class, not a record or struct")]
    [InlineData("public static partial class Net", "Net", "a network is instantiated and cannot be static")]
    [InlineData("public partial class Net<T>", "Net", "a network cannot be generic; its sizes are fixed at compile time")]
    public void TN0013_UnsupportedNetworkType(string header, string name, string problem)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(10)]
            {{header}}
            {
                [Dense(2)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0013", Error, 4, name, $"'{name}' cannot be a network: {problem}");

        // A static class cannot take the instance members of a network's surface; the other kinds get it.
        Assert.Equal(header.Contains("static", StringComparison.Ordinal) ? 0 : 1, run.GeneratedSources.Length);
        Expect.NothingInGeneratedCode(run);
    }

    [Theory]
    [InlineData("public partial class Outer<T>", "a network cannot be nested inside a generic type")]
    [InlineData("public partial struct Outer", "a network can be nested only inside classes")]
    [InlineData("public partial record Outer", "a network can be nested only inside classes")]
    public void TN0013_UnsupportedEnclosingType(string header, string problem)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            {{header}}
            {
                [Network, Input(10)]
                public partial class Net
                {
                    [Dense(2)] public partial DenseLayer Output { get; }
                }
            }
            """);

        Expect.Diagnostic(run, "TN0013", Error, 6, "Net", $"'Net' cannot be a network: {problem}");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0014_UnknownActivation()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dense(2, (Activation)42)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0014", Error, 6, "(Activation)42",
            "Layer 'Output' declares activation 42, which is not a member of TypedNets.Activation");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0015_DuplicateModuleName()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dense(4)] public partial DenseLayer HttpServer { get; }
                [Dense(2)] public partial DenseLayer HTTPServer { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0015", Error, 7, "HTTPServer",
            "Layers 'HttpServer' and 'HTTPServer' both map to the state_dict name 'http_server'; rename one of them");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0016_NetworkTooLarge()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(50000)]
            public partial class Net
            {
                [Dense(50000)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0016", Error, 6, "Dense(50000)",
            "Layer 'Output' brings the parameter count to 2,500,050,000, more than the 2,147,483,647 one buffer can index; use fewer units or a smaller input");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0017_SoftmaxOverOneUnit()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dense(1, Activation.Softmax)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0017", DiagnosticSeverity.Warning, 6, "Dense(1, Activation.Softmax)",
            "Layer 'Output' applies Softmax over 1 unit, which always outputs 1; use Sigmoid for one output, or 2 units with Softmax");

        // A warning does not stop generation: the whole network is emitted and compiles.
        Assert.Contains("public const int OutputSize = 1;", run.GeneratedSource("Net.g.cs"));
        Expect.CompilesCleanly(run);
    }

    [Theory]
    [InlineData("LossKind.CrossEntropy", "[Dense(2, Activation.Sigmoid)]",
        "Loss CrossEntropy needs an output layer with Softmax or no activation, but 'Output' uses Sigmoid; use Activation.Softmax, or BinaryCrossEntropy for one Sigmoid unit")]
    [InlineData("LossKind.CrossEntropy", "[Dense(1)]",
        "Loss CrossEntropy needs at least 2 output units, one per class, but 'Output' has 1; use 2 or more units, or BinaryCrossEntropy with one Sigmoid unit")]
    [InlineData("LossKind.BinaryCrossEntropy", "[Dense(2, Activation.Softmax)]",
        "Loss BinaryCrossEntropy needs an output layer with Sigmoid or no activation, but 'Output' uses Softmax; use Activation.Sigmoid, or CrossEntropy for a Softmax output")]
    [InlineData("LossKind.BinaryCrossEntropy", "[Dense(3, Activation.Sigmoid)]",
        "Loss BinaryCrossEntropy needs exactly 1 output unit, but 'Output' has 3; use [Dense(1, Activation.Sigmoid)], or CrossEntropy with Softmax for 3 classes")]
    [InlineData("LossKind.CrossEntropy", "[Dropout(0.5)]",
        "Loss CrossEntropy needs the network to end in a Dense layer, but it ends in 'Output' (Dropout); end it with a Dense layer with Softmax or no activation")]
    public void TN0018_LossDoesNotFitOutput(string loss, string outputAttribute, string message)
    {
        string type = outputAttribute.StartsWith("[Dropout", System.StringComparison.Ordinal) ? "DropoutLayer" : "DenseLayer";
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(10), Loss({{loss}})]
            public partial class Net
            {
                [Dense(8, Activation.ReLU)] public partial DenseLayer Hidden { get; }
                {{outputAttribute}} public partial {{type}} Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0018", Error, 3, $"Loss({loss})", message);
    }

    [Theory]
    [InlineData("LossKind.MeanSquaredError", "[Dense(2, Activation.Softmax)]")]
    [InlineData("LossKind.CrossEntropy", "[Dense(3)]")]
    [InlineData("LossKind.BinaryCrossEntropy", "[Dense(1, Activation.Sigmoid)]")]
    [InlineData("LossKind.Huber, Delta = 0.5", "[Dense(4, Activation.Tanh)]")]
    public void Losses_that_fit_their_output_compile_cleanly(string loss, string outputAttribute)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(10), Loss({{loss}})]
            public partial class Net
            {
                {{outputAttribute}} public partial DenseLayer Output { get; }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Expect.CompilesCleanly(run);
    }

    [Fact]
    public void TN0019_UnknownLoss()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10), Loss((LossKind)9)]
            public partial class Net
            {
                [Dense(2)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0019", Error, 3, "(LossKind)9",
            "Network 'Net' declares loss 9, which is not a member of TypedNets.LossKind");
    }

    [Fact]
    public void TN0020_InvalidLossParameter()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10), Loss(LossKind.Huber, Delta = -1)]
            public partial class Net
            {
                [Dense(2)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0020", Error, 3, "-1",
            "Loss Huber declares Delta = -1, but the delta must be a positive number, such as 1.0");
    }

    [Fact]
    public void TN0021_InvalidPenalty()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dense(2, L2 = -0.01)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0021", Error, 6, "-0.01",
            "Layer 'Output' declares L2 = -0.01, but a penalty factor must be a finite number >= 0, such as 0.01");
    }

    [Fact]
    public void TN0022_LayerImplemented()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dense(2)] public partial DenseLayer Output { get; }
                public partial DenseLayer Output => null!;
            }
            """);

        Expect.Diagnostic(run, "TN0022", Error, 7, "Output",
            "Layer 'Output' has an implementation of its own, but TypedNets implements layer properties; remove the implementing declaration and keep '{ get; }'");
    }

    [Fact]
    public void TN0023_NonPositiveSize()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, TokenInput(20)]
            public partial class Net
            {
                [Embedding(0, 8)] public partial EmbeddingLayer Embedding { get; }
                [Lstm(4)] public partial LstmLayer Encoder { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0023", Error, 6, "0",
            "Layer 'Embedding' (Embedding) declares vocabulary 0; it must be at least 1");
    }

    [Fact]
    public void TN0024_TwoInputs()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10), TokenInput(10)]
            public partial class Net
            {
                [Dense(2)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0024", Error, 3, "TokenInput(10)",
            "Network 'Net' declares both [Input] and [TokenInput]; keep [TokenInput(length)] for token ids, or [Input(...)] for float features");
    }

    [Fact]
    public void TN0025_TokensWithoutEmbedding()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, TokenInput(100)]
            public partial class Net
            {
                [Dense(64, Activation.ReLU)] public partial DenseLayer Hidden { get; }
                [Dense(2, Activation.Softmax)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0025", Error, 6, "Dense(64, Activation.ReLU)",
            "Network 'Net' takes token ids ([TokenInput(100)]) but its first layer 'Hidden' is Dense; start with an [Embedding(vocabulary, dimension)] layer");
    }

    [Theory]
    [InlineData("[Input(10)]", "[Lstm(8)] public partial LstmLayer Encoder { get; }",
        "Layer 'Encoder' (LSTM) needs a sequence [steps, features] but receives [10] from the input; feed it from an Embedding, a recurrent layer with ReturnSequences = true, or an [Input(steps, features)]")]
    [InlineData("[TokenInput(20)]", "[Embedding(100, 8)] public partial EmbeddingLayer Embedding { get; } [Lstm(8)] public partial LstmLayer First { get; } [Gru(4)] public partial GruLayer Second { get; }",
        "Layer 'Second' (GRU) needs a sequence [steps, features] but receives [8] from 'First'; set ReturnSequences = true on 'First'")]
    [InlineData("[Input(10)]", "[GlobalAveragePooling1D] public partial GlobalAveragePooling1DLayer Pool { get; }",
        "Layer 'Pool' (GlobalAveragePooling1D) needs a sequence [steps, features] but receives [10] from the input; feed it from an Embedding, a recurrent layer with ReturnSequences = true, or an [Input(steps, features)]")]
    [InlineData("[Input(10)]", "[Embedding(100, 8)] public partial EmbeddingLayer Embedding { get; }",
        "Layer 'Embedding' (Embedding) needs token ids from [TokenInput(length)] but receives [10] from the input; make it the first layer of a network declared with [TokenInput(length)]")]
    public void TN0009_SequenceShapes(string input, string layers, string message)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, {{input.Trim('[', ']')}}]
            public partial class Net
            {
                {{layers}}
            }
            """);

        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics, candidate => candidate.Id == "TN0009");
        Assert.Equal(message, diagnostic.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal(6, diagnostic.Location.GetLineSpan().StartLinePosition.Line + 1);
    }

    [Fact]
    public void The_tutorial_text_classifier_compiles_cleanly()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, TokenInput(100), Loss(LossKind.CrossEntropy)]
            public partial class TextClassifier
            {
                [Embedding(10000, 128)] public partial EmbeddingLayer Embedding { get; }
                [Lstm(64)] public partial LstmLayer Encoder { get; }
                [Dropout(0.5)] public partial DropoutLayer Drop1 { get; }
                [Dense(64, Activation.ReLU)] public partial DenseLayer Hidden { get; }
                [Dropout(0.5)] public partial DropoutLayer Drop2 { get; }
                [Dense(2, Activation.Softmax)] public partial DenseLayer Output { get; }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Expect.CompilesCleanly(run);
        Assert.Contains("public const int ParameterCount = 1333954;", run.GeneratedSource("TextClassifier.g.cs"));
    }

    [Fact]
    public void TN0026_SoftmaxOnAConvolution()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(1, 28, 28)]
            public partial class Net
            {
                [Conv2D(8, 3, Activation = Activation.Softmax)] public partial Conv2DLayer Conv { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0026", Error, 6, "Activation.Softmax",
            "Layer 'Conv' (Conv2D) cannot apply Softmax; use ReLU or no activation here, and Softmax on a Dense output layer");
    }

    [Fact]
    public void TN0027_InvalidBatchNorm()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(16)]
            public partial class Net
            {
                [BatchNorm(Momentum = 1.5)] public partial BatchNormLayer Norm { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0027", Error, 6, "1.5",
            "Layer 'Norm' (BatchNorm) declares Momentum = 1.5, but it must be a fraction in [0, 1], such as 0.1");
    }

    [Theory]
    [InlineData("[Input(1, 5, 5)]", "[Conv2D(8, 7)] public partial Conv2DLayer Conv { get; }", "Conv2D(8, 7)",
        "Layer 'Conv' (Conv2D) with kernel 7, stride 1, padding 0 turns [1, 5, 5] into [8, 0, 0]; use a smaller kernel or more padding, or a larger input")]
    [InlineData("[Input(3, 4, 4)]", "[MaxPool2D(5)] public partial Pool2DLayer Pool { get; }", "MaxPool2D(5)",
        "Layer 'Pool' (MaxPool2D) with window 5, stride 5 turns [3, 4, 4] into [3, 0, 0]; use a smaller window, or pool earlier in the network")]
    public void TN0028_WindowTooLarge(string input, string layer, string span, string message)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, {{input.Trim('[', ']')}}]
            public partial class Net
            {
                {{layer}}
            }
            """);

        Expect.Diagnostic(run, "TN0028", Error, 6, span, message);
    }

    [Fact]
    public void TN0023_ConvolutionSizes()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(1, 28, 28)]
            public partial class Net
            {
                [Conv2D(8, 3, Padding = -1)] public partial Conv2DLayer Conv { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0023", Error, 6, "-1",
            "Layer 'Conv' (Conv2D) declares padding -1; it must be at least 0");
    }

    [Theory]
    [InlineData("[Input(784)]", "[Conv2D(8, 3)] public partial Conv2DLayer Conv { get; }",
        "Layer 'Conv' (Conv2D) needs an image [channels, height, width] but receives [784] from the input; declare the input as [Input(channels, height, width)]")]
    [InlineData("[Input(1, 28, 28)]", "[Flatten] public partial FlattenLayer Flat { get; } [MaxPool2D(2)] public partial Pool2DLayer Pool { get; }",
        "Layer 'Pool' (MaxPool2D) needs an image [channels, height, width] but receives [784] from 'Flat'; remove the [Flatten] layer 'Flat' before it")]
    [InlineData("[Input(1, 28, 28)]", "[Conv2D(8, 3)] public partial Conv2DLayer Conv { get; } [Dense(10)] public partial DenseLayer Output { get; }",
        "Layer 'Output' (Dense) needs a vector [features] or a sequence [steps, features] but receives [8, 26, 26] from 'Conv'; add a [Flatten] layer before it")]
    public void TN0009_ImageShapes(string input, string layers, string message)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, {{input.Trim('[', ']')}}]
            public partial class Net
            {
                {{layers}}
            }
            """);

        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics, candidate => candidate.Id == "TN0009");
        Assert.Equal(message, diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("Dense(64, Activaton = Activation.ReLU)", "Activaton", "CS0246")]
    [InlineData("Dense(64, activaton: Activation.ReLU)", "activaton", "CS1739")]
    [InlineData("Dense(64, Activation.Relu)", "Relu", "CS0117")]
    [InlineData("Conv2D(8, 3, Strides = 2)", "Strides", "CS0246")]
    public void Misspelt_attribute_argument_is_the_compilers_one_error(string attribute, string spanText, string id)
    {
        // The compiler reports the misspelling on the user's line. The generator adds nothing: no TypedNets error
        // about shapes it cannot know, and the layer property is still implemented (no CS9248 for it).
        bool image = attribute.StartsWith("Conv2D", StringComparison.Ordinal);
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, {{(image ? "Input(1, 8, 8)" : "Input(10)")}}]
            public partial class Net
            {
                [{{attribute}}] public partial {{(image ? "Conv2DLayer" : "DenseLayer")}} Hidden { get; }
                [Flatten] public partial FlattenLayer Flat { get; }
                [Dense(2)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorException(run);
        Assert.Empty(run.GeneratorDiagnostics);
        Diagnostic error = Assert.Single(run.CompilerDiagnostics, diagnostic => diagnostic.Severity == Error);
        Assert.Equal(id, error.Id);
        Assert.Equal(GeneratorHarness.SourcePath, error.Location.SourceTree?.FilePath);
        Assert.Equal(6, error.Location.GetLineSpan().StartLinePosition.Line + 1);
        Assert.Equal(spanText, error.Location.SourceTree!.GetText().ToString(error.Location.SourceSpan));
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0999_InternalError()
    {
        // The parser trusts the DSL's constructor shapes. A source type that takes the place of the DSL's
        // attribute (the compiler prefers it, with warning CS0436) breaks that trust and makes the parser throw;
        // the generator must then report TN0999 on the network instead of crashing the build.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dense] public partial DenseLayer Output { get; }
            }

            namespace TypedNets
            {
                [System.AttributeUsage(System.AttributeTargets.Property)]
                public sealed class DenseAttribute : System.Attribute
                {
                }
            }
            """);

        Expect.Diagnostic(run, "TN0999", Error, 4, "Net",
            "The TypedNets generator failed on 'Net' (IndexOutOfRangeException: Index was outside the bounds of the array.); please report this with the declaration");
        Assert.Null(run.Result.Exception);
    }

    [Fact]
    public void WarningCanBeSuppressedWithPragma()
    {
        // Diagnostics keep a tree and span and rebuild a real location, so #pragma applies to them.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
            #pragma warning disable TN0017
                [Dense(1, Activation.Softmax)] public partial DenseLayer Output { get; }
            #pragma warning restore TN0017
            }
            """);

        Expect.NoGeneratorException(run);
        Diagnostic warning = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("TN0017", warning.Id);
        Assert.True(warning.IsSuppressed, "TN0017 under #pragma warning disable should be suppressed.");
    }

    // A network with embedded weights: output.weight [2, 3] and output.bias [2]. The user's call keeps the test honest
    // about generated members: with any weights error, LoadEmbeddedWeights must still exist for it to compile.
    private const string EmbeddedNetwork = """
        using TypedNets;

        [Network, Input(3), EmbeddedWeights("net.safetensors.b64")]
        public partial class Net
        {
            [Dense(2)] public partial DenseLayer Output { get; }

            public static void Reload(Net net) => net.LoadEmbeddedWeights();
        }
        """;

    private const string EmbeddedAttribute = "EmbeddedWeights(\"net.safetensors.b64\")";

    private static readonly WeightsFiles.Tensor OutputWeight = new("output.weight", [2, 3]);
    private static readonly WeightsFiles.Tensor OutputBias = new("output.bias", [2]);

    [Fact]
    public void TN0029_EmbeddedWeightsFileNotFound()
    {
        // A base64 file of another name is there, but not the one named.
        GeneratorRun run = GeneratorHarness.Run(EmbeddedNetwork, WeightsFiles.Base64File("/project/other.safetensors.b64", OutputWeight, OutputBias));

        Expect.Diagnostic(run, "TN0029", Error, 3, EmbeddedAttribute,
            "Network 'Net' embeds weights from 'net.safetensors.b64', but no AdditionalFiles item has that name; add <AdditionalFiles Include=\"net.safetensors.b64\" /> to the project file");
        Expect.CompilesCleanly(run);
    }

    [Theory]
    [InlineData("net.safetensors.b64", "2 AdditionalFiles items match it ('/project/a/net.safetensors.b64', '/project/b/net.safetensors.b64'); name one by more of its path, such as 'Weights/net.safetensors.b64'")]
    [InlineData("", "the name is empty; name a base64 safetensors file, such as 'classifier.safetensors.b64', that SafeTensors.SaveBase64 wrote")]
    [InlineData("net.safetensors", "the name does not end in '.b64'; embedded weights are a base64 safetensors file, such as 'classifier.safetensors.b64', that SafeTensors.SaveBase64 writes")]
    public void TN0029_EmbeddedWeightsFileNameAmbiguousOrInvalid(string name, string problem)
    {
        string source = EmbeddedNetwork.Replace("net.safetensors.b64", name);
        GeneratorRun run = GeneratorHarness.Run(
            source,
            WeightsFiles.Base64File("/project/a/net.safetensors.b64", OutputWeight, OutputBias),
            WeightsFiles.Base64File("/project/b/net.safetensors.b64", OutputWeight, OutputBias));

        Expect.Diagnostic(run, "TN0029", Error, 3, $"EmbeddedWeights(\"{name}\")", $"Network 'Net' embeds weights from '{name}', but {problem}");
        Expect.NothingInGeneratedCode(run);
    }

    public static TheoryData<string, string> MalformedWeightsFiles() => new()
    {
        {
            "AAAA\nAB!C\n",
            "line 2, column 3 holds '!', which is not a base64 character (A-Z, a-z, 0-9, '+', '/', and '=' at the end)"
        },
        {
            "AAAA\nAAA",
            "it holds 7 base64 characters, not a multiple of 4, so the text is cut short or has characters missing"
        },
        {
            WeightsFiles.Base64([1, 2, 3, 4]),
            "it decodes to 4 bytes, fewer than the 8 of a safetensors file's header length field"
        },
        {
            WeightsFiles.Base64([.. BitConverter.GetBytes(1000UL), .. "{}"u8]),
            "the header length field says 1000 bytes, but only 2 bytes follow it; the file is truncated or not a safetensors file"
        },
        {
            WeightsFiles.Base64(WeightsFiles.File("""{"output.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},}""", new byte[24])),
            "expected a tensor name (a string) but found '}', at character 70 of the header"
        },
        {
            WeightsFiles.Base64(WeightsFiles.File("""{"output.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"output.bias":{"dtype":"F32","shape":[2],"data_offsets":[28,36]}}""", new byte[36])),
            "tensor 'output.bias' starts at byte 28, but the tensor before it, 'output.weight', ends at byte 24, leaving 4 bytes that belong to no tensor; tensors must follow one another without gaps or overlaps"
        },
        {
            WeightsFiles.Base64(WeightsFiles.File("""{"output.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}""", new byte[20])),
            "tensor 'output.weight' has data_offsets [0, 20], 20 bytes, but shape [2, 3] of F32 takes 6 x 4 = 24 bytes; the offsets, the shape and the dtype must agree"
        },
    };

    [Theory]
    [MemberData(nameof(MalformedWeightsFiles))]
    public void TN0030_MalformedEmbeddedWeights(string text, string problem)
    {
        GeneratorRun run = GeneratorHarness.Run(EmbeddedNetwork, WeightsFiles.Text("/project/net.safetensors.b64", text));

        Expect.Diagnostic(run, "TN0030", Error, 3, EmbeddedAttribute,
            $"Embedded weights 'net.safetensors.b64' for network 'Net' are not a base64-encoded safetensors file: {problem}; write them with SafeTensors.SaveBase64");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0031_EmbeddedWeightsMissATensor()
    {
        GeneratorRun run = GeneratorHarness.Run(EmbeddedNetwork, WeightsFiles.Base64File("/project/net.safetensors.b64", OutputWeight));

        Expect.Diagnostic(run, "TN0031", Error, 3, EmbeddedAttribute,
            "Embedded weights 'net.safetensors.b64' for network 'Net' have no tensor 'output.bias', which layer 'Output' (Dense) needs with shape [2]; save the weights of this network with SafeTensors.SaveBase64");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0031_EmbeddedWeightsHoldAnotherTensor()
    {
        GeneratorRun run = GeneratorHarness.Run(
            EmbeddedNetwork,
            WeightsFiles.Base64File("/project/net.safetensors.b64", new WeightsFiles.Tensor("hidden.weight", [4, 3]), OutputWeight, OutputBias));

        Expect.Diagnostic(run, "TN0031", Error, 3, EmbeddedAttribute,
            "Embedded weights 'net.safetensors.b64' for network 'Net' have a tensor 'hidden.weight' F32 [4, 3] that no layer of the network has; save the weights of this network, or declare the layer the tensor belongs to");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0032_EmbeddedTensorHasAnotherShape()
    {
        GeneratorRun run = GeneratorHarness.Run(EmbeddedNetwork, WeightsFiles.Base64File("/project/net.safetensors.b64", new WeightsFiles.Tensor("output.weight", [2, 4]), OutputBias));

        Expect.Diagnostic(run, "TN0032", Error, 3, EmbeddedAttribute,
            "Embedded weights 'net.safetensors.b64' for network 'Net' give tensor 'output.weight' shape [2, 4], but layer 'Output' (Dense) needs shape [2, 3]; save the weights of this network, or declare the layer to match them");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0032_EmbeddedTensorIsNotFloat32()
    {
        GeneratorRun run = GeneratorHarness.Run(EmbeddedNetwork, WeightsFiles.Base64File("/project/net.safetensors.b64", OutputWeight with { Dtype = "F16" }, OutputBias));

        Expect.Diagnostic(run, "TN0032", Error, 3, EmbeddedAttribute,
            "Embedded weights 'net.safetensors.b64' for network 'Net' give tensor 'output.weight' dtype F16, but layer 'Output' (Dense) needs F32; convert the weights to float32 before saving them (tensor.float() in PyTorch)");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0033_EmbeddedWeightIsNaN()
    {
        GeneratorRun run = GeneratorHarness.Run(EmbeddedNetwork, WeightsFiles.Base64File("/project/net.safetensors.b64", OutputWeight with { Replaced = [(4, float.NaN)] }, OutputBias));

        Expect.Diagnostic(run, "TN0033", Error, 3, EmbeddedAttribute,
            "Embedded weights 'net.safetensors.b64' for network 'Net' hold NaN in tensor 'output.weight' at element 4 (index [1, 1] in shape [2, 3]), its only non-finite value; " +
            "a network with a NaN or infinite weight predicts NaN: embed weights saved before training diverged, or set AllowNonFinite = true on [EmbeddedWeights] to embed them as they are");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0033_EmbeddedWeightsAreInfiniteInTwoTensors()
    {
        // One error per tensor, at its first non-finite element, with the count of the others.
        GeneratorRun run = GeneratorHarness.Run(
            EmbeddedNetwork,
            WeightsFiles.Base64File(
                "/project/net.safetensors.b64",
                OutputWeight with { Replaced = [(5, float.NaN), (2, float.NegativeInfinity), (3, float.PositiveInfinity)] },
                OutputBias with { Replaced = [(1, float.PositiveInfinity)] }));

        string[] messages = run.GeneratorDiagnostics.Where(diagnostic => diagnostic.Id == "TN0033")
            .Select(diagnostic => diagnostic.GetMessage(CultureInfo.InvariantCulture)).ToArray();
        const string Fix = "a network with a NaN or infinite weight predicts NaN: embed weights saved before training diverged, or set AllowNonFinite = true on [EmbeddedWeights] to embed them as they are";
        Assert.Equal(
            [
                $"Embedded weights 'net.safetensors.b64' for network 'Net' hold -Infinity in tensor 'output.weight' at element 2 (index [0, 2] in shape [2, 3]), the first of its 3 non-finite values; {Fix}",
                $"Embedded weights 'net.safetensors.b64' for network 'Net' hold Infinity in tensor 'output.bias' at element 1 (index [1] in shape [2]), its only non-finite value; {Fix}",
            ],
            messages);
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void Non_finite_embedded_weights_compile_when_allowed()
    {
        GeneratorRun run = GeneratorHarness.Run(
            EmbeddedNetwork.Replace("EmbeddedWeights(\"net.safetensors.b64\")", "EmbeddedWeights(\"net.safetensors.b64\", AllowNonFinite = true)", StringComparison.Ordinal),
            WeightsFiles.Base64File("/project/net.safetensors.b64", OutputWeight with { Replaced = [(4, float.NaN)] }, OutputBias));

        Assert.Empty(run.GeneratorDiagnostics);
        Expect.CompilesCleanly(run);
    }

    private const string EmbeddedBatchNormNetwork = """
        using TypedNets;

        [Network, Input(3), EmbeddedWeights("net.safetensors.b64")]
        public partial class Net
        {
            [BatchNorm] public partial BatchNormLayer Norm { get; }
            [Dense(2)] public partial DenseLayer Output { get; }
        }
        """;

    private static readonly WeightsFiles.Tensor[] NormParameters = [new("norm.weight", [3]), new("norm.bias", [3])];

    [Fact]
    public void TN0031_EmbeddedWeightsMissTheRunningStatistics()
    {
        GeneratorRun run = GeneratorHarness.Run(
            EmbeddedBatchNormNetwork,
            WeightsFiles.Base64File("/project/net.safetensors.b64", [.. NormParameters, new("norm.running_mean", [3]), OutputWeight, OutputBias]));

        Expect.Diagnostic(run, "TN0031", Error, 3, EmbeddedAttribute,
            "Embedded weights 'net.safetensors.b64' for network 'Net' have no tensor 'norm.running_var', which layer 'Norm' (BatchNorm) needs with shape [3]; save the weights of this network with SafeTensors.SaveBase64");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0032_EmbeddedBatchCounterIsNotAnInt64Scalar()
    {
        GeneratorRun run = GeneratorHarness.Run(
            EmbeddedBatchNormNetwork,
            WeightsFiles.Base64File(
                "/project/net.safetensors.b64",
                [.. NormParameters, new("norm.running_mean", [3]), new("norm.running_var", [3]), new("norm.num_batches_tracked", [1]), OutputWeight, OutputBias]));

        Expect.Diagnostic(run, "TN0032", Error, 3, EmbeddedAttribute,
            "Embedded weights 'net.safetensors.b64' for network 'Net' give tensor 'norm.num_batches_tracked' F32 of shape [1], but layer 'Norm' (BatchNorm) needs I64 of shape []; save num_batches_tracked as PyTorch does, or leave it out");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void Embedded_running_statistics_and_PyTorchs_batch_counter_compile_cleanly()
    {
        GeneratorRun run = GeneratorHarness.Run(
            EmbeddedBatchNormNetwork,
            WeightsFiles.Base64File(
                "/project/net.safetensors.b64",
                [.. NormParameters, new("norm.running_mean", [3]), new("norm.running_var", [3]), new("norm.num_batches_tracked", [], "I64"), OutputWeight, OutputBias]));

        Expect.CompilesCleanly(run);
    }

    [Fact]
    public void EveryDiagnosticIdHasATest()
    {
        // A new descriptor without a test here fails this test.
        string[] tested = typeof(DiagnosticTests).GetMethods()
            .Where(method => method.GetCustomAttributes<FactAttribute>().Any())
            .Select(method => method.Name.Split('_')[0])
            .ToArray();
        var ids = GeneratorInternals.Descriptors.Values.Select(descriptor => descriptor.Id).ToList();

        Assert.Equal(54, ids.Count);
        Assert.All(ids, id => Assert.Contains(id, tested));
    }

    [Fact]
    public void EveryDescriptorIsDocumentedAndListedInTheReleaseNotes()
    {
        string unshipped = RepositoryFiles.Read("src/Generator/AnalyzerReleases.Unshipped.md");
        string index = RepositoryFiles.Read("docs/diagnostics/README.md");
        string readme = RepositoryFiles.Read("README.md");
        foreach (DiagnosticDescriptor descriptor in GeneratorInternals.Descriptors.Values)
        {
            Assert.Matches("^TN[0-9]{4}$", descriptor.Id);
            Assert.Equal("TypedNets", descriptor.Category);
            Assert.True(descriptor.IsEnabledByDefault, descriptor.Id);
            Assert.False(string.IsNullOrWhiteSpace(descriptor.Description.ToString(CultureInfo.InvariantCulture)), descriptor.Id);
            // An absolute address an IDE can open: the page docfx builds from docs/diagnostics/{id}.md (docs/docfx.json).
            Assert.Equal($"{DocumentationSite}diagnostics/{descriptor.Id}.html", descriptor.HelpLinkUri);
            string row = $"{descriptor.Id} | TypedNets | {descriptor.DefaultSeverity} | {descriptor.Title.ToString(CultureInfo.InvariantCulture)}";
            Assert.Contains(row, unshipped);

            // A page per id whose heading is the descriptor's title, a row in the index and one in the README.
            string title = descriptor.Title.ToString(CultureInfo.InvariantCulture);
            Assert.StartsWith($"# {descriptor.Id}: {title}\n", RepositoryFiles.Read($"docs/diagnostics/{descriptor.Id}.md").Replace("\r\n", "\n"));
            Assert.Contains($"| [{descriptor.Id}]({descriptor.Id}.md) | {descriptor.DefaultSeverity} | {title} |", index);
            Assert.Contains($"| {descriptor.Id} |", readme);
        }

        Assert.Equal(GeneratorInternals.Descriptors.Count, GeneratorInternals.Descriptors.Values.Select(d => d.Id).Distinct().Count());
    }

    [Fact]
    public void TheMissingGeneratorErrorLinksToItsPageOnTheSameSite()
    {
        // TN0035 is MSBuild's error (src/Dsl/buildTransitive), not a descriptor: its link must follow the same rule.
        string targets = RepositoryFiles.Read("src/Dsl/buildTransitive/TypedNets.Dsl.targets");
        Assert.Contains($"HelpLink=\"{DocumentationSite}diagnostics/TN0035.html\"", targets);
        Assert.True(File.Exists(Path.Combine(RepositoryFiles.Root, "docs", "diagnostics", "TN0035.md")));
    }

    [Theory]
    [InlineData("0", "0")]
    [InlineData("-1", "-1")]
    [InlineData("double.NaN", "NaN")]
    [InlineData("double.PositiveInfinity", "Infinity")]
    public void TN0027_InvalidLayerNormEpsilon(string epsilon, string shown)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(16)]
            public partial class Net
            {
                [LayerNorm(Epsilon = {{epsilon}})] public partial LayerNormLayer Norm { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0027", Error, 6, epsilon,
            $"Layer 'Norm' (LayerNorm) declares Epsilon = {shown}, but it must be a positive number, such as 1e-5");
    }

    [Fact]
    public void TN0009_LayerNormOnAnImage()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(3, 4, 4)]
            public partial class Net
            {
                [LayerNorm] public partial LayerNormLayer Norm { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0009", Error, 6, "LayerNorm",
            "Layer 'Norm' (LayerNorm) needs a vector [features] or a sequence [steps, features] but receives [3, 4, 4] from the input; add a [Flatten] before it, or use [BatchNorm] to normalise image channels");
    }

    [Theory]
    [InlineData("100", "use an id below the vocabulary size, or enlarge the vocabulary")]
    [InlineData("-2", "for PyTorch's padding_idx=-2, which counts from the end, write PaddingIndex = 98")]
    public void TN0034_PaddingIndexOutsideVocabulary(string index, string fix)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, TokenInput(20)]
            public partial class Net
            {
                [Embedding(100, 16, PaddingIndex = {{index}})] public partial EmbeddingLayer Embedding { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0034", Error, 6, index,
            $"Layer 'Embedding' (Embedding) declares PaddingIndex = {index}, but its vocabulary has ids 0 to 100 - 1; {fix}");
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("0")]
    [InlineData("99")]
    public void TN0034_NotReportedForNoneOrAnIdOfTheVocabulary(string index)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, TokenInput(20)]
            public partial class Net
            {
                [Embedding(100, 16, PaddingIndex = {{index}})] public partial EmbeddingLayer Embedding { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
    }

    [Theory]
    [InlineData("MaxPool2D(3, Stride = 2, Padding = 2)", "MaxPool2D", "2", "3", "1")]
    [InlineData("AvgPool2D(2, Padding = 2)", "AvgPool2D", "2", "2", "1")]
    [InlineData("MaxPool2D(1, Padding = 1)", "MaxPool2D", "1", "1", "0")]
    public void TN0037_PoolPaddingTooLarge(string attribute, string kind, string padding, string size, string limit)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(3, 8, 8)]
            public partial class Net
            {
                [{{attribute}}] public partial Pool2DLayer Pool { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0037", Error, 6, padding,
            $"Layer 'Pool' ({kind}) declares padding {padding}, but a window of {size} takes at most {limit}, as in PyTorch; use a padding of at most {limit}, or a larger window");
    }

    [Theory]
    [InlineData("MaxPool2D(3, Stride = 2, Padding = 1)")]
    [InlineData("AvgPool2D(2, Stride = 1, Padding = 1)")]
    [InlineData("AvgPool2D(5, Padding = 2)")]
    public void TN0037_NotReportedForAtMostHalfTheWindow(string attribute)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(3, 8, 8)]
            public partial class Net
            {
                [{{attribute}}] public partial Pool2DLayer Pool { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
    }

    [Fact]
    public void TN0023_NegativePoolPadding()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(3, 8, 8)]
            public partial class Net
            {
                [AvgPool2D(2, Padding = -1)] public partial Pool2DLayer Pool { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0023", Error, 6, "-1",
            "Layer 'Pool' (AvgPool2D) declares padding -1; it must be at least 0");
    }

    [Fact]
    public void TN0028_PaddedPoolingWindowTooLarge()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(1, 2, 2)]
            public partial class Net
            {
                [MaxPool2D(5, Padding = 1)] public partial Pool2DLayer Pool { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0028", Error, 6, "MaxPool2D(5, Padding = 1)",
            "Layer 'Pool' (MaxPool2D) with window 5, stride 5, padding 1 turns [1, 2, 2] into [1, 0, 0]; use a smaller window, or pool earlier in the network");
    }
}
