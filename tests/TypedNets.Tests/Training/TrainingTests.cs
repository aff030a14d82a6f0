using System;
using System.Collections.Generic;
using System.Linq;
using TypedNets.Data;
using TypedNets.Optimizers;
using TypedNets.Tests.Networks;
using TypedNets.Training;

namespace TypedNets.Tests.Training;

public sealed class TrainingTests
{
    private static Dataset Blobs(int rows, ulong seed, int classes = 3) => ClassBlobs.Make(rows, seed, classes);

    [Fact]
    public void Fit_learns_and_reports_every_epoch()
    {
        var network = new TinyMlpSoftmax(maxBatch: 16, seed: 1);
        var reports = new List<EpochResult>();
        History history = Trainer.Fit(network, new Adam(0.01), Blobs(400, 2), new FitOptions
        {
            Epochs = 15,
            BatchSize = 16,
            Seed = 3,
            ValidationSplit = 0.2,
            Progress = new SynchronousProgress<EpochResult>(reports.Add),
        });

        Assert.Equal(15, history.Epochs.Count);
        Assert.Equal(15, reports.Count);
        Assert.True(history.Epochs[^1].Loss < history.Epochs[0].Loss * 0.7, $"loss went {history.Epochs[0].Loss} -> {history.Epochs[^1].Loss}");
        Assert.True(history.Epochs[^1].ValidationAccuracy > 0.85, $"validation accuracy {history.Epochs[^1].ValidationAccuracy}");
        Assert.Contains("val_accuracy", reports[^1].ToString());
    }

    [Fact]
    public void The_same_seed_gives_the_same_weights_bit_for_bit()
    {
        float[] Train(ulong seed)
        {
            var network = new BinaryNet(maxBatch: 8, seed: 5);
            Dataset data = Blobs(64, 9, classes: 2);
            Trainer.Fit(network, new Adam(0.01), data, new FitOptions { Epochs = 3, BatchSize = 8, Seed = seed });
            return network.Parameters.ToArray();
        }

        float[] first = Train(11);
        Assert.Equal(first, Train(11));
        Assert.NotEqual(first, Train(12));
    }

    [Fact]
    public void Validation_split_holds_out_the_last_rows_before_shuffling()
    {
        Dataset data = Blobs(40, 4);
        var network = new TinyMlpSoftmax(maxBatch: 8, seed: 2);
        History history = Trainer.Fit(network, new Sgd(0.05), data, new FitOptions { Epochs = 1, BatchSize = 8, ValidationSplit = 0.25, Seed = 1 });

        (_, Dataset lastTen) = data.SplitAt(30);
        Evaluation evaluation = Trainer.Evaluate(network, lastTen);
        Assert.Equal(evaluation.Loss, history.Epochs[0].ValidationLoss!.Value, 12);
        Assert.Equal(evaluation.Accuracy, history.Epochs[0].ValidationAccuracy);
    }

    [Fact]
    public void Early_stopping_stops_and_restores_the_best_weights()
    {
        // A learning rate this large makes the loss climb after the first epochs.
        var network = new TinyMlpMse(maxBatch: 8, seed: 3);
        Dataset data = new(Blobs(64, 5).Features.ToArray(), 4, OneHot(Blobs(64, 5).Targets, 3), 3);
        var stopper = new EarlyStopping(monitor: "loss", patience: 2, restoreBestWeights: true);
        float[]? bestWeights = null;
        var keeper = new WeightsAtEpoch(() => stopper.BestEpoch, weights => bestWeights = weights);
        History history = Trainer.Fit(network, new Sgd(40.0, momentum: 0.9), data, new FitOptions
        {
            Epochs = 50,
            BatchSize = 8,
            Seed = 2,
            Callbacks = [stopper, keeper],
        });

        Assert.NotNull(history.StoppedAt);
        Assert.Equal(stopper.BestEpoch + 2, history.StoppedAt);
        Assert.Equal(bestWeights, network.Parameters.ToArray());
    }

