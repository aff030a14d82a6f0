using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TypedNets.Compression;
using TypedNets.Generator.Tests.Infrastructure;
using TypedNets.Serialization;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The declarations <see cref="StructuredPruning"/> writes, compiled with the generator: written back without pruning
/// (keep 1) they generate exactly the original's code, so every option survives; pruned, they compile cleanly, infer
/// the smaller shapes and parameter count, and take the pruned weights.
/// </summary>
public class StructuredPruningTests
{
    private static readonly Dictionary<string, string> Declarations = new()
    {
        // Every Dense option, dropout, BatchNorm over features and a Huber loss with its delta.
        ["Mlp"] = """
            [Network, Input(5), Loss(LossKind.Huber, Delta = 0.5)]
            public partial class Net
            {
                [Dense(8, Activation.LeakyReLU, Bias = false, L1 = 0.001)] public partial DenseLayer Hidden1 { get; }
                [Dropout(0.1)]                                             public partial DropoutLayer Drop { get; }
                [Dense(6, Activation.GELU, L2 = 0.02)]                     public partial DenseLayer Hidden2 { get; }
                [BatchNorm(Momentum = 0.05, Activation = Activation.Tanh)] public partial BatchNormLayer Norm { get; }
                [Dense(2)]                                                 public partial DenseLayer Output { get; }
            }
            """,

        // Rectangular kernel, stride and padding, dilation, padded average pooling and global pooling into Dense.
        ["Convnet"] = """
            [Network, Input(3, 12, 10), Loss(LossKind.CrossEntropy)]
            public partial class Net
            {
                [Conv2D(6, 3, KernelWidth = 5, Stride = 2, StrideWidth = 1, Padding = 2, PaddingWidth = 1)] public partial Conv2DLayer Conv1 { get; }
                [BatchNorm(Epsilon = 0.001, Activation = Activation.ReLU)]                                 public partial BatchNormLayer Norm1 { get; }
                [AvgPool2D(2, Stride = 1, Padding = 1)]                                                     public partial Pool2DLayer Pool1 { get; }
                [Conv2D(4, 3, Dilation = 2, Padding = 2, Bias = false, Activation = Activation.Tanh)]       public partial Conv2DLayer Conv2 { get; }
                [GlobalAveragePooling2D]                                                                    public partial GlobalAveragePooling2DLayer Pool2 { get; }
                [Dense(5, Activation.ReLU)]                                                                 public partial DenseLayer Hidden { get; }
                [Dense(3, Activation.Softmax)]                                                              public partial DenseLayer Output { get; }
            }
            """,

        // Convolutions over the steps of a token sequence, pooled over steps, into Dense.
        ["Text"] = """
            [Network, TokenInput(7), Loss(LossKind.BinaryCrossEntropy)]
            public partial class Net
            {
                [Embedding(20, 6, PaddingIndex = 0)]              public partial EmbeddingLayer Tokens { get; }
                [Conv1D(8, 3, Padding = 1, Activation = Activation.ReLU)] public partial Conv1DLayer Conv1 { get; }
                [MaxPool1D(2)]                                    public partial Pool1DLayer Pool1 { get; }
                [Conv1D(5, 2, Stride = 1, Dilation = 1)]          public partial Conv1DLayer Conv2 { get; }
                [GlobalMaxPooling1D]                              public partial GlobalMaxPooling1DLayer Pool2 { get; }
                [Dense(4, Activation.Tanh)]                       public partial DenseLayer Hidden { get; }
                [Dense(1, Activation.Sigmoid)]                    public partial DenseLayer Output { get; }
            }
            """,

        // Recurrent layers with every option are written back whole; the Dense after them is pruned.
        ["Recurrent"] = """
            [Network, TokenInput(5), Loss(LossKind.CrossEntropy)]
            public partial class Net
            {
                [Embedding(12, 4, MaskZero = true)]                                 public partial EmbeddingLayer Tokens { get; }
                [Lstm(6, ReturnSequences = true, Bidirectional = true)]             public partial LstmLayer Encoder { get; }
                [Gru(3, ReturnSequences = true, NumLayers = 2, Dropout = 0.1)]      public partial GruLayer Decoder { get; }
                [GlobalAveragePooling1D]                                            public partial GlobalAveragePooling1DLayer Pool { get; }
                [Dense(6, Activation.ReLU)]                                         public partial DenseLayer Hidden { get; }
                [Dense(3, Activation.Softmax)]                                      public partial DenseLayer Output { get; }
            }
            """,

        // Attention: the query/key/value projection feeds attention and stays; the per-step projection is pruned,
        // and its units reach the output through Flatten, at every step.
        ["Attention"] = """
            [Network, TokenInput(5)]
            public partial class Net
            {
                [Embedding(7, 6)]                  public partial EmbeddingLayer Tokens { get; }
                [PositionEmbedding(8)]             public partial PositionEmbeddingLayer Positions { get; }
                [LayerNorm(Epsilon = 1e-6)]        public partial LayerNormLayer Norm { get; }
                [Dense(18)]                        public partial DenseLayer Qkv { get; }
                [SelfAttention(2, Causal = false, Dropout = 0.1)] public partial SelfAttentionLayer Attention { get; }
                [Dense(6, Activation.GeluTanh)]    public partial DenseLayer Projection { get; }
                [Flatten]                          public partial FlattenLayer Flat { get; }
                [Dense(3)]                         public partial DenseLayer Output { get; }
            }
            """,
    };

