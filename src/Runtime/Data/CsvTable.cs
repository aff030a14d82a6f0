using System;
using System.Collections.Generic;
using System.Linq;

namespace TypedNets.Data;

/// <summary>
/// A numeric CSV file read by <see cref="Csv"/>: named columns and <see cref="RowCount"/> rows of floats, row-major.
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
    /// <exception cref="KeyNotFoundException">A name is not a column.</exception>
    /// <exception cref="ArgumentException">The label is also a feature, a feature repeats, or no feature is left.</exception>
    public Dataset ToDataset(string labelColumn, IReadOnlyList<string>? featureColumns = null)
    {
        int label = IndexOf(labelColumn);
        int[]? features = featureColumns is null ? null : featureColumns.Select(IndexOf).ToArray();
        return ToDataset(label, features);
    }

    /// <summary>
    /// A dataset whose target is column <paramref name="labelColumn"/> (0-based) and whose features are
    /// <paramref name="featureColumns"/> in the order given, or every other column in file order when that is
    /// <see langword="null"/>. The values are copied.
    /// </summary>
    /// <exception cref="ArgumentException">The label is also a feature, a feature repeats, or no feature is left.</exception>
    public Dataset ToDataset(int labelColumn, IReadOnlyList<int>? featureColumns = null)
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

        return new Dataset(x, features.Length, y, 1);
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
