using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Kernels;

/// <summary>Inverted dropout: survivors are scaled by <c>1 / (1 - rate)</c> in training, so inference is the identity.</summary>
public static class DropoutKernel
{
    /// <summary>
    /// Draws a fresh mask (each element <c>0</c> with probability <paramref name="rate"/>, else <c>1 / (1 - rate)</c>)
    /// and writes <c>y = x * mask</c>.
    /// </summary>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, Span<T> mask, double rate, ref Xoshiro256 random)
        where T : IFloatingPointIeee754<T>
    {
        if (x.Length != y.Length || mask.Length != y.Length)
        {
            throw new ArgumentException($"Dropout needs input, output and mask of one length, got {x.Length}, {y.Length} and {mask.Length}.");
        }

        T keep = T.CreateTruncating(1.0 / (1.0 - rate));
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = random.NextDouble() < rate ? T.Zero : keep;
        }

        TensorPrimitives.Multiply(x, mask, y);
    }

    /// <summary><c>dx = dy * mask</c>.</summary>
    public static void Backward<T>(ReadOnlySpan<T> mask, ReadOnlySpan<T> dy, Span<T> dx)
        where T : IFloatingPointIeee754<T>
        => TensorPrimitives.Multiply(dy, mask, dx);
}
