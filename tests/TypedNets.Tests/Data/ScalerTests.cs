using System.Linq;
using System;
using TypedNets.Data;
using TypedNets.Tests.Metrics;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Data;

public sealed class ScalerTests
{
    private const int Width = 4;

    [Fact]
    public void StandardScaler_matches_sklearn()
    {
        var fixture = ReferenceFixture.Sklearn("standard_scaler");
        float[] train = fixture.Floats("train");
        float[] test = fixture.Floats("test");
        var scaler = new StandardScaler().Fit(train, Width);

        Expect.Close(fixture.Tensor("mean"), scaler.Mean, "mean");
        Expect.Close(fixture.Tensor("var"), scaler.Variance, "variance");
        Expect.Close(fixture.Tensor("scale"), scaler.Scale, "scale");
        Assert.Equal(1.0, scaler.Scale[2]); // the constant column
        Assert.Equal((int)fixture.Scalar("n_samples_seen"), scaler.SamplesSeen);

        scaler.Transform(train);
        scaler.Transform(test);
        Expect.FloatOf(fixture.Tensor("train_transformed"), train, "train transformed");
        Expect.FloatOf(fixture.Tensor("test_transformed"), test, "test transformed");
    }

    [Theory]
    [InlineData("minmax_scaler")]
    [InlineData("minmax_scaler_m1_1")]
    public void MinMaxScaler_matches_sklearn(string name)
    {
        var fixture = ReferenceFixture.Sklearn(name);
        double[] range = fixture.Config("feature_range").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        float[] train = fixture.Floats("train");
        float[] test = fixture.Floats("test");
        var scaler = new MinMaxScaler(range[0], range[1]).Fit(train, Width);

        Expect.Close(fixture.Tensor("data_min"), scaler.DataMin, "data_min");
        Expect.Close(fixture.Tensor("data_max"), scaler.DataMax, "data_max");
        Expect.Close(fixture.Tensor("scale"), scaler.Scale, "scale");
        Expect.Close(fixture.Tensor("min"), scaler.Offset, "min");

        scaler.Transform(train);
        scaler.Transform(test);
        Expect.FloatOf(fixture.Tensor("train_transformed"), train, $"{name} train transformed");
        Expect.FloatOf(fixture.Tensor("test_transformed"), test, $"{name} test transformed");
        for (int row = 0; row < train.Length / Width; row++)
        {
            Assert.Equal((float)range[0], train[(row * Width) + 2]); // the constant column maps to low
        }
    }

    [Fact]
    public void Transforming_a_dataset_copies_it_and_keeps_targets()
    {
        var data = new Dataset([1f, 10f, 3f, 30f, 5f, 50f], 2, [0f, 1f, 0f], 1);
        var scaler = new StandardScaler().Fit(data);
        Dataset scaled = scaler.Transform(data);

        Assert.Equal([1f, 10f, 3f, 30f, 5f, 50f], data.Features.ToArray());
        Assert.Equal([0f, 1f, 0f], scaled.Targets.ToArray());
        float s = (float)Math.Sqrt(8.0 / 3);
        Assert.Equal([-2 / s, -20 / (s * 10), 0, 0, 2 / s, 20 / (s * 10)], scaled.Features.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6);

        float[] back = scaled.Features.ToArray();
        scaler.InverseTransform(back);
        Assert.Equal(data.Features.ToArray(), back, (a, b) => Math.Abs(a - b) < 1e-5);

        var minMax = new MinMaxScaler(-1, 1).Fit(data);
        float[] mapped = minMax.Transform(data).Features.ToArray();
        Assert.Equal([-1f, -1f, 0f, 0f, 1f, 1f], mapped, (a, b) => Math.Abs(a - b) < 1e-6);
        minMax.InverseTransform(mapped);
        Assert.Equal(data.Features.ToArray(), mapped, (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Fact]
    public void Transform_before_Fit_throws()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new StandardScaler().Transform(new float[4]));
        Assert.Equal("StandardScaler.Transform needs a fitted scaler; call Fit on the training features first.", error.Message);
        error = Assert.Throws<InvalidOperationException>(() => new MinMaxScaler().Transform(new Dataset([1f], 1, [0f], 1)));
        Assert.StartsWith("MinMaxScaler.Transform needs a fitted scaler", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<InvalidOperationException>(() => new StandardScaler().Mean.ToArray());
        Assert.StartsWith("StandardScaler.Mean needs a fitted scaler", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_different_width_names_both_widths()
    {
        var scaler = new StandardScaler().Fit([1f, 2f, 3f, 4f, 5f, 6f], width: 3);
        var error = Assert.Throws<ArgumentException>(() => scaler.Transform(new Dataset(new float[4], 2, new float[2], 1)));
        Assert.StartsWith("StandardScaler was fitted on rows of 3 features, but the dataset has 2;", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => scaler.Transform(new float[4]));
        Assert.StartsWith("StandardScaler was fitted on rows of 3 features, but Transform was given 4 floats", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => new MinMaxScaler().Fit([1f, 2f, 3f], width: 2));
        Assert.StartsWith("MinMaxScaler.Fit takes whole rows of 2 features, but was given 3 floats", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_rejects_non_finite_values_and_bad_ranges()
    {
        var error = Assert.Throws<ArgumentException>(() => new StandardScaler().Fit([1f, 2f, 3f, float.NaN], width: 2));
        Assert.StartsWith("StandardScaler.Fit found NaN in row 1, column 1;", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MinMaxScaler(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MinMaxScaler(0, double.PositiveInfinity));
    }
}
