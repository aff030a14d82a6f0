using System;

namespace TypedNets.Data;

/// <summary>
/// Samples and their targets as two row-major float arrays: <see cref="Count"/> rows of <see cref="FeatureWidth"/>
/// features and of <see cref="TargetWidth"/> targets (a class index, one-hot or probability rows, or regression values).
/// </summary>
public sealed class Dataset
{
    private readonly float[] _features;
    private readonly float[] _targets;

    /// <summary>Wraps the arrays (not copied); their lengths must be whole rows of the same count.</summary>
    public Dataset(float[] features, int featureWidth, float[] targets, int targetWidth)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        if (featureWidth <= 0 || targetWidth <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(featureWidth), $"Widths must be positive, got {featureWidth} features and {targetWidth} targets per row.");
        }

        if (features.Length % featureWidth != 0 || targets.Length % targetWidth != 0 || features.Length / featureWidth != targets.Length / targetWidth)
        {
            throw new ArgumentException(
                $"{features.Length} features in rows of {featureWidth} and {targets.Length} targets in rows of {targetWidth} do not make the same whole number of rows.");
        }

        _features = features;
        _targets = targets;
        FeatureWidth = featureWidth;
        TargetWidth = targetWidth;
        Count = features.Length / featureWidth;
    }

    /// <summary>The number of rows.</summary>
    public int Count { get; }

    /// <summary>The number of features in a row.</summary>
    public int FeatureWidth { get; }

    /// <summary>The number of targets in a row.</summary>
    public int TargetWidth { get; }

    /// <summary>All features, row-major.</summary>
    public ReadOnlySpan<float> Features => _features;

    /// <summary>All targets, row-major.</summary>
    public ReadOnlySpan<float> Targets => _targets;

    /// <summary>The features of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> FeatureRow(int row) => _features.AsSpan(CheckRow(row) * FeatureWidth, FeatureWidth);

    /// <summary>The targets of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> TargetRow(int row) => _targets.AsSpan(CheckRow(row) * TargetWidth, TargetWidth);

    /// <summary>A new dataset holding copies of the given rows, in the given order.</summary>
    public Dataset Subset(ReadOnlySpan<int> rows)
    {
        float[] features = new float[rows.Length * FeatureWidth];
        float[] targets = new float[rows.Length * TargetWidth];
        for (int i = 0; i < rows.Length; i++)
        {
            FeatureRow(rows[i]).CopyTo(features.AsSpan(i * FeatureWidth, FeatureWidth));
            TargetRow(rows[i]).CopyTo(targets.AsSpan(i * TargetWidth, TargetWidth));
        }

        return new Dataset(features, FeatureWidth, targets, TargetWidth);
    }

    /// <summary>The first <paramref name="count"/> rows and the rest, as copies.</summary>
    public (Dataset Head, Dataset Tail) SplitAt(int count)
    {
        if (count < 0 || count > Count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"A dataset of {Count} rows splits at 0 to {Count}.");
        }

        int[] head = new int[count];
        int[] tail = new int[Count - count];
        for (int i = 0; i < head.Length; i++)
        {
            head[i] = i;
        }

        for (int i = 0; i < tail.Length; i++)
        {
            tail[i] = count + i;
        }

        return (Subset(head), Subset(tail));
    }

    private int CheckRow(int row)
    {
        if ((uint)row >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row, $"The dataset has rows 0 to {Count - 1}.");
        }

        return row;
    }
}
