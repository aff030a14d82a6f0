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
    private static (float[] Features, float[] Labels) Blobs(int rows, ulong seed, int classes)
    {
        var random = new Xoshiro256(seed);
        float[] features = new float[rows * 4];
        float[] labels = new float[rows];
        for (int row = 0; row < rows; row++)
        {
            int label = random.NextInt(classes);
            labels[row] = label;
            for (int column = 0; column < 4; column++)
            {
                features[(row * 4) + column] = (float)(((column % classes) == label ? 1.5 : -0.5) + random.NextDouble(-0.8, 0.8));
            }
        }

        return (features, labels);
    }

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
