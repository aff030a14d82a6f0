using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using TypedNets.Compression;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;

namespace TypedNets.Tests.Compression;

public sealed class StructuredPruningTests
{
    private const string WriteVariable = "TYPEDNETS_WRITE_PRUNED_NETWORKS";

    // The pruning each committed network records; the reproduction test and the number tests share them.
    private static PrunedNetwork PruneMlp(TinyPrunableMlp network) => StructuredPruning.Prune(network, keep: 0.5);

    private static PrunedNetwork PruneConvnet(TinyPrunableConvnet network)
        => StructuredPruning.Prune(network, new Dictionary<string, int> { ["conv1"] = 3, ["conv2"] = 2, ["hidden"] = 4 });

    // Weights drawn as a training run would leave them: random kernels and biases, and BatchNorm statistics and
    // scales away from their initial 0 and 1, so that every removal shows in the numbers.
    private static T Trained<T>(T network, ulong seed)
        where T : INetwork
    {
        network.Initialize(seed);
        var random = new Xoshiro256(seed + 101);
        foreach (Layer layer in network.Layers)
        {
            foreach (ParameterTensor tensor in layer.Parameters)
            {
                Span<float> values = tensor.Values;
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = layer is BatchNormLayer && tensor.Name.EndsWith(".weight", StringComparison.Ordinal)
                        ? (float)random.NextDouble(0.5, 1.5)
                        : (float)random.NextDouble(-1, 1);
                }
            }

            if (layer is BatchNormLayer norm)
            {
                Fill(norm.RunningMean.Values, -0.5, 0.5, ref random);
                Fill(norm.RunningVariance.Values, 0.5, 2, ref random);
            }
        }

        return network;

