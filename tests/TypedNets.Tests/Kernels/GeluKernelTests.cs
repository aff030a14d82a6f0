using System;
using TypedNets.Kernels;

namespace TypedNets.Tests.Kernels;

/// <summary>
/// The exact GELU in single precision (vectorised, with a rational erf) against <c>z Phi(z)</c> evaluated in double
/// with the library's double-precision normal CDF, over a range that crosses the vector boundaries and reaches both
/// tails and the extremes.
/// </summary>
public sealed class GeluKernelTests
{
    [Fact]
    public void Single_precision_forward_and_backward_match_double_precision()
    {
        float[] z = GeluTanhKernelTests.Inputs();
        float[] y = new float[z.Length];
        Activations.Gelu<float>(z, y);
        float[] dz = new float[z.Length];
        Array.Fill(dz, 1f);
        Activations.GeluBackward<float>(z, dz);

        double[] exact = Array.ConvertAll(z, value => (double)value);
        double[] expected = new double[z.Length];
        Activations.Gelu<double>(exact, expected);
        double[] derivative = new double[z.Length];
        Array.Fill(derivative, 1.0);
        Activations.GeluBackward<double>(exact, derivative);

        double worstValue = 0, worstDerivative = 0;
        for (int i = 0; i < z.Length; i++)
        {
            // Float itself rounds 1 + erf to 6e-8, so the tails are held to an absolute error, large values to a relative one.
            worstValue = Math.Max(worstValue, Math.Abs(y[i] - expected[i]) / Math.Max(1, Math.Abs(expected[i])));
            worstDerivative = Math.Max(worstDerivative, Math.Abs(dz[i] - derivative[i]));
        }

        Assert.True(worstValue <= 1e-6, $"worst GELU error {worstValue:E2}");
        Assert.True(worstDerivative <= 1e-6, $"worst GELU' error {worstDerivative:E2}");
    }

    [Fact]
    public void An_element_has_the_same_value_in_a_vector_and_in_the_tail()
    {
        float[] z = GeluTanhKernelTests.Inputs();
        float[] whole = new float[z.Length];
        Activations.Gelu<float>(z, whole);
        for (int i = 0; i < 40; i++)
        {
            float[] one = new float[1];
            Activations.Gelu<float>(z.AsSpan(i * 25, 1), one);
            Assert.Equal(whole[i * 25], one[0]);
        }
    }

    [Fact]
    public void An_element_has_the_same_derivative_in_a_vector_and_in_the_tail()
    {
        float[] z = GeluTanhKernelTests.Inputs();
        float[] whole = new float[z.Length];
        Array.Fill(whole, 0.75f);
        Activations.GeluBackward<float>(z, whole);
        for (int i = 0; i < z.Length; i += 7)
        {
            float[] one = [0.75f];
            Activations.GeluBackward<float>(z.AsSpan(i, 1), one);
            Assert.Equal(whole[i], one[0]);
        }
    }

    [Fact]
    public void Not_a_number_stays_not_a_number()
    {
        float[] z = [float.NaN, 1f, float.NaN];
        float[] y = new float[3];
        Activations.Gelu<float>(z, y);
        float[] dy = [1f, 1f, 1f];
        Activations.GeluBackward<float>(z, dy);
        Assert.True(float.IsNaN(y[0]) && float.IsNaN(y[2]) && float.IsNaN(dy[0]) && float.IsNaN(dy[2]));
        Assert.Equal(0.8413447f, y[1], 1e-6f);
    }
}
