using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TypedNets.Kernels;

/// <summary>
/// <c>C (+)= A · B^T (+ bias)</c> and <c>C (+)= A · B</c> in single precision for the products the packed path leaves
/// alone: fewer than four rows of A, as a network predicting one sample has. In <c>A · B^T</c> every element is a dot
/// product, and the cost is reading B once: a dense layer's weights, which for a batch of one are used once each and
/// come from L2 or further. In <c>A · B</c> a row of C is a sum of rows of B scaled by A's elements.
/// </summary>
/// <remarks>
/// <para>
/// Eight rows of B are taken together, so that each load of A's row feeds eight fused multiply-adds and the eight
/// accumulators cover the FMA latency; the eight sums are reduced together, added to the bias (and to C when
/// accumulating) and stored as one vector.
/// </para>
/// <para>
/// The loads of B are aligned to cache lines where the rows allow it (when <c>k</c> is a multiple of sixteen, every row
/// starts at the same offset in its line): a 64-byte load that straddles two lines costs two, and with eight streams
/// in flight that made the loop slower than the memory behind it. The part of a row before its first boundary and the
/// part after its last are read with masked loads, which touch nothing outside the row; so is the tail of a row whose
/// length is not a multiple of sixteen.
/// </para>
/// </remarks>
internal static class GemmFewRows
{
    private const int Lanes = 16;
    private const int RowsPerPass = 8;

    /// <summary>
    /// Whether A·B^T with <paramref name="m"/> rows takes this kernel: on machines where the runtime uses 512-bit
    /// vectors (it declines them on processors that slow down for them) and offers AVX-512's masked loads.
    /// </summary>
    public static bool Applies(int m) => Vector512.IsHardwareAccelerated && Avx512F.IsSupported && m < 4;

