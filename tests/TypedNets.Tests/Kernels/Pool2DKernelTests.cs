using System;
using TypedNets.Kernels;

namespace TypedNets.Tests.Kernels;

/// <summary>
/// <see cref="Pool2DKernel.MaxForward{T}"/> against a direct scan of every window, over the paths it takes: the padded
/// loop, the unpadded one, and the gathered 2 × 2 path for single precision (planes of fewer than eight outputs, of
/// exactly eight, and of a number that leaves the last group of eight overlapping the one before), and without indices,
/// as inference calls it (2 × 2 windows of stride 2 in single precision read row by row). Inputs are drawn from
/// a few values so that windows hold ties, where the first position in row order must win, and NaNs, which never win.
/// </summary>
public sealed class Pool2DKernelTests
{
    [Theory]
    [InlineData(3, 26, 26, 2, 2, 0, 5)]   // the Fashion-MNIST convnet's first pooling: 13 x 13 outputs a plane
    [InlineData(4, 11, 11, 2, 2, 0, 3)]   // its second: 5 x 5, rows of odd width, the last input row and column unused
    [InlineData(2, 4, 8, 2, 2, 0, 2)]     // exactly eight outputs a plane
    [InlineData(2, 4, 6, 2, 2, 0, 3)]     // six: fewer than one group of eight
    [InlineData(3, 9, 7, 2, 1, 0, 2)]     // overlapping windows, stride 1
    [InlineData(2, 9, 9, 3, 2, 0, 2)]     // 3 x 3 windows
    [InlineData(2, 8, 8, 3, 2, 1, 2)]     // padded
    [InlineData(1, 5, 5, 2, 2, 1, 4)]     // padded 2 x 2
    [InlineData(2, 40, 34, 2, 2, 0, 2)]   // rows of 17 outputs: one group of sixteen and one more (inference's pairs path)
    [InlineData(1, 8, 64, 2, 2, 0, 1)]    // rows of exactly 32 outputs
    [InlineData(1, 7, 200, 2, 2, 0, 1)]   // rows of 100, odd height
    public void Max_pooling_matches_a_direct_scan_of_every_window(int channels, int height, int width, int kernel, int stride, int padding, int batch)
    {
        var g = new ImageGeometry(channels, height, width, kernel, stride, padding);
        var random = new Xoshiro256((ulong)((height * 97) + (width * 13) + kernel + batch));
        int outputs = batch * channels * g.OutHeight * g.OutWidth;
        double[] x = new double[batch * g.InputSize];
        for (int i = 0; i < x.Length; i++)
        {
            // Few distinct values: many ties.
            x[i] = random.NextInt(7) - 3;
        }

        (double[] expected, int[] expectedArgMax) = Direct(x, batch, g);
        double[] y = new double[outputs];
        int[] argMax = new int[outputs];
        Pool2DKernel.MaxForward<double>(x, y, argMax, batch, g);
        Assert.Equal(expected, y);
        Assert.Equal(expectedArgMax, argMax);

        float[] xFloat = Array.ConvertAll(x, value => (float)value);
        for (int i = 5; i < xFloat.Length; i += 11)
        {
            xFloat[i] = float.NaN;
        }

        (double[] expectedFloat, int[] expectedFloatArgMax) = Direct(Array.ConvertAll(xFloat, value => (double)value), batch, g);
        float[] yFloat = new float[outputs + 3];
        Array.Fill(yFloat, 42f);
        int[] argMaxFloat = new int[outputs + 3];
        Pool2DKernel.MaxForward<float>(xFloat, yFloat, argMaxFloat, batch, g);
        Assert.Equal(expectedFloat, Array.ConvertAll(yFloat[..outputs], value => (double)value));
        Assert.Equal(expectedFloatArgMax, argMaxFloat[..outputs]);
        Assert.Equal([42f, 42f, 42f], yFloat[outputs..]);

        // Inference keeps no indices and may take another path: the same outputs, nothing written past them.
        Array.Fill(yFloat, 42f);
        Pool2DKernel.MaxForward<float>(xFloat, yFloat, default, batch, g);
        Assert.Equal(expectedFloat, Array.ConvertAll(yFloat[..outputs], value => (double)value));
        Assert.Equal([42f, 42f, 42f], yFloat[outputs..]);
        Array.Clear(y);
        Pool2DKernel.MaxForward<double>(x, y, default, batch, g);
        Assert.Equal(expected, y);
    }

    /// <summary>Every window scanned in row order; a later position wins only when strictly greater (so a NaN never does, unless first).</summary>
    private static (double[] Y, int[] ArgMax) Direct(double[] x, int batch, ImageGeometry g)
    {
        double[] y = new double[batch * g.Channels * g.OutHeight * g.OutWidth];
        int[] argMax = new int[y.Length];
        int output = 0;
        for (int plane = 0; plane < batch * g.Channels; plane++)
        {
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                for (int ox = 0; ox < g.OutWidth; ox++, output++)
                {
                    int best = -1;
                    for (int i = 0; i < g.Kernel; i++)
                    {
                        for (int j = 0; j < g.Kernel; j++)
                        {
                            int row = (oy * g.Stride) + i - g.Padding, column = (ox * g.Stride) + j - g.Padding;
                            if (row < 0 || row >= g.Height || column < 0 || column >= g.Width)
                            {
                                continue;
                            }

                            int index = (plane * g.Height * g.Width) + (row * g.Width) + column;
                            if (best < 0 || x[index] > x[best])
                            {
                                best = index;
                            }
                        }
                    }

                    y[output] = x[best];
                    argMax[output] = best;
                }
            }
        }

        return (y, argMax);
    }
}
