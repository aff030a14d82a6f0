using System;
using TypedNets.Kernels;

namespace TypedNets.Tests.Kernels;

/// <summary>
/// <see cref="Conv1DKernel"/> and <see cref="Pool1DKernel"/> against the definitions summed directly on the
/// <c>[steps, features]</c> layout, over seeded geometries (padding, stride, dilation, groups, a window reaching past both
/// ends) and batches, in double and in float, both ways it computes (rows without groups, the 2-D kernel with groups); float
/// sizes of 8 and more take the transposes' 8 × 8 blocks.
/// </summary>
public sealed class Conv1DKernelTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Convolution_forward_and_backward_match_the_direct_sums(ulong seed)
    {
        var random = new Xoshiro256(seed);
        for (int trial = 0; trial < 40; trial++)
        {
            int groups = 1 + random.NextInt(3);
            int features = groups * (1 + random.NextInt(trial % 4 == 0 ? 9 : 3));
            int filters = groups * (1 + random.NextInt(trial % 4 == 1 ? 9 : 3));
            int kernel = 1 + random.NextInt(4);
            int dilation = 1 + random.NextInt(3);
            int stride = 1 + random.NextInt(3);
            int padding = random.NextInt(3);
            int extent = (dilation * (kernel - 1)) + 1;
            int steps = Math.Max(extent - (2 * padding), 1) + random.NextInt(trial % 4 == 2 ? 20 : 6);
            var g = new SequenceGeometry(steps, features, kernel, stride, padding, dilation, groups);
            int batch = 1 + random.NextInt(3);
            bool hasBias = trial % 3 != 0;
            string where = $"{g}, filters {filters}, batch {batch}, bias {hasBias}";

            double[] x = Fill(batch * g.InputSize, ref random);
            double[] weight = Fill(filters * (features / groups) * kernel, ref random);
            double[] bias = hasBias ? Fill(filters, ref random) : [];
            double[] dy = Fill(batch * g.OutSteps * filters, ref random);
            (double[] expected, double[] expectedWeightGradient, double[] expectedBiasGradient, double[] expectedInputGradient) =
                Direct(x, weight, bias, dy, batch, filters, g);

            double[] y = new double[expected.Length];
            double[] columns = new double[Conv1DKernel.ColumnLength(g)];
            double[] columnGradient = new double[columns.Length];
            double[] transposed = new double[Conv1DKernel.ScratchLength(filters, g)];
            Conv1DKernel.Forward<double>(x, weight, bias, y, columns, transposed, batch, filters, g);
            AssertClose(expected, y, 1e-12, $"output, {where}");

            // Gradients add into what is there, as llm.c's and PyTorch's do.
            double[] weightGradient = new double[weight.Length];
            Array.Fill(weightGradient, 0.5);
            double[] biasGradient = new double[bias.Length];
            Array.Fill(biasGradient, -0.25);
            double[] dx = new double[x.Length];
            Array.Fill(dx, 99.0);
            Conv1DKernel.Backward<double>(x, weight, dy, weightGradient, biasGradient, dx, columns, columnGradient, transposed, batch, filters, g);
            AssertClose(Array.ConvertAll(expectedWeightGradient, value => value + 0.5), weightGradient, 1e-12, $"weight gradient, {where}");
            AssertClose(Array.ConvertAll(expectedBiasGradient, value => value - 0.25), biasGradient, 1e-12, $"bias gradient, {where}");
            AssertClose(expectedInputGradient, dx, 1e-12, $"input gradient, {where}");

            float[] yFloat = new float[expected.Length];
            float[] transposedFloat = new float[transposed.Length];
            float[] columnsFloat = new float[columns.Length];
            Conv1DKernel.Forward<float>(ToFloat(x), ToFloat(weight), ToFloat(bias), yFloat, columnsFloat, transposedFloat, batch, filters, g);
            AssertClose(expected, Array.ConvertAll(yFloat, value => (double)value), 1e-4, $"float output, {where}");
            float[] dxFloat = new float[x.Length];
            Conv1DKernel.Backward<float>(
                ToFloat(x), ToFloat(weight), ToFloat(dy), new float[weight.Length], new float[bias.Length], dxFloat,
                columnsFloat, new float[columns.Length], transposedFloat, batch, filters, g);
            AssertClose(expectedInputGradient, Array.ConvertAll(dxFloat, value => (double)value), 1e-4, $"float input gradient, {where}");
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void Pooling_forward_and_backward_match_the_direct_windows(ulong seed)
    {
        var random = new Xoshiro256(seed);
        for (int trial = 0; trial < 40; trial++)
        {
            int kernel = 1 + random.NextInt(4);
            int padding = random.NextInt((kernel / 2) + 1);
            int stride = 1 + random.NextInt(3);
            int steps = Math.Max(kernel - (2 * padding), 1) + random.NextInt(8);
            int features = 1 + random.NextInt(trial % 2 == 0 ? 12 : 3);
            var g = new SequenceGeometry(steps, features, kernel, stride, padding);
            int batch = 1 + random.NextInt(3);
            string where = $"{g}, batch {batch}";
            double[] x = Fill(batch * g.InputSize, ref random);
            double[] dy = Fill(batch * g.OutSteps * features, ref random);

            double[] expectedMax = new double[dy.Length];
            double[] expectedAverage = new double[dy.Length];
            double[] expectedMaxGradient = new double[x.Length];
            double[] expectedAverageGradient = new double[x.Length];
            for (int b = 0; b < batch; b++)
            {
                for (int o = 0; o < g.OutSteps; o++)
                {
                    for (int f = 0; f < features; f++)
                    {
                        int output = (((b * g.OutSteps) + o) * features) + f;
                        double max = double.NegativeInfinity;
                        int best = -1;
                        double sum = 0;
                        for (int j = 0; j < kernel; j++)
                        {
                            int t = (o * stride) + j - padding;
                            if ((uint)t < (uint)steps)
                            {
                                int input = (((b * steps) + t) * features) + f;
                                sum += x[input];
                                if (x[input] > max)
                                {
                                    (max, best) = (x[input], input);
                                }
                            }
                        }

                        expectedMax[output] = max;
                        expectedAverage[output] = sum / kernel;
                        expectedMaxGradient[best] += dy[output];
                        for (int j = 0; j < kernel; j++)
                        {
                            int t = (o * stride) + j - padding;
                            if ((uint)t < (uint)steps)
                            {
                                expectedAverageGradient[(((b * steps) + t) * features) + f] += dy[output] / kernel;
                            }
                        }
                    }
                }
            }

            double[] y = new double[dy.Length];
            int[] argMax = new int[dy.Length];
            double[] dx = new double[x.Length];
            Array.Fill(dx, 7.0);
            Pool1DKernel.MaxForward<double>(x, y, argMax, batch, g);
            AssertClose(expectedMax, y, 0, $"max, {where}");
            Pool1DKernel.MaxBackward<double>(dy, argMax, dx, batch, g);
            AssertClose(expectedMaxGradient, dx, 1e-15, $"max gradient, {where}");
            Pool1DKernel.AverageForward<double>(x, y, batch, g);
            AssertClose(expectedAverage, y, 1e-14, $"average, {where}");
            Array.Fill(dx, 7.0);
            Pool1DKernel.AverageBackward<double>(dy, dx, batch, g);
            AssertClose(expectedAverageGradient, dx, 1e-14, $"average gradient, {where}");
        }
    }

    /// <summary>The convolution and its gradients by their definitions, tap by tap on <c>[steps, features]</c>.</summary>
    private static (double[] Y, double[] WeightGradient, double[] BiasGradient, double[] InputGradient) Direct(
        double[] x, double[] weight, double[] bias, double[] dy, int batch, int filters, SequenceGeometry g)
    {
        int groupFeatures = g.Features / g.Groups;
        int groupFilters = filters / g.Groups;
        double[] y = new double[batch * g.OutSteps * filters];
        double[] weightGradient = new double[weight.Length];
        double[] biasGradient = new double[bias.Length];
        double[] inputGradient = new double[x.Length];
        for (int b = 0; b < batch; b++)
        {
            for (int o = 0; o < g.OutSteps; o++)
            {
                for (int f = 0; f < filters; f++)
                {
                    int output = (((b * g.OutSteps) + o) * filters) + f;
                    double sum = bias.Length == 0 ? 0 : bias[f];
                    if (bias.Length > 0)
                    {
                        biasGradient[f] += dy[output];
                    }

                    int group = f / groupFilters;
                    for (int c = 0; c < groupFeatures; c++)
                    {
                        for (int j = 0; j < g.Kernel; j++)
                        {
                            int t = (o * g.Stride) + (j * g.Dilation) - g.Padding;
                            if ((uint)t >= (uint)g.Steps)
                            {
                                continue;
                            }

                            int input = (((b * g.Steps) + t) * g.Features) + (group * groupFeatures) + c;
                            int tap = (((f * groupFeatures) + c) * g.Kernel) + j;
                            sum += weight[tap] * x[input];
                            weightGradient[tap] += dy[output] * x[input];
                            inputGradient[input] += dy[output] * weight[tap];
                        }
                    }

                    y[output] = sum;
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

    private static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"{what}: [{i}] is {actual[i]:R}, expected {expected[i]:R}");
        }
    }
}
