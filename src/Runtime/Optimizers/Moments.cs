using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TypedNets.Optimizers;

/// <summary>
/// The decaying running averages the optimizers keep (Adam's moments, RMSprop's averages, momentum buffers), updated
/// in one pass and flushed to zero: a result that would be subnormal (nonzero and below the smallest normal number,
/// 1.17549435e-38 for <c>float</c>) is stored as a zero of its sign. Every other result is bit for bit what the
/// separate multiply and multiply-add passes gave, each product rounded before the sum.
/// </summary>
/// <remarks>
/// <para>
/// Why: an average whose input stops (the weight of an always-blank pixel, a dead ReLU unit, a token that no longer
/// occurs) shrinks by its decay every step; Adam's first moment, at 0.9 a step, spends about 150 steps among the
/// subnormals before it reaches zero, and a Fashion-MNIST epoch of the MLP 784-256-128-10 had up to 5,500 first
/// moments there at once. Arithmetic on subnormals is slow on most processors (on this project's Zen 5 a divide or
/// square root with a subnormal operand takes about twice as long, and Adam's step 1.1 to 1.4 times; many Intel cores
/// take a microcode assist of the order of a hundred cycles), and .NET cannot set the processor's flush-to-zero mode,
/// so the flush is done here, where the values are written anyway. Fusing the decay and the sum into one pass also
/// makes the normal step faster than the separate passes were.
/// </para>
/// <para>
/// The effect on the numbers is that of PyTorch's <c>torch.set_flush_denormal(True)</c>: a value below 1.2e-38 is
/// taken as 0. A first moment that small moved a parameter by at most about <c>lr 1.2e-38 / eps</c> a step, of the
/// order of 1e-30 of the learning rate with the usual eps of 1e-8.
/// </para>
/// </remarks>
internal static class Moments
{
    /// <summary><c>average = decay average + scale x</c>, flushed.</summary>
    public static void Decay<T>(Span<T> average, T decay, ReadOnlySpan<T> x, T scale)
        where T : IFloatingPointIeee754<T>
        => Update<T, Linear<T>>(average, decay, x, scale);

    /// <summary><c>average = decay average + (scale x) x</c>, flushed: the order of PyTorch's <c>addcmul</c>.</summary>
    public static void DecaySquares<T>(Span<T> average, T decay, ReadOnlySpan<T> x, T scale)
        where T : IFloatingPointIeee754<T>
        => Update<T, Square<T>>(average, decay, x, scale);

    /// <summary>Replaces every subnormal in <paramref name="values"/> by a zero of its sign.</summary>
    public static void FlushSubnormals<T>(Span<T> values)
        where T : IFloatingPointIeee754<T>
    {
        T minNormal = MinNormal<T>();
        ref T a = ref MemoryMarshal.GetReference(values);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            Vector512<T> limit = Vector512.Create(minNormal), sign = Vector512.Create(T.NegativeZero);
            for (; i + Vector512<T>.Count <= values.Length; i += Vector512<T>.Count)
            {
                Flush(Vector512.LoadUnsafe(ref a, (nuint)i), limit, sign).StoreUnsafe(ref a, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            Vector256<T> limit = Vector256.Create(minNormal), sign = Vector256.Create(T.NegativeZero);
            for (; i + Vector256<T>.Count <= values.Length; i += Vector256<T>.Count)
            {
                Flush(Vector256.LoadUnsafe(ref a, (nuint)i), limit, sign).StoreUnsafe(ref a, (nuint)i);
            }
        }
        else if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            Vector128<T> limit = Vector128.Create(minNormal), sign = Vector128.Create(T.NegativeZero);
            for (; i + Vector128<T>.Count <= values.Length; i += Vector128<T>.Count)
            {
                Flush(Vector128.LoadUnsafe(ref a, (nuint)i), limit, sign).StoreUnsafe(ref a, (nuint)i);
            }
        }

        for (; i < values.Length; i++)
        {
            ref T target = ref Unsafe.Add(ref a, i);
            target = Flush(target, minNormal);
        }
    }

    /// <summary>The smallest positive normal <typeparamref name="T"/>: 2^-126 for <c>float</c>, 2^-1022 for <c>double</c>.</summary>
    public static T MinNormal<T>()
        where T : IFloatingPointIeee754<T>
        => T.ScaleB(T.Epsilon, T.One.GetSignificandBitLength() - 1);

