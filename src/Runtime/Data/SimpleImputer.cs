using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace TypedNets.Data;

/// <summary>How a <see cref="SimpleImputer"/> fills a missing value (scikit-learn's <c>strategy</c>).</summary>
public enum ImputeStrategy
{
    /// <summary>The mean of the column's values in the training rows (<c>"mean"</c>).</summary>
    Mean,

    /// <summary>The median of the column's values in the training rows, the mean of the two middle ones for an even count (<c>"median"</c>).</summary>
    Median,

    /// <summary>The column's most frequent value in the training rows, the smallest on ties (<c>"most_frequent"</c>).</summary>
    MostFrequent,

    /// <summary><see cref="SimpleImputer.FillValue"/> in every column (<c>"constant"</c>).</summary>
    Constant,
}

/// <summary>
/// Fills missing feature values (NaN) with a statistic of each column learnt from the training rows only, as
/// scikit-learn's <c>SimpleImputer(missing_values=np.nan)</c> does: the mean, the median, the most frequent value or a
/// constant.
/// </summary>
/// <remarks>
/// <para>
/// Statistics are computed in double precision over the column's non-missing training values and written back rounded
/// to float. Fit on the training split, then transform the training, validation and test splits with the same
/// imputer: fitting on all the data would leak the test set's statistics into training. Infinities are not missing
/// values; as scikit-learn does, <see cref="Fit(ReadOnlySpan{float}, int)"/> and the transforms refuse them.
/// </para>
/// <para>
/// A column with no value at all in the training rows has no mean, median or most frequent value. As in scikit-learn
/// (1.2 and later), its statistic is NaN and the transforms drop the column, so their rows are narrower than the input
/// (<see cref="OutputWidth"/>, <see cref="DroppedColumns"/>), unless <see cref="KeepEmptyFeatures"/> is set, which fills
/// it with 0 instead (scikit-learn's <c>keep_empty_features=True</c>). With <see cref="ImputeStrategy.Constant"/> such a
/// column is kept and filled with <see cref="FillValue"/>, as in scikit-learn. A network's input width is fixed when it
/// is declared, so check <see cref="OutputWidth"/> (or set <see cref="KeepEmptyFeatures"/>) when a column may be empty.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// CsvTable table = Csv.Read("houses.csv");                         // empty cells read as NaN
/// Dataset data = table.ToDataset("price", allowNonFinite: true);     // keep them, to impute after the split
/// (Dataset train, Dataset test) = Split.TrainTest(data, 0.2, seed: 42);
/// var imputer = new SimpleImputer(ImputeStrategy.Median).Fit(train);
/// train = imputer.Transform(train);                                  // finite from here on
/// test = imputer.Transform(test);
/// </code>
/// </example>
public sealed class SimpleImputer
{
    private double[] _statistics = [];
    private int[] _kept = [];

    /// <summary>Creates an imputer that fills missing values by <paramref name="strategy"/>.</summary>
    /// <param name="strategy">How to fill a missing value; the mean unless given, as in scikit-learn.</param>
    /// <param name="fillValue">The value <see cref="ImputeStrategy.Constant"/> fills in; 0 unless given, as in scikit-learn.</param>
    /// <param name="keepEmptyFeatures">
    /// Whether a column with no training value is kept and filled with 0 (<see langword="true"/>) or dropped
    /// (<see langword="false"/>, the default, as in scikit-learn); see <see cref="SimpleImputer"/>.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="strategy"/> is not a defined strategy, or <paramref name="fillValue"/> is not finite.</exception>
    public SimpleImputer(ImputeStrategy strategy = ImputeStrategy.Mean, float fillValue = 0, bool keepEmptyFeatures = false)
    {
        if (!Enum.IsDefined(strategy))
        {
            throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Choose Mean, Median, MostFrequent or Constant.");
        }

        if (!float.IsFinite(fillValue))
        {
            throw new ArgumentOutOfRangeException(nameof(fillValue), fillValue, "The fill value replaces missing values, so it must be a finite number, such as 0.");
        }

        Strategy = strategy;
        FillValue = fillValue;
        KeepEmptyFeatures = keepEmptyFeatures;
    }

