using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Kernels;

/// <summary>
/// Batch normalisation as PyTorch's <c>nn.BatchNorm1d</c>/<c>nn.BatchNorm2d</c>, over <c>[batch, channels, area]</c>
/// (area 1 for features; a sequence <c>[batch, steps, features]</c> is <c>batch * steps</c> rows of features, area 1,
/// which is <c>nn.BatchNorm1d</c> on the transposed <c>[batch, features, steps]</c>): in training, each channel is normalised by the batch's mean and biased variance, and the
/// running statistics move towards the batch's (unbiased variance) by <c>momentum</c>; in inference, the running
/// statistics are used. <c>y = weight (x - mean) / sqrt(var + eps) + bias</c>.
/// </summary>
/// <remarks>
/// A channel's values are <c>batch</c> runs of <c>area</c> contiguous elements. Runs of at least
/// <see cref="VectorRun"/> elements (images) go through <see cref="TensorPrimitives"/> a run at a time, with the runs'
/// sums added in double; shorter runs (features, one element a channel) are summed element by element in double, where a
/// vector call per run would cost more than it saves.
/// </remarks>
public static class BatchNormKernel
{
    /// <summary>The shortest run of a channel's values worth a vectorised call.</summary>
    private const int VectorRun = 16;

    /// <summary>Training forward: writes <paramref name="y"/>, saves <c>xhat</c> and <c>1 / sqrt(var + eps)</c>, updates the running statistics.</summary>
    public static void TrainForward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> runningMean, Span<T> runningVariance,
        Span<T> y, Span<T> normalized, Span<T> inverseDeviation, int batch, int channels, int area, double momentum, double epsilon)
        where T : IFloatingPointIeee754<T>
    {
        int count = batch * area;
        if (area >= VectorRun)
        {
            TrainForwardRuns(x, weight, bias, runningMean, runningVariance, y, normalized, inverseDeviation, batch, channels, area, momentum, epsilon);
            return;
        }

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
            if (area >= VectorRun)
            {
                NormalizeRuns(x, weight[c], bias[c], runningMean[c], inverse, y, normalized, batch, channels, area, c);
            }
            else
            {
                Normalize(x, weight[c], bias[c], runningMean[c], inverse, y, normalized, batch, channels, area, c);
            }
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
        if (area >= VectorRun)
        {
            BackwardRuns(dy, weight, normalized, inverseDeviation, weightGradient, biasGradient, dx, batch, channels, area, training);
            return;
        }

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

    /// <summary><see cref="TrainForward{T}"/> a run at a time; <paramref name="y"/> holds <c>x - mean</c> between the passes.</summary>
    private static void TrainForwardRuns<T>(
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
                sum += double.CreateTruncating(TensorPrimitives.Sum(x.Slice(((b * channels) + c) * area, area)));
            }

            double mean = sum / count;
            T meanT = T.CreateTruncating(mean);
            double squares = 0;
            for (int b = 0; b < batch; b++)
            {
                int start = ((b * channels) + c) * area;
                Span<T> centered = y.Slice(start, area);
                TensorPrimitives.Subtract(x.Slice(start, area), meanT, centered);
                squares += double.CreateTruncating(TensorPrimitives.SumOfSquares<T>(centered));
            }

            double variance = squares / count;
            double inverse = 1.0 / Math.Sqrt(variance + epsilon);
            T inverseT = T.CreateTruncating(inverse);
            inverseDeviation[c] = inverseT;
            for (int b = 0; b < batch; b++)
            {
                int start = ((b * channels) + c) * area;
                Span<T> xhat = normalized.Slice(start, area);
                Span<T> output = y.Slice(start, area);
                TensorPrimitives.Multiply(output, inverseT, xhat);
                TensorPrimitives.Multiply(xhat, weight[c], output);
                TensorPrimitives.Add(output, bias[c], output);
            }

            double unbiased = count > 1 ? variance * count / (count - 1) : variance;
            runningMean[c] = T.CreateTruncating(((1 - momentum) * double.CreateTruncating(runningMean[c])) + (momentum * mean));
            runningVariance[c] = T.CreateTruncating(((1 - momentum) * double.CreateTruncating(runningVariance[c])) + (momentum * unbiased));
        }
    }

    private static void NormalizeRuns<T>(
        ReadOnlySpan<T> x, T weight, T bias, T mean, T inverse, Span<T> y, Span<T> normalized, int batch, int channels, int area, int c)
        where T : IFloatingPointIeee754<T>
    {
        for (int b = 0; b < batch; b++)
        {
            int start = ((b * channels) + c) * area;
            Span<T> xhat = normalized.Slice(start, area);
            TensorPrimitives.Subtract(x.Slice(start, area), mean, xhat);
            TensorPrimitives.Multiply(xhat, inverse, xhat);
            Span<T> output = y.Slice(start, area);
            TensorPrimitives.Multiply(xhat, weight, output);
            TensorPrimitives.Add(output, bias, output);
        }
    }

    /// <summary>
    /// <see cref="Backward{T}"/> a run at a time, with the training form's <c>dx</c> expanded to
    /// <c>scale dy - scale sum(dy) / n - xhat scale sum(dy xhat) / n</c>, three vector passes a run.
    /// </summary>
    private static void BackwardRuns<T>(
        ReadOnlySpan<T> dy, ReadOnlySpan<T> weight, ReadOnlySpan<T> normalized, ReadOnlySpan<T> inverseDeviation,
        Span<T> weightGradient, Span<T> biasGradient, Span<T> dx, int batch, int channels, int area, bool training)
        where T : IFloatingPointIeee754<T>
    {
        double count = batch * area;
        for (int c = 0; c < channels; c++)
        {
            double sumGradient = 0;
            double sumProduct = 0;
            for (int b = 0; b < batch; b++)
            {
                int start = ((b * channels) + c) * area;
                ReadOnlySpan<T> gradient = dy.Slice(start, area);
                sumGradient += double.CreateTruncating(TensorPrimitives.Sum(gradient));
                sumProduct += double.CreateTruncating(TensorPrimitives.Dot(gradient, normalized.Slice(start, area)));
            }

            biasGradient[c] += T.CreateTruncating(sumGradient);
            weightGradient[c] += T.CreateTruncating(sumProduct);
            if (dx.IsEmpty)
            {
                continue;
            }

            double scale = double.CreateTruncating(weight[c] * inverseDeviation[c]);
            T scaleT = T.CreateTruncating(scale);
            T shift = T.CreateTruncating(-scale * sumGradient / count);
            T slope = T.CreateTruncating(-scale * sumProduct / count);
            for (int b = 0; b < batch; b++)
            {
                int start = ((b * channels) + c) * area;
                Span<T> inputGradient = dx.Slice(start, area);
                if (training)
                {
                    TensorPrimitives.Multiply(dy.Slice(start, area), scaleT, inputGradient);
                    TensorPrimitives.Add(inputGradient, shift, inputGradient);
                    TensorPrimitives.MultiplyAdd(normalized.Slice(start, area), slope, inputGradient, inputGradient);
                }
                else
                {
                    TensorPrimitives.Multiply(dy.Slice(start, area), scaleT, inputGradient);
                }
            }
        }
    }
}
