using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Kernels;

/// <summary>
/// Layer normalisation as PyTorch's <c>nn.LayerNorm(features)</c>, over rows of <c>features</c> values (one row per
/// sample, or per step of a sequence): <c>y = (x - mean) / sqrt(var + eps) * weight + bias</c> with the row's mean and
/// biased variance.
/// </summary>
public static class LayerNormKernel
{
    /// <summary>
    /// Writes <paramref name="y"/>, and saves <c>xhat = (x - mean) / sqrt(var + eps)</c> in <paramref name="normalized"/>
    /// and each row's <c>1 / sqrt(var + eps)</c> in <paramref name="inverseDeviation"/> for the backward pass.
    /// </summary>
    /// <remarks>
    /// Mean and variance come from one pass of sums over the row shifted by its first value (<c>d = x - x0</c>:
    /// <c>mean = x0 + sum(d)/n</c>, <c>var = sum(d^2)/n - (sum(d)/n)^2</c>), which keeps the textbook one-pass
    /// formula's cancellation small for rows far from zero, and lets both sums run vectorised over the same buffer.
    /// </remarks>
    public static void Forward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, Span<T> normalized, Span<T> inverseDeviation,
        int rows, int features, double epsilon)
        where T : IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && SingleLayerNorm.Applies(features))
        {
            SingleLayerNorm.Forward(
                FloatSpans.AsFloat(x), FloatSpans.AsFloat(weight), FloatSpans.AsFloat(bias), FloatSpans.AsFloat(y), FloatSpans.AsFloat(normalized),
                FloatSpans.AsFloat(inverseDeviation), rows, features, (float)epsilon);
            return;
        }

        T count = T.CreateTruncating(features);
        T eps = T.CreateTruncating(epsilon);
        for (int row = 0; row < rows; row++)
        {
            ReadOnlySpan<T> xRow = x.Slice(row * features, features);
            Span<T> xhat = normalized.Slice(row * features, features);
            TensorPrimitives.Subtract(xRow, xRow[0], xhat);
            T shiftedMean = TensorPrimitives.Sum<T>(xhat) / count;
            T variance = T.Max((TensorPrimitives.SumOfSquares<T>(xhat) / count) - (shiftedMean * shiftedMean), T.Zero);
            T inverse = T.One / T.Sqrt(variance + eps);
            inverseDeviation[row] = inverse;

            TensorPrimitives.Subtract(xhat, shiftedMean, xhat);
            TensorPrimitives.Multiply(xhat, inverse, xhat);
            Span<T> yRow = y.Slice(row * features, features);
            TensorPrimitives.MultiplyAdd(xhat, weight, bias, yRow);
        }
    }

    /// <summary>
    /// Accumulates <c>dweight += sum over rows of dy * xhat</c> and <c>dbias += sum over rows of dy</c>, and, when
    /// <paramref name="dx"/> is not empty, writes <c>dx = inv (g - mean(g) - xhat mean(g xhat))</c> with
    /// <c>g = dy * weight</c>, the gradient through the row's own mean and variance.
    /// </summary>
    public static void Backward<T>(
        ReadOnlySpan<T> dy, ReadOnlySpan<T> weight, ReadOnlySpan<T> normalized, ReadOnlySpan<T> inverseDeviation,
        Span<T> weightGradient, Span<T> biasGradient, Span<T> dx, int rows, int features)
        where T : IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && SingleLayerNorm.Applies(features))
        {
            SingleLayerNorm.Backward(
                FloatSpans.AsFloat(dy), FloatSpans.AsFloat(weight), FloatSpans.AsFloat(normalized), FloatSpans.AsFloat(inverseDeviation),
                FloatSpans.AsFloat(weightGradient), FloatSpans.AsFloat(biasGradient), FloatSpans.AsFloat(dx), rows, features);
            return;
        }

        T count = T.CreateTruncating(features);
        for (int row = 0; row < rows; row++)
        {
            ReadOnlySpan<T> dyRow = dy.Slice(row * features, features);
            ReadOnlySpan<T> xhat = normalized.Slice(row * features, features);
            TensorPrimitives.MultiplyAdd(dyRow, xhat, weightGradient, weightGradient);
            TensorPrimitives.Add(biasGradient, dyRow, biasGradient);
            if (dx.IsEmpty)
            {
                continue;
            }

            Span<T> g = dx.Slice(row * features, features);
            TensorPrimitives.Multiply(dyRow, weight, g);
            T meanG = TensorPrimitives.Sum<T>(g) / count;
            T meanGx = TensorPrimitives.Dot<T>(g, xhat) / count;

            // dx = inv (g - meanG - xhat meanGx), in place on g.
            TensorPrimitives.Subtract(g, meanG, g);
            TensorPrimitives.MultiplyAdd(xhat, -meanGx, g, g);
            TensorPrimitives.Multiply(g, inverseDeviation[row], g);
        }
    }
}
