using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TypedNets.Data;
using TypedNets.Optimizers;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;
using TypedNets.Training;

namespace TypedNets.Tests.Training;

/// <summary>
/// Checkpoints (<see cref="Checkpoint"/>), the <see cref="ModelCheckpoint"/> callback and
/// <see cref="FitOptions.ResumeFrom"/>: a run that stops and resumes ends with the weights, history and callback state
/// of a run that never stopped, bit for bit; a checkpoint that does not fit changes nothing.
/// </summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("typednets-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    // Three noisy blobs in five dimensions, labels as class indices.
    private static Dataset Blobs(int rows, ulong seed) => ClassBlobs.Make(rows, seed, classes: 3, width: 5, high: 1.0, noise: 1.2);

    private static FitOptions Options(int epochs, params ICallback[] callbacks) => new()
    {
        Epochs = epochs,
        BatchSize = 8,
        Seed = 7,
        Loss = LossFunction.CrossEntropy,
        ValidationSplit = 0.25,
        LearningRateSchedule = new StepDecay(2, 0.5),
        Callbacks = callbacks,
    };

    [Fact]
    public void A_checkpoint_restores_the_weights_and_the_optimizer_and_the_next_step_is_the_same()
    {
        var network = new DropoutNet(maxBatch: 8, seed: 1);
        var adam = new Adam(0.01, amsgrad: true);
        Trainer.Fit(network, adam, Blobs(64, 2), new FitOptions { Epochs = 2, BatchSize = 8, Seed = 3, Loss = LossFunction.CrossEntropy });
        string path = PathOf("run.safetensors");
        Checkpoint.Save(path, network, adam);

        var restored = new DropoutNet(maxBatch: 8, seed: 99);
        var restoredAdam = new Adam(0.5, amsgrad: true);
        Checkpoint.Load(path, restored, restoredAdam);
        Assert.Equal(network.Parameters.ToArray(), restored.Parameters.ToArray());
        Assert.Equal(adam.StepCount, restoredAdam.StepCount);
        Assert.Equal(0.01, restoredAdam.LearningRate);
        OptimizerState<float> expected = adam.GetState(), actual = restoredAdam.GetState();
        foreach (string name in adam.StateNames)
        {
            Assert.Equal(expected.Buffers[name], actual.Buffers[name]);
        }

        float[] gradients = Enumerable.Range(0, network.Parameters.Length).Select(i => (float)Math.Sin(i)).ToArray();
        adam.Step(network.Parameters, gradients);
        restoredAdam.Step(restored.Parameters, gradients);
        Assert.Equal(network.Parameters.ToArray(), restored.Parameters.ToArray());
    }

    public static TheoryData<string> Optimizers() =>
    [
        "sgd", "sgd_momentum_nesterov_weight_decay", "adam", "adam_amsgrad_weight_decay", "adam_lazy_rows", "adamw", "adamw_amsgrad",
        "rmsprop", "rmsprop_centered_momentum_weight_decay",
    ];

    private static Optimizer<float> Create(string name, DropoutNet network)
    {
        switch (name)
        {
            case "sgd": return new Sgd(0.05);
            case "sgd_momentum_nesterov_weight_decay": return new Sgd(0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01);
            case "adam": return new Adam(0.01);
            case "adam_amsgrad_weight_decay": return new Adam(0.01, weightDecay: 0.01, amsgrad: true);
            case "adamw": return new AdamW(0.01);
            case "adamw_amsgrad": return new AdamW(0.01, amsgrad: true);
            case "rmsprop": return new RmsProp(0.01);
            case "rmsprop_centered_momentum_weight_decay": return new RmsProp(0.01, weightDecay: 0.01, momentum: 0.5, centered: true);
            default:
                var lazy = new Adam(0.01);
                lazy.UpdateRowsLazily(network.First.Weight);
                return lazy;
        }
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Every_optimizer_saved_and_loaded_mid_run_takes_the_next_steps_of_one_never_saved(string name)
    {
        // PyTorch's recipe: save model and optimizer state_dicts mid-run, load them into new objects, and the next steps
        // are those the first objects take.
        Dataset data = Blobs(48, 3);
        var network = new DropoutNet(maxBatch: 8, seed: 1);
        Optimizer<float> optimizer = Create(name, network);
        var options = new FitOptions { Epochs = 2, BatchSize = 8, Seed = 3, Loss = LossFunction.CrossEntropy };
        Trainer.Fit(network, optimizer, data, options);
        string path = PathOf(name + ".safetensors");
        Checkpoint.Save(path, network, optimizer);

        var restored = new DropoutNet(maxBatch: 8, seed: 2);
        Optimizer<float> restoredOptimizer = Create(name == "adam_lazy_rows" ? "adam" : name, restored);
        Checkpoint.Load(path, restored, restoredOptimizer);
        Assert.Equal(optimizer.StepCount, restoredOptimizer.StepCount);
        if (optimizer is Adam<float> adam)
        {
            Assert.Equal(adam.LazyRows, ((Adam<float>)restoredOptimizer).LazyRows);
        }

        for (int step = 0; step < 3; step++)
        {
            float[] gradients = Enumerable.Range(0, network.Parameters.Length).Select(i => (float)Math.Sin((i * (step + 1)) % 7 == 0 ? 0 : i + step)).ToArray();
            optimizer.Step(network.Parameters, gradients);
            restoredOptimizer.Step(restored.Parameters, gradients);
            Assert.Equal(network.Parameters.ToArray(), restored.Parameters.ToArray());
        }
    }

    [Fact]
    public void Batch_normalisation_buffers_are_in_the_checkpoint()
    {
        var network = new TinyBatchNormConvNet(maxBatch: 4, seed: 1);
        var random = new Xoshiro256(5);
        float[] features = Enumerable.Range(0, 12 * 64).Select(_ => (float)random.NextDouble(-1, 1)).ToArray();
        float[] labels = Enumerable.Range(0, 12).Select(i => (float)(i % 3)).ToArray();
        var sgd = new Sgd(0.05, momentum: 0.9);
        Trainer.Fit(network, sgd, new Dataset(features, 64, labels, 1), new FitOptions { Epochs = 1, BatchSize = 4, Loss = LossFunction.CrossEntropy });
        string path = PathOf("norm.safetensors");
        Checkpoint.Save(path, network, sgd);

        var restored = new TinyBatchNormConvNet(maxBatch: 4, seed: 2);
        Checkpoint.Load(path, restored, new Sgd(0.05, momentum: 0.9));
        Assert.Equal(network.Buffers.ToArray(), restored.Buffers.ToArray());
        Assert.Equal(network.Parameters.ToArray(), restored.Parameters.ToArray());
    }

    [Fact]
    public void The_file_is_safetensors_with_state_dict_names_and_optimizer_state_under_a_prefix()
    {
        var network = new TinyMlpSoftmax(maxBatch: 4, seed: 1);
        var adam = new Adam(0.01);
        adam.Step(network.Parameters, new float[network.Parameters.Length]);
        string path = PathOf("names.safetensors");
        Checkpoint.Save(path, network, adam);

        IReadOnlyDictionary<string, string> metadata = SafeTensors.ReadMetadata(path);
        Assert.Equal("Adam", metadata["optimizer"]);
        Assert.Equal("1", metadata["optimizer.step"]);
        Assert.Equal("0.9", metadata["optimizer.beta1"]);
        string header = System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(path));
        Assert.Contains("\"hidden.weight\"", header);
        Assert.Contains("\"optimizer.state.hidden.weight.exp_avg\"", header);
        Assert.Contains("\"optimizer.state.output.bias.exp_avg_sq\"", header);
    }

    [Fact]
    public void A_checkpoint_of_another_network_is_refused_and_changes_nothing()
    {
        var network = new TinyMlpSoftmax(maxBatch: 4, seed: 1);
        var adam = new Adam(0.01);
        adam.Step(network.Parameters, new float[network.Parameters.Length]);
        string path = PathOf("other.safetensors");
        Checkpoint.Save(path, network, adam);

        var target = new DropoutNet(maxBatch: 4, seed: 3);
        var targetAdam = new Adam(0.02);
        targetAdam.Step(target.Parameters, new float[target.Parameters.Length]);
        float[] before = target.Parameters.ToArray();
        var error = Assert.Throws<SafeTensorsFormatException>(() => Checkpoint.Load(path, target, targetAdam));
        Assert.Contains("first.weight", error.Message);
        Assert.Equal(before, target.Parameters.ToArray());
        Assert.Equal(1, targetAdam.StepCount);
        Assert.Equal(0.02, targetAdam.LearningRate);
    }

    [Fact]
    public void A_checkpoint_of_another_optimizer_or_other_hyper_parameters_is_refused_and_changes_nothing()
    {
        var network = new TinyMlpSoftmax(maxBatch: 4, seed: 1);
        var adam = new Adam(0.01, beta2: 0.99);
        adam.Step(network.Parameters, new float[network.Parameters.Length]);
        string path = PathOf("adam.safetensors");
        Checkpoint.Save(path, network, adam);

        var target = new TinyMlpSoftmax(maxBatch: 4, seed: 2);
        float[] before = target.Parameters.ToArray();
        var sgd = new Sgd(0.1, momentum: 0.9);
        var error = Assert.Throws<SafeTensorsFormatException>(() => Checkpoint.Load(path, target, sgd));
        Assert.Contains("Adam", error.Message);
        Assert.Contains("Sgd", error.Message);
        Assert.Equal(0, sgd.StepCount);

        var otherBeta = new Adam(0.01, beta2: 0.999);
        error = Assert.Throws<SafeTensorsFormatException>(() => Checkpoint.Load(path, target, otherBeta));
        Assert.Contains("beta2", error.Message);
        Assert.Contains("0.99", error.Message);
        Assert.Equal(0, otherBeta.StepCount);
        Assert.Equal(before, target.Parameters.ToArray());
    }

    [Fact]
    public void A_truncated_or_corrupt_checkpoint_is_refused_and_changes_nothing()
    {
        var network = new DropoutNet(maxBatch: 4, seed: 1);
        var adam = new Adam(0.01);
        adam.Step(network.Parameters, Enumerable.Repeat(0.5f, network.Parameters.Length).ToArray());
        string path = PathOf("good.safetensors");
        Checkpoint.Save(path, network, adam);
        byte[] bytes = File.ReadAllBytes(path);

        var target = new DropoutNet(maxBatch: 4, seed: 2);
        var targetAdam = new Adam(0.01);
        float[] before = target.Parameters.ToArray();
        string broken = PathOf("broken.safetensors");
        foreach (int length in new[] { 0, 7, 8, 100, bytes.Length / 2, bytes.Length - 1 })
        {
            File.WriteAllBytes(broken, bytes[..length]);
            Assert.Throws<SafeTensorsFormatException>(() => Checkpoint.Load(broken, target, targetAdam));
            Assert.Equal(before, target.Parameters.ToArray());
            Assert.Equal(0, targetAdam.StepCount);
        }

        byte[] garbled = (byte[])bytes.Clone();
        garbled[12] = (byte)'#';
        File.WriteAllBytes(broken, garbled);
        Assert.Throws<SafeTensorsFormatException>(() => Checkpoint.Load(broken, target, targetAdam));

        // A plain weights file is not a checkpoint: it has no optimizer.
        SafeTensors.Save(network, broken);
        var error = Assert.Throws<SafeTensorsFormatException>(() => Checkpoint.Load(broken, target, targetAdam));
        Assert.Contains("optimizer", error.Message);
        Assert.Equal(before, target.Parameters.ToArray());
        Assert.Equal(0, targetAdam.StepCount);
    }

    [Fact]
    public void A_resumed_run_ends_bit_identical_to_one_that_never_stopped()
    {
        Dataset data = Blobs(120, 4);
        var uninterrupted = new DropoutNet(maxBatch: 8, seed: 1);
        var uninterruptedStopping = new EarlyStopping(patience: 100);
        History expected = Trainer.Fit(uninterrupted, new Adam(0.01), data, Options(6, uninterruptedStopping));

        string path = PathOf("resume.safetensors");
        var crashed = new DropoutNet(maxBatch: 8, seed: 1);
        Assert.Throws<InvalidOperationException>(
            () => Trainer.Fit(crashed, new Adam(0.01), data, Options(6, new ModelCheckpoint(path), new Crash(atEpoch: 3))));
        Assert.Equal(3, Checkpoint.ReadProgress(path)!.Epoch);

        // A new process: other initial weights and another learning rate, both replaced by the checkpoint's.
        var resumed = new DropoutNet(maxBatch: 8, seed: 42);
        var resumedStopping = new EarlyStopping(patience: 100);
        FitOptions options = Options(6, resumedStopping);
        History history = Trainer.Fit(resumed, new Adam(0.3), data, new FitOptions
        {
            Epochs = options.Epochs,
            BatchSize = options.BatchSize,
            Seed = options.Seed,
            ValidationSplit = options.ValidationSplit,
            Loss = options.Loss,
            LearningRateSchedule = options.LearningRateSchedule,
            Callbacks = options.Callbacks,
            ResumeFrom = path,
        });

        Assert.Equal(uninterrupted.Parameters.ToArray(), resumed.Parameters.ToArray());
        Assert.Equal(6, history.Epochs.Count);
        Assert.Equal(expected["loss"], history["loss"]);
        Assert.Equal(expected["val_loss"], history["val_loss"]);
        Assert.Equal(expected.Epochs.Select(e => e.LearningRate), history.Epochs.Select(e => e.LearningRate));
        Assert.Equal(uninterruptedStopping.Best, resumedStopping.Best);
        Assert.Equal(uninterruptedStopping.BestEpoch, resumedStopping.BestEpoch);
    }

    [Fact]
    public void Resuming_with_another_seed_or_batch_size_is_refused_before_anything_changes()
    {
        Dataset data = Blobs(40, 4);
        string path = PathOf("seed.safetensors");
        Trainer.Fit(new DropoutNet(maxBatch: 8, seed: 1), new Adam(0.01), data, Options(2, new ModelCheckpoint(path)));

        var network = new DropoutNet(maxBatch: 8, seed: 5);
        var adam = new Adam(0.01);
        float[] before = network.Parameters.ToArray();
        var error = Assert.Throws<ArgumentException>(() => Trainer.Fit(network, adam, data, new FitOptions { Epochs = 4, BatchSize = 8, Seed = 8, ValidationSplit = 0.25, Loss = LossFunction.CrossEntropy, ResumeFrom = path }));
        Assert.Equal("options", error.ParamName);
        Assert.Contains("Seed", error.Message);
        error = Assert.Throws<ArgumentException>(() => Trainer.Fit(network, adam, data, new FitOptions { Epochs = 4, BatchSize = 4, Seed = 7, ValidationSplit = 0.25, Loss = LossFunction.CrossEntropy, ResumeFrom = path }));
        Assert.Contains("BatchSize", error.Message);
        Assert.Equal(before, network.Parameters.ToArray());
        Assert.Equal(0, adam.StepCount);

        Assert.Throws<FileNotFoundException>(() => Trainer.Fit(network, adam, data, new FitOptions { Epochs = 4, BatchSize = 8, Seed = 7, Loss = LossFunction.CrossEntropy, ResumeFrom = PathOf("missing.safetensors") }));

        // A checkpoint saved outside Fit has weights and optimizer state but no progress to resume.
        string plain = PathOf("plain.safetensors");
        Checkpoint.Save(plain, network, adam);
        Assert.Null(Checkpoint.ReadProgress(plain));
        error = Assert.Throws<ArgumentException>(() => Trainer.Fit(network, adam, data, new FitOptions { Epochs = 4, BatchSize = 8, Seed = 7, Loss = LossFunction.CrossEntropy, ResumeFrom = plain }));
        Assert.Contains("Checkpoint.Load", error.Message);
        Assert.Equal(before, network.Parameters.ToArray());
    }

    [Fact]
    public void A_checkpoint_of_a_finished_run_resumes_to_its_history_without_training()
    {
        Dataset data = Blobs(40, 4);
        string path = PathOf("done.safetensors");
        var network = new DropoutNet(maxBatch: 8, seed: 1);
        History first = Trainer.Fit(network, new Adam(0.01), data, Options(3, new ModelCheckpoint(path)));

        var resumed = new DropoutNet(maxBatch: 8, seed: 2);
        var adam = new Adam(0.01);
        History history = Trainer.Fit(resumed, adam, data, new FitOptions { Epochs = 3, BatchSize = 8, Seed = 7, ValidationSplit = 0.25, Loss = LossFunction.CrossEntropy, ResumeFrom = path });
        Assert.Equal(first["loss"], history["loss"]);
        Assert.Equal(network.Parameters.ToArray(), resumed.Parameters.ToArray());
        Assert.Equal(first.Epochs.Count * 4, adam.StepCount);
    }

    [Fact]
    public void Save_best_only_writes_exactly_the_epochs_that_improve_the_monitored_value()
    {
        Dataset data = Blobs(60, 6);
        string pattern = PathOf("best-{epoch}.safetensors");
        History history = Trainer.Fit(
            new DropoutNet(maxBatch: 8, seed: 1),
            new Sgd(0.8, momentum: 0.9),
            data,
            new FitOptions { Epochs = 10, BatchSize = 8, Seed = 7, ValidationSplit = 0.25, Loss = LossFunction.CrossEntropy, Callbacks = [new ModelCheckpoint(pattern, monitor: "val_loss", saveBestOnly: true)] });

        var improved = new List<int>();
        double best = double.PositiveInfinity;
        foreach (EpochResult epoch in history.Epochs)
        {
            if (epoch.ValidationLoss!.Value < best)
            {
                best = epoch.ValidationLoss.Value;
                improved.Add(epoch.Epoch);
            }
        }

        // The run is chosen so that some epochs do not improve, or this test could not tell saveBestOnly from saving always.
        Assert.InRange(improved.Count, 2, 9);
        int[] written = Directory.GetFiles(_directory, "best-*.safetensors")
            .Select(file => int.Parse(Path.GetFileNameWithoutExtension(file)["best-".Length..], System.Globalization.CultureInfo.InvariantCulture))
            .Order()
            .ToArray();
        Assert.Equal(improved, written);
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));
    }

    [Fact]
    public void Period_saves_every_nth_epoch_and_weights_only_writes_a_plain_weights_file()
    {
        Dataset data = Blobs(40, 6);
        var network = new DropoutNet(maxBatch: 8, seed: 1);
        string weights = PathOf("weights.safetensors");
        Trainer.Fit(network, new Adam(0.01), data, Options(5, new ModelCheckpoint(PathOf("every-{epoch}.safetensors"), period: 2), new ModelCheckpoint(weights, weightsOnly: true)));

        Assert.Equal(["every-2.safetensors", "every-4.safetensors"], Directory.GetFiles(_directory, "every-*").Select(Path.GetFileName).Order());
        Assert.Equal(4, Checkpoint.ReadProgress(PathOf("every-4.safetensors"))!.Epoch);
        var loaded = new DropoutNet(maxBatch: 8, seed: 3);
        SafeTensors.Load(loaded, weights);
        Assert.Equal(network.Parameters.ToArray(), loaded.Parameters.ToArray());
    }

    [Fact]
    public void ModelCheckpoint_checks_its_arguments()
    {
        Assert.Equal("filePath", Assert.Throws<ArgumentException>(() => new ModelCheckpoint("")).ParamName);
        Assert.Equal("period", Assert.Throws<ArgumentOutOfRangeException>(() => new ModelCheckpoint("a.safetensors", period: 0)).ParamName);
        Assert.Equal("monitor", Assert.Throws<ArgumentException>(() => new ModelCheckpoint("a.safetensors", monitor: "val_auc")).ParamName);

        // Save-best-only on a metric the run does not produce says what to do.
        var error = Assert.Throws<InvalidOperationException>(() => Trainer.Fit(
            new DropoutNet(maxBatch: 8, seed: 1),
            new Adam(0.01),
            Blobs(16, 1),
            new FitOptions { Epochs = 1, BatchSize = 8, Loss = LossFunction.CrossEntropy, Callbacks = [new ModelCheckpoint(PathOf("x.safetensors"), saveBestOnly: true)] }));
        Assert.Contains("val_loss", error.Message);
    }

    /// <summary>Stands in for a crash: throws at the end of one epoch, after the callbacks before it have run.</summary>
    private sealed class Crash(int atEpoch) : ICallback
    {
        public void OnEpochEnd(EpochResult epoch, TrainingControl control)
        {
            if (epoch.Epoch == atEpoch)
            {
                throw new InvalidOperationException("Simulated crash.");
            }
        }
    }
}
