using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TypedNets.Kernels;

// Small single-precision products, such as a tiny dense layer's (10 -> 50 at batch 32): there, packing the operands
// and cutting C into 8 x 32 tiles (most of them edge tiles) costs more than the arithmetic. This path packs nothing
// but op(B) when its rows are not contiguous, and computes C four rows and up to 32 columns at a time,
//
//   C[i, j0 .. j0 + 32) (+)= sum over p of A(i, p) · op(B)[p, j0 .. j0 + 32)
//
// with AVX-512 masked loads and stores for the columns past n, so no width needs special code. A dense layer's
// epilogue rides along: the sums start from the bias instead of zero, and a ReLU is applied before the store.
public static partial class Gemm
{
    /// <summary>
    /// Products of at most this many multiply-adds take the small path. Measured on the project's machine (Zen 5, one
    /// core, A·B): 32 × 50 × 10 took 0.28-0.39 µs against 0.8 µs packed, 50 × 10 × 32 0.35 µs against 1.5 µs, and
    /// 32 × 50 × 2 0.15 µs against 0.57 µs; from 32 × 64 × 64 up to 64 × 64 × 64 (2^18) both ran at 200-220 GFLOP/s.
    /// </summary>
    private const long SmallProductLimit = 1 << 18;

    /// <summary>The largest op(B), in floats, that the small path copies to the stack when its rows are strided.</summary>
    private const int SmallTransposeLimit = 4096;

    /// <summary>Whether a single-precision product takes the small path (it needs AVX-512's masked loads and stores).</summary>
    /// <remarks>
    /// <c>A B^T</c> takes it only where copying <c>B^T</c> is cheap next to the product (a sum of at most 16) or where
    /// the packed path cannot go (fewer than 16 columns, such as a classifier's output layer, at any number of rows:
    /// 64 × 10 × 128 took 1.8 µs against 4.6 µs in the dot-product loops); otherwise the packed path's copy of
    /// <c>B</c> does better.
    /// </remarks>
    private static bool UsesSmallPath(int m, int n, int k, bool transposedB)
    {
        if (!Avx512F.IsSupported)
        {
            return false;
        }

        if (!transposedB)
        {
            return (long)m * n * k <= SmallProductLimit;
        }

        bool copyFits = (long)k * RoundUp(n, Vector512<float>.Count) <= SmallTransposeLimit;
        return copyFits && (n < 16 || (k <= 16 && (long)m * n * k <= SmallProductLimit));
    }

    private static unsafe void MultiplySmall(StridedMatrix a, StridedMatrix b, ref float c, int m, int n, int k, bool accumulate, float* bias, bool relu)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        if (b.ColumnStride == 1)
        {
            ref float bOrigin = ref b.Origin;
            fixed (float* bRows = &bOrigin)
            {
                MultiplyRows(a, bRows, b.RowStride, ref c, m, n, k, accumulate, bias, relu);
            }

            return;
        }

        // op(B)'s rows are strided (B^T): copy it, [k, n] row-major, so that every row is one or two vector loads.
        int ldb = RoundUp(n, Vector512<float>.Count);
        float* packed = stackalloc float[k * ldb];
        ref float origin = ref b.Origin;
        fixed (float* source = &origin)
        {
            // Column j of op(B), read along its stride, becomes column j of the copy.
            for (int j = 0; j < n; j++)
            {
                float* from = source + (j * b.ColumnStride);
                float* to = packed + j;
                for (int p = 0; p < k; p++, from += b.RowStride, to += ldb)
                {
                    *to = *from;
                }
            }
        }

