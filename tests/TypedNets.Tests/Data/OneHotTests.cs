using System;
using TypedNets.Data;

namespace TypedNets.Tests.Data;

public sealed class OneHotTests
{
    [Fact]
    public void Encode_and_Decode_round_trip()
    {
        float[] encoded = OneHot.Encode([2f, 0f, 1f], 3);
        Assert.Equal([0f, 0f, 1f, 1f, 0f, 0f, 0f, 1f, 0f], encoded);
        Assert.Equal([2, 0, 1], OneHot.Decode(encoded, 3));
        Assert.Equal([1, 0], OneHot.Decode([0.2f, 0.7f, 0.1f, 0.5f, 0.5f, 0f], 3)); // probabilities; first on ties
    }

    [Theory]
    [InlineData(1.5f)]
    [InlineData(-1f)]
    [InlineData(3f)]
    [InlineData(float.NaN)]
    public void Labels_must_be_whole_numbers_below_the_class_count(float bad)
    {
        var error = Assert.Throws<ArgumentException>(() => OneHot.Encode([0f, 2f, bad], 3));
        Assert.StartsWith($"Row 2 has label {bad.ToString(System.Globalization.CultureInfo.InvariantCulture)}, but class labels must be whole numbers from 0 to 2;", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_dataset_replaces_index_targets()
    {
        var data = new Dataset([1f, 2f], 1, [1f, 0f], 1);
        Dataset encoded = OneHot.Encode(data, 2);
        Assert.Equal(2, encoded.TargetWidth);
        Assert.Equal([0f, 1f, 1f, 0f], encoded.Targets.ToArray());
        Assert.Equal([1f, 2f], encoded.Features.ToArray());
        var error = Assert.Throws<ArgumentException>(() => OneHot.Encode(encoded, 2));
        Assert.Contains("2 targets per row; it may already be encoded", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_rejects_partial_rows_and_NaN()
    {
        Assert.Throws<ArgumentException>(() => OneHot.Decode([1f, 0f, 0f], 2));
        var error = Assert.Throws<ArgumentException>(() => OneHot.Decode([1f, 0f, float.NaN, 0f], 2));
        Assert.StartsWith("Row 1 holds NaN at index 0", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => OneHot.Encode([0f], 2, new float[3]));
    }
}
