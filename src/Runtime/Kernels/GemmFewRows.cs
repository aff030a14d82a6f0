using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TypedNets.Kernels;

/// <summary>
/// <c>C (+)= A · B^T</c> and <c>C (+)= A · B</c> in single precision for the products the packed path leaves alone:
/// fewer than four rows of A, as a network predicting one sample has. In <c>A · B^T</c> every element is a dot
/// product; four rows of B are taken together so that each load of A's row feeds four fused multiply-adds instead
/// of one. In <c>A · B</c> a row of C is a sum of rows of B scaled by A's elements, kept in registers eight vectors
/// at a time, with no horizontal sums at all.
/// </summary>
internal static class GemmFewRows
{
    public static bool Applies(int m) => Vector512.IsHardwareAccelerated && m < 4;

    public static void MultiplyTransposedB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate)
    {
        for (int i = 0; i < m; i++)
        {
            ReadOnlySpan<float> x = a.Slice(i * k, k);
            Span<float> row = c.Slice(i * n, n);
            int j = 0;
            for (; j + 4 <= n; j += 4)
            {
                Vector128<float> dots = Dot4(x, b.Slice(j * k, 4 * k), k);
                Span<float> target = row.Slice(j, 4);
                if (accumulate)
                {
                    dots += Vector128.Create(target[0], target[1], target[2], target[3]);
                }

                dots.CopyTo(target);
            }

            for (; j < n; j++)
            {
                float dot = System.Numerics.Tensors.TensorPrimitives.Dot(x, b.Slice(j * k, k));
                row[j] = accumulate ? row[j] + dot : dot;
            }
        }
    }

    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate)
    {
        const int Width = 16;
        a = a.Slice(0, m * k);
        b = b.Slice(0, k * n);
        c = c.Slice(0, m * n);
        ref float bRef = ref MemoryMarshal.GetReference(b);
        for (int i = 0; i < m; i++)
        {
            ReadOnlySpan<float> x = a.Slice(i * k, k);
            ref float row = ref MemoryMarshal.GetReference(c.Slice(i * n, n));
            int j = 0;

            // Eight independent chains of multiply-adds: enough to keep two FMA units busy through their latency.
            for (; j + (8 * Width) <= n; j += 8 * Width)
            {
                Vector512<float> c0 = Start(ref row, j, accumulate), c1 = Start(ref row, j + Width, accumulate);
                Vector512<float> c2 = Start(ref row, j + (2 * Width), accumulate), c3 = Start(ref row, j + (3 * Width), accumulate);
                Vector512<float> c4 = Start(ref row, j + (4 * Width), accumulate), c5 = Start(ref row, j + (5 * Width), accumulate);
                Vector512<float> c6 = Start(ref row, j + (6 * Width), accumulate), c7 = Start(ref row, j + (7 * Width), accumulate);
                for (int p = 0; p < k; p++)
                {
                    Vector512<float> v = Vector512.Create(x[p]);
                    ref float bRow = ref Unsafe.Add(ref bRef, (p * n) + j);
                    c0 = Vector512.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref bRow), c0);
                    c1 = Vector512.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref bRow, Width), c1);
                    c2 = Vector512.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref bRow, 2 * Width), c2);
                    c3 = Vector512.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref bRow, 3 * Width), c3);
                    c4 = Vector512.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref bRow, 4 * Width), c4);
                    c5 = Vector512.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref bRow, 5 * Width), c5);
                    c6 = Vector512.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref bRow, 6 * Width), c6);
                    c7 = Vector512.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref bRow, 7 * Width), c7);
                }

                c0.StoreUnsafe(ref row, (nuint)j);
                c1.StoreUnsafe(ref row, (nuint)(j + Width));
                c2.StoreUnsafe(ref row, (nuint)(j + (2 * Width)));
                c3.StoreUnsafe(ref row, (nuint)(j + (3 * Width)));
                c4.StoreUnsafe(ref row, (nuint)(j + (4 * Width)));
                c5.StoreUnsafe(ref row, (nuint)(j + (5 * Width)));
                c6.StoreUnsafe(ref row, (nuint)(j + (6 * Width)));
                c7.StoreUnsafe(ref row, (nuint)(j + (7 * Width)));
            }

            for (; j + Width <= n; j += Width)
            {
                Vector512<float> sum = Start(ref row, j, accumulate);
                for (int p = 0; p < k; p++)
                {
                    sum = Vector512.FusedMultiplyAdd(Vector512.Create(x[p]), Vector512.LoadUnsafe(ref bRef, (nuint)((p * n) + j)), sum);
                }

                sum.StoreUnsafe(ref row, (nuint)j);
            }

            for (; j < n; j++)
            {
                float sum = accumulate ? Unsafe.Add(ref row, j) : 0f;
                for (int p = 0; p < k; p++)
                {
                    sum = MathF.FusedMultiplyAdd(x[p], Unsafe.Add(ref bRef, (p * n) + j), sum);
                }

                Unsafe.Add(ref row, j) = sum;
            }
        }
    }

    private static Vector512<float> Start(ref float row, int j, bool accumulate) => accumulate ? Vector512.LoadUnsafe(ref row, (nuint)j) : Vector512<float>.Zero;

    // The dot products of x with four consecutive rows of length k.
    private static Vector128<float> Dot4(ReadOnlySpan<float> x, ReadOnlySpan<float> rows, int k)
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float r0 = ref MemoryMarshal.GetReference(rows);
        ref float r1 = ref Unsafe.Add(ref r0, k);
        ref float r2 = ref Unsafe.Add(ref r1, k);
        ref float r3 = ref Unsafe.Add(ref r2, k);
        Vector512<float> s0 = Vector512<float>.Zero;
        Vector512<float> s1 = Vector512<float>.Zero;
        Vector512<float> s2 = Vector512<float>.Zero;
        Vector512<float> s3 = Vector512<float>.Zero;
        int p = 0;
        for (; p + Vector512<float>.Count <= k; p += Vector512<float>.Count)
        {
            Vector512<float> v = Vector512.LoadUnsafe(ref xs, (nuint)p);
            s0 = Vector512.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref r0, (nuint)p), s0);
            s1 = Vector512.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref r1, (nuint)p), s1);
            s2 = Vector512.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref r2, (nuint)p), s2);
            s3 = Vector512.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref r3, (nuint)p), s3);
        }

        float d0 = Vector512.Sum(s0);
        float d1 = Vector512.Sum(s1);
        float d2 = Vector512.Sum(s2);
        float d3 = Vector512.Sum(s3);
        for (; p < k; p++)
        {
            float v = Unsafe.Add(ref xs, p);
            d0 += v * Unsafe.Add(ref r0, p);
            d1 += v * Unsafe.Add(ref r1, p);
            d2 += v * Unsafe.Add(ref r2, p);
            d3 += v * Unsafe.Add(ref r3, p);
        }

        return Vector128.Create(d0, d1, d2, d3);
    }
}
