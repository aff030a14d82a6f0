using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using TypedNets.Data;
using TypedNets.Optimizers;
using TypedNets.Tests.Networks;
using TypedNets.Training;
using Xunit;

namespace TypedNets.Tests.Training;

/// <summary>
/// Tests that set <see cref="Trainer.Threads"/>: they run alone, after the others, so that no other test's training
/// sees the value they set.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainerThreadsCollection
{
    public const string Name = "Trainer.Threads";
}

/// <summary>
/// The data-parallel training step: a batch split into two shards, run on one thread or two, gives the same bits either
/// way, and the same gradient, loss and accuracy as the whole batch up to rounding.
/// </summary>
[Collection(TrainerThreadsCollection.Name)]
public sealed class DataParallelTests
{
    public static TheoryData<string> Kinds => new() { "mlp", "dropout-mlp", "convnet", "text", "gpt" };

    public static TheoryData<string> KindsWithoutDropout => new() { "mlp", "convnet", "text", "gpt" };

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(-1)]
    public void Threads_other_than_one_or_two_are_refused(int threads)
    {
        int before = Trainer.Threads;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Threads = threads);
        Assert.Equal("value", error.ParamName);
        Assert.Contains(threads.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Trainer.Threads);
    }

    [Fact]
    public void Threads_defaults_to_the_cores_up_to_two()
    {
        // Every test here restores the value it set, so this is still the default.
        Assert.Equal(Math.Min(2, Environment.ProcessorCount), Trainer.Threads);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_networks_here_are_split_and_a_batch_of_one_is_not(string kind)
    {
        (INetwork network, _, int batch) = Make(kind);
        Assert.Equal(2, Trainer.Shards(network, batch));
        Assert.Equal(1, Trainer.Shards(network, 1));
    }

    [Fact]
    public void A_network_with_batch_normalisation_or_a_tiny_one_stays_one_shard()
    {
        // Batch statistics over half a batch would be other statistics: never split, whatever its size.
        Assert.Equal(1, Trainer.Shards(new ShardedBatchNormMlp(maxBatch: 64), 64));

        // The tutorial's 10-50-2 MLP takes microseconds a step; a hand-off to another thread would cost more.
        Assert.Equal(1, Trainer.Shards(new TutorialClassifier(maxBatch: 32), 32));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(33)]
    public void Shards_refuses_a_batch_size_the_network_cannot_take(int batch)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Shards(new ShardedMlp(maxBatch: 32), batch));
        Assert.Equal("batchSize", error.ParamName);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Fit_gives_the_same_bits_on_one_and_two_threads(string kind)
    {
        Run one = WithThreads(1, () => Fit(kind));
        Run two = WithThreads(2, () => Fit(kind));

        Assert.Equal(Bytes(one.Parameters), Bytes(two.Parameters));
        Assert.Equal(one.Losses, two.Losses);
        Assert.Equal(one.Accuracies, two.Accuracies);
        Assert.Equal(one.DropoutState, two.DropoutState);
        Assert.Equal(one.OptimizerState.Keys, two.OptimizerState.Keys);
        foreach ((string name, float[] values) in one.OptimizerState)
        {
            Assert.Equal(Bytes(values), Bytes(two.OptimizerState[name]));
        }
    }

    [Fact]
    public void Fit_of_a_network_with_batch_normalisation_gives_the_same_bits_on_one_and_two_threads()
    {
        static float[] Train()
        {
            var network = new ShardedBatchNormMlp(maxBatch: 24, seed: 3);
            Trainer.Fit(network, new Adam(0.01), ClassBlobs.Make(61, 4, classes: 5, width: 96), new FitOptions { Epochs = 2, BatchSize = 24, Seed = 2 });
            return [.. network.Parameters, .. network.Buffers];
        }

        float[] one = WithThreads(1, Train);
        float[] two = WithThreads(2, Train);
        Assert.Equal(Bytes(one), Bytes(two));
    }

    [Theory]
    [MemberData(nameof(KindsWithoutDropout))]
    public void The_split_step_has_the_whole_batchs_gradient_and_loss_up_to_rounding(string kind)
    {
        foreach (int threads in new[] { 1, 2 })
        {
            (INetwork sharded, Dataset data, int batch) = Make(kind);
            (INetwork whole, _, _) = Make(kind);
            ReadOnlySpan<float> features = data.Features[..(batch * data.FeatureWidth)];
            ReadOnlySpan<float> targets = data.Targets[..(batch * data.TargetWidth)];
            LossFunction loss = sharded.DeclaredLoss!.Value;

            whole.ZeroGradients();
            whole.Forward(features, training: true);
            double expectedLoss = whole.LossBackward(targets);
            float[] expected = whole.Gradients.ToArray();

            var recorder = new RecordingOptimizer();
            double actualLoss = WithThreads(threads, () => Trainer.Step(sharded, recorder, data.Features[..(batch * data.FeatureWidth)], data.Targets[..(batch * data.TargetWidth)], loss));

            Assert.Equal(expectedLoss, actualLoss, 5e-6 * Math.Max(1, Math.Abs(expectedLoss)));
            float scale = 0;
            foreach (float g in expected)
            {
                scale = Math.Max(scale, Math.Abs(g));
            }

            Assert.True(scale > 0, "the whole batch's gradient is zero, so the comparison would prove nothing");
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(
                    Math.Abs(expected[i] - recorder.Gradients[i]) <= 2e-5 * scale,
                    $"{kind}, {threads} thread(s): gradient {i} is {recorder.Gradients[i]}, the whole batch's {expected[i]} (largest {scale})");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_gradient_that_is_not_finite_stops_the_split_step_naming_the_one_the_whole_batch_would(int threads)
    {
        // A NaN in the LSTM's input weights makes every gradient the batch reaches NaN, the token table's rows
        // included: the first is in the table, which the split step adds up row by row and checks in pieces.
        (INetwork network, Dataset data, int batch) = Make("text");
        (INetwork whole, _, _) = Make("text");
        network.Layers[1].Parameters[0].Values[5] = float.NaN;
        whole.Layers[1].Parameters[0].Values[5] = float.NaN;
        float[] features = data.Features[..(batch * data.FeatureWidth)].ToArray();
        float[] targets = data.Targets[..batch].ToArray();
        whole.ZeroGradients();
        whole.Forward(features, training: true);
        whole.LossBackward(targets);
        int first = Array.FindIndex(whole.Gradients.ToArray(), g => !float.IsFinite(g));
        Assert.True(first >= 0);
        string expected = NameOf(whole, first);
        float[] before = network.Parameters.ToArray();

        var error = Assert.Throws<TrainingDivergedException>(
            () => WithThreads(threads, () => Trainer.Step(network, new Adam(0.01), features, targets, network.DeclaredLoss!.Value)));

        Assert.Equal(expected, error.Gradient);
        Assert.Equal(Bytes(before), Bytes(network.Parameters.ToArray()));
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 2)]
    [InlineData(true, 1)]
    [InlineData(true, 2)]
    public void The_split_steps_optimizer_update_is_that_of_one_Step_on_the_summed_gradients(bool lazyRows, int threads)
    {
        // Adam's update of a split step is cut into pieces that both threads take; with lazy rows, the row that
        // straddles two pieces must be skipped or updated as the whole row's gradient says.
        var network = new ShardedWideTableClassifier(maxBatch: 16, seed: 1);
        var random = new Xoshiro256(8);
        float[] tokens = new float[16 * 24];
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = i % 5 == 0 ? 680 + random.NextInt(5) : random.NextInt(1000);
        }

        float[] labels = new float[16];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = random.NextInt(3);
        }

        Assert.Equal(2, Trainer.Shards(network, 16));
        float[] expected = network.Parameters.ToArray();
        var adam = new Adam(0.01);
        var reference = new Adam(0.01);
        if (lazyRows)
        {
            adam.UpdateRowsLazily(network.Embedding.Weight);
            reference.UpdateRowsLazily(network.Embedding.Weight);
        }

        for (int step = 0; step < 3; step++)
        {
            WithThreads(threads, () => Trainer.Step(network, adam, tokens, labels, LossFunction.CrossEntropy));
            reference.Step(expected, network.Gradients);
            Assert.Equal(Bytes(expected), Bytes(network.Parameters.ToArray()));
        }

        Assert.Equal(Bytes(reference.GetState().Buffers["exp_avg_sq"]), Bytes(adam.GetState().Buffers["exp_avg_sq"]));
    }

    [Fact]
    public void Fit_reports_the_loss_and_accuracy_of_the_whole_batches()
    {
        // One epoch of plain SGD at rate 0 changes nothing, so its loss and accuracy are those of the initial weights,
        // which Evaluate computes over the same rows without splitting anything.
        var network = new ShardedMlp(maxBatch: 24, seed: 5);
        Dataset data = ClassBlobs.Make(61, 8, classes: 5, width: 96);
        Evaluation expected = Trainer.Evaluate(network, data, batchSize: 24);
        History history = WithThreads(2, () => Trainer.Fit(network, new Sgd(0), data, new FitOptions { Epochs = 1, BatchSize = 24, Shuffle = false }));

        Assert.Equal(expected.Loss, history.Epochs[0].Loss, 1e-5);
        Assert.Equal(expected.Accuracy, history.Epochs[0].Accuracy);
    }

    [Fact]
    public void An_error_in_the_second_shard_surfaces_on_the_caller_and_the_next_step_runs()
    {
        (INetwork network, Dataset data, int batch) = Make("mlp");
        float[] features = data.Features[..(batch * data.FeatureWidth)].ToArray();
        float[] targets = data.Targets[..batch].ToArray();
        float[] bad = (float[])targets.Clone();
        bad[^1] = 17; // a class the 5-way output does not have, in the second half of the batch

        WithThreads(2, () =>
        {
            var error = Assert.Throws<ArgumentException>(() => Trainer.Step(network, new Adam(0.01), features, bad, network.DeclaredLoss!.Value));
            Assert.Contains("17", error.Message, StringComparison.Ordinal);
            Assert.Contains("LossKernel", error.StackTrace ?? "", StringComparison.Ordinal);
            return 0;
        });

        // The failed step changed nothing, and the network trains on as one that never saw it.
        (INetwork fresh, _, _) = Make("mlp");
        Assert.Equal(Bytes(fresh.Parameters.ToArray()), Bytes(network.Parameters.ToArray()));
        double after = WithThreads(2, () => Trainer.Step(network, new Adam(0.01), features, targets, network.DeclaredLoss!.Value));
        double reference = WithThreads(1, () => Trainer.Step(fresh, new Adam(0.01), features, targets, fresh.DeclaredLoss!.Value));
        Assert.Equal(reference, after);
        Assert.Equal(Bytes(fresh.Parameters.ToArray()), Bytes(network.Parameters.ToArray()));
    }

    [Fact]
    public void A_run_resumed_from_a_checkpoint_ends_as_the_uninterrupted_run_with_dropout()
    {
        string directory = Directory.CreateTempSubdirectory("typednets-shards-").FullName;
        try
        {
            string path = Path.Combine(directory, "run.safetensors");
            Dataset data = ClassBlobs.Make(70, 6, classes: 5, width: 96);
            FitOptions Options(int epochs, ICallback[]? callbacks = null, string? resumeFrom = null)
                => new() { Epochs = epochs, BatchSize = 24, Seed = 9, Callbacks = callbacks ?? [], ResumeFrom = resumeFrom };

            var uninterrupted = new ShardedDropoutMlp(maxBatch: 24, seed: 2);
            WithThreads(2, () => Trainer.Fit(uninterrupted, new Adam(0.01), data, Options(4)));

            var first = new ShardedDropoutMlp(maxBatch: 24, seed: 2);
            WithThreads(2, () => Trainer.Fit(first, new Adam(0.01), data, Options(2, callbacks: [new ModelCheckpoint(path)])));
            var resumed = new ShardedDropoutMlp(maxBatch: 24, seed: 77);
            WithThreads(1, () => Trainer.Fit(resumed, new Adam(0.01), data, Options(4, resumeFrom: path)));

            Assert.Equal(Bytes(uninterrupted.Parameters.ToArray()), Bytes(resumed.Parameters.ToArray()));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void A_split_step_allocates_nothing_on_any_thread()
    {
        (INetwork network, Dataset data, int batch) = Make("text");
        float[] features = data.Features[..(batch * data.FeatureWidth)].ToArray();
        float[] targets = data.Targets[..batch].ToArray();
        var adam = new Adam(0.001);
        WithThreads(2, () =>
        {
            for (int i = 0; i < 5; i++)
            {
                Trainer.Step(network, adam, features, targets, network.DeclaredLoss!.Value);
            }

            // The whole process's allocations, the worker thread's included; the fewest of a few tries, as the runtime
            // now and then allocates once on its own (a method promoted to its optimised version).
            long fewest = long.MaxValue;
            for (int attempt = 0; attempt < 5 && fewest != 0; attempt++)
            {
                long before = GC.GetTotalAllocatedBytes(precise: true);
                Trainer.Step(network, adam, features, targets, network.DeclaredLoss!.Value);
                fewest = Math.Min(fewest, GC.GetTotalAllocatedBytes(precise: true) - before);
            }

            Assert.Equal(0, fewest);
            return 0;
        });
    }

    private static T WithThreads<T>(int threads, Func<T> action)
    {
        int before = Trainer.Threads;
        Trainer.Threads = threads;
        try
        {
            return action();
        }
        finally
        {
            Trainer.Threads = before;
        }
    }

    private static string NameOf(INetwork network, int index)
    {
        foreach (Layer layer in network.Layers)
        {
            foreach (ParameterTensor tensor in layer.Parameters)
            {
                if (index >= tensor.Offset && index < tensor.Offset + tensor.Length)
                {
                    return $"{tensor.Name}[{index - tensor.Offset}]";
                }
            }
        }

        throw new ArgumentOutOfRangeException(nameof(index), index, "Not a parameter of the network.");
    }

    private static byte[] Bytes(ReadOnlySpan<float> values) => MemoryMarshal.AsBytes(values).ToArray();

    private static Run Fit(string kind)
    {
        (INetwork network, Dataset data, int batch) = Make(kind);
        var adam = new Adam(0.01);
        History history = Trainer.Fit(network, adam, data, new FitOptions { Epochs = 3, BatchSize = batch, Seed = 4, ClipGradientNorm = kind == "gpt" ? 1.0 : null });
        var state = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach ((string name, float[] values) in adam.GetState().Buffers)
        {
            state[name] = values;
        }

        var losses = new List<double>();
        var accuracies = new List<double?>();
        foreach (EpochResult epoch in history.Epochs)
        {
            losses.Add(epoch.Loss);
            accuracies.Add(epoch.Accuracy);
        }

        return new Run(network.Parameters.ToArray(), losses, accuracies, network.DropoutRandom.State, state);
    }

    // Each network with data whose row count leaves a last batch of another, odd size.
    private static (INetwork Network, Dataset Data, int Batch) Make(string kind)
    {
        switch (kind)
        {
            case "mlp":
                return (new ShardedMlp(maxBatch: 24, seed: 1), ClassBlobs.Make(61, 2, classes: 5, width: 96), 23);
            case "dropout-mlp":
                return (new ShardedDropoutMlp(maxBatch: 24, seed: 1), ClassBlobs.Make(61, 2, classes: 5, width: 96), 24);
            case "convnet":
                return (new ShardedConvnet(maxBatch: 16, seed: 1), ClassBlobs.Make(37, 3, classes: 4, width: 256), 15);
            case "text":
            {
                var random = new Xoshiro256(5);
                const int rows = 45, steps = 24;
                float[] tokens = new float[rows * steps];
                float[] labels = new float[rows];
                for (int row = 0; row < rows; row++)
                {
                    int label = random.NextInt(3);
                    for (int step = 0; step < steps; step++)
                    {
                        // Tokens 0-19 are common to every class, 20 + 13 c to 32 + 13 c mark class c.
                        tokens[(row * steps) + step] = random.NextInt(2) == 0 ? random.NextInt(20) : 20 + (13 * label) + random.NextInt(13);
                    }

                    labels[row] = row % 7 == 3 ? -1 : label;
                }

                return (new ShardedTextClassifier(maxBatch: 16, seed: 1), new Dataset(tokens, steps, labels, 1), 16);
            }

            case "gpt":
            {
                var random = new Xoshiro256(6);
                const int rows = 29, steps = 16;
                float[] tokens = new float[rows * steps];
                float[] next = new float[rows * steps];
                for (int row = 0; row < rows; row++)
                {
                    // Counting up from a random start, modulo the vocabulary; the last position has no next token.
                    int start = random.NextInt(23);
                    for (int step = 0; step < steps; step++)
                    {
                        tokens[(row * steps) + step] = (start + step) % 23;
                        next[(row * steps) + step] = step == steps - 1 ? -1 : (start + step + 1) % 23;
                    }
                }

                return (new ShardedGpt(maxBatch: 12, seed: 1), new Dataset(tokens, steps, next, steps), 11);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a network kind of these tests.");
        }
    }

    private sealed record Run(float[] Parameters, List<double> Losses, List<double?> Accuracies, (ulong, ulong, ulong, ulong) DropoutState, Dictionary<string, float[]> OptimizerState);

    /// <summary>Keeps the gradients it is given and changes nothing.</summary>
    private sealed class RecordingOptimizer() : Optimizer<float>(0)
    {
        public float[] Gradients { get; private set; } = [];

        protected override void AllocateState(int length)
        {
        }

        protected override void ClearState()
        {
        }

        protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, int step) => Gradients = gradients.ToArray();
    }
}
