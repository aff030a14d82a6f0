using System;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TypedNets.Kernels;

/// <summary>Inverted dropout: survivors are scaled by <c>1 / (1 - rate)</c> in training, so inference is the identity.</summary>
/// <remarks>
/// A mask takes one 64-bit draw from the caller's <see cref="Xoshiro256"/>, whatever its length: that draw seeds
/// eight xoshiro256** generators (through SplitMix64, as <see cref="Xoshiro256(ulong)"/> seeds one), which run side by
/// side in the lanes of a vector and give sixteen 32-bit draws per step. Element <c>i</c> is dropped when draw
/// <c>i</c> is below <c>rate × 2^32</c> (rounded to the nearest integer), so the rate is honoured to within 2^-33.
/// The masks are the same on every machine and for every element type; only the speed depends on the vector width.
/// </remarks>
public static class DropoutKernel
{
    /// <summary>
    /// Draws a fresh mask (each element <c>0</c> with probability <paramref name="rate"/>, else <c>1 / (1 - rate)</c>)
    /// and writes <c>y = x * mask</c>.
    /// </summary>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, Span<T> mask, double rate, ref Xoshiro256 random)
        where T : IFloatingPointIeee754<T>
    {
        if (x.Length != y.Length || mask.Length != y.Length)
        {
            throw new ArgumentException($"Dropout needs input, output and mask of one length, got {x.Length}, {y.Length} and {mask.Length}.");
        }

        if (!(rate >= 0 && rate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The dropout rate must be in [0, 1).");
        }

        ulong seed = random.NextUInt64();
        uint threshold = (uint)Math.Min(Math.Round(rate * 4294967296.0), uint.MaxValue);
        if (typeof(T) == typeof(float))
        {
            FillSingle(FloatSpans.AsFloat(mask), (float)(1.0 / (1.0 - rate)), threshold, seed);
        }
        else
        {
            Fill(mask, T.CreateTruncating(1.0 / (1.0 - rate)), threshold, seed);
        }

        TensorPrimitives.Multiply(x, mask, y);
    }

    /// <summary><c>dx = dy * mask</c>.</summary>
    public static void Backward<T>(ReadOnlySpan<T> mask, ReadOnlySpan<T> dy, Span<T> dx)
        where T : IFloatingPointIeee754<T>
        => TensorPrimitives.Multiply(dy, mask, dx);

    private static void FillSingle(Span<float> mask, float keep, uint threshold, ulong seed)
    {
        LaneGenerators.Seed(seed, out Vector512<ulong> s0, out Vector512<ulong> s1, out Vector512<ulong> s2, out Vector512<ulong> s3);
        ref float target = ref MemoryMarshal.GetReference(mask);
        Vector512<uint> limit = Vector512.Create(threshold);
        Vector512<float> kept = Vector512.Create(keep);
        int i = 0;
        for (; i + Vector512<float>.Count <= mask.Length; i += Vector512<float>.Count)
        {
            // Lanes whose draw is at or above the threshold survive: all ones in the comparison, so the AND keeps them.
            Vector512<uint> survives = Vector512.GreaterThanOrEqual(LaneGenerators.Next(ref s0, ref s1, ref s2, ref s3), limit);
            (survives.AsSingle() & kept).StoreUnsafe(ref target, (nuint)i);
        }

        if (i < mask.Length)
        {
            Vector512<uint> draws = LaneGenerators.Next(ref s0, ref s1, ref s2, ref s3);
            for (int lane = 0; i < mask.Length; i++, lane++)
            {
                Unsafe.Add(ref target, i) = draws[lane] >= threshold ? keep : 0f;
            }
        }
    }

    private static void Fill<T>(Span<T> mask, T keep, uint threshold, ulong seed)
        where T : IFloatingPointIeee754<T>
    {
        LaneGenerators.Seed(seed, out Vector512<ulong> s0, out Vector512<ulong> s1, out Vector512<ulong> s2, out Vector512<ulong> s3);
        for (int i = 0; i < mask.Length; i += Vector512<uint>.Count)
        {
            Vector512<uint> draws = LaneGenerators.Next(ref s0, ref s1, ref s2, ref s3);
            for (int lane = 0; lane < Vector512<uint>.Count && i + lane < mask.Length; lane++)
            {
                mask[i + lane] = draws[lane] >= threshold ? keep : T.Zero;
            }
        }
    }

    /// <summary>
    /// Eight xoshiro256** generators, one per 64-bit lane, stepped together. The state is four locals of the caller,
    /// passed by reference to methods that are always inlined, so that the JIT keeps them in registers.
    /// </summary>
    private static class LaneGenerators
    {
        private const ulong Golden = 0x9E3779B97F4A7C15UL;

        /// <summary>Lane j's state is the SplitMix64 outputs 4j+1 .. 4j+4 of the seed: what new Xoshiro256(seed + 4j γ) would hold.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Seed(ulong seed, out Vector512<ulong> s0, out Vector512<ulong> s1, out Vector512<ulong> s2, out Vector512<ulong> s3)
        {
            Vector512<ulong> counter = Vector512.Create(seed) + (Vector512<ulong>.Indices * Vector512.Create(unchecked(4 * Golden)));
            s0 = SplitMix(counter += Vector512.Create(Golden));
            s1 = SplitMix(counter += Vector512.Create(Golden));
            s2 = SplitMix(counter += Vector512.Create(Golden));
            s3 = SplitMix(counter + Vector512.Create(Golden));
        }

        /// <summary>Sixteen 32-bit draws: the low then the high half of each lane's next 64 bits.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> Next(ref Vector512<ulong> s0, ref Vector512<ulong> s1, ref Vector512<ulong> s2, ref Vector512<ulong> s3)
        {
            // rotl(s1 * 5, 7) * 9, with the multiplications by 5 and 9 as shifts and adds.
            Vector512<ulong> times5 = Vector512.ShiftLeft(s1, 2) + s1;
            Vector512<ulong> rotated = RotateLeft(times5, 7);
            Vector512<ulong> result = Vector512.ShiftLeft(rotated, 3) + rotated;
            Vector512<ulong> t = Vector512.ShiftLeft(s1, 17);
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = RotateLeft(s3, 45);
            return result.AsUInt32();
        }

        private static Vector512<ulong> SplitMix(Vector512<ulong> z)
        {
            z = (z ^ Vector512.ShiftRightLogical(z, 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ Vector512.ShiftRightLogical(z, 27)) * 0x94D049BB133111EBUL;
            return z ^ Vector512.ShiftRightLogical(z, 31);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<ulong> RotateLeft(Vector512<ulong> value, [ConstantExpected] int count)
            => Vector512.ShiftLeft(value, count) | Vector512.ShiftRightLogical(value, 64 - count);
    }
}
