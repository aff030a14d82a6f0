using System;
using TypedNets.Kernels;

namespace TypedNets.Tests.Kernels;

/// <summary>
/// GELU's tanh form in single precision (vectorised, in chunks) against the formula evaluated in double, over a range
/// that crosses the chunk and vector boundaries and reaches both tails and values whose cube overflows.
/// </summary>
public sealed class GeluTanhKernelTests
{
    private static readonly double Scale = Math.Sqrt(2 / Math.PI);

    [Fact]
    public void Single_precision_forward_and_backward_match_the_formula_in_double()
    {
        float[] z = Inputs();
        float[] y = new float[z.Length];
        Activations.GeluTanh<float>(z, y);
        float[] dz = new float[z.Length];
        Array.Fill(dz, 1f);
        Activations.GeluTanhBackward<float>(z, dz);

        for (int i = 0; i < z.Length; i++)
        {
            double x = z[i];
            double expected = Forward(x);
            double derivative = Derivative(x);
            Assert.True(Math.Abs(y[i] - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"GeluTanh({x:R}) = {y[i]:R}, expected {expected:R}");
            Assert.True(Math.Abs(dz[i] - derivative) <= 2e-6, $"GeluTanh'({x:R}) = {dz[i]:R}, expected {derivative:R}");
        }
    }

    [Fact]
    public void Double_precision_matches_the_formula_and_stays_finite_in_the_tails()
    {
        double[] z = Array.ConvertAll(Inputs(), value => (double)value);
        double[] y = new double[z.Length];
        Activations.GeluTanh<double>(z, y);
        double[] dz = new double[z.Length];
        Array.Fill(dz, 2.0);
        Activations.GeluTanhBackward<double>(z, dz);

        for (int i = 0; i < z.Length; i++)
        {
            Assert.True(Math.Abs(y[i] - Forward(z[i])) <= 1e-14 * Math.Max(1, Math.Abs(z[i])), $"GeluTanh({z[i]:R}) = {y[i]:R}");
            Assert.True(Math.Abs(dz[i] - (2 * Derivative(z[i]))) <= 1e-14, $"GeluTanh'({z[i]:R}) = {dz[i] / 2:R}");
        }
    }

    [Fact]
    public void Backward_scales_the_incoming_gradient()
    {
        float[] z = [-2f, -0.5f, 0f, 0.75f, 3f];
        float[] dy = [3f, -1f, 5f, 0.5f, -2f];
        float[] expected = new float[z.Length];
        for (int i = 0; i < z.Length; i++)
        {
            expected[i] = (float)(dy[i] * Derivative(z[i]));
        }

        Activations.GeluTanhBackward<float>(z, dy);
        for (int i = 0; i < z.Length; i++)
        {
            Assert.Equal(expected[i], dy[i], 1e-6f);
        }
    }

    [Fact]
    public void Spans_of_different_lengths_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Activations.GeluTanh<float>(new float[3], new float[4]));
        Assert.Throws<ArgumentException>(() => Activations.GeluTanhBackward<float>(new float[3], new float[2]));
    }

    /// <summary>1,001 values from -12 to 12 (past the 256-element chunks, not a multiple of any vector), then the extremes.</summary>
    internal static float[] Inputs()
    {
        float[] values = new float[1001 + 6];
        for (int i = 0; i <= 1000; i++)
        {
            values[i] = (float)(-12 + (24.0 * i / 1000));
        }

        values[1001] = 0f;
        values[1002] = -0f;
        values[1003] = 1e20f;
        values[1004] = -1e20f;
        values[1005] = float.MaxValue;
        values[1006] = float.MinValue;
        return values;
    }

    private static double Forward(double x) => 0.5 * x * (1 + Math.Tanh(Scale * (x + (0.044715 * x * x * x))));

    /// <summary>PyTorch's derivative, in double; past |x| = 10 the tanh is exactly ±1, and so the derivative 0 or 1.</summary>
    private static double Derivative(double x)
    {
        if (Math.Abs(x) > 10)
        {
            return x > 0 ? 1 : 0;
        }

        double t = Math.Tanh(Scale * (x + (0.044715 * x * x * x)));
        return (0.5 * (1 + t)) + (0.5 * x * (1 - (t * t)) * Scale * (1 + (3 * 0.044715 * x * x)));
    }
}
