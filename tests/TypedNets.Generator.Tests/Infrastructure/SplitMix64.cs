namespace TypedNets.Generator.Tests.Infrastructure;

/// <summary>
/// A small seeded generator (Steele, Lea and Flood's SplitMix64). Its own code, not System.Random, so that the
/// sequence, and with it every mutation the robustness test runs, is the same on every runtime version.
/// </summary>
internal sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong NextULong()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A number in [0, <paramref name="bound"/>); the tiny modulo bias does not matter here.</summary>
    public int Next(int bound) => (int)(NextULong() % (ulong)bound);

    public T Pick<T>(System.Collections.Generic.IReadOnlyList<T> items) => items[Next(items.Count)];
}