    /// <summary>How missing values are filled.</summary>
    public ImputeStrategy Strategy { get; }

    /// <summary>The value <see cref="ImputeStrategy.Constant"/> fills in (scikit-learn's <c>fill_value</c>).</summary>
    public float FillValue { get; }

    /// <summary>Whether a column with no training value is kept and filled with 0 rather than dropped (scikit-learn's <c>keep_empty_features</c>).</summary>
    public bool KeepEmptyFeatures { get; }

    /// <summary>The number of features per row the imputer was fitted on, or 0 before <see cref="Fit(ReadOnlySpan{float}, int)"/>.</summary>
    public int Width => _statistics.Length;

    /// <summary>Whether <see cref="Fit(ReadOnlySpan{float}, int)"/> has run.</summary>
    public bool IsFitted => Width > 0;

    /// <summary>The number of features per row the transforms return: <see cref="Width"/> less the <see cref="DroppedColumns"/>.</summary>
    /// <exception cref="InvalidOperationException">The imputer has not been fitted.</exception>
    public int OutputWidth => Fitted(_kept).Length;

    /// <summary>
    /// The value each column's missing values become (scikit-learn's <c>statistics_</c>): NaN for a column that had no
    /// training value and is dropped.
    /// </summary>
    /// <exception cref="InvalidOperationException">The imputer has not been fitted.</exception>
    public ReadOnlySpan<double> Statistics => Fitted(_statistics);

    /// <summary>The columns (0-based, of the fitted width) that had no training value and that the transforms drop.</summary>
    /// <exception cref="InvalidOperationException">The imputer has not been fitted.</exception>
    public IReadOnlyList<int> DroppedColumns
    {
        get
        {
            Fitted(_kept);
            var dropped = new List<int>();
            for (int column = 0; column < _statistics.Length; column++)
            {
                if (double.IsNaN(_statistics[column]))
                {
                    dropped.Add(column);
                }
            }

            return dropped;
        }
    }

    /// <summary>
    /// Learns each column's statistic from the non-missing values of <paramref name="features"/>, rows of
    /// <paramref name="width"/>; refitting replaces it.
    /// </summary>
    /// <returns>This imputer, to chain <c>Transform</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="width"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The floats are not whole rows, there are none, or one is infinite.</exception>
    public SimpleImputer Fit(ReadOnlySpan<float> features, int width)
    {
        if (width <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, "SimpleImputer.Fit needs a positive row width (features per row).");
        }

        if (features.Length == 0 || features.Length % width != 0)
        {
            throw new ArgumentException(
                $"SimpleImputer.Fit takes whole rows of {width} features, but was given {features.Length} floats; pass rows * {width} values, at least one row.",
                nameof(features));
        }

        CheckNoInfinity(features, width, "Fit", nameof(features));
        int rows = features.Length / width;
        double[] statistics = new double[width];
        double[] column = new double[rows];
        for (int c = 0; c < width; c++)
        {
            int count = 0;
            for (int row = 0; row < rows; row++)
            {
                float value = features[(row * width) + c];
                if (!float.IsNaN(value))
                {
                    column[count++] = value;
                }
            }

            statistics[c] = Strategy == ImputeStrategy.Constant ? FillValue
                : count == 0 ? (KeepEmptyFeatures ? 0 : double.NaN)
                : Statistic(column.AsSpan(0, count));
        }

        var kept = new List<int>(width);
        for (int c = 0; c < width; c++)
        {
            if (!double.IsNaN(statistics[c]))
            {
                kept.Add(c);
            }
        }

