using System;
using TypedNets.Kernels;

namespace TypedNets.Tests.Kernels;

/// <summary>
/// <see cref="Conv2DKernel"/> against the definitions summed directly on the <c>[channels, height, width]</c> layout, over
/// seeded geometries (square and rectangular windows, padding, strides, dilation, groups, windows reaching past the
/// edges, maps smaller than the window's reach) and batches from one sample to more than one product covers, so that
/// a last, partial group of samples is exercised; in double and in float.
/// </summary>
public sealed class Conv2DKernelTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Convolution_forward_and_backward_match_the_direct_sums(ulong seed)
    {
        var random = new Xoshiro256(seed);
        for (int trial = 0; trial < 30; trial++)
        {
            int groups = 1 + random.NextInt(trial % 5 == 0 ? 3 : 1);
            int channels = groups * (1 + random.NextInt(3));
            int filters = groups * (1 + random.NextInt(4));
            int kernel = 1 + random.NextInt(3);
            int kernelWidth = trial % 3 == 0 ? 1 + random.NextInt(3) : kernel;
            int dilation = 1 + random.NextInt(2);
            int stride = 1 + random.NextInt(2);
            int strideWidth = trial % 4 == 0 ? 1 + random.NextInt(3) : stride;
            int padding = random.NextInt(2);
            int paddingWidth = trial % 3 == 1 ? random.NextInt(3) : padding;
            int height = Math.Max((dilation * (kernel - 1)) + 1 - (2 * padding), 1) + random.NextInt(trial % 2 == 0 ? 20 : 5);
            int width = Math.Max((dilation * (kernelWidth - 1)) + 1 - (2 * paddingWidth), 1) + random.NextInt(trial % 2 == 0 ? 20 : 5);
            var g = new ImageGeometry(channels, height, width, kernel, stride, padding, dilation, kernelWidth, strideWidth, paddingWidth, groups);

            // Up to a few more samples than one product takes (the kernel batches samples until a product has about 1,024
            // columns), so that the samples split into groups with a partial last one.
            int perProduct = Math.Max(1, 1024 / g.ColumnCount);
            int batch = 1 + random.NextInt(Math.Min(perProduct + 3, 60));
            Check(g, filters, batch, hasBias: trial % 3 != 2, ref random);
        }
    }

    /// <summary>
    /// "Same" convolutions (stride 1, output as wide as the input), whose rows the kernel copies and sums as whole shifted
    /// planes, at a ResNet's sizes and with dilation, uneven padding and a window taller than wide.
    /// </summary>
    [Theory]
    [InlineData(3, 28, 28, 3, 1, 1, 3, 1, 4, 3)]
    [InlineData(5, 7, 7, 3, 1, 1, 3, 1, 6, 23)]
    [InlineData(2, 14, 14, 3, 1, 1, 3, 1, 3, 9)]
    [InlineData(2, 9, 11, 3, 2, 2, 3, 2, 2, 5)]
    [InlineData(3, 6, 10, 5, 1, 1, 1, 0, 2, 4)]
    [InlineData(4, 5, 5, 1, 1, 0, 1, 0, 3, 41)]
    public void Same_convolutions_match_the_direct_sums(int channels, int height, int width, int kernel, int dilation, int padding, int kernelWidth, int paddingWidth, int filters, int batch)
    {
        var g = new ImageGeometry(channels, height, width, kernel, 1, padding, dilation, kernelWidth, 1, paddingWidth);
        Assert.Equal(width, g.OutWidth);
        var random = new Xoshiro256((ulong)(height * 131) + (ulong)batch);
        Check(g, filters, batch, hasBias: true, ref random);
    }

    /// <summary>
    /// Depthwise convolutions (one group per channel, <c>multiplier</c> filters each): square and rectangular windows,
    /// strides across and down, dilation, uneven padding, maps narrower than a vector and wider than two, and batches
    /// from one sample to several products' worth.
    /// </summary>
    [Theory]
    [InlineData(4, 1, 12, 12, 3, 3, 1, 1, 1, 1, 1, 5)]
    [InlineData(3, 2, 9, 17, 3, 3, 1, 1, 1, 1, 1, 3)]
    [InlineData(5, 3, 14, 14, 3, 3, 2, 2, 1, 1, 1, 7)]
    [InlineData(2, 1, 11, 23, 5, 3, 1, 2, 2, 0, 2, 4)]
    [InlineData(6, 1, 7, 7, 3, 3, 1, 1, 1, 1, 2, 23)]
    [InlineData(3, 4, 20, 37, 1, 7, 1, 1, 0, 3, 1, 2)]
    [InlineData(2, 2, 6, 40, 3, 5, 3, 1, 0, 2, 3, 1)]
    [InlineData(8, 1, 28, 28, 3, 3, 1, 1, 1, 1, 1, 2)]
    [InlineData(1, 3, 5, 5, 2, 2, 1, 1, 0, 0, 1, 9)]
    public void Depthwise_convolutions_match_the_direct_sums(
        int channels, int multiplier, int height, int width, int kernel, int kernelWidth, int stride, int strideWidth, int padding, int paddingWidth, int dilation, int batch)
    {
        var g = new ImageGeometry(channels, height, width, kernel, stride, padding, dilation, kernelWidth, strideWidth, paddingWidth, Groups: channels);
        var random = new Xoshiro256((ulong)((channels * 1009) + (width * 31) + batch));
        Check(g, channels * multiplier, batch, hasBias: batch % 2 == 1, ref random);
        Check(g, channels * multiplier, batch, hasBias: batch % 2 == 0, ref random);
    }

    /// <summary>
    /// Convolutions whose filters hold 16 values or fewer (a network's first layer over one or two channels): valid,
    /// of stride 1, with output rows shorter and longer than a vector, dilation, rectangular windows, and one that is
    /// padded or strided (which takes the unfolding path).
    /// </summary>
    [Theory]
    [InlineData(1, 28, 28, 3, 3, 1, 1, 0, 32, 5)]
    [InlineData(1, 28, 28, 3, 3, 1, 1, 0, 7, 2)]
    [InlineData(1, 20, 19, 5, 3, 2, 1, 0, 6, 3)]
    [InlineData(2, 12, 40, 2, 4, 1, 1, 0, 5, 2)]
    [InlineData(1, 9, 9, 3, 3, 1, 1, 0, 4, 3)]
    [InlineData(1, 18, 33, 1, 16, 1, 1, 0, 9, 2)]
    [InlineData(1, 28, 28, 3, 3, 1, 1, 1, 16, 2)]
    [InlineData(1, 29, 29, 3, 3, 1, 2, 0, 8, 2)]
    public void Convolutions_with_short_filters_match_the_direct_sums(
        int channels, int height, int width, int kernel, int kernelWidth, int dilation, int stride, int padding, int filters, int batch)
    {
        var g = new ImageGeometry(channels, height, width, kernel, stride, padding, dilation, kernelWidth);
        var random = new Xoshiro256((ulong)((filters * 7919) + (width * 31) + batch));
        Check(g, filters, batch, hasBias: true, ref random);
        Check(g, filters, batch, hasBias: false, ref random);
    }

    /// <summary>
    /// Grouped convolutions whose groups have few filters but long ones (more than 16 values), whose weight gradient
    /// takes the register-blocked sums, over batches that several products share.
    /// </summary>
    [Theory]
    [InlineData(8, 2, 8, 14, 14, 1, 7)]
    [InlineData(32, 8, 32, 14, 14, 1, 6)]
    [InlineData(12, 3, 9, 9, 11, 0, 13)]
    public void Grouped_convolutions_with_few_filters_a_group_match_the_direct_sums(int channels, int groups, int filters, int height, int width, int padding, int batch)
    {
        var g = new ImageGeometry(channels, height, width, 3, 1, padding, Groups: groups);
        var random = new Xoshiro256((ulong)((channels * 37) + (groups * 5) + batch));
        Check(g, filters, batch, hasBias: true, ref random);
    }

    private static void Check(ImageGeometry g, int filters, int batch, bool hasBias, ref Xoshiro256 random)
    {
        string where = $"{g}, filters {filters}, batch {batch}, bias {hasBias}";
        double[] x = Fill(batch * g.InputSize, ref random);
        double[] weight = Fill(filters * g.GroupColumnRows, ref random);
        double[] bias = hasBias ? Fill(filters, ref random) : [];
        double[] dy = Fill(batch * filters * g.ColumnCount, ref random);
        (double[] expected, double[] expectedWeightGradient, double[] expectedBiasGradient, double[] expectedInputGradient) =
            Direct(x, weight, bias, dy, batch, filters, g);

        double[] y = new double[expected.Length];
        double[] columns = new double[g.ColumnRows * g.ColumnCount];
        double[] columnGradient = new double[columns.Length];
        Conv2DKernel.Forward<double>(x, weight, bias, y, columns, batch, filters, g);
        AssertClose(expected, y, 1e-12, $"output, {where}");

        // Gradients add into what is there; the input gradient is overwritten.
        double[] weightGradient = new double[weight.Length];
        Array.Fill(weightGradient, 0.5);
        double[] biasGradient = new double[bias.Length];
        Array.Fill(biasGradient, -0.25);
        double[] dx = new double[x.Length];
        Array.Fill(dx, 99.0);
        Conv2DKernel.Backward<double>(x, weight, dy, weightGradient, biasGradient, dx, columns, columnGradient, batch, filters, g);
        AssertClose(Array.ConvertAll(expectedWeightGradient, value => value + 0.5), weightGradient, 1e-12, $"weight gradient, {where}");
        AssertClose(Array.ConvertAll(expectedBiasGradient, value => value - 0.25), biasGradient, 1e-12, $"bias gradient, {where}");
        AssertClose(expectedInputGradient, dx, 1e-12, $"input gradient, {where}");

        float[] yFloat = new float[expected.Length];
        float[] columnsFloat = new float[columns.Length];
        Conv2DKernel.Forward<float>(ToFloat(x), ToFloat(weight), ToFloat(bias), yFloat, columnsFloat, batch, filters, g);
        AssertClose(expected, Widen(yFloat), 1e-4, $"float output, {where}");

        // The ReLU applied with the bias, in both precisions.
        double[] rectified = Array.ConvertAll(expected, value => Math.Max(value, 0));
        Conv2DKernel.Forward<double>(x, weight, bias, y, columns, batch, filters, g, relu: true);
        AssertClose(rectified, y, 1e-12, $"output with ReLU, {where}");
        Conv2DKernel.Forward<float>(ToFloat(x), ToFloat(weight), ToFloat(bias), yFloat, columnsFloat, batch, filters, g, relu: true);
        AssertClose(rectified, Widen(yFloat), 1e-4, $"float output with ReLU, {where}");
        float[] weightGradientFloat = new float[weight.Length];
        float[] biasGradientFloat = new float[bias.Length];
        float[] dxFloat = new float[x.Length];
        Conv2DKernel.Backward<float>(
            ToFloat(x), ToFloat(weight), ToFloat(dy), weightGradientFloat, biasGradientFloat, dxFloat, columnsFloat, new float[columns.Length], batch, filters, g);

        // A weight gradient sums over every sample and position: its float error grows with the count.
        double sumTolerance = 1e-6 * batch * g.ColumnCount;
        AssertClose(expectedWeightGradient, Widen(weightGradientFloat), Math.Max(1e-4, sumTolerance), $"float weight gradient, {where}");
        AssertClose(expectedBiasGradient, Widen(biasGradientFloat), Math.Max(1e-4, sumTolerance), $"float bias gradient, {where}");
        AssertClose(expectedInputGradient, Widen(dxFloat), 1e-4, $"float input gradient, {where}");

        // Without an input gradient (a network's first layer) the parameter gradients are the same.
        double[] weightGradientOnly = new double[weight.Length];
        Conv2DKernel.Backward<double>(x, weight, dy, weightGradientOnly, [], [], columns, columnGradient, batch, filters, g);
        AssertClose(expectedWeightGradient, weightGradientOnly, 1e-12, $"weight gradient without dx, {where}");
    }

    [Fact]
    public void Unfold_and_fold_match_their_definitions_at_a_strided_dilated_padded_window()
    {
        var g = new ImageGeometry(2, 7, 9, 3, 2, 2, Dilation: 2, KernelWidth: 2, StrideWidth: 3, PaddingWidth: 1);
        var random = new Xoshiro256(11);
        double[] image = Fill(g.InputSize, ref random);
        double[] columns = new double[g.ColumnRows * g.ColumnCount];
        Array.Fill(columns, 42.0);
        Conv2DKernel.Unfold<double>(image, columns, g);

        double[] folded = new double[g.InputSize];
        double[] expectedFolded = new double[g.InputSize];
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            for (int i = 0; i < g.Kernel; i++)
            {
                for (int j = 0; j < g.KernelColumns; j++, row++)
                {
                    for (int oy = 0; oy < g.OutHeight; oy++)
                    {
                        for (int ox = 0; ox < g.OutWidth; ox++)
                        {
                            int y = (oy * g.Stride) + (i * g.Dilation) - g.Padding;
                            int x = (ox * g.StrideColumns) + (j * g.Dilation) - g.PaddingColumns;
                            bool inside = y >= 0 && y < g.Height && x >= 0 && x < g.Width;
                            double value = columns[(row * g.ColumnCount) + (oy * g.OutWidth) + ox];
                            Assert.Equal(inside ? image[(((c * g.Height) + y) * g.Width) + x] : 0.0, value);
                            if (inside)
                            {
                                expectedFolded[(((c * g.Height) + y) * g.Width) + x] += value;
                            }
                        }
                    }
                }
            }
        }

        Conv2DKernel.Fold<double>(columns, folded, g);
        Assert.Equal(expectedFolded, folded);
    }

    /// <summary>The convolution and its gradients by their definitions, tap by tap on <c>[channels, height, width]</c>.</summary>
    private static (double[] Y, double[] WeightGradient, double[] BiasGradient, double[] InputGradient) Direct(
        double[] x, double[] weight, double[] bias, double[] dy, int batch, int filters, ImageGeometry g)
    {
        int groupChannels = g.Channels / g.Groups;
        int groupFilters = filters / g.Groups;
        double[] y = new double[batch * filters * g.ColumnCount];
        double[] weightGradient = new double[weight.Length];
        double[] biasGradient = new double[bias.Length];
        double[] inputGradient = new double[x.Length];
        for (int b = 0; b < batch; b++)
        {
            for (int f = 0; f < filters; f++)
            {
                int group = f / groupFilters;
                for (int oy = 0; oy < g.OutHeight; oy++)
                {
                    for (int ox = 0; ox < g.OutWidth; ox++)
                    {
                        int output = (((b * filters) + f) * g.ColumnCount) + (oy * g.OutWidth) + ox;
                        double sum = bias.Length == 0 ? 0 : bias[f];
                        if (bias.Length > 0)
                        {
                            biasGradient[f] += dy[output];
                        }

                        for (int c = 0; c < groupChannels; c++)
                        {
                            for (int i = 0; i < g.Kernel; i++)
                            {
                                int row = (oy * g.Stride) + (i * g.Dilation) - g.Padding;
                                for (int j = 0; j < g.KernelColumns && (uint)row < (uint)g.Height; j++)
                                {
                                    int column = (ox * g.StrideColumns) + (j * g.Dilation) - g.PaddingColumns;
                                    if ((uint)column >= (uint)g.Width)
                                    {
                                        continue;
                                    }

                                    int input = (((((b * g.Channels) + (group * groupChannels) + c) * g.Height) + row) * g.Width) + column;
                                    int tap = (((((f * groupChannels) + c) * g.Kernel) + i) * g.KernelColumns) + j;
                                    sum += weight[tap] * x[input];
                                    weightGradient[tap] += dy[output] * x[input];
                                    inputGradient[input] += dy[output] * weight[tap];
                                }
                            }
                        }

                        y[output] = sum;
                    }
                }
            }
        }

        return (y, weightGradient, biasGradient, inputGradient);
    }

    private static double[] Fill(int length, ref Xoshiro256 random)
    {
        double[] values = new double[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = random.NextDouble(-1, 1);
        }

        return values;
    }

    private static float[] ToFloat(double[] values) => Array.ConvertAll(values, value => (float)value);

    private static double[] Widen(float[] values) => Array.ConvertAll(values, value => (double)value);

    private static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"{what}: [{i}] is {actual[i]:R}, expected {expected[i]:R}");
        }
    }
}