    public static TheoryData<string> Cases => new(Declarations.Keys);

    private static string Source(string name) => "using TypedNets;\n\nnamespace Zoo.Original;\n\n" + Declarations[name];

    private static string Generated(GeneratorRun run) => Assert.Single(run.GeneratedSources).SourceText.ToString();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Written_back_unpruned_the_declaration_generates_the_originals_code(string name)
    {
        GeneratorRun original = GeneratorHarness.Run(Source(name));
        Expect.NoGeneratorDiagnostics(original);
        Expect.CompilesCleanly(original);
        using var assembly = new InMemoryAssembly(original.Output);
        var network = (INetwork)Activator.CreateInstance(assembly.Type("Zoo.Original.Net"), 4, 1UL)!;

        PrunedNetwork result = StructuredPruning.Prune(network, keep: 1.0, className: "Net", @namespace: "Zoo.Rewritten");
        GeneratorRun rewritten = GeneratorHarness.Run(result.Source);
        Expect.NoGeneratorDiagnostics(rewritten);
        Expect.CompilesCleanly(rewritten);
        Assert.Equal(Generated(original).Replace("Zoo.Original", "Zoo.Rewritten", StringComparison.Ordinal), Generated(rewritten));
        Assert.Equal(result.ParametersBefore, result.ParametersAfter);
        Assert.Equal(result.FlopsBefore, result.FlopsAfter);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pruned_the_declaration_compiles_with_the_smaller_shapes_and_takes_the_pruned_weights(string name)
    {
        GeneratorRun original = GeneratorHarness.Run(Source(name));
        using var originalAssembly = new InMemoryAssembly(original.Output);
        Type originalType = originalAssembly.Type("Zoo.Original.Net");
        var network = (INetwork)Activator.CreateInstance(originalType, 4, 1UL)!;

        PrunedNetwork result = StructuredPruning.Prune(network, keep: 0.5);
        Assert.Equal("NetPruned", result.ClassName);
        Assert.Equal("Zoo.Original", result.Namespace);
        Assert.NotEmpty(result.Layers);
        GeneratorRun pruned = GeneratorHarness.Run(result.Source);
        Expect.NoGeneratorDiagnostics(pruned);
        Expect.CompilesCleanly(pruned);

        using var prunedAssembly = new InMemoryAssembly(pruned.Output);
        Type prunedType = prunedAssembly.Type("Zoo.Original.NetPruned");
        var smaller = (INetwork)Activator.CreateInstance(prunedType, 4, 2UL)!;

        // Each pruned layer has round(units / 2) units (half to even, at least 1); every other layer's output keeps its
        // size unless it passes a pruned layer's units on.
        foreach (PrunedLayer layer in result.Layers)
        {
            Assert.Equal(Math.Max((int)Math.Round(layer.UnitsBefore * 0.5, MidpointRounding.ToEven), 1), layer.UnitsAfter);
            Layer compiled = smaller.Layers.Single(l => l.Name == layer.Name);
            Assert.Equal(layer.UnitsAfter, compiled.Parameters[0].Shape[0]);
        }

        // The parameter count the generator inferred is the tool's, and the original's less exactly what was cut: the
        // pruned rows of each pruned layer and the matching inputs of what follows it.
        int count = (int)prunedType.GetField("ParameterCount")!.GetValue(null)!;
        Assert.Equal(result.ParametersAfter, count);
        Assert.Equal((int)originalType.GetField("ParameterCount")!.GetValue(null)!, result.ParametersBefore);
        Assert.True(count < result.ParametersBefore);
        Assert.True(result.FlopsAfter < result.FlopsBefore);
        Assert.Equal(network.Layers.Select(l => l.Name), smaller.Layers.Select(l => l.Name));
        Assert.Equal(network.OutputSize, smaller.OutputSize);

        // A load checks every tensor's name and shape against the compiled network.
        string path = Path.Combine(Path.GetTempPath(), $"typednets-pruned-{Guid.NewGuid():N}.safetensors");
        try
        {
            result.SaveWeights(path);
            SafeTensors.Load(smaller, path);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Equal(result.Tensors.Where(t => !t.Name.Contains("running", StringComparison.Ordinal)).SelectMany(t => t.Values.ToArray()), smaller.Parameters.ToArray());
    }

    // For each case, the weights that read each pruned layer's units: (pruned layer, reading weight, input index -> unit).
    private static readonly Dictionary<string, (string Layer, string Weight, Func<int, int> Unit)[]> Readers = new()
    {
        ["Convnet"] = [("conv1", "conv2.weight", c => c), ("conv2", "hidden.weight", c => c), ("hidden", "output.weight", j => j)],
        ["Text"] = [("conv1", "conv2.weight", c => c), ("conv2", "hidden.weight", c => c), ("hidden", "output.weight", j => j)],
        // Flattened [5 steps, 6 features]: input t * 6 + j is unit j at step t.
        ["Attention"] = [("projection", "output.weight", i => i % 6)],
    };

    [Theory]
    [InlineData("Convnet")]
    [InlineData("Text")]
    [InlineData("Attention")]
    public void Pruned_the_network_predicts_what_the_original_predicts_with_the_removed_units_outgoing_weights_zeroed(string name)
    {
        GeneratorRun original = GeneratorHarness.Run(Source(name));
        using var originalAssembly = new InMemoryAssembly(original.Output);
        var network = (INetwork)Activator.CreateInstance(originalAssembly.Type("Zoo.Original.Net"), 8, 1UL)!;
        var random = new Xoshiro256(7);
        Fill(network.Parameters, -1, 1, ref random);
        Fill(network.Buffers, 0.5, 2, ref random);   // running means and variances away from 0 and 1

        PrunedNetwork result = StructuredPruning.Prune(network, keep: 0.5);
        GeneratorRun pruned = GeneratorHarness.Run(result.Source);
        using var prunedAssembly = new InMemoryAssembly(pruned.Output);
        var smaller = (INetwork)Activator.CreateInstance(prunedAssembly.Type("Zoo.Original.NetPruned"), 8, 2UL)!;
        string path = Path.Combine(Path.GetTempPath(), $"typednets-pruned-{Guid.NewGuid():N}.safetensors");
        try
        {
            result.SaveWeights(path);
            SafeTensors.Load(smaller, path);
        }
        finally
        {
            File.Delete(path);
        }

        // Token ids for the text networks (1 to 6, below every vocabulary), values in [-2, 2) for images.
        float[] input = new float[8 * network.InputSize];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = network.Core.TokenInput ? 1 + random.NextInt(6) : (float)random.NextDouble(-2, 2);
        }

        float[] unpruned = Predictions(network, input);
        ParameterTensor[] tensors = [.. network.Layers.SelectMany(l => l.Parameters)];
        foreach ((string layer, string weight, Func<int, int> unit) in Readers[name])
        {
            var kept = new HashSet<int>(result.Layers.Single(l => l.Name == layer).Kept);
            ParameterTensor reader = tensors.Single(t => t.Name == weight);
            int outputs = reader.Shape[0];
            int inputs = reader.Shape[1];
            int inner = reader.Length / (outputs * inputs);
            for (int o = 0; o < outputs; o++)
            {
                for (int i = 0; i < inputs; i++)
                {
                    if (!kept.Contains(unit(i)))
                    {
                        reader.Values.Slice(((o * inputs) + i) * inner, inner).Clear();
                    }
                }
            }
        }

        float[] expected = Predictions(network, input);
        float[] actual = Predictions(smaller, input);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5, $"Output {i}: the original with zeroed weights predicts {expected[i]}, the pruned network {actual[i]}.");
        }

