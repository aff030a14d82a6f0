using System;
using System.Linq;
using TypedNets.Optimizers;
using TypedNets.Tests.Reference;
using Xunit.Abstractions;

namespace TypedNets.Tests.Optimizers;

public sealed class GradientClippingTests(ITestOutputHelper output)
{
    [Fact]
    public void Norms_and_clipped_gradients_match_pytorch()
    {
        // PyTorch clips two tensors together; a network keeps them in one buffer, so the test concatenates them.
        var fixture = ReferenceFixture.PyTorch("clip_grad_norm");
        double maxNorm = fixture.ConfigNumber("max_norm");
        double[] grads0 = fixture.Tensor("grads.0");
        double[] grads1 = fixture.Tensor("grads.1");
        double[] clipped0 = fixture.Tensor("clipped.0");
        double[] clipped1 = fixture.Tensor("clipped.1");
        double[] norms = fixture.Tensor("total_norm");
        int steps = norms.Length;
        int n0 = grads0.Length / steps;
        int n1 = grads1.Length / steps;

        double worstNorm = 0;
        double worstGradient = 0;
        int clippedSteps = 0;
        for (int step = 0; step < steps; step++)
        {
            double[] gradients = [.. grads0.AsSpan(step * n0, n0), .. grads1.AsSpan(step * n1, n1)];
            double[] expected = [.. clipped0.AsSpan(step * n0, n0), .. clipped1.AsSpan(step * n1, n1)];
            double[] before = (double[])gradients.Clone();

            double total = GradientClipping.ClipByGlobalNorm<double>(gradients, maxNorm);
            double normError = Math.Abs(total - norms[step]) / norms[step];
            worstNorm = Math.Max(worstNorm, normError);
            Assert.True(normError <= 1e-12, $"step {step}: norm {total:R} against PyTorch's {norms[step]:R}");

            bool clipped = norms[step] + 1e-6 > maxNorm;
            clippedSteps += clipped ? 1 : 0;
            for (int i = 0; i < gradients.Length; i++)
            {
                double error = Math.Abs(gradients[i] - expected[i]) / Math.Max(1e-300, Math.Abs(expected[i]));
                worstGradient = Math.Max(worstGradient, error);
                Assert.True(error <= 1e-12, $"step {step}, element {i}: {gradients[i]:R} against PyTorch's {expected[i]:R}");
                if (!clipped)
                {
                    Assert.Equal(before[i], gradients[i]);
                }
            }

            if (clipped)
            {
                double after = Math.Sqrt(gradients.Sum(g => g * g));
                Assert.InRange(after, maxNorm - 1e-5, maxNorm);
            }
        }

        Assert.Equal((int)fixture.Scalar("clipped_steps"), clippedSteps);
        output.WriteLine($"clip_grad_norm: worst relative error {worstNorm:E2} in norms, {worstGradient:E2} in gradients");
    }

    [Fact]
    public void A_nan_gradient_returns_nan_and_scales_nothing()
    {
        double[] gradients = [3, double.NaN, 4];
        double total = GradientClipping.ClipByGlobalNorm<double>(gradients, 0.5);
        Assert.True(double.IsNaN(total));
        Assert.Equal(3, gradients[0]);
        Assert.Equal(4, gradients[2]);
    }

    [Fact]
    public void An_infinite_gradient_returns_infinity_and_scales_nothing()
    {
        float[] gradients = [3, float.NegativeInfinity, 4];
        float total = GradientClipping.ClipByGlobalNorm<float>(gradients, 0.5);
        Assert.Equal(float.PositiveInfinity, total);
        Assert.Equal([3, float.NegativeInfinity, 4], gradients);
    }

    [Fact]
    public void Finite_gradients_whose_squares_overflow_are_still_measured_and_clipped()
    {
        float[] gradients = [3e30f, -4e30f];
        float total = GradientClipping.ClipByGlobalNorm<float>(gradients, 1.0);
        Assert.Equal(5e30f, total, 5e24f);
        Assert.Equal(0.6f, gradients[0], 1e-6f);
        Assert.Equal(-0.8f, gradients[1], 1e-6f);
    }

    [Fact]
    public void A_gradient_within_the_limit_is_left_bit_for_bit()
    {
        double[] gradients = [0.1, -0.2, 0.3];
        double total = GradientClipping.ClipByGlobalNorm<double>(gradients, 1.0);
        Assert.Equal(Math.Sqrt(0.14), total, 1e-15);
        Assert.Equal([0.1, -0.2, 0.3], gradients);
        Assert.Equal(0.0, GradientClipping.ClipByGlobalNorm<double>([], 1.0));
    }

    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(-1.0, "-1")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    public void Max_norm_must_be_a_positive_finite_number(double maxNorm, string text)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByGlobalNorm<double>(new double[3], maxNorm));
        Assert.Equal("maxNorm", error.ParamName);
        Assert.Contains($"maxNorm was {text};", error.Message);
    }
}
