using System;
using System.Globalization;

namespace TypedNets.Data;

/// <summary>
/// Samples and their targets as two row-major float arrays: <see cref="Count"/> rows of <see cref="FeatureWidth"/>
/// features and of <see cref="TargetWidth"/> targets (a class index, one-hot or probability rows, or regression values).
/// </summary>
/// <remarks>
/// <para>
/// A dataset refuses NaN and infinite features and targets unless it is created with <c>allowNonFinite: true</c>:
/// one such value in one row makes the loss NaN on the first batch that holds it, and the next optimizer step makes
/// every parameter NaN. Clean the data first, as scikit-learn and Keras users do: drop the rows
/// (<see cref="DropMissing"/>, <see cref="CsvTable.DropMissing"/>) or fill the gaps with a <see cref="SimpleImputer"/>
/// fitted on the training rows. A dataset that allows non-finite values is meant for that cleaning step; the datasets
/// made from it by <see cref="Subset"/> and <see cref="SplitAt"/> allow them too, while <see cref="DropMissing"/> and
/// <see cref="SimpleImputer.Transform(Dataset)"/> return checked ones.
/// </para>
/// </remarks>
public sealed class Dataset
{
    private readonly float[] _features;
    private readonly float[] _targets;

    /// <summary>Wraps the arrays (not copied); their lengths must be whole rows of the same count.</summary>
    /// <param name="features">The features, row-major: rows of <paramref name="featureWidth"/>.</param>
    /// <param name="featureWidth">The number of features in a row.</param>
    /// <param name="targets">The targets, row-major: rows of <paramref name="targetWidth"/>, as many rows as the features.</param>
    /// <param name="targetWidth">The number of targets in a row.</param>
    /// <param name="allowNonFinite">
    /// <see langword="true"/> to accept NaN and infinite values (to clean them with <see cref="DropMissing"/> or a
    /// <see cref="SimpleImputer"/> before training); <see langword="false"/>, the default, refuses them.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> or <paramref name="targets"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A width is not positive.</exception>
    /// <exception cref="ArgumentException">
    /// The arrays are not whole rows of the same count, or (without <paramref name="allowNonFinite"/>) a value in
    /// <paramref name="features"/> or <paramref name="targets"/> is NaN or infinite: the message names its row, column
    /// and value.
    /// </exception>
    public Dataset(float[] features, int featureWidth, float[] targets, int targetWidth, bool allowNonFinite = false)
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

        if (!allowNonFinite)
        {
            CheckFinite(features, featureWidth, nameof(features), "feature");
            CheckFinite(targets, targetWidth, nameof(targets), "target");
        }

        _features = features;
        _targets = targets;
        FeatureWidth = featureWidth;
        TargetWidth = targetWidth;
        Count = features.Length / featureWidth;
        AllowsNonFinite = allowNonFinite;
    }

    // Rows copied out of a dataset are as clean as it is, so they skip the check.
    private Dataset(float[] features, int featureWidth, float[] targets, int targetWidth, bool allowNonFinite, bool _)
    {
        _features = features;
        _targets = targets;
        FeatureWidth = featureWidth;
        TargetWidth = targetWidth;
        Count = features.Length / featureWidth;
        AllowsNonFinite = allowNonFinite;
    }

    /// <summary>Whether the dataset was created with <c>allowNonFinite: true</c> (or copied from one that was).</summary>
    public bool AllowsNonFinite { get; }

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

        return new Dataset(features, FeatureWidth, targets, TargetWidth, AllowsNonFinite, _: true);
    }

    /// <summary>
    /// A copy without the rows that hold a NaN (a missing value) or an infinity in a feature or a target, in the same
    /// order; the copy refuses non-finite values from then on. This is pandas' <c>df.replace([inf, -inf], nan).dropna()</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Every row holds a non-finite value, so none would be left.</exception>
    public Dataset DropMissing()
    {
        int[] kept = Missing.FiniteRows(_features, FeatureWidth, _targets, TargetWidth);
        if (kept.Length == 0)
        {
            throw new InvalidOperationException(
                $"Every one of the {Count} rows holds a NaN or an infinity, so dropping them leaves nothing; " +
                "fill the gaps with a SimpleImputer instead, or check how the data was read.");
        }

        Dataset subset = Subset(kept);
        return new Dataset(subset._features, FeatureWidth, subset._targets, TargetWidth, allowNonFinite: false, _: true);
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

    private static void CheckFinite(float[] values, int width, string parameter, string kind)
    {
        int index = Missing.IndexOfNonFinite(values);
        if (index < 0)
        {
            return;
        }

        int row = index / width;
        throw new ArgumentException(
            $"Dataset row {row}, {kind} column {index % width} holds {values[index].ToString(CultureInfo.InvariantCulture)}; " +
            "training on it would make the loss and then every parameter NaN. Clean the data first: build the dataset with " +
            "allowNonFinite: true, then drop such rows with .DropMissing() or fill missing features with a SimpleImputer fitted on the " +
            "training rows (a CsvTable has DropMissing() too).",
            parameter);
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
