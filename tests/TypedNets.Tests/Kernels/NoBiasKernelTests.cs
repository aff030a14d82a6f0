using System;
using TypedNets.Kernels;

namespace TypedNets.Tests.Kernels;

/// <summary>
/// Layers declared with <c>Bias = false</c> hand the kernels empty bias spans: every single-precision path of the dense
/// product (few rows, the small-matrix path, the packed one, each with and without the fused ReLU) and the convolution
/// must then compute what they compute with a zero bias.
/// </summary>
public sealed class NoBiasKernelTests
{
    [Theory]
    [InlineData(1, 3, 5)]
    [InlineData(3, 17, 90)]
    [InlineData(5, 64, 33)]
    [InlineData(40, 10, 64)]
    [InlineData(200, 96, 300)]
    public void Dense_without_bias_equals_dense_with_a_zero_bias(int batch, int outputs, int inputs)
    {
        var random = new Xoshiro256(41);
        float[] x = Fill(batch * inputs, ref random);
        float[] weight = Fill(outputs * inputs, ref random);
        foreach (bool relu in new[] { false, true })
        {
            float[] expected = new float[batch * outputs];
            float[] actual = new float[batch * outputs];
            DenseKernel.Forward<float>(x, weight, new float[outputs], expected, batch, inputs, outputs, relu);
            DenseKernel.Forward<float>(x, weight, ReadOnlySpan<float>.Empty, actual, batch, inputs, outputs, relu);
            Assert.Equal(expected, actual);
        }

        float[] dz = Fill(batch * outputs, ref random);
        float[] weightGradient = new float[outputs * inputs];
        float[] expectedWeightGradient = new float[outputs * inputs];
        float[] dx = new float[batch * inputs];
        float[] expectedDx = new float[batch * inputs];
        DenseKernel.Backward<float>(x, weight, dz, expectedWeightGradient, new float[outputs], expectedDx, batch, inputs, outputs);
        DenseKernel.Backward<float>(x, weight, dz, weightGradient, Span<float>.Empty, dx, batch, inputs, outputs);
        Assert.Equal(expectedWeightGradient, weightGradient);
        Assert.Equal(expectedDx, dx);
    }

    [Fact]
    public void Convolution_without_bias_equals_convolution_with_a_zero_bias()
    {
        var geometry = new ImageGeometry(2, 6, 5, 3, 1, 1);
        const int Filters = 3, Batch = 2;
        var random = new Xoshiro256(43);
        float[] x = Fill(Batch * geometry.InputSize, ref random);
        float[] weight = Fill(Filters * geometry.ColumnRows, ref random);
        float[] columns = new float[geometry.ColumnRows * geometry.ColumnCount];
        float[] columnGradient = new float[columns.Length];
        int outputSize = Batch * Filters * geometry.ColumnCount;
        float[] expected = new float[outputSize];
        float[] actual = new float[outputSize];
        Conv2DKernel.Forward<float>(x, weight, new float[Filters], expected, columns, Batch, Filters, geometry);
        Conv2DKernel.Forward<float>(x, weight, ReadOnlySpan<float>.Empty, actual, columns, Batch, Filters, geometry);
        Assert.Equal(expected, actual);

        float[] dy = Fill(outputSize, ref random);
        float[] expectedWeightGradient = new float[weight.Length];
        float[] weightGradient = new float[weight.Length];
        float[] expectedDx = new float[x.Length];
        float[] dx = new float[x.Length];
        Conv2DKernel.Backward<float>(x, weight, dy, expectedWeightGradient, new float[Filters], expectedDx, columns, columnGradient, Batch, Filters, geometry);
        Conv2DKernel.Backward<float>(x, weight, dy, weightGradient, Span<float>.Empty, dx, columns, columnGradient, Batch, Filters, geometry);
        Assert.Equal(expectedWeightGradient, weightGradient);
        Assert.Equal(expectedDx, dx);
    }

    private static float[] Fill(int length, ref Xoshiro256 random)
    {
        float[] values = new float[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((2 * random.NextDouble()) - 1);
        }

        return values;
    }
}
