using System;

namespace TypedNets.Data;

/// <summary>
/// Mini-batches of a dataset in a fresh seeded order every epoch, gathered into buffers allocated once, so that
/// iterating an epoch allocates nothing.
/// </summary>
/// <remarks>
/// <para>
/// Epoch <c>e</c> (counting from 0) visits the rows in the order of a permutation: the list <c>[0, 1, ..., Count - 1]</c>
/// Fisher-Yates shuffled (as in <see cref="Split"/>) by one <c>new Xoshiro256(seed)</c> created with this object and
/// continued from epoch to epoch. Epoch 0's order is therefore <c>Split.Shuffle(dataset.Count, seed)</c>. Batch
/// <c>b</c> holds the rows at order positions <c>b * BatchSize</c> up to <c>(b + 1) * BatchSize</c>, or to the end for
/// a last, smaller batch, which <see cref="DropLast"/> leaves out.
/// </para>
/// <para>
/// A <see cref="Batch"/>'s spans view the shared buffers and are overwritten by the next batch: copy what must outlive
/// it. One epoch is enumerated at a time; starting another invalidates the enumeration of the previous one.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var batches = new ShuffledBatches(train, batchSize: 32, seed: 42);
/// for (int epoch = 0; epoch &lt; 20; epoch++)
/// {
///     foreach (Batch batch in batches.NextEpoch())
///     {
///         network.TrainStep(batch.Features, batch.Targets);
///     }
/// }
/// </code>
/// </example>
public sealed class ShuffledBatches
{
    private readonly int[] _order;
    private readonly float[] _features;
    private readonly float[] _targets;
    private Xoshiro256 _random;

    /// <summary>Prepares batches of <paramref name="batchSize"/> rows of <paramref name="dataset"/>, shuffled from <paramref name="seed"/>.</summary>
    /// <param name="dataset">The rows to serve; it is read, not copied, so it must not change while in use.</param>
    /// <param name="batchSize">Rows per batch (the last batch of an epoch may be smaller).</param>
    /// <param name="seed">Fixes every epoch's order.</param>
    /// <param name="dropLast">Whether to skip an epoch's last batch when it is smaller than <paramref name="batchSize"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The dataset is empty, or <paramref name="dropLast"/> would leave no batch.</exception>
    public ShuffledBatches(Dataset dataset, int batchSize, ulong seed, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "A batch needs at least one row.");
        }

        if (dataset.Count == 0)
        {
            throw new ArgumentException("The dataset has no rows, so there is nothing to batch.", nameof(dataset));
        }

        if (dropLast && batchSize > dataset.Count)
        {
            throw new ArgumentException(
                $"With dropLast, a batch of {batchSize} rows from a dataset of {dataset.Count} would leave no batch at all; " +
                $"use a batch size of at most {dataset.Count}, or dropLast: false.",
                nameof(dropLast));
        }

        Dataset = dataset;
        BatchSize = batchSize;
        DropLast = dropLast;
        int largest = Math.Min(batchSize, dataset.Count);
        _order = new int[dataset.Count];
        _features = new float[largest * dataset.FeatureWidth];
        _targets = new float[largest * dataset.TargetWidth];
        _random = new Xoshiro256(seed);
        BatchesPerEpoch = dropLast ? dataset.Count / batchSize : ((dataset.Count - 1) / batchSize) + 1;
    }

    /// <summary>The dataset being served.</summary>
    public Dataset Dataset { get; }

    /// <summary>The number of rows in a full batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether an epoch's smaller last batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>The number of batches in each epoch.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>The number of epochs started by <see cref="NextEpoch"/> so far.</summary>
    public int EpochsStarted { get; private set; }

    /// <summary>The row order of the current epoch (empty before the first <see cref="NextEpoch"/>).</summary>
    public ReadOnlySpan<int> Order => EpochsStarted == 0 ? default : _order;

    /// <summary>Shuffles the rows for a new epoch and returns its batches, to enumerate with <c>foreach</c>.</summary>
    public EpochBatches NextEpoch()
    {
        Split.Permute(_order, ref _random);
        EpochsStarted++;
        return new EpochBatches(this, EpochsStarted);
    }

    /// <summary>Gathers batch <paramref name="index"/> of the current epoch into the buffers.</summary>
    internal Batch Gather(int index, int epoch)
    {
        if (epoch != EpochsStarted)
        {
            throw new InvalidOperationException(
                $"Epoch {epoch} is being enumerated, but epoch {EpochsStarted} has started since and reshuffled the rows; finish one epoch before starting the next.");
        }

        int start = index * BatchSize;
        int count = Math.Min(BatchSize, _order.Length - start);
        int featureWidth = Dataset.FeatureWidth;
        int targetWidth = Dataset.TargetWidth;
        ReadOnlySpan<float> features = Dataset.Features;
        ReadOnlySpan<float> targets = Dataset.Targets;
        for (int i = 0; i < count; i++)
        {
            int row = _order[start + i];
            features.Slice(row * featureWidth, featureWidth).CopyTo(_features.AsSpan(i * featureWidth, featureWidth));
            targets.Slice(row * targetWidth, targetWidth).CopyTo(_targets.AsSpan(i * targetWidth, targetWidth));
        }

        return new Batch(
            index,
            _features.AsSpan(0, count * featureWidth),
            _targets.AsSpan(0, count * targetWidth),
            _order.AsSpan(start, count));
    }
}

