using System.Linq;
using Microsoft.CodeAnalysis;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The generated code of a block type is written once per input shape and called for every use of it, so that a deep
/// network of repeated blocks does not grow its source (and its compile and JIT time) with the number of uses.
/// </summary>
public class BlockSharingTests
{
    private static string Network(int repeats) => $$"""
        using System.Collections.Generic;
        using TypedNets;

        namespace Zoo.Sharing;

        [Residual(Activation = Activation.ReLU)]
        public partial class Basic
        {
            [Conv2D(4, 3, Padding = 1, Bias = false)]   public partial Conv2DLayer Conv1 { get; }
            [BatchNorm(Activation = Activation.ReLU)]   public partial BatchNormLayer Bn1 { get; }
            [Conv2D(4, 3, Padding = 1, Bias = false)]   public partial Conv2DLayer Conv2 { get; }
            [BatchNorm]                                 public partial BatchNormLayer Bn2 { get; }
        }

        [Network, Input(1, 6, 6), Loss(LossKind.CrossEntropy)]
        public partial class Repeated
        {
            [Conv2D(4, 3, Padding = 1)]                 public partial Conv2DLayer Stem { get; }
            [Repeat({{repeats}})]                       public partial IReadOnlyList<Basic> Blocks { get; }
            [GlobalAveragePooling2D]                    public partial GlobalAveragePooling2DLayer Pool { get; }
            [Dense(3)]                                  public partial DenseLayer Fc { get; }
        }
        """;

    private static int Lines(GeneratorRun run)
    {
        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        string source = run.GeneratedSources.Single(generated => generated.HintName.Contains("Repeated", System.StringComparison.Ordinal)).SourceText.ToString();
        return source.Split('\n').Length;
    }

    [Fact]
    public void AnExtraUseOfABlockAddsItsConstructionNotItsMethods()
    {
        int one = Lines(GeneratorHarness.Run(Network(1)));
        int eight = Lines(GeneratorHarness.Run(Network(8)));

        // Each use keeps what is its own: its four layer objects (PyTorch names, offsets into Parameters) and a line of the
        // summary, its state's field and construction, and the calls of Run and BackPropagate. The block's forward and
        // backward methods (two convolutions, two batch norms and the Add, some 110 lines) are not repeated.
        int perUse = (eight - one) / 7;
        Assert.True(perUse <= 40, $"each further use of the block adds {perUse} generated lines ({one} lines with one use, {eight} with eight)");
    }
}
