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

    private static string Source(GeneratorRun run)
    {
        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        return run.GeneratedSources.Single(generated => generated.HintName.Contains("Repeated", System.StringComparison.Ordinal)).SourceText.ToString();
    }

    private static int Lines(string source) => source.Split('\n').Length;

    private static int Count(string source, string text)
    {
        int count = 0;
        for (int at = source.IndexOf(text, System.StringComparison.Ordinal); at >= 0; at = source.IndexOf(text, at + 1, System.StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    [Fact]
    public void AnExtraUseOfABlockAddsItsConstructionNotItsMethods()
    {
        string first = Source(GeneratorHarness.Run(Network(1)));
        string all = Source(GeneratorHarness.Run(Network(8)));
        int one = Lines(first);
        int eight = Lines(all);

        // Each use keeps what is its own: its five layer objects with their PyTorch names and offsets into Parameters
        // (20 lines) and their fields, its state's field and construction, and a call in each of Run, BackPropagate and
        // Initialize, some 30 lines. The block's forward, backward and initialization (two convolutions, two batch norms
        // and the Add, some 150 lines) are not repeated.
        int perUse = (eight - one) / 7;
        Assert.True(perUse <= 40, $"each further use of the block adds {perUse} generated lines ({one} lines with one use, {eight} with eight)");

        // The block's code once, called eight times in each pass; every use still has its own convolution objects.
        Assert.Equal(1, Count(all, "private void BasicBlockForward("));
        Assert.Equal(1, Count(all, "private void BasicBlock_Conv1Backward("));
        Assert.Equal(8, Count(all, "BasicBlockForward(_blocks_"));
        Assert.Equal(8, Count(all, "BasicBlockBackward(_blocks_"));
        Assert.Equal(1 + 16, Count(all, "= new global::TypedNets.Conv2DLayer(")); // the stem and two a use
    }

    [Fact]
    public void BlocksDeclaredInTheGlobalNamespaceCompile()
    {
        // Top-level programs declare their types in the global namespace, where a block's full name is
        // "global::Basic": its shared code is named after "Basic" all the same.
        string source = Network(2).Replace("namespace Zoo.Sharing;", string.Empty, System.StringComparison.Ordinal);
        string generated = Source(GeneratorHarness.Run(source));
        Assert.Equal(1, Count(generated, "private void BasicBlockForward("));
        Assert.Equal(2, Count(generated, "BasicBlockForward(_blocks_"));
    }
}
