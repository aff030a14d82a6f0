using System.Globalization;
using Microsoft.CodeAnalysis;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The diagnostics of <c>[Conv1D]</c>, <c>[MaxPool1D]</c> and <c>[AvgPool1D]</c> over sequences <c>[steps, features]</c>;
/// part of <see cref="DiagnosticTests"/>, so that <see cref="OneErrorTests"/> compiles their invalid declarations too.
/// </summary>
public partial class DiagnosticTests
{
    [Theory]
    [InlineData("0, 3", "0", "filters 0; it must be at least 1")]
    [InlineData("8, 0", "0", "kernel 0; it must be at least 1")]
    [InlineData("8, 3, Stride = 0", "0", "stride 0; it must be at least 1")]
    [InlineData("8, 3, Padding = -1", "-1", "padding -1; it must be at least 0")]
    [InlineData("8, 3, Dilation = 0", "0", "dilation 0; it must be at least 1")]
    [InlineData("8, 3, Groups = 0", "0", "groups 0; it must be at least 1")]
    public void TN0023_Conv1DSizeBelowItsMinimum(string arguments, string span, string message)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(20, 4)]
            public partial class Net
            {
                [Conv1D({{arguments}})] public partial Conv1DLayer Conv { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0023", Error, 6, span, $"Layer 'Conv' (Conv1D) declares {message}");
    }

    [Theory]
    [InlineData("MaxPool1D(0)", "0", "MaxPool1D", "size 0; it must be at least 1")]
    [InlineData("AvgPool1D(2, Stride = -1)", "-1", "AvgPool1D", "stride -1; it must be at least 0")]
    [InlineData("MaxPool1D(2, Padding = -1)", "-1", "MaxPool1D", "padding -1; it must be at least 0")]
    public void TN0023_Pool1DSizeBelowItsMinimum(string attribute, string span, string kind, string message)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(20, 4)]
            public partial class Net
            {
                [{{attribute}}] public partial Pool1DLayer Pool { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0023", Error, 6, span, $"Layer 'Pool' ({kind}) declares {message}");
    }

    [Theory]
    [InlineData("[Conv1D(8, 5)] public partial Conv1DLayer Conv { get; }", "Conv1D(8, 5)",
        "Layer 'Conv' (Conv1D) with kernel 5, stride 1, padding 0 turns [3, 4] into [0, 8]; use a smaller kernel or more padding, or a longer sequence")]
    [InlineData("[Conv1D(8, 2, Dilation = 3)] public partial Conv1DLayer Conv { get; }", "Conv1D(8, 2, Dilation = 3)",
        "Layer 'Conv' (Conv1D) with kernel 2 dilated by 3 (spanning 4), stride 1, padding 0 turns [3, 4] into [0, 8]; use a smaller kernel or dilation, more padding, or a longer sequence")]
    [InlineData("[MaxPool1D(4)] public partial Pool1DLayer Pool { get; }", "MaxPool1D(4)",
        "Layer 'Pool' (MaxPool1D) with window 4, stride 4 turns [3, 4] into [0, 4]; use a smaller window, or pool earlier in the network")]
    [InlineData("[AvgPool1D(6, Stride = 1, Padding = 1)] public partial Pool1DLayer Pool { get; }", "AvgPool1D(6, Stride = 1, Padding = 1)",
        "Layer 'Pool' (AvgPool1D) with window 6, stride 1, padding 1 turns [3, 4] into [0, 4]; use a smaller window, or pool earlier in the network")]
    public void TN0028_WindowLongerThanThePaddedSequence(string layer, string span, string message)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(3, 4)]
            public partial class Net
            {
                {{layer}}
            }
            """);

        Expect.Diagnostic(run, "TN0028", Error, 6, span, message);
    }

    [Fact]
    public void TN0028_NotReportedForAKernelThatJustFitsThePaddedSequence()
    {
        // 3 steps and a padding of 1 on each side hold the 5 taps once: one output step, as PyTorch's.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(3, 4)]
            public partial class Net
            {
                [Conv1D(8, 5, Padding = 1)] public partial Conv1DLayer Conv { get; }
                [MaxPool1D(1)] public partial Pool1DLayer Pool { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
    }

    [Theory]
    [InlineData("[Input(16)]", "[Conv1D(8, 3)] public partial Conv1DLayer Conv { get; }",
        "Layer 'Conv' (Conv1D) needs a sequence [steps, features] but receives [16] from the input; feed it from an Embedding, a recurrent layer with ReturnSequences = true, or an [Input(steps, features)]")]
    [InlineData("[Input(1, 28, 28)]", "[Conv1D(8, 3)] public partial Conv1DLayer Conv { get; }",
        "Layer 'Conv' (Conv1D) needs a sequence [steps, features] but receives [1, 28, 28] from the input; use [Conv2D] on an image, or declare the input as [Input(steps, features)]")]
    [InlineData("[Input(20, 4)]", "[Lstm(8)] public partial LstmLayer Encoder { get; } [MaxPool1D(2)] public partial Pool1DLayer Pool { get; }",
        "Layer 'Pool' (MaxPool1D) needs a sequence [steps, features] but receives [8] from 'Encoder'; set ReturnSequences = true on 'Encoder'")]
    [InlineData("[Input(3, 8, 8)]", "[AvgPool1D(2)] public partial Pool1DLayer Pool { get; }",
        "Layer 'Pool' (AvgPool1D) needs a sequence [steps, features] but receives [3, 8, 8] from the input; use [AvgPool2D] on an image, or declare the input as [Input(steps, features)]")]
    public void TN0009_Conv1DAndPool1DOnAVectorOrAnImage(string input, string layers, string message)
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
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(6, diagnostic.Location.GetLineSpan().StartLinePosition.Line + 1);
    }

    [Fact]
    public void TN0026_SoftmaxOnAConv1D()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(20, 4)]
            public partial class Net
            {
                [Conv1D(8, 3, Activation = Activation.Softmax)] public partial Conv1DLayer Conv { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0026", Error, 6, "Activation.Softmax",
            "Layer 'Conv' (Conv1D) cannot apply Softmax; use ReLU or no activation here, and Softmax on a Dense output layer");
    }

    [Theory]
    [InlineData("MaxPool1D(3, Padding = 2)", "MaxPool1D", "padding 2, but a window of 3 takes at most 1")]
    [InlineData("AvgPool1D(2, Stride = 1, Padding = 2)", "AvgPool1D", "padding 2, but a window of 2 takes at most 1")]
    public void TN0037_Pool1DPaddingAboveHalfTheWindow(string attribute, string kind, string message)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(20, 4)]
            public partial class Net
            {
                [{{attribute}}] public partial Pool1DLayer Pool { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0037", Error, 6, "2",
            $"Layer 'Pool' ({kind}) declares {message}, as in PyTorch; use a padding of at most 1, or a larger window");
    }

    [Fact]
    public void TN0038_Conv1DFiltersNotDivisibleByGroups()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(20, 4)]
            public partial class Net
            {
                [Conv1D(6, 3, Groups = 4)] public partial Conv1DLayer Conv { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0038", Error, 6, "4",
            "Layer 'Conv' (Conv1D) declares Groups = 4, but its filters 6 is not divisible by 4; use a number of filters that is a multiple of 4, or fewer groups");
    }

    [Fact]
    public void TN0038_Conv1DFeaturesNotDivisibleByGroups()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(20, 3)]
            public partial class Net
            {
                [Conv1D(6, 3, Groups = 2)] public partial Conv1DLayer Conv { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0038", Error, 6, "Conv1D(6, 3, Groups = 2)",
            "Layer 'Conv' (Conv1D) declares Groups = 2, but its input features 3 is not divisible by 2; use a number of groups that divides 3, or give the layer before it a multiple of 2 features");
    }

    [Theory]
    [InlineData("[Conv1D(8, 3, Padding = 1)] public partial Conv1DLayer Conv { get; }", 7, "Conv1D(8, 3, Padding = 1)", "Conv", "Conv1D")]
    [InlineData("[MaxPool1D(2)] public partial Pool1DLayer Pool { get; }", 7, "MaxPool1D(2)", "Pool", "MaxPool1D")]
    [InlineData("[Lstm(8, ReturnSequences = true)] public partial LstmLayer Encoder { get; }\n    [AvgPool1D(2)] public partial Pool1DLayer Pool { get; }", 8, "AvgPool1D(2)", "Pool", "AvgPool1D")]
    public void TN0050_PaddingMaskReachesALayerThatCannotUseIt(string layers, int line, string span, string layer, string kind)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, TokenInput(20)]
            public partial class Net
            {
                [Embedding(100, 8, MaskZero = true)] public partial EmbeddingLayer Tokens { get; }
                {{layers}}
            }
            """);

        Expect.Diagnostic(run, "TN0050", DiagnosticSeverity.Warning, line, span,
            $"Layer '{layer}' ({kind}) receives the padding mask of 'Tokens' (MaskZero = true) but cannot skip padded steps: it computes over them like any other step and drops the mask, as Keras 3 does; remove MaskZero, or set PaddingIndex = 0 on 'Tokens' so that padded steps are zero vectors");
        Expect.CompilesCleanly(run);
    }

    [Fact]
    public void TN0050_ReportedOnceWhereTheMaskIsDropped()
    {
        // The first convolution drops the mask, so the layers after it receive none.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, TokenInput(20)]
            public partial class Net
            {
                [Embedding(100, 8, MaskZero = true)] public partial EmbeddingLayer Tokens { get; }
                [Conv1D(8, 3)] public partial Conv1DLayer First { get; }
                [MaxPool1D(2)] public partial Pool1DLayer Pool { get; }
                [Conv1D(4, 3)] public partial Conv1DLayer Second { get; }
            }
            """);

        Diagnostic warning = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("TN0050", warning.Id);
        Assert.Equal(7, warning.Location.GetLineSpan().StartLinePosition.Line + 1);
        Expect.CompilesCleanly(run);
    }
}
