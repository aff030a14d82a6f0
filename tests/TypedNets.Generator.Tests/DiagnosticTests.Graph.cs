using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The diagnostics of blocks and skip connections; part of <see cref="DiagnosticTests"/>, so that
/// <see cref="OneErrorTests"/> compiles their invalid declarations too.
/// </summary>
public partial class DiagnosticTests
{
    [Fact]
    public void TN0039_AddOfTwoShapes()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dense(8)] public partial DenseLayer Stem { get; }
                [Dense(4)] public partial DenseLayer Hidden { get; }
                [Add(nameof(Stem))] public partial AddLayer Join { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0039", Error, 8, "Add(nameof(Stem))",
            "Layer 'Join' (Add) cannot join 'Hidden' [4] with 'Stem' [8]: the two must have the same shape; read a layer of the same shape, or map one to the other's shape with a layer (a 1x1 Conv2D, a Dense) first");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0039_ConcatenateOfImagesOfTwoSizes()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(1, 8, 8)]
            public partial class UNet
            {
                [Conv2D(4, 3, Padding = 1)] public partial Conv2DLayer Down { get; }
                [MaxPool2D(2)] public partial Pool2DLayer Pool { get; }
                [Conv2D(8, 3, Padding = 1)] public partial Conv2DLayer Bottom { get; }
                [Concatenate(nameof(Down), nameof(Bottom))] public partial ConcatenateLayer Skip { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0039", Error, 9, "Concatenate(nameof(Down), nameof(Bottom))",
            "Layer 'Skip' (Concatenate) cannot join 'Down' [4, 8, 8] with 'Bottom' [8, 4, 4]: a concatenation joins the channels and needs every other dimension to agree; pool, stride or flatten one of them to the other's shape first");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0039_ResidualBlockThatChangesTheShapeWithoutAShortcut()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Residual(Activation = Activation.ReLU)]
            public partial class Widen
            {
                [Conv2D(8, 3, Padding = 1)] public partial Conv2DLayer Conv { get; }
            }

            [Network, Input(4, 6, 6)]
            public partial class Net
            {
                public partial Widen Block { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0039", Error, 3, "Residual(Activation = Activation.ReLU)",
            "Layer 'block' (Residual) cannot join 'block.conv' [8, 6, 6] with 'the input' [4, 6, 6]: a residual block's layers must keep the shape of its input, or the block needs a [Shortcut] that maps its input to their output's shape (as ResNet's downsample: a 1x1 Conv2D with the block's stride, and a BatchNorm)");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0040_ReferenceToALaterLayer()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dense(4)] public partial DenseLayer Hidden { get; }
                [Add(nameof(Output))] public partial AddLayer Join { get; }
                [Dense(4)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0040", Error, 7, "nameof(Output)",
            "Layer 'Join' reads 'Output', which is declared after it; a layer can read only layers declared before it");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0040_ReferenceOutOfScope()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Block]
            public partial class Branch
            {
                [From("Stem"), Dense(4)] public partial DenseLayer Inner { get; }
            }

            [Network, Input(10)]
            public partial class Net
            {
                [Dense(4)] public partial DenseLayer Stem { get; }
                public partial Branch Side { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0040", Error, 6, "\"Stem\"",
            "Layer 'Inner' reads 'Stem', which is not a layer of 'Branch'; name an earlier layer of the same block with nameof");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0041_ShortcutOutsideAResidualBlock()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Block]
            public partial class Plain
            {
                [Dense(4)] public partial DenseLayer Inner { get; }
                [Shortcut, Dense(4)] public partial DenseLayer Projection { get; }
            }

            [Network, Input(4)]
            public partial class Net
            {
                public partial Plain Block { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0041", Error, 7, "Shortcut",
            "'Projection' is a [Shortcut], which only a [Residual] block has; 'Plain' is not one: declare it [Residual], or remove [Shortcut]");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0041_BlockThatContainsItself()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Block]
            public partial class Outer
            {
                [Dense(4)] public partial DenseLayer Inner { get; }
                public partial Outer Again { get; }
            }

            [Network, Input(4)]
            public partial class Net
            {
                public partial Outer Block { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0041", Error, 7, "Again",
            "'Outer' contains itself (Outer -> Outer); a block cannot be part of itself");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0041_RepeatBelowOne()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using System.Collections.Generic;
            using TypedNets;

            [Block]
            public partial class Part
            {
                [Dense(4)] public partial DenseLayer Inner { get; }
            }

            [Network, Input(4)]
            public partial class Net
            {
                [Repeat(0)] public partial IReadOnlyList<Part> Blocks { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0041", Error, 13, "0",
            "'Blocks' repeats its block 0 times; the count must be at least 1");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0041_RepeatOfAType()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using System.Collections.Generic;
            using TypedNets;

            [Block]
            public partial class Part
            {
                [Dense(4)] public partial DenseLayer Inner { get; }
            }

            [Network, Input(4)]
            public partial class Net
            {
                [Repeat(2)] public partial Part Blocks { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0041", Error, 13, "Part",
            "'Blocks' is a [Repeat] of type 'Part'; declare it as IReadOnlyList<TBlock> of a [Block], [Residual] or [Sequential] class");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0026_SoftmaxAfterBatchNorm()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(4, 6, 6)]
            public partial class Net
            {
                [BatchNorm(Activation = Activation.Softmax)] public partial BatchNormLayer Norm { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0026", Error, 6, "Activation.Softmax",
            "Layer 'Norm' (BatchNorm) cannot apply Softmax; use ReLU, LeakyReLU, Sigmoid, Tanh or no activation here");
        Expect.NothingInGeneratedCode(run);
    }
}