    /// <summary><c>C[m, n] (+)= A[m, k] · B[n, k]^T</c>, plus <paramref name="bias"/>[n] on every row unless it is empty.</summary>
    public static unsafe void MultiplyTransposedB(
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> bias, Span<float> c, int m, int n, int k, bool accumulate)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        // Pinned because the alignment is worked out once from B's address.
        fixed (float* aStart = a)
        fixed (float* bStart = b)
        fixed (float* biasStart = bias)
        fixed (float* cStart = c)
        {
            if (k <= Lanes)
            {
                ShortRows(aStart, bStart, biasStart, cStart, m, n, k, accumulate);
                return;
            }

            var rows = new RowShape(bStart, k);
            for (int i = 0; i < m; i++)
            {
                float* x = aStart + ((nint)i * k);
                float* y = cStart + ((nint)i * n);
                for (int j = 0; j < n; j += RowsPerPass)
                {
                    Vector256<float> dots = Dot8(x, bStart, j, n, k, rows);
                    int count = Math.Min(RowsPerPass, n - j);
                    if (count == RowsPerPass)
                    {
                        if (accumulate)
                        {
                            dots += Vector256.Load(y + j);
                        }

                        if (biasStart != null)
                        {
                            dots += Vector256.Load(biasStart + j);
                        }

                        dots.Store(y + j);
                    }
                    else
                    {
                        for (int t = 0; t < count; t++)
                        {
                            float value = dots.GetElement(t);
                            value += accumulate ? y[j + t] : 0;
                            y[j + t] = biasStart != null ? value + biasStart[j + t] : value;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// <c>C[m, n] (+)= A[m, k] · B[k, n]</c>: a row of C is a sum of rows of B scaled by A's elements, kept in registers
    /// eight vectors at a time, with no horizontal sums at all.
    /// </summary>
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

    /// <summary>
    /// The dot products of <paramref name="x"/> with rows <c>j .. j + 7</c> of B; past the last row, the last row again
    /// (its products are computed and dropped, which keeps one loop for every <c>n</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Dot8(float* x, float* b, int j, int n, int k, in RowShape rows)
    {
        int last = n - 1;
        float* r0 = b + ((nint)j * k);
        float* r1 = b + ((nint)Math.Min(j + 1, last) * k);
        float* r2 = b + ((nint)Math.Min(j + 2, last) * k);
        float* r3 = b + ((nint)Math.Min(j + 3, last) * k);
        float* r4 = b + ((nint)Math.Min(j + 4, last) * k);
        float* r5 = b + ((nint)Math.Min(j + 5, last) * k);
        float* r6 = b + ((nint)Math.Min(j + 6, last) * k);
        float* r7 = b + ((nint)Math.Min(j + 7, last) * k);
        Vector512<float> s0 = Vector512<float>.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        Vector512<float> zero = Vector512<float>.Zero;

        int p = rows.BodyStart;
        if (p != 0)
        {
            // The row's first elements, up to its first line boundary, in the top lanes of the vector that ends there.
            int q = p - Lanes;
            Vector512<float> mask = rows.HeadMask;
            Vector512<float> v = Avx512F.MaskLoad(x + q, mask, zero);
            s0 = v * Avx512F.MaskLoad(r0 + q, mask, zero);
            s1 = v * Avx512F.MaskLoad(r1 + q, mask, zero);
            s2 = v * Avx512F.MaskLoad(r2 + q, mask, zero);
            s3 = v * Avx512F.MaskLoad(r3 + q, mask, zero);
            s4 = v * Avx512F.MaskLoad(r4 + q, mask, zero);
            s5 = v * Avx512F.MaskLoad(r5 + q, mask, zero);
            s6 = v * Avx512F.MaskLoad(r6 + q, mask, zero);
            s7 = v * Avx512F.MaskLoad(r7 + q, mask, zero);
        }

        for (; p < rows.BodyEnd; p += Lanes)
        {
            Vector512<float> v = Vector512.Load(x + p);
            s0 = Vector512.FusedMultiplyAdd(v, Vector512.Load(r0 + p), s0);
            s1 = Vector512.FusedMultiplyAdd(v, Vector512.Load(r1 + p), s1);
            s2 = Vector512.FusedMultiplyAdd(v, Vector512.Load(r2 + p), s2);
            s3 = Vector512.FusedMultiplyAdd(v, Vector512.Load(r3 + p), s3);
            s4 = Vector512.FusedMultiplyAdd(v, Vector512.Load(r4 + p), s4);
            s5 = Vector512.FusedMultiplyAdd(v, Vector512.Load(r5 + p), s5);
            s6 = Vector512.FusedMultiplyAdd(v, Vector512.Load(r6 + p), s6);
            s7 = Vector512.FusedMultiplyAdd(v, Vector512.Load(r7 + p), s7);
        }

        if (p < k)
        {
            Vector512<float> mask = rows.TailMask;
            Vector512<float> v = Avx512F.MaskLoad(x + p, mask, zero);
            s0 = Vector512.FusedMultiplyAdd(v, Avx512F.MaskLoad(r0 + p, mask, zero), s0);
            s1 = Vector512.FusedMultiplyAdd(v, Avx512F.MaskLoad(r1 + p, mask, zero), s1);
            s2 = Vector512.FusedMultiplyAdd(v, Avx512F.MaskLoad(r2 + p, mask, zero), s2);
            s3 = Vector512.FusedMultiplyAdd(v, Avx512F.MaskLoad(r3 + p, mask, zero), s3);
            s4 = Vector512.FusedMultiplyAdd(v, Avx512F.MaskLoad(r4 + p, mask, zero), s4);
            s5 = Vector512.FusedMultiplyAdd(v, Avx512F.MaskLoad(r5 + p, mask, zero), s5);
            s6 = Vector512.FusedMultiplyAdd(v, Avx512F.MaskLoad(r6 + p, mask, zero), s6);
            s7 = Vector512.FusedMultiplyAdd(v, Avx512F.MaskLoad(r7 + p, mask, zero), s7);
        }

        // Each accumulator folded to four lanes, then pairwise horizontal adds: lane t of the result is row t's sum.
        Vector128<float> low = Sse3.HorizontalAdd(Sse3.HorizontalAdd(Fold(s0), Fold(s1)), Sse3.HorizontalAdd(Fold(s2), Fold(s3)));
        Vector128<float> high = Sse3.HorizontalAdd(Sse3.HorizontalAdd(Fold(s4), Fold(s5)), Sse3.HorizontalAdd(Fold(s6), Fold(s7)));
        return Vector256.Create(low, high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Fold(Vector512<float> s)
    {
        Vector256<float> half = s.GetLower() + s.GetUpper();
        return half.GetLower() + half.GetUpper();
    }

    /// <summary>
    /// <c>A · B^T</c> when a row of B fits one vector (<c>k</c> at most 16, such as a first layer over ten features):
    /// sixteen rows of B at a time, each one masked load and one multiply, and the sixteen products summed across
    /// their lanes together by a tree of shuffles and adds whose result holds the sixteen dot products in order. The
    /// eight-row kernel would spend more on its horizontal sums than on the arithmetic here.
    /// </summary>
    private static unsafe void ShortRows(float* a, float* b, float* bias, float* c, int m, int n, int k, bool accumulate)
    {
        Vector512<float> zero = Vector512<float>.Zero;
        Vector512<float> inRow = Gemm.ColumnMask(k);
        int last = n - 1;
        for (int i = 0; i < m; i++)
        {
            Vector512<float> x = Avx512F.MaskLoad(a + ((nint)i * k), inRow, zero);
            float* y = c + ((nint)i * n);
            for (int j = 0; j < n; j += Lanes)
            {
                // Rows past the last repeat it; their sums are computed and not stored.
                Vector512<float> Product(int row) => x * Avx512F.MaskLoad(b + ((nint)Math.Min(j + row, last) * k), inRow, zero);
                Vector512<float> sums = Sum16(
                    Product(0), Product(1), Product(2), Product(3), Product(4), Product(5), Product(6), Product(7),
                    Product(8), Product(9), Product(10), Product(11), Product(12), Product(13), Product(14), Product(15));
                Vector512<float> inC = Gemm.ColumnMask(n - j);
                if (accumulate)
                {
                    sums += Avx512F.MaskLoad(y + j, inC, zero);
                }

                if (bias != null)
                {
                    sums += Avx512F.MaskLoad(bias + j, inC, zero);
                }

                Avx512F.MaskStore(y + j, inC, sums);
            }
        }
    }

    /// <summary>
    /// Lane <c>r</c> of the result is the sum of the lanes of <c>p</c>r: within 128-bit blocks, pairs of vectors are
    /// interleaved and added (singles, then pairs of singles), which leaves each block with one partial sum of four
    /// rows; then blocks are paired across vectors, twice, until the four blocks hold rows 0-3, 4-7, 8-11 and 12-15.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Sum16(
        Vector512<float> p0, Vector512<float> p1, Vector512<float> p2, Vector512<float> p3,
        Vector512<float> p4, Vector512<float> p5, Vector512<float> p6, Vector512<float> p7,
        Vector512<float> p8, Vector512<float> p9, Vector512<float> p10, Vector512<float> p11,
        Vector512<float> p12, Vector512<float> p13, Vector512<float> p14, Vector512<float> p15)
    {
        Vector512<float> rows0To3 = Quad(Pair(p0, p1), Pair(p2, p3));
        Vector512<float> rows4To7 = Quad(Pair(p4, p5), Pair(p6, p7));
        Vector512<float> rows8To11 = Quad(Pair(p8, p9), Pair(p10, p11));
        Vector512<float> rows12To15 = Quad(Pair(p12, p13), Pair(p14, p15));
        return Blocks(Blocks(rows0To3, rows4To7), Blocks(rows8To11, rows12To15));

        // Per 128-bit block: [u0 + u2, v0 + v2, u1 + u3, v1 + v3].
        static Vector512<float> Pair(Vector512<float> u, Vector512<float> v) => Avx512F.UnpackLow(u, v) + Avx512F.UnpackHigh(u, v);

        // Per 128-bit block: the block sums of the four rows, in order.
        static Vector512<float> Quad(Vector512<float> u, Vector512<float> v)
            => Avx512F.UnpackLow(u.AsDouble(), v.AsDouble()).AsSingle() + Avx512F.UnpackHigh(u.AsDouble(), v.AsDouble()).AsSingle();

        // [u.b0 + u.b1, u.b2 + u.b3, v.b0 + v.b1, v.b2 + v.b3], in 128-bit blocks b.
        static Vector512<float> Blocks(Vector512<float> u, Vector512<float> v)
            => Avx512F.Shuffle4x128(u, v, 0b10_00_10_00) + Avx512F.Shuffle4x128(u, v, 0b11_01_11_01);
    }

    /// <summary>
    /// Where the full vectors of every row of B start and end, and which lanes the partial vectors before and after them
    /// hold: <c>[BodyStart - 16, BodyStart)</c> under <see cref="HeadMask"/>, <c>[BodyEnd, BodyEnd + 16)</c> under
    /// <see cref="TailMask"/>.
    /// </summary>
    private readonly struct RowShape
    {
        public readonly int BodyStart;
        public readonly int BodyEnd;
        public readonly Vector512<float> HeadMask;
        public readonly Vector512<float> TailMask;

        public unsafe RowShape(float* b, int k)
        {
            // Rows share their offset within a cache line only when a row is a whole number of lines; otherwise the
            // loads stay where the rows start.
            int offset = k % Lanes == 0 ? (int)((nuint)b / sizeof(float) % Lanes) : 0;
            BodyStart = offset == 0 || k < Lanes ? 0 : Lanes - offset;
            BodyEnd = BodyStart + ((k - BodyStart) / Lanes * Lanes);
            HeadMask = ~Gemm.ColumnMask(offset);
            TailMask = Gemm.ColumnMask(k - BodyEnd);
        }
    }
}
