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
}
