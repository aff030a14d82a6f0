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

/// <summary>
/// <see cref="ProgressLogger"/>'s output for a clock that a callback advances by a fixed time per batch, written to a
/// <see cref="StringWriter"/>: the bar and its redraws on a terminal, plain lines when redirected, Keras' ETA, and the
/// messages of other callbacks.
/// </summary>
public sealed class ProgressLoggerTests
{
    private static string F4(double value) => value.ToString("F4", CultureInfo.InvariantCulture);

    /// <summary>40 rows, a fifth held out: 32 training rows, 4 batches of 8.</summary>
    private static (History History, string Output, ClockTicker Ticker) Train(bool terminal, TimeSpan perBatch, int rows = 40, double validationSplit = 0.2, int epochs = 2)
    {
        var clock = new ManualClock();
        var ticker = new ClockTicker(clock, perBatch);
        var output = new StringWriter { NewLine = "\n" };
        var network = new TinyMlpSoftmax(maxBatch: 8, seed: 1);
        History history = Trainer.Fit(network, new Adam(0.01), ClassBlobs.Make(rows, 2), new FitOptions
        {
            Epochs = epochs,
            BatchSize = 8,
            Seed = 3,
            ValidationSplit = validationSplit,
            Callbacks = [ticker, new ProgressLogger(output, terminal, clock)],
        });
        return (history, output.ToString(), ticker);
    }

    private static string Figures(EpochResult epoch)
        => $" - loss: {F4(epoch.Loss)} - accuracy: {F4(epoch.Accuracy!.Value)} - val_loss: {F4(epoch.ValidationLoss!.Value)} - val_accuracy: {F4(epoch.ValidationAccuracy!.Value)}";

    [Fact]
    public void On_a_terminal_the_bar_moves_within_the_epoch_and_ends_with_the_epochs_figures()
    {
        // 60 ms a batch: the bar is redrawn once 100 ms have passed since the epoch began (after batch 2, at 120 ms);
        // batch 3 comes 60 ms after that draw; the last batch is drawn with the validation figures.
        (History history, string output, ClockTicker ticker) = Train(terminal: true, TimeSpan.FromMilliseconds(60));

        string expected = "";
        for (int epoch = 0; epoch < 2; epoch++)
        {
            (double loss, double? accuracy) = ticker.Running[(epoch * 4) + 1];
            expected += $"Epoch {epoch + 1}/2\n"
                + $"\r2/4 [==============>...............] - ETA: 0s - loss: {F4(loss)} - accuracy: {F4(accuracy!.Value)}"
                + "\r4/4 [==============================] - 0s 60ms/step" + Figures(history.Epochs[epoch]) + "\n";
        }

        Assert.Equal(expected, output);
    }

    [Fact]
    public void When_redirected_it_prints_one_plain_line_per_epoch()
    {
        (History history, string output, _) = Train(terminal: false, TimeSpan.FromMilliseconds(60));

        string expected = string.Concat(history.Epochs.Select(epoch => $"Epoch {epoch.Epoch}/2 - 4/4 - 0s 60ms/step" + Figures(epoch) + "\n"));
        Assert.Equal(expected, output);
        Assert.DoesNotContain('\r', output);
    }

    [Theory]
    [InlineData(2.4, 1, "1:33")] // 2.4 s a batch, 39 batches left: 93.6 s, minutes and seconds past a minute.
    [InlineData(2.4, 20, "48s")] // 20 left: 48 s.
    [InlineData(2.4, 39, "2s")] // 1 left: 2.4 s, whole seconds.
    [InlineData(100, 3, "1:01:40")] // 37 left at 100 s each: 3700 s, hours past an hour.
    public void The_ETA_is_the_mean_time_of_the_batches_done_times_the_batches_left(double secondsPerBatch, int done, string eta)
    {
        (_, string output, _) = Train(terminal: true, TimeSpan.FromSeconds(secondsPerBatch), rows: 320, validationSplit: 0, epochs: 1);

        string line = output.Split('\r').Single(part => part.StartsWith($"{done,2}/40 [", StringComparison.Ordinal));
        Assert.Contains($" - ETA: {eta} - loss: ", line);
    }

