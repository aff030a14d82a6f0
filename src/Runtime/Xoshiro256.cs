using System;
using System.Numerics;

namespace TypedNets;

/// <summary>
/// The xoshiro256** generator (Blackman and Vigna), seeded through SplitMix64: fast, 256 bits of state, and the
/// same stream on every machine, so a seed fixes initial weights and dropout masks bit for bit.
/// </summary>
public struct Xoshiro256
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <summary>Creates a generator whose whole stream is fixed by <paramref name="seed"/>.</summary>
    public Xoshiro256(ulong seed)
    {
        ulong state = seed;
        _s0 = SplitMix64(ref state);
        _s1 = SplitMix64(ref state);
        _s2 = SplitMix64(ref state);
        _s3 = SplitMix64(ref state);
    }

    /// <summary>
    /// A generator that continues from a state read earlier with <see cref="State"/>, such as one saved in a training
    /// checkpoint: it produces exactly the numbers the generator it was read from would have produced next.
    /// </summary>
    /// <param name="s0">The first word of <see cref="State"/>.</param>
    /// <param name="s1">The second word.</param>
    /// <param name="s2">The third word.</param>
    /// <param name="s3">The fourth word.</param>
    /// <exception cref="ArgumentException">When all four words are zero, the one state xoshiro256** never leaves (it would return zeros forever) and never reaches from a seed.</exception>
    public Xoshiro256(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        if ((s0 | s1 | s2 | s3) == 0)
        {
            throw new ArgumentException(
                "A xoshiro256** state of four zero words would produce only zeros; pass the words read from State, or seed the generator with new Xoshiro256(seed).",
                nameof(s0));
        }

        _s0 = s0;
        _s1 = s1;
        _s2 = s2;
        _s3 = s3;
    }

    /// <summary>
    /// The generator's 256-bit state, four 64-bit words; <see cref="Xoshiro256(ulong, ulong, ulong, ulong)"/> continues
    /// the stream from it. A <c>default</c> struct, never seeded, reads as four zeros.
    /// </summary>
    public readonly (ulong S0, ulong S1, ulong S2, ulong S3) State => (_s0, _s1, _s2, _s3);

    /// <summary>
    /// A generator for one of several independent streams drawn from one seed, such as initial weights
    /// (stream 0) and dropout masks (stream 1).
    /// </summary>
    public static Xoshiro256 ForStream(ulong seed, ulong stream) => new(seed ^ (stream * 0xD1B54A32D192ED03UL));

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform double in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public double NextDouble(double low, double high) => low + ((high - low) * NextDouble());

    /// <summary>A uniform integer in [0, <paramref name="exclusiveMax"/>), without modulo bias.</summary>
    public int NextInt(int exclusiveMax)
    {
        if (exclusiveMax <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(exclusiveMax), exclusiveMax, "The upper bound must be positive.");
        }

        ulong bound = (ulong)exclusiveMax;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong value = NextUInt64();
            ulong high = Math.BigMul(value, bound, out ulong low);
            if (low >= threshold)
            {
                return (int)high;
            }
        }
    }

    private static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
