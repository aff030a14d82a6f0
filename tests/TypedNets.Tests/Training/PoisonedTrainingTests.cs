using System;
using TypedNets.Data;
using TypedNets.Optimizers;
using TypedNets.Tests.Networks;
using TypedNets.Training;
using Xunit;

namespace TypedNets.Tests.Training;

/// <summary>What used to destroy a model or mislead its user without a word: each must now be refused, clearly.</summary>
public sealed class PoisonedTrainingTests
{
    private static (float[] Features, float[] Labels) Blobs(int rows, ulong seed, int classes) => ClassBlobs.Arrays(rows, seed, classes);

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void A_non_finite_feature_never_reaches_the_weights(float poison)
    {
        (float[] features, float[] labels) = Blobs(64, 1, classes: 3);
        features[(37 * 4) + 2] = poison;
        var network = new TinyMlpSoftmax(maxBatch: 16, seed: 2);

        // Refused when the data set is built, or when training meets it: either way, never silently.
        Assert.ThrowsAny<Exception>(() =>
            Trainer.Fit(network, new Adam(0.01), new Dataset(features, 4, labels, 1), new FitOptions { Epochs = 3, BatchSize = 16, Seed = 3 }));
        Assert.All(network.Parameters.ToArray(), value => Assert.True(float.IsFinite(value)));
    }

    [Fact]
    public void A_non_finite_regression_target_never_reaches_the_weights()
    {
        (float[] features, _) = Blobs(48, 4, classes: 2);
        float[] targets = new float[48 * 3];
        for (int i = 0; i < targets.Length; i++)
        {
            targets[i] = 1 / (1 + MathF.Exp(-features[i % features.Length]));
        }

        targets[(29 * 3) + 1] = float.NaN;
        var network = new TinyMlpMse(maxBatch: 16, seed: 5);
        Assert.ThrowsAny<Exception>(() =>
            Trainer.Fit(network, new Adam(0.01), new Dataset(features, 4, targets, 3), new FitOptions { Epochs = 2, BatchSize = 16, Seed = 6 }));
        Assert.All(network.Parameters.ToArray(), value => Assert.True(float.IsFinite(value)));
    }

    [Fact]
    public void A_bad_class_label_is_reported_with_its_row_in_the_data_set()
    {
        (float[] features, float[] labels) = Blobs(50, 7, classes: 3);
        labels[37] = 3;
        var network = new TinyMlpSoftmax(maxBatch: 16, seed: 8);
        var error = Assert.ThrowsAny<ArgumentException>(() =>
            Trainer.Fit(network, new Adam(0.01), new Dataset(features, 4, labels, 1), new FitOptions { Epochs = 1, BatchSize = 16, Seed = 9 }));
        Assert.Contains("Row 37 ", error.Message, StringComparison.Ordinal);
        Assert.Contains("label 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_validation_split_of_one_class_is_refused()
    {
        // Sorted by class, as Iris is: the last fifth of the rows is all class 2.
        (float[] features, float[] labels) = Blobs(90, 10, classes: 3);
        int[] order = new int[labels.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(labels, order);
        var sorted = new Dataset(features, 4, Array.ConvertAll(order, i => 0f), 1).Subset(order);
        var data = new Dataset(sorted.Features.ToArray(), 4, labels, 1);
        var network = new TinyMlpSoftmax(maxBatch: 16, seed: 11);

        var error = Assert.ThrowsAny<ArgumentException>(() =>
            Trainer.Fit(network, new Adam(0.01), data, new FitOptions { Epochs = 1, BatchSize = 16, Seed = 12, ValidationSplit = 0.2 }));
        Assert.Contains("class 2", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>The training loop's own guard: the first step with a NaN or infinity stops training, weights untouched.</summary>
public sealed class DivergenceTests
{
    private static Dataset Blobs(int rows) => ClassBlobs.Make(rows, seed: 21);

    [Fact]
    public void Fit_stops_at_the_first_non_finite_step_and_keeps_the_weights_and_statistics_before_it()
    {
        var network = new NormalizedClassifier(maxBatch: 8, seed: 22);
        float[] parametersBefore = [];
        float[] buffersBefore = [];
        int calls = 0;
        var optimizer = new Adam(0.01);

        // Augment sees each batch just before its step: the tenth batch (epoch 2, batch 3 of 7) gets a NaN.
        var error = Assert.Throws<TrainingDivergedException>(() => Trainer.Fit(network, optimizer, Blobs(56), new FitOptions
        {
            Epochs = 3,
            BatchSize = 8,
            Seed = 23,
            Augment = features =>
            {
                if (++calls == 10)
                {
                    parametersBefore = network.Parameters.ToArray();
                    buffersBefore = network.Buffers.ToArray();
                    features[5] = float.NaN;
                }
            },
        }));

        Assert.Equal(2, error.Epoch);
        Assert.Equal(3, error.Batch);
        Assert.True(double.IsNaN(error.Loss));
        Assert.StartsWith("In epoch 2, batch 3, training stopped: the loss was NaN", error.Message, StringComparison.Ordinal);
        Assert.Single(error.History!.Epochs);
        Assert.Equal(parametersBefore, network.Parameters.ToArray());
        Assert.Equal(buffersBefore, network.Buffers.ToArray());
        Assert.Equal(9, optimizer.StepCount);
        Assert.False(network.Access.IsExclusive);
    }

    [Fact]
    public void Step_refuses_a_non_finite_target_before_the_optimizer_runs()
    {
        var network = new TinyMlpMse(maxBatch: 4, seed: 24);
        var optimizer = new Sgd(0.1);
        float[] before = network.Parameters.ToArray();
        float[] features = [0.1f, 0.2f, 0.3f, 0.4f, -0.1f, -0.2f, -0.3f, -0.4f];
        float[] targets = [0.5f, 0.5f, float.PositiveInfinity, 0.5f, 0.5f, 0.5f];

        var error = Assert.Throws<TrainingDivergedException>(() =>
            Trainer.Step(network, optimizer, features, targets, new LossFunction(LossKind.MeanSquaredError)));
        Assert.Equal(0, error.Epoch);
        Assert.StartsWith("Training stopped: the loss was Infinity", error.Message, StringComparison.Ordinal);
        Assert.Equal("hidden.weight[0]", error.Gradient);
        Assert.Contains("and the gradient of hidden.weight[0] was", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, network.Parameters.ToArray());
        Assert.Equal(0, optimizer.StepCount);
    }
}

[Network, Input(4), Loss(LossKind.CrossEntropy)]
public partial class NormalizedClassifier
{
    [Dense(6, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [BatchNorm] public partial BatchNormLayer Norm { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}