    [Fact]
    public void A_training_step_allocates_nothing()
    {
        var network = new TinyMlpSoftmax(maxBatch: 32, seed: 1);
        Dataset data = Blobs(32, 3);
        var optimizer = new Adam(0.001);
        float[] features = data.Features.ToArray();
        float[] targets = data.Targets.ToArray();
        Trainer.Step(network, optimizer, features, targets, LossKind.CrossEntropy, clipGradientNorm: 1.0);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++)
        {
            Trainer.Step(network, optimizer, features, targets, LossKind.CrossEntropy, clipGradientNorm: 1.0);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData(nameof(TinyMlpSoftmax))]
    [InlineData(nameof(BinaryNet))]
    [InlineData(nameof(RegularizedNet))]
    public void Fused_loss_and_penalties_match_central_differences(string name)
    {
        IEngine<double> engine = name switch
        {
            nameof(TinyMlpSoftmax) => new TinyMlpSoftmax.Engine<double>(5, 1),
            nameof(BinaryNet) => new BinaryNet.Engine<double>(5, 1),
            _ => new RegularizedNet.Engine<double>(5, 1),
        };
        (LossFunction loss, double[] target) = name switch
        {
            nameof(TinyMlpSoftmax) => (LossFunction.CrossEntropy, new double[] { 0, 2, 1, 1, 0 }),
            nameof(BinaryNet) => (LossFunction.BinaryCrossEntropy, new double[] { 0, 1, 1, 0, 1 }),
            _ => (LossFunction.Huber(0.5), new double[] { 0.3, -1.2, 2.0, 0.1, -0.4, 0.9, 1.5, -2.5, 0.0, 0.2 }),
        };
        var random = new Xoshiro256(7);
        double[] input = GradientCheck.Fill(5 * engine.InputSize, ref random, 1.5);

        double Objective()
        {
            engine.ReseedDropout(3);
            engine.Forward(input, training: true);
            double value = engine.Loss(target, loss);
            engine.ZeroGradients();
            return value + engine.Regularize();
        }

        Objective();
        engine.ZeroGradients();
        engine.ReseedDropout(3);
        engine.Forward(input, training: true);
        engine.LossBackward(target, loss, default);
        engine.Regularize();
        double[] analytic = (double[])engine.Gradients.Clone();

        const double step = 1e-6;
        for (int i = 0; i < analytic.Length; i++)
        {
            double saved = engine.Parameters[i];
            engine.Parameters[i] = saved + step;
            double plus = Objective();
            engine.Parameters[i] = saved - step;
            double minus = Objective();
            engine.Parameters[i] = saved;
            double numeric = (plus - minus) / (2 * step);
            Assert.True(
                Math.Abs(numeric - analytic[i]) <= 1e-6 * Math.Max(Math.Abs(analytic[i]), 1e-3),
                $"{name} parameter {i}: analytic {analytic[i]:R}, numeric {numeric:R}");
        }
    }

    [Fact]
    public void A_loss_that_does_not_fit_the_output_is_refused_at_run_time()
    {
        var network = new TutorialClassifier(maxBatch: 2);
        network.Forward(new float[20], training: true);
        var error = Assert.Throws<InvalidOperationException>(() => network.LossBackward([1f, 0f], LossKind.BinaryCrossEntropy));
        Assert.Contains("exactly 1 output unit", error.Message);

        var noLoss = Assert.Throws<InvalidOperationException>(() => network.Loss([1f, 0f]));
        Assert.Contains("declares no loss", noLoss.Message);
    }

    [Fact]
    public void Fit_rejects_data_that_does_not_fit_the_network()
    {
        var network = new TinyMlpSoftmax(maxBatch: 8);
        var wrongFeatures = new Dataset(new float[30], 5, new float[6], 1);
        var error = Assert.Throws<ArgumentException>(() => Trainer.Fit(network, new Adam(), wrongFeatures, new FitOptions { BatchSize = 8 }));
        Assert.Contains("5 features per row, but the network takes 4", error.Message);

        var tooLarge = Assert.Throws<ArgumentOutOfRangeException>(() => Trainer.Fit(network, new Adam(), Blobs(10, 1), new FitOptions { BatchSize = 64 }));
        Assert.Contains("maxBatch: 64", tooLarge.Message);
    }

    private static float[] OneHot(ReadOnlySpan<float> labels, int classes)
    {
        float[] encoded = new float[labels.Length * classes];
        for (int i = 0; i < labels.Length; i++)
        {
            encoded[(i * classes) + (int)labels[i]] = 1;
        }

        return encoded;
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    // Records the weights at the end of the epoch that a watched callback currently calls best.
    private sealed class WeightsAtEpoch(Func<int> bestEpoch, Action<float[]> keep) : ICallback
    {
        public void OnEpochEnd(EpochResult epoch, TrainingControl control)
        {
            if (bestEpoch() == epoch.Epoch)
            {
                keep(control.Network.Parameters.ToArray());
            }
        }
    }
}
