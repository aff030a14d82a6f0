using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The diagnostics of PyTorch's <c>nn.Conv2d</c> options (dilation, ...); part of <see cref="DiagnosticTests"/>, so that
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
}
