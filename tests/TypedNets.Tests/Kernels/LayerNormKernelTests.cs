using System;
using TypedNets.Kernels;

namespace TypedNets.Tests.Kernels;

/// <summary>The layer normalisation kernel on rows far from zero, where a one-pass variance is most at risk.</summary>
public sealed class LayerNormKernelTests
{
    [Fact]
    public void Rows_far_from_zero_normalise_as_the_two_pass_formula_does_in_float()
    {
        // A row at 1e4 with spread 1: E[x^2] - E[x]^2 would lose every digit of the variance in float.
        const int Features = 64;
        float[] x = new float[Features];
        var random = new Xoshiro256(3);
        for (int i = 0; i < Features; i++)
        {
            x[i] = 10_000f + (float)((2 * random.NextDouble()) - 1);
        }

        float[] weight = new float[Features];
        Array.Fill(weight, 1f);
        float[] y = new float[Features];
        LayerNormKernel.Forward<float>(x, weight, new float[Features], y, new float[Features], new float[1], 1, Features, 1e-5);

        double mean = 0;
        foreach (float value in x)
        {
            mean += value;
        }

        mean /= Features;
        double variance = 0;
        foreach (float value in x)
        {
            variance += (value - mean) * (value - mean);
        }

        variance /= Features;
        for (int i = 0; i < Features; i++)
        {
            double expected = (x[i] - mean) / Math.Sqrt(variance + 1e-5);
            Assert.True(Math.Abs(y[i] - expected) <= 2e-3, $"y[{i}] = {y[i]:R}, expected {expected:R}");
        }
    }

    [Fact]
    public void A_constant_row_gives_the_bias_and_a_finite_gradient()
    {
        float[] x = [5f, 5f, 5f, 5f];
        float[] weight = [2f, 2f, 2f, 2f];
        float[] bias = [0.5f, -1f, 0f, 3f];
        float[] y = new float[4];
        float[] normalized = new float[4];
        float[] inverse = new float[1];
        LayerNormKernel.Forward<float>(x, weight, bias, y, normalized, inverse, 1, 4, 1e-5);
        Assert.Equal(bias, y);

        float[] dx = new float[4];
        float[] weightGradient = new float[4];
        float[] biasGradient = new float[4];
        LayerNormKernel.Backward<float>([1f, 2f, 3f, 4f], weight, normalized, inverse, weightGradient, biasGradient, dx, 1, 4);
        Assert.All(dx, value => Assert.True(float.IsFinite(value)));
        Assert.Equal([1f, 2f, 3f, 4f], biasGradient);
        Assert.Equal(new float[4], weightGradient);
    }

    [Theory]
    [InlineData(128, 7)]
    [InlineData(16, 3)]
    [InlineData(48, 5)]
    [InlineData(20, 4)]
    [InlineData(1, 2)]
    public void Float_forward_and_backward_match_double_precision(int features, int rows)
    {
        // Multiples of 16 take the single-precision Vector512 path, the others the generic one; double is the reference.
        var random = new Xoshiro256((ulong)(features * 31 + rows));
        double[] x = Draw(rows * features, 3, 2, ref random);
        double[] weight = Draw(features, 1, 0.5, ref random);
        double[] bias = Draw(features, 0, 0.5, ref random);
        double[] dy = Draw(rows * features, 0, 1, ref random);
        double[] weightGradient = Draw(features, 0, 1, ref random);
        double[] biasGradient = Draw(features, 0, 1, ref random);

        double[] y = new double[rows * features], normalized = new double[rows * features], inverse = new double[rows], dx = new double[rows * features];
        double[] wg = (double[])weightGradient.Clone(), bg = (double[])biasGradient.Clone();
        LayerNormKernel.Forward<double>(x, weight, bias, y, normalized, inverse, rows, features, 1e-5);
        LayerNormKernel.Backward<double>(dy, weight, normalized, inverse, wg, bg, dx, rows, features);

        float[] yF = new float[rows * features], normalizedF = new float[rows * features], inverseF = new float[rows], dxF = new float[rows * features];
        float[] wgF = ToFloat(weightGradient), bgF = ToFloat(biasGradient);
        LayerNormKernel.Forward<float>(ToFloat(x), ToFloat(weight), ToFloat(bias), yF, normalizedF, inverseF, rows, features, 1e-5);
        LayerNormKernel.Backward<float>(ToFloat(dy), ToFloat(weight), normalizedF, inverseF, wgF, bgF, dxF, rows, features);

        AssertClose(y, yF, "y");
        AssertClose(normalized, normalizedF, "normalized");
        AssertClose(inverse, inverseF, "inverse deviation");
        AssertClose(dx, dxF, "dx");
        AssertClose(wg, wgF, "weight gradient");
        AssertClose(bg, bgF, "bias gradient");

        // Without dx only the parameter gradients accumulate, once more.
        LayerNormKernel.Backward<float>(ToFloat(dy), ToFloat(weight), normalizedF, inverseF, wgF, bgF, [], rows, features);
        LayerNormKernel.Backward<double>(dy, weight, normalized, inverse, wg, bg, [], rows, features);
        AssertClose(wg, wgF, "weight gradient, twice");
        AssertClose(bg, bgF, "bias gradient, twice");
    }

    private static double[] Draw(int length, double center, double spread, ref Xoshiro256 random)
    {
        double[] values = new double[length];
        for (int i = 0; i < length; i++)
        {
            // Rounded to float first, so that both precisions start from the same numbers.
            values[i] = (float)(center + (spread * ((2 * random.NextDouble()) - 1)));
        }

        return values;
    }

    private static float[] ToFloat(double[] values) => Array.ConvertAll(values, value => (float)value);

    private static void AssertClose(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 2e-5 * Math.Max(1, Math.Abs(expected[i])), $"{what}[{i}] = {actual[i]:R}, expected {expected[i]:R}");
        }
    }
}
