using System;
using System.Collections.Concurrent;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Threading;

namespace TypedNets.Kernels;

/// <summary>
/// A network's weights packed for the GEMM's blocked path, made on first use by an inference pass and kept while the
/// network's <see cref="WeightVersion"/> holds, shared by all its prediction workspaces. Found by the offset of their
/// float parameter, as <see cref="Int8Weights"/> are.
/// </summary>
/// <remarks>
/// <para>
/// Every weight has an entry holding its current packed copy (a <see cref="Packing"/>) and the version it was packed
/// at. A product takes the copy as a reader (an interlocked count) for the length of the call. When the version has
/// moved, the first product to see it packs again under the entry's lock: it takes the current copy off the entry, and
/// packs into the same array when no reader holds it, else into a new one, then publishes it. A copy being packed is
/// never read: a reader counts itself in and then checks that its copy is still the entry's, and backs off otherwise;
/// the interlocked operations on both sides are full fences, so a repacking thread that finds no reader cannot miss one
/// that already counted itself in, and a reader that counts itself in after that check sees the copy taken away.
/// </para>
/// <para>
/// Steady-state products allocate nothing; packing after a change allocates only while another thread is still
/// multiplying with the old copy (predictions overlapping a change of the weights: a save, which hands out the weights,
/// or a view taken while predictions run).
/// </para>
/// </remarks>
internal sealed class PackedWeights
{
    private readonly WeightVersion _version;
    private readonly ConcurrentDictionary<int, Entry> _entries = new();

    public PackedWeights(WeightVersion version) => _version = version;

    /// <summary>
    /// The packed <c>B^T</c> of the weight <paramref name="weight"/> <c>[n, k]</c> at <paramref name="offset"/>, packed
    /// now if the weights have changed since it was last packed; the caller multiplies with it and then calls
    /// <see cref="Packing.Release"/>.
    /// </summary>
    public Packing Acquire(int offset, ReadOnlySpan<float> weight, int n, int k)
    {
        if (!_entries.TryGetValue(offset, out Entry? entry))
        {
            entry = _entries.GetOrAdd(offset, static _ => new Entry());
        }

        while (true)
        {
            Packing? packing = Volatile.Read(ref entry.Current);
            if (packing is null || !packing.Fits(_version.Value, n, k))
            {
                // The packing made here is used even if the version moves on while it is made: the weights it copied
                // were read after the version that made it stale, as a product on the unpacked weights would read them.
                packing = Repack(entry, weight, n, k);
            }

            Interlocked.Increment(ref packing.Readers);
            if (Volatile.Read(ref entry.Current) == packing && packing.HasShape(n, k))
            {
                return packing;
            }

            // Taken off the entry by a thread packing again since it was read: take that thread's packing.
            packing.Release();
        }
    }

    private Packing Repack(Entry entry, ReadOnlySpan<float> weight, int n, int k)
    {
        lock (entry.Lock)
        {
            // The version is read before the weights: should they change while they are packed, the copy is already stale.
            long version = _version.Value;
            Packing? old = Volatile.Read(ref entry.Current);
            if (old is not null && old.Fits(version, n, k))
            {
                return old;
            }

            int length = Gemm.PrepackedTransposedBLength(n, k);
            Interlocked.Exchange(ref entry.Current, null);
            Packing target = old is not null && Volatile.Read(ref old.Readers) == 0 && old.Capacity >= length ? old : new Packing(length);
            Gemm.PackTransposedB(weight, n, k, target.Panels(length));
            target.Set(version, n, k);
            Volatile.Write(ref entry.Current, target);
            return target;
        }
    }

    private sealed class Entry
    {
        public readonly Lock Lock = new();
        public Packing? Current;
    }

    /// <summary>
    /// One packed weight: a pinned array (whose 64-byte aligned start is worked out once, as the GEMM's own buffers'),
    /// the version and shape it was packed at, and how many products are reading it.
    /// </summary>
    internal sealed class Packing
    {
        public int Readers;
        private readonly float[] _array;
        private readonly int _start;
        private long _version;
        private int _n;
        private int _k;

        public Packing(int length)
        {
            _array = Gemm.AllocateAligned(length, out _start);
            _version = -1;
        }

        public int Capacity => _array.Length - _start;

        /// <summary>The first packed float; the array is pinned, so the pointer holds while this object lives.</summary>
        public unsafe float* Start => (float*)Unsafe.AsPointer(ref _array[_start]);

        public Span<float> Panels(int length) => _array.AsSpan(_start, length);

        public bool Fits(long version, int n, int k) => Volatile.Read(ref _version) == version && HasShape(n, k);

        public bool HasShape(int n, int k) => _n == n && _k == k;

        public void Set(long version, int n, int k)
        {
            _n = n;
            _k = k;
            Volatile.Write(ref _version, version);
        }

        /// <summary>Ends a product's use of this packing.</summary>
        public void Release() => Interlocked.Decrement(ref Readers);
    }
}

/// <summary>
/// Where a dense layer's weight may find its prepacked form: the network's <see cref="PackedWeights"/> and the weight's
/// offset, or none (training passes, whose weights change at every step, and element types other than float). Cheap to
/// make at every call; the kernel looks the weight up only for products that run on packed blocks. For generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct PackedWeight
{
    internal PackedWeight(PackedWeights? weights, int offset)
    {
        Weights = weights;
        Offset = offset;
    }

    internal PackedWeights? Weights { get; }

    internal int Offset { get; }
}
