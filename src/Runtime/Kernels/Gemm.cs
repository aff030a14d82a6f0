using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Kernels;

/// <summary>
/// General matrix products on row-major spans, in the three forms a dense layer's forward and backward
/// passes need, so that no transpose is ever materialised.
/// </summary>
/// <remarks>
/// Every form computes <c>C = op(A) op(B)</c> or, with <c>accumulate</c>, <c>C += op(A) op(B)</c>; the
/// inner loops run through <see cref="TensorPrimitives"/> and so use the widest vectors the machine has.
/// </remarks>
public static class Gemm
{
    /// <summary><c>C[m, n] (+)= A[m, k] · B[k, n]</c>.</summary>
    public static void Multiply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool accumulate)
        where T : IFloatingPointIeee754<T>
    {
        CheckSizes(a.Length, b.Length, c.Length, m, n, k);
        for (int i = 0; i < m; i++)
        {
            Span<T> cRow = c.Slice(i * n, n);
            if (!accumulate)
            {
                cRow.Clear();
            }

            ReadOnlySpan<T> aRow = a.Slice(i * k, k);
            for (int p = 0; p < k; p++)
            {
                TensorPrimitives.MultiplyAdd(b.Slice(p * n, n), aRow[p], cRow, cRow);
            }
        }
    }

    /// <summary><c>C[m, n] (+)= A[m, k] · B[n, k]^T</c>: every element is a dot product of two rows.</summary>
    public static void MultiplyTransposedB<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool accumulate)
        where T : IFloatingPointIeee754<T>
    {
        CheckSizes(a.Length, b.Length, c.Length, m, n, k);
        for (int i = 0; i < m; i++)
        {
            ReadOnlySpan<T> aRow = a.Slice(i * k, k);
            Span<T> cRow = c.Slice(i * n, n);
            for (int j = 0; j < n; j++)
            {
                T dot = TensorPrimitives.Dot(aRow, b.Slice(j * k, k));
                cRow[j] = accumulate ? cRow[j] + dot : dot;
            }
        }
    }

    /// <summary><c>C[m, n] (+)= A[k, m]^T · B[k, n]</c>: a sum of outer products of rows.</summary>
    public static void MultiplyTransposedA<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool accumulate)
        where T : IFloatingPointIeee754<T>
    {
        CheckSizes(a.Length, b.Length, c.Length, m, n, k);
        if (!accumulate)
        {
            c.Slice(0, m * n).Clear();
        }

        for (int p = 0; p < k; p++)
        {
            ReadOnlySpan<T> bRow = b.Slice(p * n, n);
            ReadOnlySpan<T> aRow = a.Slice(p * m, m);
            for (int i = 0; i < m; i++)
            {
                Span<T> cRow = c.Slice(i * n, n);
                TensorPrimitives.MultiplyAdd(bRow, aRow[i], cRow, cRow);
            }
        }
    }

    private static void CheckSizes(int aLength, int bLength, int cLength, int m, int n, int k)
    {
        if (m < 0 || n < 0 || k < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(m), $"GEMM sizes must be non-negative, got m = {m}, n = {n}, k = {k}.");
        }

        if (aLength < m * k || bLength < k * n || cLength < m * n)
        {
            throw new ArgumentException(
                $"GEMM with m = {m}, n = {n}, k = {k} needs A of {m * k}, B of {k * n} and C of {m * n} elements, " +
                $"but got {aLength}, {bLength} and {cLength}.");
        }
    }
}
