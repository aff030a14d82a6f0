using System;
using System.Collections.Generic;
using System.Linq;
using TypedNets.Compression;
using TypedNets.Data;
using TypedNets.Optimizers;
using TypedNets.Tests.Networks;
using TypedNets.Tests.Training;
using TypedNets.Training;

namespace TypedNets.Tests.Compression;

public sealed class PruningTests
{
    // TensorFlow Model Optimization's PolynomialDecay, written out from its definition:
    // p = clamp((step - begin) / (end - begin), 0, 1); sparsity = final + (initial - final) * (1 - p)^power.
    private static double TfmotPolynomial(double initial, double final, int begin, int end, double power, int step)
    {
        double p = Math.Clamp((double)(step - begin) / (end - begin), 0, 1);
        return final + ((initial - final) * Math.Pow(1 - p, power));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(250)]
    [InlineData(300)]
    [InlineData(600)]
    [InlineData(1100)]
    [InlineData(5000)]
    public void Polynomial_decay_follows_tfmots_formula(int step)
    {
        var schedule = new PolynomialDecay(initialSparsity: 0.1, finalSparsity: 0.8, beginStep: 100, endStep: 1100);
        Assert.Equal(TfmotPolynomial(0.1, 0.8, 100, 1100, 3, step), schedule.SparsityAt(step), 12);
    }

    [Fact]
    public void Polynomial_decay_reaches_its_end_points_and_honours_the_power()
    {
        var cubic = new PolynomialDecay(0.2, 0.9, beginStep: 0, endStep: 1000);
        Assert.Equal(0.2, cubic.SparsityAt(0), 12);
        Assert.Equal(0.9 - (0.7 * 0.125), cubic.SparsityAt(500), 12);
        Assert.Equal(0.9, cubic.SparsityAt(1000), 12);
        Assert.Equal(0.9, cubic.SparsityAt(4000), 12);
        Assert.Equal(0.2, cubic.SparsityAt(-5), 12);

        var linear = new PolynomialDecay(0.0, 0.5, beginStep: 0, endStep: 100, power: 1, frequency: 10);
        Assert.Equal(0.25, linear.SparsityAt(50), 12);
    }

    [Fact]
    public void Polynomial_decay_updates_only_every_frequency_steps_between_begin_and_end()
    {
        var schedule = new PolynomialDecay(0.0, 0.5, beginStep: 10, endStep: 310, frequency: 100);
        int[] updates = Enumerable.Range(-5, 600).Where(schedule.IsUpdateStep).ToArray();
        Assert.Equal([10, 110, 210, 310], updates);
    }

    [Fact]
    public void Constant_sparsity_updates_every_frequency_steps_forever_without_an_end()
    {
        var forever = new ConstantSparsity(0.6, beginStep: 5, frequency: 50);
        Assert.Equal(0.6, forever.SparsityAt(0));
        Assert.Equal(0.6, forever.SparsityAt(100_000));
        Assert.False(forever.IsUpdateStep(4));
        Assert.True(forever.IsUpdateStep(5));
        Assert.False(forever.IsUpdateStep(54));
        Assert.True(forever.IsUpdateStep(100_005));

        var bounded = new ConstantSparsity(0.6, beginStep: 0, endStep: 100, frequency: 50);
        Assert.True(bounded.IsUpdateStep(100));
        Assert.False(bounded.IsUpdateStep(150));
    }