        Assert.Contains(Enumerable.Range(0, expected.Length), i => Math.Abs(expected[i] - unpruned[i]) > 1e-3);
    }

    private static float[] Predictions(INetwork network, float[] input)
    {
        float[] output = new float[input.Length / network.InputSize * network.OutputSize];
        network.Predict(input, output);
        return output;
    }

    private static void Fill(Span<float> values, double low, double high, ref Xoshiro256 random)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextDouble(low, high);
        }
    }

    [Theory]
    [InlineData("""
        [Dense(4, Activation.ReLU)] public partial DenseLayer Stem { get; }
        [Dense(4, Activation.ReLU)] public partial DenseLayer Branch { get; }
        [Add(nameof(Stem))]         public partial AddLayer Join { get; }
        """, "joins branches at 'join' (Add)")]
    [InlineData("""
        [Dense(4, Activation.ReLU)]                     public partial DenseLayer Stem { get; }
        [Dense(3, Activation.ReLU)]                     public partial DenseLayer Left { get; }
        [From(nameof(Stem)), Dense(5, Activation.ReLU)] public partial DenseLayer Right { get; }
        [Concatenate(nameof(Left), nameof(Right))]      public partial ConcatenateLayer Join { get; }
        """, "layer 'right' does not read 'left' (a [From] branch)")]
    public void Networks_with_joins_or_branches_are_refused_whole(string layers, string reason)
    {
        string source = "using TypedNets;\n\nnamespace Zoo.Original;\n\n[Network, Input(6)]\npublic partial class Net\n{\n" + layers +
            "\n    [Dense(2)] public partial DenseLayer Output { get; }\n}\n";
        GeneratorRun run = GeneratorHarness.Run(source);
        Expect.NoGeneratorDiagnostics(run);
        using var assembly = new InMemoryAssembly(run.Output);
        var network = (INetwork)Activator.CreateInstance(assembly.Type("Zoo.Original.Net"), 4, 1UL)!;

        var error = Assert.Throws<ArgumentException>(() => StructuredPruning.Prune(network, keep: 0.5));
        Assert.Equal("network", error.ParamName);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains("structured pruning writes plain stacks of layers", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Layers_that_cannot_be_pruned_are_skipped_by_keep()
    {
        GeneratorRun original = GeneratorHarness.Run(Source("Attention"));
        using var assembly = new InMemoryAssembly(original.Output);
        var network = (INetwork)Activator.CreateInstance(assembly.Type("Zoo.Original.Net"), 4, 1UL)!;
        PrunedNetwork result = StructuredPruning.Prune(network, keep: 0.5);
        Assert.Equal("projection", Assert.Single(result.Layers).Name);
        Assert.Contains("[Dense(18)]", result.Source, StringComparison.Ordinal);

        var error = Assert.Throws<ArgumentException>(() => StructuredPruning.Prune(network, new Dictionary<string, int> { ["qkv"] = 9 }));
        Assert.Equal("units", error.ParamName);
        Assert.Contains("'qkv' cannot be pruned: it feeds 'attention' (SelfAttention)", error.Message, StringComparison.Ordinal);
    }
}
