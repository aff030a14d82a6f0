using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using TypedNets.Data;
using TypedNets.Optimizers;
using TypedNets.Tests.Networks;
using TypedNets.Training;

namespace TypedNets.Tests.Training;

/// <summary><see cref="ReduceLROnPlateau"/>, <see cref="CsvLogger"/> and <see cref="LearningRateScheduler"/> against Keras' documented behaviour.</summary>
public sealed class KerasCallbackTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "typednets-callbacks-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static History Fit(Optimizer<float> optimizer, int epochs, double validationSplit, params ICallback[] callbacks)
        => Trainer.Fit(new TinyMlpSoftmax(maxBatch: 8, seed: 1), optimizer, ClassBlobs.Make(40, 2), new FitOptions
        {
            Epochs = epochs,
            BatchSize = 8,
            Seed = 4,
            ValidationSplit = validationSplit,
            Callbacks = callbacks,
        });

    [Fact]
    public void ReduceLROnPlateau_follows_Keras_patience_cooldown_and_minimum()
    {
        // Worked by hand with Keras' rule (patience 2, factor 0.5, cooldown 1, min_lr 0.02, min_delta 1e-4):
        // epoch 4 is the second without improving on 0.9: 0.1 -> 0.05, then a cooldown epoch (5) that resets the count;
        // 5 and 6 do not improve: 0.025 at 6; 7 is cooldown; 7 and 8 do not improve: 0.0125, held at the minimum 0.02;
        // 10 and 11 would reduce, but the rate is at the minimum; 12 improves.
        double[] valLoss = [1.0, 0.9, 0.95, 0.93, 0.92, 0.91, 0.95, 0.96, 0.97, 0.98, 0.99, 0.5];
        double[] rateAfter = [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02, 0.02];
        var reducer = new ReduceLROnPlateau(factor: 0.5, patience: 2, cooldown: 1, minLearningRate: 0.02);
        var driver = new MonitoredValues(reducer, valLoss);
        var messages = new MessageRecorder();
        History history = Fit(new Sgd(0.1), valLoss.Length, 0.2, driver, messages);

        Assert.Equal(rateAfter, driver.RateAfter.ToArray(), new ToleranceComparer(1e-15));

        // The reduced rate is the one the next epoch trains with.
        Assert.Equal([0.1, .. rateAfter[..^1]], history.Epochs.Select(epoch => epoch.LearningRate).ToArray(), new ToleranceComparer(1e-15));
        Assert.Equal(0.5, reducer.Best);
        Assert.Equal(
            ["Epoch 4: ReduceLROnPlateau reducing learning rate to 0.05.", "Epoch 6: ReduceLROnPlateau reducing learning rate to 0.025.", "Epoch 8: ReduceLROnPlateau reducing learning rate to 0.02."],
            messages.Messages);
    }

    [Fact]
    public void ReduceLROnPlateau_maximises_accuracies_and_counts_changes_below_min_delta_as_none()
    {
        // Patience 1: each epoch that does not beat the best by more than 0.01 lowers the rate by 10.
        double[] accuracy = [0.5, 0.6, 0.605, 0.7, 0.65];
        double[] rateAfter = [1, 1, 0.1, 0.1, 0.01];
        var driver = new MonitoredValues(new ReduceLROnPlateau("val_accuracy", patience: 1, minDelta: 0.01), accuracy);
        Fit(new Sgd(1.0), accuracy.Length, 0.2, driver);

        Assert.Equal(rateAfter, driver.RateAfter.ToArray(), new ToleranceComparer(1e-15));
    }

    [Theory]
    [InlineData(1.0, 10, 0, 0.0, "factor")]
    [InlineData(0.0, 10, 0, 0.0, "factor")]
    [InlineData(0.1, -1, 0, 0.0, "patience")]
    [InlineData(0.1, 10, -1, 0.0, "cooldown")]
    [InlineData(0.1, 10, 0, -1.0, "minLearningRate")]
    public void ReduceLROnPlateau_refuses_values_out_of_range(double factor, int patience, int cooldown, double minLearningRate, string parameter)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(factor: factor, patience: patience, cooldown: cooldown, minLearningRate: minLearningRate));
        Assert.Equal(parameter, error.ParamName);
        Assert.Equal("mode", Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(mode: "up")).ParamName);
        Assert.Equal("monitor", Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(monitor: "val_auc")).ParamName);
    }

    [Fact]
    public void CsvLogger_writes_Keras_header_and_one_row_per_epoch_as_it_ends()
    {
        string path = Path.Combine(_directory, "logs", "training.csv");
        var rowsSeen = new List<int>();
        History history = Fit(new Adam(0.01), 3, 0.2, new CsvLogger(path), new AfterEpoch(() => rowsSeen.Add(File.ReadAllLines(path).Length)));

        // Each row is on disk when the epoch ends: the header and one row per finished epoch.
        Assert.Equal([2, 3, 4], rowsSeen);
        string[] lines = File.ReadAllLines(path);
        Assert.Equal("epoch,accuracy,learning_rate,loss,val_accuracy,val_loss", lines[0]);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            double[] values = lines[epoch + 1].Split(',').Select(field => double.Parse(field, CultureInfo.InvariantCulture)).ToArray();
            EpochResult expected = history.Epochs[epoch];
            Assert.Equal(
                [epoch, expected.Accuracy!.Value, expected.LearningRate, expected.Loss, expected.ValidationAccuracy!.Value, expected.ValidationLoss!.Value],
                values);
        }
    }

    [Fact]
    public void CsvLogger_appends_without_a_second_header_or_starts_afresh()
    {
        string path = Path.Combine(_directory, "training.csv");
        Fit(new Adam(0.01), 2, 0, new CsvLogger(path, separator: ';'));
        Fit(new Adam(0.01), 3, 0, new CsvLogger(path, separator: ';', append: true));

        string[] lines = File.ReadAllLines(path);
        Assert.Equal("epoch;accuracy;learning_rate;loss", lines[0]);
        Assert.Equal(["0", "1", "0", "1", "2"], lines[1..].Select(line => line.Split(';')[0]));

        Fit(new Adam(0.01), 1, 0, new CsvLogger(path, separator: ';'));
        Assert.Equal(2, File.ReadAllLines(path).Length);
        Assert.Equal("separator", Assert.Throws<ArgumentException>(() => new CsvLogger(path, separator: '.')).ParamName);
        Assert.Equal("fileName", Assert.Throws<ArgumentException>(() => new CsvLogger(" ")).ParamName);
    }

    [Fact]
    public void CsvLogger_of_a_resumed_run_holds_every_epoch()
    {
        string checkpoint = Path.Combine(_directory, "run.safetensors");
        string path = Path.Combine(_directory, "training.csv");
        Dataset data = ClassBlobs.Make(40, 2);
        FitOptions Options(int epochs, string? resumeFrom) => new()
        {
            Epochs = epochs, BatchSize = 8, Seed = 4, ResumeFrom = resumeFrom,
            Callbacks = [new CsvLogger(path), new ModelCheckpoint(checkpoint)],
        };
        Trainer.Fit(new TinyMlpSoftmax(maxBatch: 8, seed: 1), new Adam(0.01), data, Options(2, null));
        History resumed = Trainer.Fit(new TinyMlpSoftmax(maxBatch: 8, seed: 1), new Adam(0.01), data, Options(4, checkpoint));

        string[] lines = File.ReadAllLines(path);
        Assert.Equal(5, lines.Length);
        Assert.Equal(
            resumed.Epochs.Select(epoch => epoch.Loss).ToArray(),
            lines[1..].Select(line => double.Parse(line.Split(',')[3], CultureInfo.InvariantCulture)).ToArray());
    }

    [Fact]
    public void LearningRateScheduler_sets_each_epochs_rate_from_the_epoch_and_the_current_rate()
    {
        var calls = new List<(int Epoch, double Rate)>();
        var scheduler = new LearningRateScheduler((epoch, rate) =>
        {
            calls.Add((epoch, rate));
            return epoch < 1 ? rate : rate * 0.5;
        });
        History history = Fit(new Sgd(0.2), 4, 0, scheduler);

        Assert.Equal([(0, 0.2), (1, 0.2), (2, 0.1), (3, 0.05)], calls);
        Assert.Equal([0.2, 0.1, 0.05, 0.025], history.Epochs.Select(epoch => epoch.LearningRate));
    }

    [Fact]
    public void LearningRateScheduler_refuses_a_rate_that_is_not_a_finite_number_at_least_0()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Fit(new Sgd(0.2), 3, 0, new LearningRateScheduler((epoch, rate) => epoch == 1 ? double.NaN : rate)));
        Assert.Contains("returned NaN for epoch 1", error.Message);
    }

    /// <summary>Hands a plateau callback chosen values of its monitored metric and notes the rate after each epoch.</summary>
    private sealed class MonitoredValues(ReduceLROnPlateau reducer, double[] values) : ICallback
    {
        public List<double> RateAfter { get; } = [];

        public void OnTrainBegin(TrainingControl control) => reducer.OnTrainBegin(control);

        public void OnEpochEnd(EpochResult epoch, TrainingControl control)
        {
            double value = values[epoch.Epoch - 1];
            reducer.OnEpochEnd(reducer.Monitor == "val_loss" ? epoch with { ValidationLoss = value } : epoch with { ValidationAccuracy = value }, control);
            RateAfter.Add(control.Optimizer.LearningRate);
        }
    }

    private sealed class MessageRecorder : ICallback
    {
        public List<string> Messages { get; } = [];

        public void OnLog(string message, TrainingControl control) => Messages.Add(message);

        public void OnEpochEnd(EpochResult epoch, TrainingControl control)
        {
        }
    }

    private sealed class AfterEpoch(Action action) : ICallback
    {
        public void OnEpochEnd(EpochResult epoch, TrainingControl control) => action();
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
