using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Kernels;

/// <summary>
/// Pooling over the time axis, Keras' <c>GlobalAveragePooling1D</c> and <c>GlobalMaxPooling1D</c>:
/// <c>[batch, steps, features]</c> to <c>[batch, features]</c>. With a mask, only the steps whose mask is 1 count, as in
/// Keras; a sample whose steps are all masked pools to zeros.
/// </summary>
public static class PoolingKernel
{
    /// <summary>The mean over the (unmasked) steps.</summary>
    public static void AverageForward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> mask, Span<T> output, int batch, int steps, int features)
        where T : IFloatingPointIeee754<T>
    {
        for (int b = 0; b < batch; b++)
        {
            Span<T> row = output.Slice(b * features, features);
            row.Clear();
            int kept = 0;
            for (int t = 0; t < steps; t++)
            {
                if (Recurrent.IsKept(mask, b, t, steps))
                {
                    TensorPrimitives.Add(row, x.Slice(((b * steps) + t) * features, features), row);
                    kept++;
                }
            }

            if (kept > 0)
            {
                TensorPrimitives.Multiply(row, T.One / T.CreateTruncating(kept), row);
            }
        }
    }

    /// <summary>Spreads each output gradient evenly over the steps that were averaged.</summary>
    public static void AverageBackward<T>(ReadOnlySpan<T> outputGradient, ReadOnlySpan<T> mask, Span<T> dx, int batch, int steps, int features)
        where T : IFloatingPointIeee754<T>
    {
        for (int b = 0; b < batch; b++)
        {
            int kept = 0;
            for (int t = 0; t < steps; t++)
            {
                kept += Recurrent.IsKept(mask, b, t, steps) ? 1 : 0;
            }

            T scale = kept == 0 ? T.Zero : T.One / T.CreateTruncating(kept);
            for (int t = 0; t < steps; t++)
            {
                Span<T> target = dx.Slice(((b * steps) + t) * features, features);
                if (Recurrent.IsKept(mask, b, t, steps))
                {
                    TensorPrimitives.Multiply(outputGradient.Slice(b * features, features), scale, target);
                }
                else
                {
                    target.Clear();
                }
            }
        }
    }

    /// <summary>The maximum over the (unmasked) steps; <paramref name="argMax"/> records which step gave it.</summary>
    public static void MaxForward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> mask, Span<T> output, Span<int> argMax, int batch, int steps, int features)
        where T : IFloatingPointIeee754<T>
    {
        for (int b = 0; b < batch; b++)
        {
            for (int f = 0; f < features; f++)
            {
                int best = -1;
                T value = T.Zero;
                for (int t = 0; t < steps; t++)
                {
                    T candidate = x[(((b * steps) + t) * features) + f];
                    if (Recurrent.IsKept(mask, b, t, steps) && (best < 0 || candidate > value))
                    {
                        best = t;
                        value = candidate;
                    }
                }

                output[(b * features) + f] = value;
                argMax[(b * features) + f] = best;
            }
        }
    }

    /// <summary>Routes each output gradient to the step that gave the maximum.</summary>
    public static void MaxBackward<T>(ReadOnlySpan<T> outputGradient, ReadOnlySpan<int> argMax, Span<T> dx, int batch, int steps, int features)
        where T : IFloatingPointIeee754<T>
    {
        dx.Slice(0, batch * steps * features).Clear();
        for (int b = 0; b < batch; b++)
        {
            for (int f = 0; f < features; f++)
            {
                int t = argMax[(b * features) + f];
                if (t >= 0)
                {
                    dx[(((b * steps) + t) * features) + f] = outputGradient[(b * features) + f];
                }
            }
        }
    }
}
