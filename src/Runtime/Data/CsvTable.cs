using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace TypedNets.Data;

/// <summary>
/// A numeric CSV file read by <see cref="Csv"/>: named columns and <see cref="RowCount"/> rows of floats, row-major.
/// Missing cells (empty, <c>NA</c>, <c>NaN</c>, ... see <see cref="CsvOptions.MissingValues"/>) hold
/// <see cref="float.NaN"/>; drop their rows with <see cref="DropMissing"/> or fill them with a
/// <see cref="SimpleImputer"/> before training.
/// </summary>
public sealed class CsvTable
{
    private readonly string[] _names;
    private readonly float[] _values;

    internal CsvTable(string[] names, float[] values, int rows)
    {
        _names = names;
        _values = values;
        RowCount = rows;
    }

    /// <summary>The column names, from the header or <c>column0</c>, <c>column1</c>, ... when there is none.</summary>
    public IReadOnlyList<string> ColumnNames => _names;

    /// <summary>The number of columns.</summary>
    public int ColumnCount => _names.Length;

    /// <summary>The number of data rows (the header is not a row).</summary>
    public int RowCount { get; }

    /// <summary>Every cell, row-major: <see cref="RowCount"/> x <see cref="ColumnCount"/> floats.</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>The cell in row <paramref name="row"/> (0-based, header excluded) and column <paramref name="column"/>.</summary>
    public float this[int row, int column] => _values[(CheckRow(row) * ColumnCount) + CheckColumn(column)];

    /// <summary>The cells of row <paramref name="row"/> (0-based, header excluded).</summary>
    public ReadOnlySpan<float> Row(int row) => _values.AsSpan(CheckRow(row) * ColumnCount, ColumnCount);

    /// <summary>A copy of the column named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No column, or more than one, has that name.</exception>
    public float[] Column(string name) => Column(IndexOf(name));

    /// <summary>A copy of column <paramref name="column"/> (0-based).</summary>
    public float[] Column(int column)
    {
        CheckColumn(column);
        float[] values = new float[RowCount];
        for (int row = 0; row < values.Length; row++)
        {
            values[row] = _values[(row * ColumnCount) + column];
        }

        return values;
    }

    /// <summary>The 0-based index of the column named <paramref name="name"/> (ordinal, case-sensitive).</summary>
    /// <exception cref="KeyNotFoundException">No column, or more than one, has that name.</exception>
    public int IndexOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        int found = Array.IndexOf(_names, name);
        if (found < 0)
        {
            string known = _names.Length <= 12
                ? string.Join(", ", _names.Select(n => $"'{n}'"))
                : string.Join(", ", _names.Take(12).Select(n => $"'{n}'")) + $", ... ({_names.Length} in all)";
            throw new KeyNotFoundException($"The table has no column '{name}'; its columns are {(known.Length == 0 ? "none" : known)}. Names are case-sensitive.");
        }

        int again = Array.IndexOf(_names, name, found + 1);
        if (again >= 0)
        {
            throw new KeyNotFoundException($"Columns {found} and {again} are both named '{name}'; select them by index instead.");
        }

