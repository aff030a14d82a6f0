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
