using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TypedNets.Kernels;

public static partial class Gemm
{
    /// <summary>
    /// <c>C[MR, NR] (+)= Ã · B̃</c> over one packed micro-panel of each operand, with all <c>MR × NR</c> sums in
    /// registers for the whole of <paramref name="depth"/>: per step of the sum it loads one row of <c>B̃</c> (two
    /// vectors), broadcasts <see cref="MicroRows"/> elements of <c>Ã</c> and issues one fused multiply-add per
    /// accumulator.
    /// </summary>
    /// <param name="a">The packed <c>Ã</c>: <paramref name="depth"/> columns of <see cref="MicroRows"/> elements each.</param>
    /// <param name="b">The packed <c>B̃</c>: <paramref name="depth"/> rows of <see cref="MicroColumns"/> elements each.</param>
    /// <param name="depth">The length of the sums, the cache block's <c>kc</c>.</param>
    /// <param name="c">The tile's first element in <c>C</c>.</param>
    /// <param name="ldc">The distance between rows of <c>C</c>.</param>
    /// <param name="add">Whether to add to <c>C</c> (every cache block of the sum after the first, or <c>accumulate</c>).</param>
    /// <param name="epilogue">The bias and ReLU to apply before the store, on the last cache block of the sum.</param>
    private static void MicroKernel(ref float a, ref float b, int depth, ref float c, nint ldc, bool add, Epilogue epilogue)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            MicroKernel512(ref a, ref b, depth, ref c, ldc, add, epilogue);
        }
        else
        {
            MicroKernel256(ref a, ref b, depth, ref c, ldc, add, epilogue);
        }
    }

    /// <summary>
    /// The 8 × 32 tile of 512-bit vectors: 16 accumulators. Two FMA pipes with a latency of four cycles need at least
    /// eight independent sums in flight; sixteen also hide the loads, and leave enough of the 32 registers for the
    /// two rows of <c>B̃</c> and the broadcasts without spilling.
    /// </summary>
    private static void MicroKernel512(ref float a, ref float b, int depth, ref float c, nint ldc, bool add, Epilogue epilogue)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < depth; p++)
        {
            Vector512<float> b0 = Vector512.LoadUnsafe(ref b);
            Vector512<float> b1 = Vector512.LoadUnsafe(ref b, 16);
            Vector512<float> ai = Vector512.Create(a);
            c00 = Vector512.FusedMultiplyAdd(ai, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(ai, b1, c01);
            ai = Vector512.Create(Unsafe.Add(ref a, 1));
            c10 = Vector512.FusedMultiplyAdd(ai, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(ai, b1, c11);
            ai = Vector512.Create(Unsafe.Add(ref a, 2));
            c20 = Vector512.FusedMultiplyAdd(ai, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(ai, b1, c21);
            ai = Vector512.Create(Unsafe.Add(ref a, 3));
            c30 = Vector512.FusedMultiplyAdd(ai, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(ai, b1, c31);
            ai = Vector512.Create(Unsafe.Add(ref a, 4));
            c40 = Vector512.FusedMultiplyAdd(ai, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(ai, b1, c41);
            ai = Vector512.Create(Unsafe.Add(ref a, 5));
            c50 = Vector512.FusedMultiplyAdd(ai, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(ai, b1, c51);
            ai = Vector512.Create(Unsafe.Add(ref a, 6));
            c60 = Vector512.FusedMultiplyAdd(ai, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(ai, b1, c61);
            ai = Vector512.Create(Unsafe.Add(ref a, 7));
            c70 = Vector512.FusedMultiplyAdd(ai, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(ai, b1, c71);
            a = ref Unsafe.Add(ref a, 8);
            b = ref Unsafe.Add(ref b, 32);
        }

        Store512(ref c, c00, c01, add, epilogue);
        Store512(ref Unsafe.Add(ref c, ldc), c10, c11, add, epilogue);
        Store512(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, add, epilogue);
        Store512(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, add, epilogue);
        Store512(ref Unsafe.Add(ref c, 4 * ldc), c40, c41, add, epilogue);
        Store512(ref Unsafe.Add(ref c, 5 * ldc), c50, c51, add, epilogue);
        Store512(ref Unsafe.Add(ref c, 6 * ldc), c60, c61, add, epilogue);
        Store512(ref Unsafe.Add(ref c, 7 * ldc), c70, c71, add, epilogue);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store512(ref float c, Vector512<float> left, Vector512<float> right, bool add, Epilogue epilogue)
    {
        if (add)
        {
            left += Vector512.LoadUnsafe(ref c);
            right += Vector512.LoadUnsafe(ref c, 16);
        }

        if (epilogue.Bias != null)
        {
            left += Vector512.Load(epilogue.Bias);
            right += Vector512.Load(epilogue.Bias + 16);
        }

        if (epilogue.ReLU)
        {
            left = Vector512.Max(left, Vector512<float>.Zero);
            right = Vector512.Max(right, Vector512<float>.Zero);
        }

        left.StoreUnsafe(ref c);
        right.StoreUnsafe(ref c, 16);
    }

    /// <summary>
    /// The 6 × 16 tile of 256-bit vectors for machines without AVX-512: 12 accumulators, two rows of <c>B̃</c> and a
    /// broadcast fill 15 of the 16 registers AVX2 has (the classic Haswell shape).
    /// </summary>
    private static void MicroKernel256(ref float a, ref float b, int depth, ref float c, nint ldc, bool add, Epilogue epilogue)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < depth; p++)
        {
            Vector256<float> b0 = Vector256.LoadUnsafe(ref b);
            Vector256<float> b1 = Vector256.LoadUnsafe(ref b, 8);
            Vector256<float> ai = Vector256.Create(a);
            c00 = Vector256.FusedMultiplyAdd(ai, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(ai, b1, c01);
            ai = Vector256.Create(Unsafe.Add(ref a, 1));
            c10 = Vector256.FusedMultiplyAdd(ai, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(ai, b1, c11);
            ai = Vector256.Create(Unsafe.Add(ref a, 2));
            c20 = Vector256.FusedMultiplyAdd(ai, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(ai, b1, c21);
            ai = Vector256.Create(Unsafe.Add(ref a, 3));
            c30 = Vector256.FusedMultiplyAdd(ai, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(ai, b1, c31);
            ai = Vector256.Create(Unsafe.Add(ref a, 4));
            c40 = Vector256.FusedMultiplyAdd(ai, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(ai, b1, c41);
            ai = Vector256.Create(Unsafe.Add(ref a, 5));
            c50 = Vector256.FusedMultiplyAdd(ai, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(ai, b1, c51);
            a = ref Unsafe.Add(ref a, 6);
            b = ref Unsafe.Add(ref b, 16);
        }

        Store256(ref c, c00, c01, add, epilogue);
        Store256(ref Unsafe.Add(ref c, ldc), c10, c11, add, epilogue);
        Store256(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, add, epilogue);
        Store256(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, add, epilogue);
        Store256(ref Unsafe.Add(ref c, 4 * ldc), c40, c41, add, epilogue);
        Store256(ref Unsafe.Add(ref c, 5 * ldc), c50, c51, add, epilogue);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store256(ref float c, Vector256<float> left, Vector256<float> right, bool add, Epilogue epilogue)
    {
        if (add)
        {
            left += Vector256.LoadUnsafe(ref c);
            right += Vector256.LoadUnsafe(ref c, 8);
        }

        if (epilogue.Bias != null)
        {
            left += Vector256.Load(epilogue.Bias);
            right += Vector256.Load(epilogue.Bias + 8);
        }

        if (epilogue.ReLU)
        {
            left = Vector256.Max(left, Vector256<float>.Zero);
            right = Vector256.Max(right, Vector256<float>.Zero);
        }

        left.StoreUnsafe(ref c);
        right.StoreUnsafe(ref c, 8);
    }

    /// <summary>
    /// What a product's last cache block applies to <c>C</c> as it stores it: a bias per column (from
    /// <see cref="Bias"/>, which points at the bias of the first column in view, or is null) and a ReLU. A raw
    /// pointer, so that it can travel with a shared product to the helper thread; the caller keeps the bias pinned.
    /// </summary>
    private readonly unsafe struct Epilogue(float* bias, bool relu)
    {
        public readonly float* Bias = bias;
        public readonly bool ReLU = relu;

        /// <summary>The same epilogue for the columns from <paramref name="column"/> on.</summary>
        public Epilogue From(int column) => new(Bias == null ? null : Bias + column, ReLU);
    }
}