        static void Fill(Span<float> values, double low, double high, ref Xoshiro256 random)
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)random.NextDouble(low, high);
            }
        }
    }

    private static float[] RandomInputs(int length, ulong seed)
    {
        var random = new Xoshiro256(seed);
        return [.. Enumerable.Range(0, length).Select(_ => (float)random.NextDouble(-2, 2))];
    }

    private static string Committed(string fileName, [CallerFilePath] string testFile = "")
        => Path.Combine(Path.GetDirectoryName(testFile)!, fileName);

    [Fact]
    public void Rerunning_the_tool_reproduces_the_committed_pruned_mlp()
        => Reproduces(PruneMlp(Trained(new TinyPrunableMlp(), 1)), "TinyPrunableMlpPruned.cs");

    [Fact]
    public void Rerunning_the_tool_reproduces_the_committed_pruned_convnet()
        => Reproduces(PruneConvnet(Trained(new TinyPrunableConvnet(), 2)), "TinyPrunableConvnetPruned.cs");

    private static void Reproduces(PrunedNetwork pruned, string fileName)
    {
        string path = Committed(fileName);
        if (Environment.GetEnvironmentVariable(WriteVariable) == "1")
        {
            File.WriteAllText(path, pruned.Source);
        }

        Assert.Equal(fileName, pruned.SourceFileName);
        string committed = File.ReadAllText(path).ReplaceLineEndings("\n");
        Assert.True(
            committed == pruned.Source,
            $"{fileName} is not what StructuredPruning writes now; run the tests with {WriteVariable}=1 to rewrite it, and review the change.\n" +
            $"Written now:\n{pruned.Source}");
    }

    [Fact]
    public void The_pruned_mlp_predicts_what_the_original_predicts_with_the_removed_units_outgoing_weights_zeroed()
    {
        TinyPrunableMlp original = Trained(new TinyPrunableMlp(), 1);
        PrunedNetwork result = PruneMlp(original);
        TinyPrunableMlpPruned pruned = Load(new TinyPrunableMlpPruned(), result);

        int[] kept1 = [.. result.Layers.Single(l => l.Name == "hidden1").Kept];
        int[] kept2 = [.. result.Layers.Single(l => l.Name == "hidden2").Kept];
        Assert.Equal(4, kept1.Length);
        Assert.Equal(2, kept2.Length);   // round(5 * 0.5) = 2, half to even

        float[] input = RandomInputs(16 * TinyPrunableMlp.InputSize, 11);
        float[] unpruned = Predictions(original, input);

        // The removed units' outgoing weights: columns of the next Dense.
        ZeroColumns(original.Hidden2.Weight, removed: Removed(8, kept1), block: 1);
        ZeroColumns(original.Output.Weight, removed: Removed(5, kept2), block: 1);
        SamePredictions(original, pruned, input, unpruned);
    }

    [Fact]
    public void The_pruned_convnet_predicts_what_the_original_predicts_with_the_removed_filters_outgoing_weights_zeroed()
    {
        TinyPrunableConvnet original = Trained(new TinyPrunableConvnet(), 2);
        PrunedNetwork result = PruneConvnet(original);
        TinyPrunableConvnetPruned pruned = Load(new TinyPrunableConvnetPruned(), result);

        int[] kept1 = [.. result.Layers.Single(l => l.Name == "conv1").Kept];
        int[] kept2 = [.. result.Layers.Single(l => l.Name == "conv2").Kept];
        int[] keptHidden = [.. result.Layers.Single(l => l.Name == "hidden").Kept];

        float[] input = RandomInputs(8 * TinyPrunableConvnet.InputSize, 12);
        float[] unpruned = Predictions(original, input);

        // conv1's filter c reaches conv2 as input channel c (through BatchNorm, ReLU and pooling); conv2's filter c
        // reaches the dense layer as the 2 x 3 flattened positions of channel c; hidden's unit j as output's column j.
        ZeroInputChannels(original.Conv2.Weight, Removed(6, kept1));
        ZeroColumns(original.Hidden.Weight, Removed(4, kept2), block: 2 * 3);
        ZeroColumns(original.Output.Weight, Removed(7, keptHidden), block: 1);
        SamePredictions(original, pruned, input, unpruned);
    }

    [Fact]
    public void The_pruned_networks_have_the_smaller_shapes_and_parameter_counts()
    {
        TinyPrunableConvnet original = Trained(new TinyPrunableConvnet(), 2);
        PrunedNetwork result = PruneConvnet(original);

        // Counted by hand from the declarations: conv1 3*2*3*3, norm1 2*3, conv2 2*3*3*2 + 2, norm2 2*2,
        // hidden 4*12 + 4, output 3*4 + 3; and the original's 6*2*9, 2*6, 4*6*6 + 4, 2*4, 7*24 + 7, 3*7 + 3.
        Assert.Equal(54 + 6 + 38 + 4 + 52 + 15, TinyPrunableConvnetPruned.ParameterCount);
        Assert.Equal(108 + 12 + 148 + 8 + 175 + 24, TinyPrunableConvnet.ParameterCount);
        Assert.Equal(TinyPrunableConvnet.ParameterCount, result.ParametersBefore);
        Assert.Equal(TinyPrunableConvnetPruned.ParameterCount, result.ParametersAfter);
        Assert.Equal(TinyPrunableMlpPruned.ParameterCount, PruneMlp(new TinyPrunableMlp()).ParametersAfter);

        // FLOPs, two per multiply-add: conv1 at 8*8 positions, conv2 at 2*3, then the dense layers.
        Assert.Equal(2L * ((108 * 64) + (144 * 6) + 168 + 21), result.FlopsBefore);
        Assert.Equal(2L * ((54 * 64) + (36 * 6) + 48 + 12), result.FlopsAfter);
        Assert.Contains("conv1 (Conv2D)", result.Report, StringComparison.Ordinal);
        Assert.Contains("parameters", result.Report, StringComparison.Ordinal);
        Assert.Contains("FLOPs", result.Report, StringComparison.Ordinal);

        Assert.Equal(new[] { 3, 8, 8 }, new TinyPrunableConvnetPruned().Conv1.OutputShape.ToArray());
        Assert.Equal(new[] { 12 }, new TinyPrunableConvnetPruned().Flat.OutputShape.ToArray());
        Assert.Equal(
            result.Tensors.Select(t => (t.Name, string.Join("x", t.Shape))),
            new TinyPrunableConvnetPruned().Layers.SelectMany(l => l.Parameters.Select(p => (p.Name, string.Join("x", p.Shape.ToArray())))
                .Concat(l.Buffers.Select(b => (b.Name, string.Join("x", b.Shape.ToArray()))))));
    }

    [Fact]
    public void The_kept_units_are_those_of_largest_l1_norm_of_their_incoming_weights()
    {
        TinyPrunableConvnet convnet = Trained(new TinyPrunableConvnet(), 5);
        PrunedNetwork result = PruneConvnet(convnet);
        Assert.Equal(LargestL1(convnet.Conv1.Weight, 3), result.Layers.Single(l => l.Name == "conv1").Kept);
        Assert.Equal(LargestL1(convnet.Conv2.Weight, 2), result.Layers.Single(l => l.Name == "conv2").Kept);
        Assert.Equal(LargestL1(convnet.Hidden.Weight, 4), result.Layers.Single(l => l.Name == "hidden").Kept);

        TinyPrunableMlp mlp = Trained(new TinyPrunableMlp(), 6);
        PrunedNetwork mlpResult = PruneMlp(mlp);
        Assert.Equal(LargestL1(mlp.Hidden1.Weight, 4), mlpResult.Layers.Single(l => l.Name == "hidden1").Kept);
        Assert.Equal(LargestL1(mlp.Hidden2.Weight, 2), mlpResult.Layers.Single(l => l.Name == "hidden2").Kept);

        // The bias does not count: a huge bias on the weakest unit does not save it.
        int weakest = Enumerable.Range(0, 8).MinBy(j => RowL1(mlp.Hidden1.Weight, j));
        mlp.Hidden1.Bias!.Values[weakest] = 1000;
        Assert.DoesNotContain(weakest, PruneMlp(mlp).Layers.Single(l => l.Name == "hidden1").Kept);
    }

    [Fact]
    public void Ties_remove_the_lower_index_first()
    {
        var mlp = new TinyPrunableMlp();
        mlp.Initialize(0);
        mlp.Hidden1.Weight.Values.Fill(0.5f);
        PrunedNetwork result = StructuredPruning.Prune(mlp, new Dictionary<string, int> { ["hidden1"] = 3 });
        Assert.Equal(new[] { 5, 6, 7 }, result.Layers.Single().Kept);
    }

    [Fact]
    public void The_original_network_is_left_as_it_was()
    {
        TinyPrunableConvnet convnet = Trained(new TinyPrunableConvnet(), 3);
        float[] parameters = convnet.Parameters.ToArray();
        float[] buffers = convnet.Buffers.ToArray();
        PruneConvnet(convnet);
        Assert.Equal(parameters, convnet.Parameters.ToArray());
        Assert.Equal(buffers, convnet.Buffers.ToArray());
    }

    [Fact]
    public void Save_writes_the_declaration_and_weights_that_load_into_the_new_network()
    {
        string directory = Path.Combine(Path.GetTempPath(), "typednets-structured-" + Guid.NewGuid().ToString("N"));
        try
        {
            TinyPrunableMlp original = Trained(new TinyPrunableMlp(), 4);
            PrunedNetwork result = PruneMlp(original);
            result.Save(directory);
            Assert.Equal(result.Source, File.ReadAllText(Path.Combine(directory, "TinyPrunableMlpPruned.cs")));
            Assert.Equal(new[] { "TinyPrunableMlpPruned.cs", "TinyPrunableMlpPruned.safetensors" }, Directory.GetFiles(directory).Select(Path.GetFileName).Order());

            var pruned = new TinyPrunableMlpPruned();
            SafeTensors.Load(pruned, Path.Combine(directory, "TinyPrunableMlpPruned.safetensors"));
            int[] kept = [.. result.Layers[0].Kept];
            for (int j = 0; j < kept.Length; j++)
            {
                Assert.Equal(original.Hidden1.Bias!.Values[kept[j]], pruned.Hidden1.Bias!.Values[j]);
                for (int i = 0; i < 6; i++)
                {
                    Assert.Equal(original.Hidden1.Weight[kept[j], i], pruned.Hidden1.Weight[j, i]);
                }
            }
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public void Keep_halves_every_hidden_layer_of_the_fashion_convnet_and_leaves_the_output_whole()
    {
        var network = new FashionMnist.FashionConvnet();
        PrunedNetwork result = StructuredPruning.Prune(network, keep: 0.5, className: "HalfConvnet", @namespace: "Shop.Models");
        Assert.Equal(new[] { "conv1 32 -> 16", "conv2 64 -> 32", "hidden 128 -> 64" }, result.Layers.Select(l => $"{l.Name} {l.UnitsBefore} -> {l.UnitsAfter}"));
        Assert.Contains("namespace Shop.Models;", result.Source, StringComparison.Ordinal);
        Assert.Contains("public partial class HalfConvnet", result.Source, StringComparison.Ordinal);
        Assert.Contains("[Conv2D(16, 3, Activation = Activation.ReLU)]", result.Source, StringComparison.Ordinal);
        Assert.Contains("[Dense(10, Activation.Softmax)]", result.Source, StringComparison.Ordinal);
        Assert.Equal(new[] { "conv1", "conv2", "hidden" }, StructuredPruning.PrunableLayers(network).Select(l => l.Name));
    }

    [Fact]
    public void Dense_layers_carry_their_declared_penalties_into_the_declaration()
    {
        var network = new RegularizedNet();
        Assert.Equal((0.01, 0.02), (network.Hidden.L1, network.Hidden.L2));
        Assert.Equal((0.0, 0.05), (network.Output.L1, network.Output.L2));
        string source = StructuredPruning.Prune(network, keep: 0.6).Source;
        Assert.Contains("[Network, Input(4), Loss(LossKind.Huber, Delta = 0.5)]", source, StringComparison.Ordinal);
        Assert.Contains("[Dense(3, Activation.ReLU, L1 = 0.01, L2 = 0.02)] public partial DenseLayer Hidden { get; }", source, StringComparison.Ordinal);
        Assert.Contains("[Dense(2, L2 = 0.05)]", source, StringComparison.Ordinal);
    }

    [Fact]
    public void The_readmes_fashion_mlp_example_counts_what_it_says()
    {
        // 784-256-128-10 against 784-128-64-10: weights and biases, and two FLOPs per weight.
        PrunedNetwork result = StructuredPruning.Prune(new FashionMnist.FashionMlp(), keep: 0.5);
        Assert.Equal((784 * 256) + 256 + (256 * 128) + 128 + (128 * 10) + 10, result.ParametersBefore);
        Assert.Equal((784 * 128) + 128 + (128 * 64) + 64 + (64 * 10) + 10, result.ParametersAfter);
        Assert.Equal(2L * ((784 * 256) + (256 * 128) + (128 * 10)), result.FlopsBefore);
        Assert.Equal(2L * ((784 * 128) + (128 * 64) + (64 * 10)), result.FlopsAfter);
        Assert.Contains("235,146 ->     109,386 (46.5%)", result.Report, StringComparison.Ordinal);
        Assert.Contains("469,504 ->     218,368 (46.5%)", result.Report, StringComparison.Ordinal);
        Assert.Contains("[Dense(64, Activation.ReLU)]    public partial DenseLayer Hidden2 { get; }", result.Source, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(1.0001)]
    [InlineData(double.NaN)]
    public void A_keep_fraction_outside_zero_to_one_is_refused(double keep)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => StructuredPruning.Prune(new TinyPrunableMlp(), keep));
        Assert.Equal("keep", error.ParamName);
        Assert.Contains("(0, 1]", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(9)]
    public void A_count_below_one_or_above_the_layers_units_is_refused(int count)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => StructuredPruning.Prune(new TinyPrunableMlp(), new Dictionary<string, int> { ["hidden1"] = count }));
        Assert.Equal("units", error.ParamName);
        Assert.Contains("'hidden1' has 8 units", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_layer_name_is_refused_with_the_names_that_can_be_pruned()
    {
        var error = Assert.Throws<ArgumentException>(
            () => StructuredPruning.Prune(new TinyPrunableMlp(), new Dictionary<string, int> { ["Hidden1"] = 2 }));
        Assert.Equal("units", error.ParamName);
        Assert.Contains("no layer 'Hidden1'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'hidden1' (8), 'hidden2' (5)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_output_layer_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(
            () => StructuredPruning.Prune(new TinyPrunableMlp(), new Dictionary<string, int> { ["output"] = 2 }));
        Assert.Equal("units", error.ParamName);
        Assert.Contains("'output' cannot be pruned: it is the output layer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_layer_without_units_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(
            () => StructuredPruning.Prune(new TinyPrunableConvnet(), new Dictionary<string, int> { ["norm1"] = 2 }));
        Assert.Equal("units", error.ParamName);
        Assert.Contains("'norm1' cannot be pruned: it is BatchNorm, which has no units or filters to remove", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Units_feeding_a_recurrent_layer_and_recurrent_layers_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(
            () => StructuredPruning.Prune(new SequenceNet(), new Dictionary<string, int> { ["per_step"] = 3 }));
        Assert.Equal("units", error.ParamName);
        Assert.Contains("'per_step' cannot be pruned: it feeds 'decoder' (GRU)", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<ArgumentException>(
            () => StructuredPruning.Prune(new SequenceNet(), new Dictionary<string, int> { ["encoder"] = 3 }));
        Assert.Contains("'encoder' cannot be pruned: it is LSTM, which has no units or filters to remove", error.Message, StringComparison.Ordinal);

        // With nothing to prune, keep says so, layer by layer.
        error = Assert.Throws<ArgumentException>(() => StructuredPruning.Prune(new SequenceNet(), 0.5));
        Assert.Equal("network", error.ParamName);
        Assert.Contains("SequenceNet has no layer that structured pruning can shrink", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tied_weights_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(
            () => StructuredPruning.Prune(new TiedHeadWithBiasNet(), new Dictionary<string, int> { ["head"] = 3 }));
        Assert.Equal("units", error.ParamName);
        Assert.Contains("shares its weight with 'tokens' (TiedTo)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Grouped_convolutions_are_refused_as_pruned_layers_and_as_consumers()
    {
        var error = Assert.Throws<ArgumentException>(
            () => StructuredPruning.Prune(new GroupsGradientNet(), new Dictionary<string, int> { ["grouped"] = 4 }));
        Assert.Equal("units", error.ParamName);
        Assert.Contains("grouped convolution (Groups = 2)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Networks_with_blocks_or_joins_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => StructuredPruning.Prune(new TinyResNet(), 0.5));
        Assert.Equal("network", error.ParamName);
        Assert.Contains("TinyResNet is built from blocks", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2Fast", null, "className")]
    [InlineData("Has Space", null, "className")]
    [InlineData("class", null, "className")]
    [InlineData("Fine", "My..Space", "namespace")]
    [InlineData("Fine", "My.2Space", "namespace")]
    [InlineData("TinyPrunableMlp", "TypedNets.Tests.Compression", "className")]
    public void Bad_class_and_namespace_names_are_refused(string className, string? space, string parameter)
    {
        var error = Assert.Throws<ArgumentException>(() => StructuredPruning.Prune(new TinyPrunableMlp(), 0.5, className, space));
        Assert.Equal(parameter, error.ParamName);
    }

    [Fact]
    public void Null_and_empty_arguments_are_refused()
    {
        Assert.Equal("network", Assert.Throws<ArgumentNullException>(() => StructuredPruning.Prune(null!, 0.5)).ParamName);
        Assert.Equal("network", Assert.Throws<ArgumentNullException>(() => StructuredPruning.Prune(null!, new Dictionary<string, int>())).ParamName);
        Assert.Equal("units", Assert.Throws<ArgumentNullException>(() => StructuredPruning.Prune(new TinyPrunableMlp(), (IReadOnlyDictionary<string, int>)null!)).ParamName);
        Assert.Equal("units", Assert.Throws<ArgumentException>(() => StructuredPruning.Prune(new TinyPrunableMlp(), new Dictionary<string, int>())).ParamName);
    }

    private static T Load<T>(T network, PrunedNetwork result)
        where T : INetwork
    {
        string path = Path.Combine(Path.GetTempPath(), $"typednets-pruned-{Guid.NewGuid():N}.safetensors");
        try
        {
            result.SaveWeights(path);
            SafeTensors.Load(network, path);
        }
        finally
        {
            File.Delete(path);
        }

        return network;
    }

    private static int[] Removed(int units, int[] kept) => [.. Enumerable.Range(0, units).Except(kept)];

    // Columns [c * block, (c + 1) * block) of a [units, inputs] weight, for every removed c.
    private static void ZeroColumns(ParameterTensor weight, int[] removed, int block)
    {
        int rows = weight.Shape[0];
        foreach (int c in removed)
        {
            for (int r = 0; r < rows; r++)
            {
                for (int i = c * block; i < (c + 1) * block; i++)
                {
                    weight[r, i] = 0;
                }
            }
        }
    }

    private static void ZeroInputChannels(ParameterTensor weight, int[] removed)
    {
        int filters = weight.Shape[0];
        int channels = weight.Shape[1];
        int kernel = weight.Shape[2] * weight.Shape[3];
        Span<float> values = weight.Values;
        foreach (int c in removed)
        {
            for (int f = 0; f < filters; f++)
            {
                values.Slice(((f * channels) + c) * kernel, kernel).Clear();
            }
        }
    }

    private static float[] Predictions(INetwork network, float[] input)
    {
        float[] output = new float[input.Length / network.InputSize * network.OutputSize];
        network.Predict(input, output);
        return output;
    }

    private static void SamePredictions(INetwork zeroed, INetwork pruned, float[] input, float[] unpruned)
    {
        float[] expected = Predictions(zeroed, input);
        float[] actual = Predictions(pruned, input);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5, $"Output {i}: the original with zeroed weights predicts {expected[i]}, the pruned network {actual[i]}.");
        }

        // The check means something only if the removed units mattered before their weights were zeroed.
        Assert.Contains(Enumerable.Range(0, expected.Length), i => Math.Abs(expected[i] - unpruned[i]) > 1e-3);
    }

    private static double RowL1(ParameterTensor weight, int row)
    {
        int length = weight.Length / weight.Shape[0];
        double sum = 0;
        foreach (float w in weight.Values.Slice(row * length, length))
        {
            sum += Math.Abs((double)w);
        }

        return sum;
    }

    private static int[] LargestL1(ParameterTensor weight, int count)
        => [.. Enumerable.Range(0, weight.Shape[0]).OrderByDescending(row => RowL1(weight, row)).Take(count).Order()];
}