/// <summary>The batches of one epoch of <see cref="ShuffledBatches"/>; enumerate it with <c>foreach</c> (allocation-free).</summary>
public readonly struct EpochBatches
{
    private readonly ShuffledBatches _owner;
    private readonly int _epoch;

    internal EpochBatches(ShuffledBatches owner, int epoch)
    {
        _owner = owner;
        _epoch = epoch;
    }

    /// <summary>The 1-based number of this epoch among those started.</summary>
    public int Epoch => _epoch;

    /// <summary>The number of batches in the epoch.</summary>
    public int Count => _owner.BatchesPerEpoch;

    /// <summary>Returns an enumerator over the epoch's batches.</summary>
    public Enumerator GetEnumerator() => new(_owner, _epoch);

    /// <summary>Gathers each batch as it is reached.</summary>
    public ref struct Enumerator
    {
        private readonly ShuffledBatches _owner;
        private readonly int _epoch;
        private int _index;
        private Batch _current;

        internal Enumerator(ShuffledBatches owner, int epoch)
        {
            _owner = owner ?? throw new InvalidOperationException("This EpochBatches was not made by ShuffledBatches.NextEpoch.");
            _epoch = epoch;
            _index = -1;
        }

        /// <summary>The batch gathered by the last <see cref="MoveNext"/>.</summary>
        public readonly Batch Current => _current;

        /// <summary>Gathers the next batch into the shared buffers; <see langword="false"/> after the last one.</summary>
        /// <exception cref="InvalidOperationException">A newer epoch has started since this one.</exception>
        public bool MoveNext()
        {
            if (_index + 1 >= _owner.BatchesPerEpoch)
            {
                _index = _owner.BatchesPerEpoch;
                return false;
            }

            _index++;
            _current = _owner.Gather(_index, _epoch);
            return true;
        }
    }
}

/// <summary>
/// One mini-batch: <see cref="Count"/> rows of features and targets, row-major, in views of buffers that the next batch
/// overwrites.
/// </summary>
public readonly ref struct Batch
{
    internal Batch(int index, Span<float> features, Span<float> targets, ReadOnlySpan<int> rows)
    {
        Index = index;
        Features = features;
        Targets = targets;
        Rows = rows;
    }

    /// <summary>The 0-based position of this batch in its epoch.</summary>
    public int Index { get; }

    /// <summary>The number of rows in this batch.</summary>
    public int Count => Rows.Length;

    /// <summary>The rows' features, <see cref="Count"/> x the dataset's feature width; writable, for in-place augmentation.</summary>
    public Span<float> Features { get; }

    /// <summary>The rows' targets, <see cref="Count"/> x the dataset's target width.</summary>
    public Span<float> Targets { get; }

    /// <summary>The dataset row index of each row in the batch.</summary>
    public ReadOnlySpan<int> Rows { get; }
}