        _statistics = statistics;
        _kept = kept.ToArray();
        return this;
    }

    /// <summary>Learns the statistics from the dataset's features (its targets are not looked at).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> is null.</exception>
    /// <exception cref="ArgumentException">A feature is infinite.</exception>
    public SimpleImputer Fit(Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return Fit(dataset.Features, dataset.FeatureWidth);
    }

    /// <summary>
    /// The rows of <paramref name="features"/> (whole rows of <see cref="Width"/>) with every NaN replaced by its column's
    /// statistic and the <see cref="DroppedColumns"/> left out: rows of <see cref="OutputWidth"/>, in a new array.
    /// </summary>
    /// <exception cref="InvalidOperationException">The imputer has not been fitted.</exception>
    /// <exception cref="ArgumentException">The span is not whole rows of the fitted width, or a value is infinite.</exception>
    public float[] Transform(ReadOnlySpan<float> features)
    {
        Fitted(_kept);
        if (features.Length % Width != 0)
        {
            throw new ArgumentException(
                $"SimpleImputer was fitted on rows of {Width} features, but Transform was given {features.Length} floats, not a whole number of such rows.",
                nameof(features));
        }

        CheckNoInfinity(features, Width, "Transform", nameof(features));
        int rows = features.Length / Width;
        float[] output = new float[rows * _kept.Length];
        for (int row = 0; row < rows; row++)
        {
            ReadOnlySpan<float> input = features.Slice(row * Width, Width);
            Span<float> destination = output.AsSpan(row * _kept.Length, _kept.Length);
            for (int i = 0; i < _kept.Length; i++)
            {
                float value = input[_kept[i]];
                destination[i] = float.IsNaN(value) ? (float)_statistics[_kept[i]] : value;
            }
        }

        return output;
    }

    /// <summary>
    /// A copy of the dataset with its missing features filled in (and any <see cref="DroppedColumns"/> left out); the
    /// targets are copied unchanged. The copy refuses non-finite values, so a NaN target is reported here: drop those
    /// rows with <see cref="Dataset.DropMissing"/> first.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The imputer has not been fitted.</exception>
    /// <exception cref="ArgumentException">
    /// The dataset's feature width differs from the fitted width, a feature is infinite, or a target is not finite.
    /// </exception>
    public Dataset Transform(Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        Fitted(_kept);
        if (dataset.FeatureWidth != Width)
        {
            throw new ArgumentException(
                $"SimpleImputer was fitted on rows of {Width} features, but the dataset has {dataset.FeatureWidth}; transform data with the columns it was fitted on.",
                nameof(dataset));
        }

        return new Dataset(Transform(dataset.Features), _kept.Length, dataset.Targets.ToArray(), dataset.TargetWidth);
    }

    private double Statistic(Span<double> values)
    {
        switch (Strategy)
        {
            case ImputeStrategy.Mean:
                double sum = 0;
                foreach (double value in values)
                {
                    sum += value;
                }

                return sum / values.Length;
            case ImputeStrategy.Median:
                values.Sort();
                int middle = values.Length / 2;
                return values.Length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
            default:
                // Sorted, equal values are runs; the first longest run is the smallest most frequent value (scipy's mode).
                values.Sort();
                double best = values[0];
                int bestCount = 0;
                for (int start = 0; start < values.Length;)
                {
                    int end = start + 1;
                    while (end < values.Length && values[end] == values[start])
                    {
                        end++;
                    }

                    if (end - start > bestCount)
                    {
                        best = values[start];
                        bestCount = end - start;
                    }

                    start = end;
                }

                return best;
        }
    }

    private static void CheckNoInfinity(ReadOnlySpan<float> features, int width, string method, string parameter)
    {
        for (int i = 0; i < features.Length; i++)
        {
            if (float.IsInfinity(features[i]))
            {
                throw new ArgumentException(
                    $"SimpleImputer.{method} found {features[i].ToString(CultureInfo.InvariantCulture)} in row {i / width}, column {i % width}; " +
                    "only NaN marks a missing value, and an infinity cannot be imputed: drop such rows with DropMissing or fix the data.",
                    parameter);
            }
        }
    }

    private T Fitted<T>(T value, [CallerMemberName] string member = "")
    {
        if (Width == 0)
        {
            throw new InvalidOperationException($"SimpleImputer.{member} needs a fitted imputer; call Fit on the training features first.");
        }

        return value;
    }
}