    private static void Update<T, TTerm>(Span<T> average, T decay, ReadOnlySpan<T> x, T scale)
        where T : IFloatingPointIeee754<T>
        where TTerm : ITerm<T>
    {
        if (x.Length != average.Length)
        {
            throw new ArgumentException($"The running average has {average.Length} elements but its input has {x.Length}.", nameof(x));
        }

        T minNormal = MinNormal<T>();
        ref T a = ref MemoryMarshal.GetReference(average);
        ref T v = ref MemoryMarshal.GetReference(x);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            Vector512<T> decays = Vector512.Create(decay), scales = Vector512.Create(scale), limit = Vector512.Create(minNormal);
            Vector512<T> sign = Vector512.Create(T.NegativeZero);
            for (; i + Vector512<T>.Count <= average.Length; i += Vector512<T>.Count)
            {
                Vector512<T> values = Vector512.LoadUnsafe(ref v, (nuint)i);
                Vector512<T> sum = TTerm.Of(values, scales) + (Vector512.LoadUnsafe(ref a, (nuint)i) * decays);
                Flush(sum, limit, sign).StoreUnsafe(ref a, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            Vector256<T> decays = Vector256.Create(decay), scales = Vector256.Create(scale), limit = Vector256.Create(minNormal);
            Vector256<T> sign = Vector256.Create(T.NegativeZero);
            for (; i + Vector256<T>.Count <= average.Length; i += Vector256<T>.Count)
            {
                Vector256<T> values = Vector256.LoadUnsafe(ref v, (nuint)i);
                Vector256<T> sum = TTerm.Of(values, scales) + (Vector256.LoadUnsafe(ref a, (nuint)i) * decays);
                Flush(sum, limit, sign).StoreUnsafe(ref a, (nuint)i);
            }
        }
        else if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            Vector128<T> decays = Vector128.Create(decay), scales = Vector128.Create(scale), limit = Vector128.Create(minNormal);
            Vector128<T> sign = Vector128.Create(T.NegativeZero);
            for (; i + Vector128<T>.Count <= average.Length; i += Vector128<T>.Count)
            {
                Vector128<T> values = Vector128.LoadUnsafe(ref v, (nuint)i);
                Vector128<T> sum = TTerm.Of(values, scales) + (Vector128.LoadUnsafe(ref a, (nuint)i) * decays);
                Flush(sum, limit, sign).StoreUnsafe(ref a, (nuint)i);
            }
        }

        for (; i < average.Length; i++)
        {
            ref T target = ref Unsafe.Add(ref a, i);
            target = Flush(TTerm.Of(Unsafe.Add(ref v, i), scale) + (target * decay), minNormal);
        }
    }

    /// <summary>
    /// Keeps only the sign bit where <c>|x| &lt; limit</c>; <paramref name="sign"/> holds <c>-0</c>. NaN compares false and
    /// is kept.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<T> Flush<T>(Vector512<T> x, Vector512<T> limit, Vector512<T> sign)
        => Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(x), limit), x & sign, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<T> Flush<T>(Vector256<T> x, Vector256<T> limit, Vector256<T> sign)
        => Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(x), limit), x & sign, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<T> Flush<T>(Vector128<T> x, Vector128<T> limit, Vector128<T> sign)
        => Vector128.ConditionalSelect(Vector128.LessThan(Vector128.Abs(x), limit), x & sign, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T Flush<T>(T value, T minNormal)
        where T : IFloatingPointIeee754<T>
        => T.Abs(value) < minNormal ? T.CopySign(T.Zero, value) : value;

    /// <summary>The term added to the decayed average, as one operator struct for the vector widths and the scalar tail.</summary>
    private interface ITerm<T>
        where T : IFloatingPointIeee754<T>
    {
        static abstract T Of(T x, T scale);

        static abstract Vector128<T> Of(Vector128<T> x, Vector128<T> scale);

        static abstract Vector256<T> Of(Vector256<T> x, Vector256<T> scale);

        static abstract Vector512<T> Of(Vector512<T> x, Vector512<T> scale);
    }

    /// <summary><c>scale x</c>.</summary>
    private readonly struct Linear<T> : ITerm<T>
        where T : IFloatingPointIeee754<T>
    {
        public static T Of(T x, T scale) => x * scale;

        public static Vector128<T> Of(Vector128<T> x, Vector128<T> scale) => x * scale;

        public static Vector256<T> Of(Vector256<T> x, Vector256<T> scale) => x * scale;

        public static Vector512<T> Of(Vector512<T> x, Vector512<T> scale) => x * scale;
    }

    /// <summary><c>(scale x) x</c>.</summary>
    private readonly struct Square<T> : ITerm<T>
        where T : IFloatingPointIeee754<T>
    {
        public static T Of(T x, T scale) => x * scale * x;

        public static Vector128<T> Of(Vector128<T> x, Vector128<T> scale) => x * scale * x;

        public static Vector256<T> Of(Vector256<T> x, Vector256<T> scale) => x * scale * x;

        public static Vector512<T> Of(Vector512<T> x, Vector512<T> scale) => x * scale * x;
    }
}
