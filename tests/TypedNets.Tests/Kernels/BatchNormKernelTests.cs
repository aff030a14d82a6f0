using System;
using TypedNets.Kernels;

namespace TypedNets.Tests.Kernels;

/// <summary>
/// <see cref="BatchNormKernel"/> against its definitions summed directly over <c>[batch, channels, area]</c>: the batch
/// statistics, the running statistics' update, the inference form and both backward forms, in double and in float,
/// over seeded sizes from one position a channel (features) to maps, with values off-centre so that the variance is
/// not dominated by the mean.
/// </summary>
public sealed class BatchNormKernelTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Training_and_inference_match_the_direct_sums(ulong seed)
    {
        var random = new Xoshiro256(seed);
        for (int trial = 0; trial < 20; trial++)
        {
            int batch = 1 + random.NextInt(6);
            int channels = 1 + random.NextInt(trial % 2 == 0 ? 20 : 4);
            int area = trial % 4 == 0 ? 1 : 1 + random.NextInt(60);
            if (batch * area == 1)
            {
                batch = 2;
            }

            int size = batch * channels * area;
            string where = $"batch {batch}, channels {channels}, area {area}";
            double[] x = Fill(size, ref random, 2.5, 4.0);
            double[] weight = Fill(channels, ref random, 0.5, 1.5);
            double[] bias = Fill(channels, ref random, -1, 1);
            double[] dy = Fill(size, ref random, -1, 1);
            double[] runningMean = Fill(channels, ref random, -1, 1);
            double[] runningVariance = Fill(channels, ref random, 0.5, 2);
            const double momentum = 0.1, epsilon = 1e-5;
            Expected e = Direct(x, weight, bias, dy, runningMean, runningVariance, batch, channels, area, momentum, epsilon);

            double[] mean = (double[])runningMean.Clone(), variance = (double[])runningVariance.Clone();
            double[] y = new double[size], normalized = new double[size], inverse = new double[channels];
            BatchNormKernel.TrainForward<double>(x, weight, bias, mean, variance, y, normalized, inverse, batch, channels, area, momentum, epsilon);
            AssertClose(e.Y, y, 1e-12, $"output, {where}");
            AssertClose(e.Inverse, inverse, 1e-12, $"inverse deviation, {where}");
            AssertClose(e.RunningMean, mean, 1e-12, $"running mean, {where}");
            AssertClose(e.RunningVariance, variance, 1e-12, $"running variance, {where}");

            // Parameter gradients add into what is there.
            double[] weightGradient = new double[channels], biasGradient = new double[channels], dx = new double[size];
            Array.Fill(weightGradient, 0.5);
            BatchNormKernel.Backward<double>(dy, weight, normalized, inverse, weightGradient, biasGradient, dx, batch, channels, area, training: true);
            AssertClose(Array.ConvertAll(e.WeightGradient, value => value + 0.5), weightGradient, 1e-12, $"weight gradient, {where}");
            AssertClose(e.BiasGradient, biasGradient, 1e-12, $"bias gradient, {where}");
            AssertClose(e.InputGradient, dx, 1e-10, $"input gradient, {where}");

            double[] inferred = new double[size];
            BatchNormKernel.InferenceForward<double>(x, weight, bias, runningMean, runningVariance, inferred, normalized, inverse, batch, channels, area, epsilon);
            AssertClose(e.Inferred, inferred, 1e-12, $"inference output, {where}");
            double[] inferenceDx = new double[size];
            BatchNormKernel.Backward<double>(dy, weight, normalized, inverse, new double[channels], new double[channels], inferenceDx, batch, channels, area, training: false);
            AssertClose(e.InferenceInputGradient, inferenceDx, 1e-12, $"inference input gradient, {where}");

            float[] meanFloat = ToFloat(runningMean), varianceFloat = ToFloat(runningVariance);
            float[] yFloat = new float[size], normalizedFloat = new float[size], inverseFloat = new float[channels];
            BatchNormKernel.TrainForward<float>(
                ToFloat(x), ToFloat(weight), ToFloat(bias), meanFloat, varianceFloat, yFloat, normalizedFloat, inverseFloat, batch, channels, area, momentum, epsilon);
            AssertClose(e.Y, Widen(yFloat), 1e-4, $"float output, {where}");
            AssertClose(e.RunningMean, Widen(meanFloat), 1e-5, $"float running mean, {where}");
            AssertClose(e.RunningVariance, Widen(varianceFloat), 1e-4, $"float running variance, {where}");
            float[] weightGradientFloat = new float[channels], biasGradientFloat = new float[channels], dxFloat = new float[size];
            BatchNormKernel.Backward<float>(ToFloat(dy), ToFloat(weight), normalizedFloat, inverseFloat, weightGradientFloat, biasGradientFloat, dxFloat, batch, channels, area, training: true);
            AssertClose(e.WeightGradient, Widen(weightGradientFloat), 1e-4, $"float weight gradient, {where}");
            AssertClose(e.BiasGradient, Widen(biasGradientFloat), 1e-4, $"float bias gradient, {where}");
            AssertClose(e.InputGradient, Widen(dxFloat), 1e-3, $"float input gradient, {where}");
        }
    }

    private sealed record Expected(
        double[] Y, double[] Inverse, double[] RunningMean, double[] RunningVariance, double[] WeightGradient, double[] BiasGradient,
        double[] InputGradient, double[] Inferred, double[] InferenceInputGradient);

    /// <summary>Batch normalisation and its gradients by their definitions, channel by channel.</summary>
    private static Expected Direct(
        double[] x, double[] weight, double[] bias, double[] dy, double[] runningMean, double[] runningVariance,
        int batch, int channels, int area, double momentum, double epsilon)
    {
        int size = x.Length, n = batch * area;
        double[] y = new double[size], xhat = new double[size], dx = new double[size], inferred = new double[size], inferenceDx = new double[size];
        double[] inverse = new double[channels], newMean = new double[channels], newVariance = new double[channels];
        double[] weightGradient = new double[channels], biasGradient = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            double sum = 0, squares = 0, dySum = 0, dyXhat = 0;
            for (int b = 0; b < batch; b++)
            {
                for (int p = 0; p < area; p++)
                {
                    sum += x[Index(b, c, p)];
                }
            }

            double mean = sum / n;
            for (int b = 0; b < batch; b++)
            {
                for (int p = 0; p < area; p++)
                {
                    squares += (x[Index(b, c, p)] - mean) * (x[Index(b, c, p)] - mean);
                }
            }

            double variance = squares / n;
            inverse[c] = 1 / Math.Sqrt(variance + epsilon);
            newMean[c] = ((1 - momentum) * runningMean[c]) + (momentum * mean);
            newVariance[c] = ((1 - momentum) * runningVariance[c]) + (momentum * squares / (n - 1));
            double inferenceInverse = 1 / Math.Sqrt(runningVariance[c] + epsilon);
            for (int b = 0; b < batch; b++)
            {
                for (int p = 0; p < area; p++)
                {
                    int i = Index(b, c, p);
                    xhat[i] = (x[i] - mean) * inverse[c];
                    y[i] = (weight[c] * xhat[i]) + bias[c];
                    dySum += dy[i];
                    dyXhat += dy[i] * xhat[i];
                    inferred[i] = (weight[c] * (x[i] - runningMean[c]) * inferenceInverse) + bias[c];
                    inferenceDx[i] = weight[c] * inferenceInverse * dy[i];
                }
            }

            weightGradient[c] = dyXhat;
            biasGradient[c] = dySum;

            // d/dx of weight (x - mean) / sqrt(var + eps) through the mean and the variance (Ioffe and Szegedy, 2015).
            for (int b = 0; b < batch; b++)
            {
                for (int p = 0; p < area; p++)
                {
                    int i = Index(b, c, p);
                    dx[i] = weight[c] * inverse[c] * (dy[i] - (dySum / n) - (xhat[i] * dyXhat / n));
                }
            }
        }

        return new Expected(y, inverse, newMean, newVariance, weightGradient, biasGradient, dx, inferred, inferenceDx);

        int Index(int b, int c, int p) => (((b * channels) + c) * area) + p;
    }

    private static double[] Fill(int length, ref Xoshiro256 random, double low, double high)
    {
        double[] values = new double[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = random.NextDouble(low, high);
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