    [Fact]
    public void Schedules_reject_bad_arguments_naming_them()
    {
        Assert.Equal("initialSparsity", Assert.Throws<ArgumentOutOfRangeException>(() => new PolynomialDecay(-0.1, 0.5, 0, 10)).ParamName);
        Assert.Equal("finalSparsity", Assert.Throws<ArgumentOutOfRangeException>(() => new PolynomialDecay(0, 1.0, 0, 10)).ParamName);
        Assert.Equal("beginStep", Assert.Throws<ArgumentOutOfRangeException>(() => new PolynomialDecay(0, 0.5, -1, 10)).ParamName);
        Assert.Equal("endStep", Assert.Throws<ArgumentOutOfRangeException>(() => new PolynomialDecay(0, 0.5, 10, 10)).ParamName);
        Assert.Equal("power", Assert.Throws<ArgumentOutOfRangeException>(() => new PolynomialDecay(0, 0.5, 0, 10, power: 0)).ParamName);
        Assert.Equal("frequency", Assert.Throws<ArgumentOutOfRangeException>(() => new PolynomialDecay(0, 0.5, 0, 10, frequency: 0)).ParamName);
        Assert.Equal("targetSparsity", Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantSparsity(double.NaN, 0)).ParamName);
        Assert.Equal("endStep", Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantSparsity(0.5, 10, endStep: 5)).ParamName);
    }

    [Fact]
    public void Default_selection_is_the_kernels_and_embeddings_not_biases_or_positions()
    {
        var network = new CausalAttentionNet(maxBatch: 2, seed: 1);
        string[] names = MagnitudePruner.PrunableTensors(network).Select(t => t.Name).ToArray();
        Assert.Equal(["tokens.weight", "qkv.weight", "projection.weight", "output.weight"], names);
    }

    [Fact]
    public void Default_selection_takes_every_kernel_of_a_stacked_bidirectional_lstm_and_no_bias()
    {
        var network = new LstmTwoLayersBidirectionalFixtureNet(maxBatch: 2, seed: 1);
        ParameterTensor[] all = [.. network.Layers.SelectMany(l => l.Parameters)];
        string[] expected = [.. all.Select(t => t.Name).Where(n => n.Contains(".weight_", StringComparison.Ordinal))];
        Assert.Equal(8, expected.Length);
        Assert.Equal(expected, MagnitudePruner.PrunableTensors(network).Select(t => t.Name));
    }

    [Fact]
    public void Default_selection_reaches_into_blocks_skips_norms_and_lists_a_tied_table_once()
    {
        var network = new TinyGptLm(maxBatch: 2, seed: 1);
        string[] names = [.. MagnitudePruner.PrunableTensors(network).Select(t => t.Name)];
        string[] expected = [.. network.Layers.SelectMany(l => l.Parameters).Select(t => t.Name)
            .Where(n => n.EndsWith(".weight", StringComparison.Ordinal) && !n.Contains("ln", StringComparison.Ordinal) && !n.StartsWith("wpe", StringComparison.Ordinal))];
        Assert.Contains(expected, n => n.Contains("c_attn", StringComparison.Ordinal));
        Assert.Equal(expected, names);
        Assert.Single(names, n => n == "wte.weight");
    }

    [Fact]
    public void The_callback_refuses_to_prune_another_network_than_its_own()
    {
        var network = new TinyMlpSoftmax(maxBatch: 8, seed: 1);
        var other = new TinyMlpSoftmax(maxBatch: 8, seed: 2);
        var pruner = new MagnitudePruner(network, new ConstantSparsity(0.5, 0));
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => Trainer.Fit(
            other, new Adam(0.01), ClassBlobs.Make(16, 1, 3), new FitOptions { Epochs = 1, BatchSize = 8, Callbacks = [pruner.Callback()] }));
        Assert.Contains("create a pruner for that network", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, pruner.Step);
    }

    [Fact]
    public void The_report_prints_each_tensor_and_the_total()
    {
        var network = new TinyMlpSoftmax(maxBatch: 4, seed: 7);
        var pruner = new MagnitudePruner(network, new ConstantSparsity(0.5, 0));
        pruner.Prune(0.5);
        string[] lines = pruner.Report().ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("hidden.weight", lines[0], StringComparison.Ordinal);
        Assert.Contains("10 / 20", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("50.00%", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("total", lines[2], StringComparison.Ordinal);
        // The output kernel keeps round(7.5) = 8 of 15 (half to even), so 7 of its weights go, 17 in all.
        Assert.Contains("17 / 35", lines[2], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.3)]
    [InlineData(0.77)]
    public void Per_tensor_pruning_zeroes_tfmots_count_of_the_smallest_magnitudes_in_each_tensor(double sparsity)
    {
        var network = new TinyMlpSoftmax(maxBatch: 4, seed: 7);
        Dictionary<string, float[]> before = network.Layers.SelectMany(l => l.Parameters).ToDictionary(t => t.Name, t => t.Values.ToArray());
        var pruner = new MagnitudePruner(network, new ConstantSparsity(sparsity, beginStep: 0));

        pruner.Prune(sparsity);

        foreach (ParameterTensor tensor in network.Layers.SelectMany(l => l.Parameters))
        {
            float[] old = before[tensor.Name];
            float[] now = tensor.Values.ToArray();
            if (tensor.Name.EndsWith(".bias", StringComparison.Ordinal))
            {
                Assert.Equal(old, now);
                continue;
            }

            // TFMOT keeps max(round(size * (1 - sparsity)), 1) weights, rounding half to even as tf.round does.
            int keep = Math.Max((int)Math.Round(old.Length * (1 - sparsity), MidpointRounding.ToEven), 1);
            int[] expectedPruned = SmallestByMagnitude(old, old.Length - keep);
            int[] pruned = Enumerable.Range(0, now.Length).Where(i => now[i] == 0f).ToArray();
            Assert.Equal(expectedPruned, pruned);
            foreach (int i in Enumerable.Range(0, now.Length).Except(pruned))
            {
                Assert.Equal(old[i], now[i]);
            }
        }
    }

    [Fact]
    public void Global_pruning_uses_one_threshold_across_the_selected_tensors()
    {
        var network = new TinyMlpSoftmax(maxBatch: 4, seed: 7);
        ParameterTensor hidden = network.Hidden.Weight;
        ParameterTensor output = network.Output.Weight;

        // Make the output kernel tiny, so a global threshold takes it whole before touching the hidden kernel.
        foreach (ref float w in output.Values)
        {
            w *= 1e-3f;
        }

        float[] all = [.. hidden.Values.ToArray(), .. output.Values.ToArray()];
        var pruner = new MagnitudePruner(network, new ConstantSparsity(0.5, 0), PruningScope.Global);
        pruner.Prune(0.5);

        int keep = (int)Math.Round(all.Length * 0.5, MidpointRounding.ToEven);
        int[] expected = SmallestByMagnitude(all, all.Length - keep);
        float[] now = [.. hidden.Values.ToArray(), .. output.Values.ToArray()];
        Assert.Equal(expected, Enumerable.Range(0, now.Length).Where(i => now[i] == 0f).ToArray());
        Assert.All(output.Values.ToArray(), w => Assert.Equal(0f, w));

        SparsityReport report = pruner.Report();
        Assert.Equal(all.Length - keep, report.Zeros);
        Assert.Equal(all.Length, report.Size);
        Assert.Equal(1.0, report.Tensors.Single(t => t.Name == "output.weight").Sparsity);
        Assert.Equal((double)(all.Length - keep) / all.Length, report.Sparsity, 12);
    }

    [Fact]
    public void Ties_in_magnitude_are_broken_by_index_lowest_first()
    {
        var network = new TinyMlpSoftmax(maxBatch: 4, seed: 7);
        ParameterTensor weight = network.Hidden.Weight;
        Span<float> values = weight.Values;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (i % 2 == 0 ? 1f : -1f) * 0.5f;
        }

        var pruner = new MagnitudePruner(network, new ConstantSparsity(0.5, 0), tensors: [weight]);
        pruner.Prune(0.25);

        int pruned = values.Length - (int)Math.Round(values.Length * 0.75, MidpointRounding.ToEven);
        float[] now = weight.Values.ToArray();
        Assert.Equal(Enumerable.Range(0, pruned), Enumerable.Range(0, now.Length).Where(i => now[i] == 0f));
    }

    [Fact]
    public void Masks_hold_through_adam_steps_in_fit_while_the_loss_falls()
    {
        var network = new TinyMlpSoftmax(maxBatch: 16, seed: 1);
        var pruner = new MagnitudePruner(network, new PolynomialDecay(0.0, 0.6, beginStep: 0, endStep: 40, frequency: 10));
        var zerosAfterFinalUpdate = new List<bool[]>();
        Dataset data = ClassBlobs.Make(320, 2, 3);
        History history = Trainer.Fit(network, new Adam(0.01), data, new FitOptions
        {
            Epochs = 8,
            BatchSize = 16,
            Seed = 3,
            Callbacks = [pruner.Callback()],
        });

        Assert.Equal(160, pruner.Step);
        Assert.True(history.Epochs[^1].Loss < history.Epochs[0].Loss * 0.7, $"loss went {history.Epochs[0].Loss} -> {history.Epochs[^1].Loss}");
        SparsityReport report = pruner.Report();
        foreach (TensorSparsity tensor in report.Tensors)
        {
            int keep = (int)Math.Round(tensor.Size * 0.4, MidpointRounding.ToEven);
            Assert.Equal(tensor.Size - keep, tensor.Zeros);
        }

        // Adam's moments keep moving pruned weights unless the mask is put back after every step: train on by hand
        // and check the zeros are exactly the mask's after each step.
        bool[] mask = pruner.Mask(network.Hidden.Weight);
        var optimizer = new Adam(0.05);
        Dataset more = ClassBlobs.Make(16, 4, 3);
        for (int i = 0; i < 5; i++)
        {
            Trainer.Step(network, optimizer, more.Features, more.Targets, LossFunction.CrossEntropy);
            pruner.AfterStep();
            float[] now = network.Hidden.Weight.Values.ToArray();
            for (int j = 0; j < now.Length; j++)
            {
                Assert.Equal(!mask[j], now[j] == 0f);
            }
        }
    }

    [Fact]
    public void Pruner_rejects_bad_arguments_naming_them()
    {
        var network = new TinyMlpSoftmax(maxBatch: 4, seed: 7);
        var other = new TinyMlpSoftmax(maxBatch: 4, seed: 8);
        var schedule = new ConstantSparsity(0.5, 0);
        Assert.Equal("network", Assert.Throws<ArgumentNullException>(() => new MagnitudePruner(null!, schedule)).ParamName);
        Assert.Equal("schedule", Assert.Throws<ArgumentNullException>(() => new MagnitudePruner(network, null!)).ParamName);
        Assert.Equal("tensors", Assert.Throws<ArgumentException>(() => new MagnitudePruner(network, schedule, tensors: [other.Hidden.Weight])).ParamName);
        Assert.Equal("tensors", Assert.Throws<ArgumentException>(() => new MagnitudePruner(network, schedule, tensors: [])).ParamName);
        Assert.Equal("tensors", Assert.Throws<ArgumentException>(() => new MagnitudePruner(network, schedule, tensors: [network.Hidden.Weight, network.Hidden.Weight])).ParamName);
        Assert.Equal("scope", Assert.Throws<ArgumentOutOfRangeException>(() => new MagnitudePruner(network, schedule, (PruningScope)7)).ParamName);
        var pruner = new MagnitudePruner(network, schedule);
        Assert.Equal("sparsity", Assert.Throws<ArgumentOutOfRangeException>(() => pruner.Prune(1.0)).ParamName);
        Assert.Equal("step", Assert.Throws<ArgumentOutOfRangeException>(() => pruner.Apply(-1)).ParamName);
        Assert.Equal("tensor", Assert.Throws<ArgumentException>(() => pruner.Mask(network.Hidden.Bias!)).ParamName);
    }

    // The indices of the `count` smallest |w|, ties to the lower index, in ascending index order.
    private static int[] SmallestByMagnitude(float[] values, int count)
        => [.. Enumerable.Range(0, values.Length).OrderBy(i => Math.Abs(values[i])).ThenBy(i => i).Take(count).Order()];
}
