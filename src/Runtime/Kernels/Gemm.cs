using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Kernels;

/// <summary>
/// General matrix products on row-major spans, in the three forms a dense layer's forward and backward
/// passes need, so that no transpose is ever materialised.
/// </summary>
/// <remarks>
/// <para>
/// Every form computes <c>C = op(A) op(B)</c> or, with <c>accumulate</c>, <c>C += op(A) op(B)</c>.
/// </para>
/// <para>
/// For <see cref="float"/> on a machine with 256- or 512-bit vectors and FMA, products run through a packed,
/// cache-blocked kernel in the manner of BLIS (see <c>GemmSingle.cs</c>): the operands are copied into contiguous
/// micro-panels, whatever their form, and a register-blocked micro-kernel does the arithmetic; large products are
/// shared with a second thread. Small products (up to 2^18 multiply-adds, such as a tiny dense layer's) skip the
/// packing and compute C a few rows at a time with masked vectors (<c>GemmSmall.cs</c>); <c>A B</c> and <c>A B^T</c>
/// with fewer than four rows (a batch of one) take kernels that stream B once (<c>GemmFewRows.cs</c>). Other thin
/// products take plain loops over <see cref="TensorPrimitives"/>, and so does every other element type (notably
/// <see cref="double"/>, which the gradient checks use), where simple code is easy to trust.
/// </para>
/// <para>
/// The packed path sums in a different order from the plain loops, so <see cref="float"/> results may differ from
/// them in the last bits; for given sizes they are the same from call to call, whichever threads did the work.
/// </para>
/// </remarks>
public static partial class Gemm
{
    /// <summary><c>C[m, n] (+)= A[m, k] · B[k, n]</c>.</summary>
    /// <param name="a">The row-major <c>[m, k]</c> left operand.</param>
    /// <param name="b">The row-major <c>[k, n]</c> right operand.</param>
    /// <param name="c">The row-major <c>[m, n]</c> result.</param>
    /// <param name="m">The rows of the result.</param>
    /// <param name="n">The columns of the result.</param>
    /// <param name="k">The length of the sum behind every element.</param>
    /// <param name="accumulate">Whether to add the product to <paramref name="c"/> rather than overwrite it.</param>
    public static void Multiply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool accumulate)
        where T : IFloatingPointIeee754<T>
    {
        CheckSizes(a.Length, b.Length, c.Length, m, n, k);
        if (typeof(T) == typeof(float) && !GemmFewRows.Applies(m) && (UsesSmallPath(m, n, k, transposedB: false) || UsesPackedPath(m, n, transposedB: false)))
        {
            // A[i, p] is at i k + p and B[p, j] at p n + j.
            MultiplySingle(new(ref FloatSpans.First(a), k, 1), new(ref FloatSpans.First(b), n, 1), ref FloatSpans.First(c), m, n, k, accumulate);
            return;
        }

        if (typeof(T) == typeof(float) && GemmFewRows.Applies(m))
        {
            GemmFewRows.Multiply(FloatSpans.AsFloat(a), FloatSpans.AsFloat(b), FloatSpans.AsFloat(c), m, n, k, accumulate);
            return;
        }

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
    /// <param name="a">The row-major <c>[m, k]</c> left operand.</param>
    /// <param name="b">The row-major <c>[n, k]</c> right operand, used transposed.</param>
    /// <param name="c">The row-major <c>[m, n]</c> result.</param>
    /// <param name="m">The rows of the result.</param>
    /// <param name="n">The columns of the result.</param>
    /// <param name="k">The length of the sum behind every element.</param>
    /// <param name="accumulate">Whether to add the product to <paramref name="c"/> rather than overwrite it.</param>
    public static void MultiplyTransposedB<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool accumulate)
        where T : IFloatingPointIeee754<T>
    {
        CheckSizes(a.Length, b.Length, c.Length, m, n, k);
        if (typeof(T) == typeof(float) && !GemmFewRows.Applies(m) && (UsesSmallPath(m, n, k, transposedB: true) || UsesPackedPath(m, n, transposedB: true)))
        {
            // A[i, p] is at i k + p and B^T[p, j] = B[j, p] at j k + p.
            MultiplySingle(new(ref FloatSpans.First(a), k, 1), new(ref FloatSpans.First(b), 1, k), ref FloatSpans.First(c), m, n, k, accumulate);
            return;
        }

        if (typeof(T) == typeof(float) && GemmFewRows.Applies(m))
        {
            GemmFewRows.MultiplyTransposedB(FloatSpans.AsFloat(a), FloatSpans.AsFloat(b), default, FloatSpans.AsFloat(c), m, n, k, accumulate);
            return;
        }

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

    /// <summary>
    /// <c>C[m, n] = A[m, k] · B[n, k]^T + bias[n]</c>, then <c>C = max(C, 0)</c> when <paramref name="relu"/> is set:
    /// a dense layer's forward pass with its epilogue fused. Single-precision products apply it in registers before
    /// the store: the packed path as the micro-kernel stores the last cache block of the sum, the small path by
    /// starting its sums from the bias, and products with fewer than four rows (which take the ReLU as one pass after)
    /// while the dot products are still in registers. Other element types add the bias row by row after the product.
    /// </summary>
    /// <param name="a">The row-major <c>[m, k]</c> left operand.</param>
    /// <param name="b">The row-major <c>[n, k]</c> right operand, used transposed.</param>
    /// <param name="bias">The <c>[n]</c> values added to every row of the product, or empty for none (a layer without bias).</param>
    /// <param name="c">The row-major <c>[m, n]</c> result.</param>
    /// <param name="m">The rows of the result.</param>
    /// <param name="n">The columns of the result.</param>
    /// <param name="k">The length of the sum behind every element.</param>
    /// <param name="relu">Whether to replace negative results by zero.</param>
    public static unsafe void MultiplyTransposedB<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> bias, Span<T> c, int m, int n, int k, bool relu)
        where T : IFloatingPointIeee754<T>
    {
        CheckSizes(a.Length, b.Length, c.Length, m, n, k);
        if (!bias.IsEmpty && bias.Length != n)
        {
            throw new ArgumentException($"A product with n = {n} columns needs a bias of {n} elements, but got {bias.Length}.", nameof(bias));
        }

        if (typeof(T) == typeof(float) && !GemmFewRows.Applies(m) && UsesSmallPath(m, n, k, transposedB: true))
        {
            fixed (float* biasStart = FloatSpans.AsFloat(bias))
            {
                MultiplySmall(new(ref FloatSpans.First(a), k, 1), new(ref FloatSpans.First(b), 1, k), ref FloatSpans.First(c), m, n, k, accumulate: false, biasStart, relu);
            }

            return;
        }

        if (typeof(T) == typeof(float) && k > 0 && !GemmFewRows.Applies(m) && UsesPackedPath(m, n, transposedB: true))
        {
            fixed (float* biasStart = FloatSpans.AsFloat(bias))
            {
                MultiplySingle(new(ref FloatSpans.First(a), k, 1), new(ref FloatSpans.First(b), 1, k), ref FloatSpans.First(c), m, n, k, accumulate: false, new Epilogue(biasStart, relu));
            }

            return;
        }

        if (typeof(T) == typeof(float) && GemmFewRows.Applies(m))
        {
            GemmFewRows.MultiplyTransposedB(FloatSpans.AsFloat(a), FloatSpans.AsFloat(b), FloatSpans.AsFloat(bias), FloatSpans.AsFloat(c), m, n, k, accumulate: false);
        }
        else
        {
            MultiplyTransposedB(a, b, c, m, n, k, accumulate: false);
            for (int row = 0; row < m && !bias.IsEmpty; row++)
            {
                Span<T> cRow = c.Slice(row * n, n);
                TensorPrimitives.Add(cRow, bias, cRow);
            }
        }

        if (relu)
        {
            Span<T> result = c.Slice(0, m * n);
            TensorPrimitives.Max(result, T.Zero, result);
        }
    }

    /// <summary><c>C[m, n] (+)= A[k, m]^T · B[k, n]</c>: a sum of outer products of rows.</summary>
    /// <param name="a">The row-major <c>[k, m]</c> left operand, used transposed.</param>
    /// <param name="b">The row-major <c>[k, n]</c> right operand.</param>
    /// <param name="c">The row-major <c>[m, n]</c> result.</param>
    /// <param name="m">The rows of the result.</param>
    /// <param name="n">The columns of the result.</param>
    /// <param name="k">The length of the sum behind every element.</param>
    /// <param name="accumulate">Whether to add the product to <paramref name="c"/> rather than overwrite it.</param>
    public static void MultiplyTransposedA<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, bool accumulate)
        where T : IFloatingPointIeee754<T>
    {
        CheckSizes(a.Length, b.Length, c.Length, m, n, k);
        if (typeof(T) == typeof(float) && (UsesSmallPath(m, n, k, transposedB: false) || UsesPackedPath(m, n, transposedB: false)))
        {
            // A^T[i, p] = A[p, i] is at p m + i and B[p, j] at p n + j.
            MultiplySingle(new(ref FloatSpans.First(a), 1, m), new(ref FloatSpans.First(b), n, 1), ref FloatSpans.First(c), m, n, k, accumulate);
            return;
        }

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

        if (aLength < (long)m * k || bLength < (long)k * n || cLength < (long)m * n)
        {
            throw new ArgumentException(
                $"GEMM with m = {m}, n = {n}, k = {k} needs A of {(long)m * k}, B of {(long)k * n} and C of {(long)m * n} elements, " +
                $"but got {aLength}, {bLength} and {cLength}.");
        }
    }
}
