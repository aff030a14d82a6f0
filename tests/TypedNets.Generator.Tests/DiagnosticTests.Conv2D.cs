using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The diagnostics of PyTorch's <c>nn.Conv2d</c> options (dilation, <c>(height, width)</c> sizes, groups); part of <see cref="DiagnosticTests"/>, so that
/// <see cref="OneErrorTests"/> compiles their invalid declarations too.
/// </summary>
public partial class DiagnosticTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    public void TN0023_ConvolutionDilationBelowOne(string dilation)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(1, 28, 28)]
            public partial class Net
            {
                [Conv2D(8, 3, Dilation = {{dilation}})] public partial Conv2DLayer Conv { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0023", Error, 6, dilation,
            $"Layer 'Conv' (Conv2D) declares dilation {dilation}; it must be at least 1");
    }

    [Theory]
    [InlineData("[Conv2D(8, 3, Dilation = 3)]", "[1, 6, 6]", "kernel 3 dilated by 3 (spanning 7), stride 1, padding 0", "[8, 0, 0]")]
    [InlineData("[Conv2D(8, 4, Stride = 2, Dilation = 2)]", "[1, 6, 6]", "kernel 4 dilated by 2 (spanning 7), stride 2, padding 0", "[8, 0, 0]")]
    [InlineData("[Conv2D(8, 3, Dilation = 2147483647)]", "[1, 6, 6]", "kernel 3 dilated by 2147483647 (spanning 2147483647), stride 1, padding 0", "[8, 0, 0]")]
    public void TN0028_DilatedKernelLargerThanThePaddedInput(string attribute, string input, string window, string output)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(1, 6, 6)]
            public partial class Net
            {
                {{attribute}} public partial Conv2DLayer Conv { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0028", Error, 6, attribute.Trim('[', ']'),
            $"Layer 'Conv' (Conv2D) with {window} turns {input} into {output}; use a smaller kernel or dilation, more padding, or a larger input");
    }

    [Fact]
    public void TN0028_NotReportedForADilatedKernelThatJustFits()
    {
        // The kernel spans 2 (3 - 1) + 1 = 5 pixels, exactly the input: one output pixel, as PyTorch's.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(1, 5, 5)]
            public partial class Net
            {
                [Conv2D(8, 3, Dilation = 2)] public partial Conv2DLayer Conv { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
    }

    [Theory]
    [InlineData("KernelHeight = 0", "0", "KernelHeight 0; it must be at least 1")]
    [InlineData("KernelWidth = -3", "-3", "KernelWidth -3; it must be at least 1")]
    [InlineData("StrideHeight = 0", "0", "StrideHeight 0; it must be at least 1")]
    [InlineData("StrideWidth = 0", "0", "StrideWidth 0; it must be at least 1")]
    [InlineData("PaddingHeight = -1", "-1", "PaddingHeight -1; it must be at least 0")]
    [InlineData("PaddingWidth = -2", "-2", "PaddingWidth -2; it must be at least 0")]
    public void TN0023_ConvolutionSideBelowItsMinimum(string argument, string span, string message)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(1, 28, 28)]
            public partial class Net
            {
                [Conv2D(8, 3, {{argument}})] public partial Conv2DLayer Conv { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0023", Error, 6, span, $"Layer 'Conv' (Conv2D) declares {message}");
    }

    [Theory]
    [InlineData("3, KernelHeight = 1, KernelWidth = 5", "3",
        "sets both KernelHeight = 1 and KernelWidth = 5, so its kernel 3 is used by neither; set one of them and give the other side as the kernel, e.g. [Conv2D(filters, 3, KernelWidth = 5)] for PyTorch's kernel_size=(3, 5)")]
    [InlineData("3, Stride = 2, StrideHeight = 1, StrideWidth = 3", "2",
        "sets both StrideHeight = 1 and StrideWidth = 3, so its Stride 2 is used by neither; remove Stride, or set it and only the side that differs")]
    [InlineData("3, Padding = 1, PaddingHeight = 0, PaddingWidth = 2", "1",
        "sets both PaddingHeight = 0 and PaddingWidth = 2, so its Padding 1 is used by neither; remove Padding, or set it and only the side that differs")]
    public void TN0036_SquareSizeOverriddenOnBothSides(string arguments, string span, string message)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(1, 28, 28)]
            public partial class Net
            {
                [Conv2D(8, {{arguments}})] public partial Conv2DLayer Conv { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0036", Error, 6, span, $"Layer 'Conv' (Conv2D) {message}");
    }

    [Fact]
    public void TN0036_NotReportedForBothSidesWithoutASquareStrideOrPadding()
    {
        // Stride and Padding are optional: both sides may be given when the square value is left out.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(1, 28, 28)]
            public partial class Net
            {
                [Conv2D(8, 3, StrideHeight = 1, StrideWidth = 2, PaddingHeight = 0, PaddingWidth = 1)] public partial Conv2DLayer Conv { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
    }

    [Fact]
    public void TN0028_RectangularKernelWiderThanThePaddedInput()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(1, 8, 4)]
            public partial class Net
            {
                [Conv2D(8, 3, KernelWidth = 7, PaddingWidth = 1)] public partial Conv2DLayer Conv { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0028", Error, 6, "Conv2D(8, 3, KernelWidth = 7, PaddingWidth = 1)",
            "Layer 'Conv' (Conv2D) with kernel (3, 7), stride 1, padding (0, 1) turns [1, 8, 4] into [8, 6, 0]; use a smaller kernel or more padding, or a larger input");
    }

    [Fact]
    public void TN0023_ConvolutionGroupsBelowOne()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(4, 28, 28)]
            public partial class Net
            {
                [Conv2D(8, 3, Groups = 0)] public partial Conv2DLayer Conv { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0023", Error, 6, "0", "Layer 'Conv' (Conv2D) declares groups 0; it must be at least 1");
    }

    [Fact]
    public void TN0038_FiltersNotDivisibleByGroups()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(4, 28, 28)]
            public partial class Net
            {
                [Conv2D(6, 3, Groups = 4)] public partial Conv2DLayer Conv { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0038", Error, 6, "4",
            "Layer 'Conv' (Conv2D) declares Groups = 4, but its filters 6 is not divisible by 4; use a number of filters that is a multiple of 4, or fewer groups");
    }

    [Fact]
    public void TN0038_InputChannelsNotDivisibleByGroups()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(3, 28, 28)]
            public partial class Net
            {
                [Conv2D(6, 3, Groups = 2)] public partial Conv2DLayer Conv { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0038", Error, 6, "Conv2D(6, 3, Groups = 2)",
            "Layer 'Conv' (Conv2D) declares Groups = 2, but its input channels 3 is not divisible by 2; use a number of groups that divides 3, or give the layer before it a multiple of 2 channels");
    }
}
