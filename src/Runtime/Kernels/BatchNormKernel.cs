using System;
using System.Numerics;

namespace TypedNets.Kernels;

/// <summary>
/// Batch normalisation as PyTorch's <c>nn.BatchNorm1d</c>/<c>nn.BatchNorm2d</c>, over <c>[batch, channels, area]</c>
/// (area 1 for features; a sequence <c>[batch, steps, features]</c> is <c>batch * steps</c> rows of features, area 1,
/// which is <c>nn.BatchNorm1d</c> on the transposed <c>[batch, features, steps]</c>): in training, each channel is normalised by the batch's mean and biased variance, and the
/// running statistics move towards the batch's (unbiased variance) by <c>momentum</c>; in inference, the running
/// statistics are used. <c>y = weight (x - mean) / sqrt(var + eps) + bias</c>.
/// </summary>
public static class BatchNormKernel
{
    /// <summary>Training forward: writes <paramref name="y"/>, saves <c>xhat</c> and <c>1 / sqrt(var + eps)</c>, updates the running statistics.</summary>
    public static void TrainForward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> runningMean, Span<T> runningVariance,
        Span<T> y, Span<T> normalized, Span<T> inverseDeviation, int batch, int channels, int area, double momentum, double epsilon)
        where T : IFloatingPointIeee754<T>
    {
        int count = batch * area;
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int b = 0; b < batch; b++)
            {
                foreach (T value in x.Slice(((b * channels) + c) * area, area))
                {
                    sum += double.CreateTruncating(value);
                }
            }

            double mean = sum / count;
            double squares = 0;
            for (int b = 0; b < batch; b++)
            {
                foreach (T value in x.Slice(((b * channels) + c) * area, area))
                {
                    double centered = double.CreateTruncating(value) - mean;
                    squares += centered * centered;
                }
            }

            double variance = squares / count;
            double inverse = 1.0 / Math.Sqrt(variance + epsilon);
            inverseDeviation[c] = T.CreateTruncating(inverse);
            Normalize(x, weight[c], bias[c], T.CreateTruncating(mean), T.CreateTruncating(inverse), y, normalized, batch, channels, area, c);

            double unbiased = count > 1 ? variance * count / (count - 1) : variance;
            runningMean[c] = T.CreateTruncating(((1 - momentum) * double.CreateTruncating(runningMean[c])) + (momentum * mean));
            runningVariance[c] = T.CreateTruncating(((1 - momentum) * double.CreateTruncating(runningVariance[c])) + (momentum * unbiased));
        }
    }

    /// <summary>Inference forward with the running statistics; saves <c>xhat</c> and the inverse deviation for a backward pass.</summary>
    public static void InferenceForward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVariance,
        Span<T> y, Span<T> normalized, Span<T> inverseDeviation, int batch, int channels, int area, double epsilon)
        where T : IFloatingPointIeee754<T>
    {
        for (int c = 0; c < channels; c++)
        {
            T inverse = T.One / T.Sqrt(runningVariance[c] + T.CreateTruncating(epsilon));
            inverseDeviation[c] = inverse;
            Normalize(x, weight[c], bias[c], runningMean[c], inverse, y, normalized, batch, channels, area, c);
        }
    }

    /// <summary>
    /// Adds the weight and bias gradients and writes <paramref name="dx"/> when it is not empty. In training the batch
    /// statistics depend on x: <c>dx = weight invstd / n (n dy - sum dy - xhat sum(dy xhat))</c>; in inference they do not:
    /// <c>dx = weight invstd dy</c>.
    /// </summary>
    public static void Backward<T>(
        ReadOnlySpan<T> dy, ReadOnlySpan<T> weight, ReadOnlySpan<T> normalized, ReadOnlySpan<T> inverseDeviation,
        Span<T> weightGradient, Span<T> biasGradient, Span<T> dx, int batch, int channels, int area, bool training)
        where T : IFloatingPointIeee754<T>
    {
        T count = T.CreateTruncating(batch * area);
        for (int c = 0; c < channels; c++)
        {
            T sumGradient = T.Zero;
            T sumProduct = T.Zero;
            for (int b = 0; b < batch; b++)
            {
                int start = ((b * channels) + c) * area;
                for (int i = start; i < start + area; i++)
                {
                    sumGradient += dy[i];
                    sumProduct += dy[i] * normalized[i];
                }
            }

            biasGradient[c] += sumGradient;
            weightGradient[c] += sumProduct;
            if (dx.IsEmpty)
            {
                continue;
            }

            T scale = weight[c] * inverseDeviation[c];
            for (int b = 0; b < batch; b++)
            {
                int start = ((b * channels) + c) * area;
                for (int i = start; i < start + area; i++)
                {
                    dx[i] = training
                        ? scale / count * ((count * dy[i]) - sumGradient - (normalized[i] * sumProduct))
                        : scale * dy[i];
                }
            }
        }
    }

    private static void Normalize<T>(
        ReadOnlySpan<T> x, T weight, T bias, T mean, T inverse, Span<T> y, Span<T> normalized, int batch, int channels, int area, int c)
        where T : IFloatingPointIeee754<T>
    {
        for (int b = 0; b < batch; b++)
        {
            int start = ((b * channels) + c) * area;
            for (int i = start; i < start + area; i++)
            {
                T xhat = (x[i] - mean) * inverse;
                normalized[i] = xhat;
                y[i] = (weight * xhat) + bias;
            }
        }
    }
}
