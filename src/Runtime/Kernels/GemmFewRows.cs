using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TypedNets.Kernels;

/// <summary>
/// <c>C (+)= A · B^T</c> in single precision for the products the packed path leaves alone: fewer than four rows of
/// A, as a network predicting one sample has. Every element is a dot product; four rows of B are taken together so
/// that each load of A's row feeds four fused multiply-adds instead of one.
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