        MultiplyRows(a, packed, ldb, ref c, m, n, k, accumulate, bias, relu);
    }

    private static unsafe void MultiplyRows(StridedMatrix a, float* b, nint ldb, ref float c, int m, int n, int k, bool accumulate, float* bias, bool relu)
    {
        fixed (float* cOrigin = &c)
        {
            for (int j0 = 0; j0 < n; j0 += 2 * Width)
            {
                if (n - j0 > Width)
                {
                    for (int i0 = 0; i0 < m; i0 += 4)
                    {
                        FourRowsTwoVectors(a, b + j0, ldb, cOrigin + j0, n, m, i0, k, ColumnMask(n - j0 - Width), accumulate, bias == null ? null : bias + j0, relu);
                    }
                }
                else
                {
                    for (int i0 = 0; i0 < m; i0 += 8)
                    {
                        EightRowsOneVector(a, b + j0, ldb, cOrigin + j0, n, m, i0, k, ColumnMask(n - j0), accumulate, bias == null ? null : bias + j0, relu);
                    }
                }
            }
        }
    }

    private const int Width = 16;

    /// <summary>
    /// <c>C[i0 .. i0 + 4, 0 .. 32)</c>, the second 16 columns masked by <paramref name="mask1"/>. Rows past
    /// <paramref name="m"/> repeat the last row: they compute its values and store them to it.
    /// </summary>
    private static unsafe void FourRowsTwoVectors(
        StridedMatrix a, float* b, nint ldb, float* c, nint ldc, int m, int i0, int k, Vector512<float> mask1, bool accumulate, float* bias, bool relu)
    {
        Vector512<float> zero = Vector512<float>.Zero;
        int i1 = Math.Min(i0 + 1, m - 1), i2 = Math.Min(i0 + 2, m - 1), i3 = Math.Min(i0 + 3, m - 1);
        float* c0 = c + (i0 * ldc), c1 = c + (i1 * ldc), c2 = c + (i2 * ldc), c3 = c + (i3 * ldc);
        Vector512<float> s00 = zero, s10 = zero, s20 = zero, s30 = zero, s01 = zero, s11 = zero, s21 = zero, s31 = zero;
        if (accumulate)
        {
            s00 = Vector512.Load(c0);
            s10 = Vector512.Load(c1);
            s20 = Vector512.Load(c2);
            s30 = Vector512.Load(c3);
            s01 = Avx512F.MaskLoad(c0 + Width, mask1, zero);
            s11 = Avx512F.MaskLoad(c1 + Width, mask1, zero);
            s21 = Avx512F.MaskLoad(c2 + Width, mask1, zero);
            s31 = Avx512F.MaskLoad(c3 + Width, mask1, zero);
        }
        else if (bias != null)
        {
            s00 = s10 = s20 = s30 = Vector512.Load(bias);
            s01 = s11 = s21 = s31 = Avx512F.MaskLoad(bias + Width, mask1, zero);
        }

        ref float a0 = ref a.At(i0, 0), a1 = ref a.At(i1, 0), a2 = ref a.At(i2, 0), a3 = ref a.At(i3, 0);
        nint step = a.ColumnStride;
        for (nint p = 0; p < k; p++, b += ldb)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Avx512F.MaskLoad(b + Width, mask1, zero);
            Vector512<float> x0 = Vector512.Create(Unsafe.Add(ref a0, p * step));
            Vector512<float> x1 = Vector512.Create(Unsafe.Add(ref a1, p * step));
            Vector512<float> x2 = Vector512.Create(Unsafe.Add(ref a2, p * step));
            Vector512<float> x3 = Vector512.Create(Unsafe.Add(ref a3, p * step));
            s00 = Vector512.FusedMultiplyAdd(x0, b0, s00);
            s01 = Vector512.FusedMultiplyAdd(x0, b1, s01);
            s10 = Vector512.FusedMultiplyAdd(x1, b0, s10);
            s11 = Vector512.FusedMultiplyAdd(x1, b1, s11);
            s20 = Vector512.FusedMultiplyAdd(x2, b0, s20);
            s21 = Vector512.FusedMultiplyAdd(x2, b1, s21);
            s30 = Vector512.FusedMultiplyAdd(x3, b0, s30);
            s31 = Vector512.FusedMultiplyAdd(x3, b1, s31);
        }

        if (relu)
        {
            (s00, s10, s20, s30) = (Vector512.Max(s00, zero), Vector512.Max(s10, zero), Vector512.Max(s20, zero), Vector512.Max(s30, zero));
            (s01, s11, s21, s31) = (Vector512.Max(s01, zero), Vector512.Max(s11, zero), Vector512.Max(s21, zero), Vector512.Max(s31, zero));
        }

        s30.Store(c3);
        Avx512F.MaskStore(c3 + Width, mask1, s31);
        s20.Store(c2);
        Avx512F.MaskStore(c2 + Width, mask1, s21);
        s10.Store(c1);
        Avx512F.MaskStore(c1 + Width, mask1, s11);
        s00.Store(c0);
        Avx512F.MaskStore(c0 + Width, mask1, s01);
    }

    /// <summary>
    /// <c>C[i0 .. i0 + 8, 0 .. 16)</c>, masked by <paramref name="mask"/>: eight rows, so that eight independent
    /// sums hide the latency of the fused multiply-add even when the columns fill one vector or less.
    /// </summary>
    private static unsafe void EightRowsOneVector(
        StridedMatrix a, float* b, nint ldb, float* c, nint ldc, int m, int i0, int k, Vector512<float> mask, bool accumulate, float* bias, bool relu)
    {
        Vector512<float> zero = Vector512<float>.Zero;
        int last = m - 1;
        int i1 = Math.Min(i0 + 1, last), i2 = Math.Min(i0 + 2, last), i3 = Math.Min(i0 + 3, last);
        int i4 = Math.Min(i0 + 4, last), i5 = Math.Min(i0 + 5, last), i6 = Math.Min(i0 + 6, last), i7 = Math.Min(i0 + 7, last);
        float* c0 = c + (i0 * ldc), c1 = c + (i1 * ldc), c2 = c + (i2 * ldc), c3 = c + (i3 * ldc);
        float* c4 = c + (i4 * ldc), c5 = c + (i5 * ldc), c6 = c + (i6 * ldc), c7 = c + (i7 * ldc);
        Vector512<float> s0 = zero, s1 = zero, s2 = zero, s3 = zero, s4 = zero, s5 = zero, s6 = zero, s7 = zero;
        if (accumulate)
        {
            s0 = Avx512F.MaskLoad(c0, mask, zero);
            s1 = Avx512F.MaskLoad(c1, mask, zero);
            s2 = Avx512F.MaskLoad(c2, mask, zero);
            s3 = Avx512F.MaskLoad(c3, mask, zero);
            s4 = Avx512F.MaskLoad(c4, mask, zero);
            s5 = Avx512F.MaskLoad(c5, mask, zero);
            s6 = Avx512F.MaskLoad(c6, mask, zero);
            s7 = Avx512F.MaskLoad(c7, mask, zero);
        }
        else if (bias != null)
        {
            s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = Avx512F.MaskLoad(bias, mask, zero);
        }

        ref float a0 = ref a.At(i0, 0), a1 = ref a.At(i1, 0), a2 = ref a.At(i2, 0), a3 = ref a.At(i3, 0);
        ref float a4 = ref a.At(i4, 0), a5 = ref a.At(i5, 0), a6 = ref a.At(i6, 0), a7 = ref a.At(i7, 0);
        nint step = a.ColumnStride;
        for (nint p = 0; p < k; p++, b += ldb)
        {
            Vector512<float> row = Avx512F.MaskLoad(b, mask, zero);
            nint at = p * step;
            s0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a0, at)), row, s0);
            s1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a1, at)), row, s1);
            s2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a2, at)), row, s2);
            s3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a3, at)), row, s3);
            s4 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a4, at)), row, s4);
            s5 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a5, at)), row, s5);
            s6 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a6, at)), row, s6);
            s7 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a7, at)), row, s7);
        }

        if (relu)
        {
            (s0, s1, s2, s3) = (Vector512.Max(s0, zero), Vector512.Max(s1, zero), Vector512.Max(s2, zero), Vector512.Max(s3, zero));
            (s4, s5, s6, s7) = (Vector512.Max(s4, zero), Vector512.Max(s5, zero), Vector512.Max(s6, zero), Vector512.Max(s7, zero));
        }

        Avx512F.MaskStore(c7, mask, s7);
        Avx512F.MaskStore(c6, mask, s6);
        Avx512F.MaskStore(c5, mask, s5);
        Avx512F.MaskStore(c4, mask, s4);
        Avx512F.MaskStore(c3, mask, s3);
        Avx512F.MaskStore(c2, mask, s2);
        Avx512F.MaskStore(c1, mask, s1);
        Avx512F.MaskStore(c0, mask, s0);
    }

    /// <summary>All ones in the first <paramref name="columns"/> lanes (none when it is not positive, all from 16 on).</summary>
    internal static Vector512<float> ColumnMask(int columns)
        => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(columns)).AsSingle();
}
