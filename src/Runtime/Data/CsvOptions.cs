using System;
using System.Globalization;

namespace TypedNets.Data;

/// <summary>
/// How <see cref="Csv"/> reads a numeric CSV file. The defaults read a comma-separated file whose first line is a
/// header, with numbers in the invariant culture (<c>1234.5</c>, never <c>1.234,5</c>).
/// </summary>
/// <example>
/// scikit-learn's bundled data sets start with a metadata line (<c>569,30,malignant,benign</c>) and have no header:
/// <code>
/// CsvTable table = Csv.Read("breast_cancer.csv", new CsvOptions { SkipRows = 1, HasHeader = false });
/// </code>
/// </example>
public sealed record CsvOptions
{
    /// <summary>Options with every default: comma-separated, a header row, nothing skipped, invariant culture.</summary>
    public static CsvOptions Default { get; } = new();

    /// <summary>The character between cells; <c>','</c> unless set. It cannot be a quote or a line break.</summary>
    public char Separator { get; init; } = ',';

    /// <summary>
    /// Whether the first line after <see cref="SkipRows"/> names the columns (<see langword="true"/> unless set, as in
    /// pandas' <c>read_csv</c>). Without a header the columns are named <c>column0</c>, <c>column1</c>, ...
    /// </summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>
    /// How many physical lines to skip before the header (or before the data when there is no header), such as the
    /// metadata line at the top of scikit-learn's bundled CSV files. Skipped lines are still counted in line numbers.
    /// </summary>
    public int SkipRows { get; init; }

    /// <summary>
    /// The culture whose number format the cells use; <see cref="CultureInfo.InvariantCulture"/> unless set. Cells are
    /// parsed with <see cref="NumberStyles.Float"/> (sign, decimal point, exponent, surrounding spaces; no thousands
    /// separators).
    /// </summary>
    public CultureInfo Culture { get; init; } = CultureInfo.InvariantCulture;

    internal void Validate()
    {
        if (Separator is '"' or '\r' or '\n')
        {
            throw new ArgumentException(
                $"A CSV separator cannot be {Describe(Separator)}; use ',', ';', '\\t' or another character that does not appear inside cells.",
                nameof(Separator));
        }

        if (SkipRows < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(SkipRows), SkipRows, "SkipRows counts lines to skip and cannot be negative; use 0 to skip none.");
        }

        ArgumentNullException.ThrowIfNull(Culture, nameof(Culture));
        string decimalSeparator = Culture.NumberFormat.NumberDecimalSeparator;
        if (decimalSeparator.Length == 1 && decimalSeparator[0] == Separator)
        {
            throw new ArgumentException(
                $"The separator {Describe(Separator)} is also the decimal separator of culture '{Culture.Name}', so '1{decimalSeparator}5' " +
                "would read as two cells; use another separator (';' is usual with such cultures) or the invariant culture.",
                nameof(Separator));
        }
    }

    private static string Describe(char character) => character switch
    {
        '\r' => "'\\r'",
        '\n' => "'\\n'",
        '\t' => "'\\t'",
        _ => $"'{character}'",
    };
}
