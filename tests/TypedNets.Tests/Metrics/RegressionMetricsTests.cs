using System.Globalization;
using System;
using TypedNets.Metrics;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Metrics;

public sealed class RegressionMetricsTests
{
    [Theory]
    [InlineData("regression_single")]
    [InlineData("regression_multioutput")]
    [InlineData("regression_constant_true")]
    public void Scores_match_sklearn(string name)
    {
        var fixture = ReferenceFixture.Sklearn(name);
        int outputs = fixture.Config("outputs").GetInt32();
        var metrics = RegressionMetrics.Compute(fixture.Floats("true"), fixture.Floats("predicted"), outputs);

        Expect.Close(fixture.Scalar("mse"), metrics.MeanSquaredError, $"{name} MSE");
        Expect.Close(fixture.Scalar("mae"), metrics.MeanAbsoluteError, $"{name} MAE");
        Expect.Close(fixture.Scalar("r2"), metrics.R2, $"{name} R²");
        Expect.Close(fixture.Tensor("r2_raw"), [.. metrics.R2PerOutput], $"{name} R² per output");
        Assert.Equal(outputs, metrics.Outputs);
        Assert.Equal(fixture.Tensor("true").Length / outputs, metrics.Samples);
    }

    [Fact]
    public void Constant_truth_gives_one_when_exact_and_zero_otherwise()
    {
        var metrics = RegressionMetrics.Compute([2, -1.5f, 2, -1.5f, 2, -1.5f], [2, -1.5f, 2, -1, 2, -1.5f], outputs: 2);
        Assert.Equal([1.0, 0.0], metrics.R2PerOutput);
        Assert.Equal(0.5, metrics.R2);
    }

    [Fact]
    public void One_sample_has_undefined_r2_like_sklearn()
    {
        var metrics = RegressionMetrics.Compute([1f], [2f]);
        Assert.True(double.IsNaN(metrics.R2));
        Assert.Equal(1.0, metrics.MeanSquaredError);
    }

    [Fact]
    public void Bad_inputs_name_what_is_wrong()
    {
        var error = Assert.Throws<ArgumentException>(() => RegressionMetrics.Compute([1f, 2f, 3f, 4f], [1f, float.NaN, 3f, 4f], outputs: 2));
        Assert.Contains("Row 0, output 1 is NaN", error.Message, StringComparison.Ordinal);
        Assert.Equal("predicted", error.ParamName);

        error = Assert.Throws<ArgumentException>(() => RegressionMetrics.Compute([1f, 2f], [1f]));
        Assert.Contains("2 true values but 1 predictions", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<ArgumentException>(() => RegressionMetrics.Compute([1f, 2f, 3f], [1f, 2f, 3f], outputs: 2));
        Assert.Contains("whole row of 2 values, but there are 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_is_invariant()
    {
        CultureInfo saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("fr-FR");
            var metrics = RegressionMetrics.Compute([1f, 2f, 3f, 4f], [1.5f, 2f, 3f, 4f]);
            Assert.Equal("MSE 0.0625, MAE 0.125, R² 0.95 (4 samples)", metrics.ToString());
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }
}
