using System;
using TypedNets.Metrics;

namespace TypedNets.Tests.Metrics;

public sealed class PredictionsTests
{
    [Fact]
    public void ArgMax_takes_the_first_largest_of_each_row()
    {
        float[] outputs =
        [
            0.1f, 0.7f, 0.2f,
            0.4f, 0.4f, 0.2f,   // tie: first index, as numpy.argmax
            -3f, -2f, -1f,
        ];
        Assert.Equal([1, 0, 2], Predictions.ArgMax(outputs, 3));

        int[] destination = new int[3];
        Predictions.ArgMax(outputs, 3, destination);
        Assert.Equal([1, 0, 2], destination);
    }

    [Fact]
    public void ArgMax_rejects_NaN_and_partial_rows()
    {
        var error = Assert.Throws<ArgumentException>(() => Predictions.ArgMax([0.1f, 0.9f, float.NaN, 0.5f], 2));
        Assert.Contains("Row 1 holds NaN at index 0", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => Predictions.ArgMax([0.1f, 0.9f, 0.5f], 2));
        Assert.Contains("multiple of 2 floats, but there are 3", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Predictions.ArgMax([0.1f, 0.9f], 2, new int[2]));
    }

    [Fact]
    public void Threshold_is_strictly_above()
    {
        Assert.Equal([0, 0, 1, 1], Predictions.Threshold([0.2f, 0.5f, 0.5000001f, 0.9f]));
        Assert.Equal([0, 1, 0], Predictions.Threshold([-0.1f, 2f, 0f], threshold: 0f));
        var error = Assert.Throws<ArgumentException>(() => Predictions.Threshold([0.2f, float.NaN]));
        Assert.Contains("Output 1 is NaN", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClassIndices_reads_index_and_one_hot_targets()
    {
        Assert.Equal([2, 0, 1], Predictions.ClassIndices([2f, 0f, 1f], 1));
        Assert.Equal([1, 0], Predictions.ClassIndices([0f, 1f, 1f, 0f], 2));
        var error = Assert.Throws<ArgumentException>(() => Predictions.ClassIndices([1f, 0.5f], 1));
        Assert.Contains("Row 1 has target 0.5", error.Message, StringComparison.Ordinal);
    }
}
