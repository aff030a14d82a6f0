using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TypedNets.Kernels;

/// <summary>
/// Activation functions and their backward passes. Forward functions work in place on a layer's output;
/// backward functions turn <c>dL/dy</c> into <c>dL/dz</c> in place, reading the saved output <c>y</c> (or, for
/// GELU, the saved pre-activation <c>z</c>).
/// </summary>
public static class Activations
{
    /// <summary>The negative slope of <see cref="Activation.LeakyReLU"/>, PyTorch's default.</summary>
    public const double LeakyReLUSlope = 0.01;

    /// <summary><c>y = max(y, 0)</c> in place.</summary>
    public static void ReLU<T>(Span<T> y)
        where T : IFloatingPointIeee754<T>
        => TensorPrimitives.Max(y, T.Zero, y);

    /// <summary><c>dz = y &gt; 0 ? dy : 0</c>, in place on <paramref name="dy"/>.</summary>
    public static void ReLUBackward<T>(ReadOnlySpan<T> y, Span<T> dy)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameLength(y, dy);
        ref T saved = ref MemoryMarshal.GetReference(y);
        ref T gradient = ref MemoryMarshal.GetReference(dy);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            for (; i + Vector512<T>.Count <= dy.Length; i += Vector512<T>.Count)
            {
                Vector512<T> active = Vector512.GreaterThan(Vector512.LoadUnsafe(ref saved, (nuint)i), Vector512<T>.Zero);
                (Vector512.LoadUnsafe(ref gradient, (nuint)i) & active).StoreUnsafe(ref gradient, (nuint)i);
            }
        }

        for (; i < dy.Length; i++)
        {
            if (!(Unsafe.Add(ref saved, i) > T.Zero))
            {
                Unsafe.Add(ref gradient, i) = T.Zero;
            }
        }
    }

    /// <summary><c>y = y &gt; 0 ? y : 0.01 y</c> in place.</summary>
    public static void LeakyReLU<T>(Span<T> y)
        where T : IFloatingPointIeee754<T>
    {
        T slope = T.CreateTruncating(LeakyReLUSlope);
        for (int i = 0; i < y.Length; i++)
        {
            if (!(y[i] > T.Zero))
            {
                y[i] *= slope;
            }
        }
    }

    /// <summary><c>dz = y &gt; 0 ? dy : 0.01 dy</c>, in place on <paramref name="dy"/> (the slope is positive, so y and z share their sign).</summary>
    public static void LeakyReLUBackward<T>(ReadOnlySpan<T> y, Span<T> dy)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameLength(y, dy);
        T slope = T.CreateTruncating(LeakyReLUSlope);
        for (int i = 0; i < dy.Length; i++)
        {
            if (!(y[i] > T.Zero))
            {
                dy[i] *= slope;
            }
        }
    }

    /// <summary><c>y = 1 / (1 + e^-y)</c> in place.</summary>
    public static void Sigmoid<T>(Span<T> y)
        where T : IFloatingPointIeee754<T>
        => TensorPrimitives.Sigmoid(y, y);

    /// <summary><c>dz = dy y (1 - y)</c>, in place on <paramref name="dy"/>.</summary>
    public static void SigmoidBackward<T>(ReadOnlySpan<T> y, Span<T> dy)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameLength(y, dy);
        for (int i = 0; i < dy.Length; i++)
        {
            dy[i] *= y[i] * (T.One - y[i]);
        }
    }

    /// <summary><c>y = tanh(y)</c> in place.</summary>
    public static void Tanh<T>(Span<T> y)
        where T : IFloatingPointIeee754<T>
        => TensorPrimitives.Tanh(y, y);

    /// <summary><c>dz = dy (1 - y^2)</c>, in place on <paramref name="dy"/>.</summary>
    public static void TanhBackward<T>(ReadOnlySpan<T> y, Span<T> dy)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameLength(y, dy);
        for (int i = 0; i < dy.Length; i++)
        {
            dy[i] *= T.One - (y[i] * y[i]);
        }
    }

    /// <summary>Softmax over each row of <paramref name="rowLength"/> elements, in place.</summary>
    /// <remarks>
    /// Each row's maximum is subtracted before exponentiating, so large logits cannot overflow
    /// (<see cref="TensorPrimitives.SoftMax{T}(ReadOnlySpan{T}, Span{T})"/> does not do this and returns NaN for logits near 1000).
    /// </remarks>
    public static void Softmax<T>(Span<T> y, int rowLength)
        where T : IFloatingPointIeee754<T>
    {
        CheckRows(y.Length, rowLength);
        if (rowLength >= ShortRow)
        {
            for (int start = 0; start < y.Length; start += rowLength)
            {
                Span<T> row = y.Slice(start, rowLength);
                TensorPrimitives.Subtract(row, TensorPrimitives.Max<T>(row), row);
                TensorPrimitives.Exp(row, row);
                TensorPrimitives.Multiply(row, T.One / TensorPrimitives.Sum<T>(row), row);
            }

            return;
        }

        // Short rows (a classifier with a few classes): one vectorised exponential over the whole batch instead of
        // five library calls per row, which would cost more than the arithmetic.
        for (int start = 0; start < y.Length; start += rowLength)
        {
            Span<T> row = y.Slice(start, rowLength);
            T max = RowMax<T>(row);
            for (int c = 0; c < row.Length; c++)
            {
                row[c] -= max;
            }
        }

        TensorPrimitives.Exp(y, y);
        for (int start = 0; start < y.Length; start += rowLength)
        {
            Span<T> row = y.Slice(start, rowLength);
            T sum = T.Zero;
            for (int c = 0; c < row.Length; c++)
            {
                sum += row[c];
            }

            T inverse = T.One / sum;
            for (int c = 0; c < row.Length; c++)
            {
                row[c] *= inverse;
            }
        }
    }

    /// <summary>The largest element of a row, by a plain loop for the short rows of a classifier with few classes.</summary>
    internal static T RowMax<T>(ReadOnlySpan<T> row)
        where T : IFloatingPointIeee754<T>
    {
        if (row.Length >= ShortRow)
        {
            return TensorPrimitives.Max(row);
        }

        T max = row[0];
        for (int c = 1; c < row.Length; c++)
        {
            max = T.Max(max, row[c]);
        }

        return max;
    }

    /// <summary>Rows shorter than this take scalar loops around one batch-wide call, not library calls per row.</summary>
    internal const int ShortRow = 16;

    /// <summary>
    /// The softmax Jacobian-vector product per row, <c>dz = y (dy - sum(dy y))</c>, in place on <paramref name="dy"/>.
    /// </summary>
    public static void SoftmaxBackward<T>(ReadOnlySpan<T> y, Span<T> dy, int rowLength)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameLength(y, dy);
        CheckRows(dy.Length, rowLength);
        for (int start = 0; start < dy.Length; start += rowLength)
        {
            ReadOnlySpan<T> yRow = y.Slice(start, rowLength);
            Span<T> dyRow = dy.Slice(start, rowLength);
            T dot = TensorPrimitives.Dot(dyRow, yRow);
            TensorPrimitives.Subtract(dyRow, dot, dyRow);
            TensorPrimitives.Multiply(dyRow, yRow, dyRow);
        }
    }

    /// <summary><c>y = z Phi(z)</c> with the exact normal CDF <c>Phi</c>, reading <paramref name="z"/> and writing <paramref name="y"/>.</summary>
    public static void Gelu<T>(ReadOnlySpan<T> z, Span<T> y)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameLength(z, y);
        for (int i = 0; i < y.Length; i++)
        {
            double value = double.CreateTruncating(z[i]);
            y[i] = T.CreateTruncating(value * SpecialFunctions.NormalCdf(value));
        }
    }

    /// <summary><c>dz = dy (Phi(z) + z phi(z))</c>, in place on <paramref name="dy"/>.</summary>
    public static void GeluBackward<T>(ReadOnlySpan<T> z, Span<T> dy)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameLength(z, dy);
        for (int i = 0; i < dy.Length; i++)
        {
            double value = double.CreateTruncating(z[i]);
            double derivative = SpecialFunctions.NormalCdf(value) + (value * SpecialFunctions.NormalPdf(value));
            dy[i] *= T.CreateTruncating(derivative);
        }
    }

    private static void CheckSameLength<T>(ReadOnlySpan<T> saved, ReadOnlySpan<T> gradient)
    {
        if (saved.Length != gradient.Length)
        {
            throw new ArgumentException(
                $"The saved activation has {saved.Length} elements but the gradient has {gradient.Length}; both must cover the same batch.");
        }
    }

    private static void CheckRows(int length, int rowLength)
    {
        if (rowLength <= 0 || length % rowLength != 0)
        {
            throw new ArgumentException($"A span of {length} elements does not split into rows of {rowLength}.");
        }
    }
}
