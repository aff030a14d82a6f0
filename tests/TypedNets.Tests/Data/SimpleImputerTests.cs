using System;
using System.Linq;
using TypedNets.Data;
using TypedNets.Tests.Metrics;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Data;

public sealed class SimpleImputerTests
{
    private const int Width = 5;

    // The fixture writes NaN as 0 plus a mask; put the NaNs back.
    private static float[] WithGaps(ReferenceFixture fixture, string name)
    {
        float[] values = fixture.Floats(name);
        double[] missing = fixture.Tensor(name + "_missing");
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = missing[i] == 1 ? float.NaN : values[i];
        }

        return values;
    }

    private static SimpleImputer Create(string name) => name switch
    {
        "mean" => new SimpleImputer(),
        "mean_keep_empty" => new SimpleImputer(ImputeStrategy.Mean, keepEmptyFeatures: true),
        "median" => new SimpleImputer(ImputeStrategy.Median),
        "median_keep_empty" => new SimpleImputer(ImputeStrategy.Median, keepEmptyFeatures: true),
        "most_frequent" => new SimpleImputer(ImputeStrategy.MostFrequent),
        "most_frequent_keep_empty" => new SimpleImputer(ImputeStrategy.MostFrequent, keepEmptyFeatures: true),
        "constant" => new SimpleImputer(ImputeStrategy.Constant, fillValue: 7.5f),
        "constant_keep_empty" => new SimpleImputer(ImputeStrategy.Constant, fillValue: 7.5f, keepEmptyFeatures: true),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("mean")]
    [InlineData("mean_keep_empty")]
    [InlineData("median")]
    [InlineData("median_keep_empty")]
    [InlineData("most_frequent")]
    [InlineData("most_frequent_keep_empty")]
    [InlineData("constant")]
    [InlineData("constant_keep_empty")]
    public void Matches_sklearn_fitted_on_train_and_applied_to_test(string name)
    {
        var fixture = ReferenceFixture.Sklearn("simple_imputer");
        Assert.Contains(name, fixture.Config("cases").EnumerateArray().Select(e => e.GetString()));
        float[] train = WithGaps(fixture, "train");
        float[] test = WithGaps(fixture, "test");
        SimpleImputer imputer = Create(name).Fit(train, Width);

        double[] statistics = fixture.Tensor(name + ".statistics");
        double[] missing = fixture.Tensor(name + ".statistics_missing");
        Assert.Equal(Width, imputer.Statistics.Length);
        for (int column = 0; column < Width; column++)
        {
            if (missing[column] == 1)
            {
                Assert.True(double.IsNaN(imputer.Statistics[column]), $"{name}: statistic {column} should be NaN, got {imputer.Statistics[column]}");
            }
            else
            {
                Expect.Close(statistics[column], imputer.Statistics[column], $"{name} statistic {column}");
            }
        }

        (double[] expectedTrain, int[] shape) = fixture.TensorWithShape(name + ".train");
        Assert.Equal(shape[1], imputer.OutputWidth);
        Assert.Equal(missing.Select((m, column) => (m, column)).Where(p => p.m == 1).Select(p => p.column), imputer.DroppedColumns);
        Expect.FloatOf(expectedTrain, imputer.Transform(train), $"{name} train");
        Expect.FloatOf(fixture.Tensor(name + ".test"), imputer.Transform(test), $"{name} test");
    }

    [Fact]
    public void The_all_missing_column_is_dropped_by_default_and_kept_on_request()
    {
        var fixture = ReferenceFixture.Sklearn("simple_imputer");
        float[] train = WithGaps(fixture, "train");
        Assert.True(Enumerable.Range(0, 13).All(row => float.IsNaN(train[(row * Width) + 3])), "column 3 of the fixture should be all missing");

        Assert.Equal([3], new SimpleImputer(ImputeStrategy.Median).Fit(train, Width).DroppedColumns);
        Assert.Equal(4, new SimpleImputer(ImputeStrategy.Median).Fit(train, Width).OutputWidth);
        Assert.Empty(new SimpleImputer(ImputeStrategy.Median, keepEmptyFeatures: true).Fit(train, Width).DroppedColumns);
        Assert.Equal(0, new SimpleImputer(ImputeStrategy.Median, keepEmptyFeatures: true).Fit(train, Width).Statistics[3]);
        Assert.Equal(7.5, new SimpleImputer(ImputeStrategy.Constant, 7.5f).Fit(train, Width).Statistics[3]);
    }

    [Fact]
    public void Transforming_a_dataset_fills_features_and_returns_a_checked_dataset()
    {
        float[] features = [1f, float.NaN, 3f, 4f, float.NaN, 8f];
        var data = new Dataset(features, 2, [0f, 1f, 0f], 1, allowNonFinite: true);
        Assert.True(data.AllowsNonFinite);
        var imputer = new SimpleImputer().Fit(data);
        Dataset filled = imputer.Transform(data);

        Assert.Equal([1f, 6f, 3f, 4f, 2f, 8f], filled.Features.ToArray());
        Assert.Equal([0f, 1f, 0f], filled.Targets.ToArray());
        Assert.False(filled.AllowsNonFinite);
        Assert.Equal(features, data.Features.ToArray()); // the input is not changed

        // A NaN target is not the imputer's to fill: the checked copy names it.
        var badTarget = new Dataset([1f, 2f], 1, [0f, float.NaN], 1, allowNonFinite: true);
        var error = Assert.Throws<ArgumentException>(() => new SimpleImputer().Fit(badTarget).Transform(badTarget));
        Assert.Contains("row 1, target column 0 holds NaN", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_input_is_explained()
    {
        Assert.Throws<InvalidOperationException>(() => new SimpleImputer().Transform([1f]));
        Assert.Throws<InvalidOperationException>(() => new SimpleImputer().Statistics.Length);
        Assert.Equal("width", Assert.Throws<ArgumentOutOfRangeException>(() => new SimpleImputer().Fit([1f], 0)).ParamName);
        Assert.Equal("features", Assert.Throws<ArgumentException>(() => new SimpleImputer().Fit([1f, 2f, 3f], 2)).ParamName);
        Assert.Equal("fillValue", Assert.Throws<ArgumentOutOfRangeException>(() => new SimpleImputer(ImputeStrategy.Constant, float.NaN)).ParamName);
        Assert.Equal("strategy", Assert.Throws<ArgumentOutOfRangeException>(() => new SimpleImputer((ImputeStrategy)9)).ParamName);

        var infinity = Assert.Throws<ArgumentException>(() => new SimpleImputer().Fit([1f, float.PositiveInfinity], 1));
        Assert.Equal("features", infinity.ParamName);
        Assert.Contains("found Infinity in row 1, column 0", infinity.Message, StringComparison.Ordinal);

        var imputer = new SimpleImputer().Fit([1f, 2f, 3f, 4f], 2);
        Assert.Equal("features", Assert.Throws<ArgumentException>(() => imputer.Transform([1f, 2f, 3f])).ParamName);
        Assert.Equal("features", Assert.Throws<ArgumentException>(() => imputer.Transform([1f, float.NegativeInfinity])).ParamName);
        Assert.Equal("dataset", Assert.Throws<ArgumentException>(() => imputer.Transform(new Dataset([1f], 1, [0f], 1))).ParamName);
    }
}