    [Fact]
    public void The_last_line_gives_the_epochs_time_and_the_time_per_step()
    {
        (_, string output, _) = Train(terminal: true, TimeSpan.FromSeconds(2.4), rows: 320, validationSplit: 0, epochs: 1);

        // 40 batches of 2.4 s: 96 s, 2 s per step as Keras rounds.
        string last = output.Split('\r')[^1];
        Assert.StartsWith("40/40 [==============================] - 96s 2s/step - loss: ", last);
        Assert.EndsWith("\n", last);
    }

    [Fact]
    public void Early_stopping_says_when_it_stopped_and_which_epochs_weights_it_restored()
    {
        // With a learning rate of 0 the loss never improves on the first epoch's: patience 2 stops after epoch 3.
        var output = new StringWriter { NewLine = "\n" };
        var stopper = new EarlyStopping(monitor: "val_loss", patience: 2, minDelta: 1e-6, restoreBestWeights: true);
        History history = Trainer.Fit(new TinyMlpSoftmax(maxBatch: 8, seed: 1), new Sgd(0.0), ClassBlobs.Make(40, 2), new FitOptions
        {
            Epochs = 10,
            BatchSize = 8,
            Shuffle = false,
            ValidationSplit = 0.2,
            Callbacks = [new ProgressLogger(output, terminal: false), stopper],
        });

        Assert.Equal(3, history.Epochs.Count);
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("Epoch 3/10 - ", lines[2]);
        Assert.Equal($"Epoch 3: early stopping; restored the weights of epoch 1 (val_loss {F4(history.Epochs[0].ValidationLoss!.Value)})", lines[3]);
    }

    [Fact]
    public void A_message_in_the_middle_of_a_bar_starts_a_line_of_its_own()
    {
        var clock = new ManualClock();
        var output = new StringWriter { NewLine = "\n" };
        Trainer.Fit(new TinyMlpSoftmax(maxBatch: 8, seed: 1), new Adam(0.01), ClassBlobs.Make(32, 2), new FitOptions
        {
            Epochs = 1,
            BatchSize = 8,
            Callbacks = [new ClockTicker(clock, TimeSpan.FromSeconds(1)), new ProgressLogger(output, terminal: true, clock), new Talker()],
        });

        string[] lines = output.ToString().Split('\n');
        Assert.Equal("Epoch 1/1", lines[0]);
        Assert.StartsWith("\r1/4 [======>", lines[1]);
        Assert.Equal("after batch 1", lines[2]);
        Assert.StartsWith("\r2/4 [==============>", lines[3]);
    }

    private sealed class Talker : ICallback
    {
        public void OnBatchEnd(int batch, TrainingControl control)
        {
            if (batch == 0)
            {
                control.Log("after batch 1");
            }
        }

        public void OnEpochEnd(EpochResult epoch, TrainingControl control)
        {
        }
    }
}

/// <summary>A clock that stands still until advanced.</summary>
internal sealed class ManualClock : TimeProvider
{
    private long _ticks = TimeSpan.TicksPerDay;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _ticks;

    public void Advance(TimeSpan by) => _ticks += by.Ticks;
}

/// <summary>Advances a clock by a fixed time after every batch, and notes the running loss and accuracy the logger is shown.</summary>
internal sealed class ClockTicker(ManualClock clock, TimeSpan perBatch) : ICallback
{
    public List<(double Loss, double? Accuracy)> Running { get; } = [];

    public void OnBatchEnd(int batch, TrainingControl control)
    {
        clock.Advance(perBatch);
        Running.Add((control.RunningLoss, control.RunningAccuracy));
    }

    public void OnEpochEnd(EpochResult epoch, TrainingControl control)
    {
    }
}