        return found;
    }

    /// <summary>
    /// A dataset whose target is the column <paramref name="labelColumn"/> (one value per row: a class index or a
    /// regression value) and whose features are <paramref name="featureColumns"/> in the order given, or every other
    /// column in file order when that is <see langword="null"/>. The values are copied.
    /// </summary>
    /// <param name="labelColumn">The name of the target column.</param>
    /// <param name="featureColumns">The names of the feature columns, or <see langword="null"/> for every other column.</param>
    /// <param name="allowNonFinite">
    /// <see langword="true"/> to keep NaN (missing) and infinite cells, to clean them on the dataset (see
    /// <see cref="Dataset(float[], int, float[], int, bool)"/>); <see langword="false"/>, the default, refuses them.
    /// </param>
    /// <exception cref="KeyNotFoundException">A name is not a column.</exception>
    /// <exception cref="ArgumentException">
    /// The label is also a feature, a feature repeats, or no feature is left; or (without
    /// <paramref name="allowNonFinite"/>) a chosen cell is NaN or infinite, named by row and column.
    /// </exception>
    public Dataset ToDataset(string labelColumn, IReadOnlyList<string>? featureColumns = null, bool allowNonFinite = false)
    {
        int label = IndexOf(labelColumn);
        int[]? features = featureColumns is null ? null : featureColumns.Select(IndexOf).ToArray();
        return ToDataset(label, features, allowNonFinite);
    }

    /// <summary>
    /// A dataset whose target is column <paramref name="labelColumn"/> (0-based) and whose features are
    /// <paramref name="featureColumns"/> in the order given, or every other column in file order when that is
    /// <see langword="null"/>. The values are copied.
    /// </summary>
    /// <param name="labelColumn">The 0-based index of the target column.</param>
    /// <param name="featureColumns">The 0-based indices of the feature columns, or <see langword="null"/> for every other column.</param>
    /// <param name="allowNonFinite">
    /// <see langword="true"/> to keep NaN (missing) and infinite cells, to clean them on the dataset; <see langword="false"/>,
    /// the default, refuses them.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">A column index is out of range.</exception>
    /// <exception cref="ArgumentException">
    /// The label is also a feature, a feature repeats, or no feature is left; or (without
    /// <paramref name="allowNonFinite"/>) a chosen cell is NaN or infinite, named by row and column.
    /// </exception>
    public Dataset ToDataset(int labelColumn, IReadOnlyList<int>? featureColumns = null, bool allowNonFinite = false)
    {
        CheckColumn(labelColumn);
        int[] features = featureColumns?.ToArray() ?? Enumerable.Range(0, ColumnCount).Where(c => c != labelColumn).ToArray();
        if (features.Length == 0)
        {
            throw new ArgumentException(
                $"A dataset needs at least one feature column, but the table has only the label column '{_names[labelColumn]}'.",
                nameof(featureColumns));
        }

        var seen = new HashSet<int>();
        foreach (int column in features)
        {
            CheckColumn(column);
            if (column == labelColumn)
            {
                throw new ArgumentException(
                    $"The label column '{_names[labelColumn]}' (column {labelColumn}) is also listed as a feature, which would hand the answer to the model; remove it from the features.",
                    nameof(featureColumns));
            }

            if (!seen.Add(column))
            {
                throw new ArgumentException($"The feature column '{_names[column]}' (column {column}) is listed twice; list each column once.", nameof(featureColumns));
            }
        }

        float[] x = new float[RowCount * features.Length];
        float[] y = new float[RowCount];
        for (int row = 0; row < RowCount; row++)
        {
            ReadOnlySpan<float> cells = _values.AsSpan(row * ColumnCount, ColumnCount);
            for (int i = 0; i < features.Length; i++)
            {
                x[(row * features.Length) + i] = cells[features[i]];
            }

            y[row] = cells[labelColumn];
        }

        if (!allowNonFinite)
        {
            CheckFinite(features, labelColumn);
        }

        return new Dataset(x, features.Length, y, 1, allowNonFinite);
    }

    /// <summary>
    /// A copy without the rows that hold a NaN (a missing cell) or an infinity in any column, in the same order, as
    /// pandas' <c>df.replace([inf, -inf], nan).dropna()</c>: the rows that <see cref="ToDataset(string, IReadOnlyList{string}?, bool)"/>
    /// would refuse. To drop rows by the chosen columns only, build the dataset with <c>allowNonFinite: true</c> and
    /// call <see cref="Dataset.DropMissing"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Every row holds a non-finite value, so none would be left.</exception>
    public CsvTable DropMissing()
    {
        int[] kept = Missing.FiniteRows(_values, Math.Max(ColumnCount, 1), _values, Math.Max(ColumnCount, 1));
        if (kept.Length == 0 && RowCount > 0)
        {
            throw new InvalidOperationException(
                $"Every one of the {RowCount} rows holds a missing value (NaN) or an infinity, so dropping them leaves nothing; " +
                "fill the gaps with a SimpleImputer instead, or check CsvOptions.MissingValues and the file.");
        }

        float[] values = new float[kept.Length * ColumnCount];
        for (int i = 0; i < kept.Length; i++)
        {
            Row(kept[i]).CopyTo(values.AsSpan(i * ColumnCount, ColumnCount));
        }

        return new CsvTable(_names, values, kept.Length);
    }

    // Names the table's own row and column, which the user can find in the file, rather than the dataset's.
    private void CheckFinite(int[] features, int labelColumn)
    {
        int index = Missing.IndexOfNonFinite(_values);
        while (index >= 0)
        {
            int row = index / ColumnCount;
            int column = index % ColumnCount;
            if (column == labelColumn || Array.IndexOf(features, column) >= 0)
            {
                bool label = column == labelColumn;
                float value = _values[index];
                string remedy = float.IsNaN(value)
                    ? "a missing cell (empty, NA, NaN, ...)"
                    : "an infinity, which no network can learn from";
                throw new ArgumentException(
                    $"Table row {row}, column '{_names[column]}' (column {column}) holds {value.ToString(CultureInfo.InvariantCulture)}, {remedy} " +
                    "(rows count from 0 after the header). Drop such rows first with table.DropMissing(), " +
                    (label ? "" : "or pass allowNonFinite: true, split, and fill the features with a SimpleImputer fitted on the training rows, ") +
                    "or fix the file.",
                    label ? "labelColumn" : "featureColumns");
            }

            int next = Missing.IndexOfNonFinite(_values.AsSpan(index + 1));
            index = next < 0 ? -1 : index + 1 + next;
        }
    }

    private int CheckRow(int row)
    {
        if ((uint)row >= (uint)RowCount)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row, $"The table has data rows 0 to {RowCount - 1} (the header is not a row).");
        }

        return row;
    }

    private int CheckColumn(int column)
    {
        if ((uint)column >= (uint)ColumnCount)
        {
            throw new ArgumentOutOfRangeException(nameof(column), column, $"The table has columns 0 to {ColumnCount - 1}.");
        }

        return column;
    }
}
