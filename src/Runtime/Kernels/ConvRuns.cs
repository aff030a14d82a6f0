using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TypedNets.Kernels;

/// <summary>
/// Copies and sums of the short runs that unfolding and folding a small image move: one output row of a map, a dozen
/// or two values. A library call per run (<see cref="Span{T}.CopyTo(Span{T})"/>, <c>TensorPrimitives.Add</c>) costs
/// more than moving the values there, and a 13 × 13 image unfolded for a 3 × 3 convolution is 3,168 runs of 11 a sample.
/// </summary>
internal static class Runs
{
    /// <summary>
    /// Writes a run of <paramref name="length"/> values: zeros before <paramref name="start"/>, then
    /// <paramref name="source"/>, then zeros to the end (the padding on either side of an unfolded row).
    /// </summary>
    public static void Copy<T>(ReadOnlySpan<T> source, Span<T> run, int start, int length)
        where T : IFloatingPointIeee754<T>
    {
        run = run.Slice(0, length);
        int count = source.Length;
        if (start + count > length)
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"A run of {count} values from {start} does not fit in {length}.");
        }

        ref T to = ref MemoryMarshal.GetReference(run);
        for (int i = 0; i < start; i++)
        {
            Unsafe.Add(ref to, i) = T.Zero;
        }

        CopyShort(ref MemoryMarshal.GetReference(source), ref Unsafe.Add(ref to, start), count);
        for (int i = start + count; i < length; i++)
        {
            Unsafe.Add(ref to, i) = T.Zero;
        }
    }

    /// <summary><c>to[i] += from[i]</c> for <paramref name="count"/> values, by vectors and then scalars; the caller keeps both inside their spans.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddShort<T>(ref T from, ref T to, int count)
        where T : IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            for (; i <= count - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                (Vector256.LoadUnsafe(ref to, (nuint)i) + Vector256.LoadUnsafe(ref from, (nuint)i)).StoreUnsafe(ref to, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            Unsafe.Add(ref to, i) += Unsafe.Add(ref from, i);
        }
    }

    /// <summary><c>target += source</c>, element by element, over two runs of the same length.</summary>
    public static void Add<T>(ReadOnlySpan<T> source, Span<T> target)
        where T : IFloatingPointIeee754<T>
    {
        int count = source.Length;
        if (target.Length < count)
        {
            throw new ArgumentException($"A sum of {count} values needs a target of as many, but got {target.Length}.", nameof(target));
        }

        ref T from = ref MemoryMarshal.GetReference(source);
        ref T to = ref MemoryMarshal.GetReference(target);
        int i = 0;
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            for (; i <= count - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                (Vector256.LoadUnsafe(ref to, (nuint)i) + Vector256.LoadUnsafe(ref from, (nuint)i)).StoreUnsafe(ref to, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            Unsafe.Add(ref to, i) += Unsafe.Add(ref from, i);
        }
    }

    /// <summary>
    /// <c>target = source + bias</c>, then <c>max(target, 0)</c> when <paramref name="relu"/> is set; the two may be the
    /// same span (a product of one sample is its output already) but must not otherwise overlap.
    /// </summary>
    public static void BiasReLU<T>(ReadOnlySpan<T> source, T bias, bool relu, Span<T> target)
        where T : IFloatingPointIeee754<T>
    {
        int count = source.Length;
        if (target.Length < count)
        {
            throw new ArgumentException($"A run of {count} values needs a target of as many, but got {target.Length}.", nameof(target));
        }

        ref T from = ref MemoryMarshal.GetReference(source);
        ref T to = ref MemoryMarshal.GetReference(target);
        int i = 0;
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            Vector256<T> shift = Vector256.Create(bias);
            Vector256<T> floor = relu ? Vector256<T>.Zero : Vector256.Create(T.NegativeInfinity);
            for (; i <= count - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                // Max with -infinity leaves every value, NaN included, as it was; with 0 it is the ReLU.
                Vector256.Max(Vector256.LoadUnsafe(ref from, (nuint)i) + shift, floor).StoreUnsafe(ref to, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            T value = Unsafe.Add(ref from, i) + bias;
            Unsafe.Add(ref to, i) = relu ? T.Max(value, T.Zero) : value;
        }
    }

    /// <summary>
    /// Copies <paramref name="count"/> values by whole vectors, the last one overlapping the one before (writing some
    /// values twice, with the same value), and by scalars only when the run is shorter than one vector.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyShort<T>(ref T from, ref T to, int count)
        where T : IFloatingPointIeee754<T>
    {
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && count >= Vector256<T>.Count)
        {
            int step = Vector256<T>.Count;
            int i = 0;
            for (; i <= count - step; i += step)
            {
                Vector256.LoadUnsafe(ref from, (nuint)i).StoreUnsafe(ref to, (nuint)i);
            }

            if (i < count)
            {
                Vector256.LoadUnsafe(ref from, (nuint)(count - step)).StoreUnsafe(ref to, (nuint)(count - step));
            }

            return;
        }

        for (int i = 0; i < count; i++)
        {
            Unsafe.Add(ref to, i) = Unsafe.Add(ref from, i);
        }
    }
}
