using System;
using System.Collections.Generic;
using System.Globalization;

namespace TypedNets.Data;

/// <summary>
/// How <see cref="Csv"/> reads a numeric CSV file. The defaults read a comma-separated file whose first line is a
/// header, with numbers in the invariant culture (<c>1234.5</c>, never <c>1.234,5</c>), pandas' missing-value
/// markers read as NaN, lines of up to 1,048,576 characters and rows of up to 100,000 cells.
/// </summary>
/// <example>
/// scikit-learn's bundled data sets start with a metadata line (<c>569,30,malignant,benign</c>) and have no header:
/// <code>
/// CsvTable table = Csv.Read("breast_cancer.csv", new CsvOptions { SkipRows = 1, HasHeader = false });
/// </code>
/// </example>
public sealed record CsvOptions
{
    // pandas' default na_values (pandas._libs.parsers.STR_NA_VALUES). Initialized before Default, which uses it.
    private static string[] PandasMissingValues { get; } =
        ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"];

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

    /// <summary>
    /// The cell texts that mark a missing value, read as <see cref="float.NaN"/>: matched exactly (case-sensitive)
    /// against the cell without its surrounding white space and quotes, before it is parsed as a number. Unless set,
    /// pandas' default <c>na_values</c>: the empty cell, <c>NA</c>, <c>N/A</c>, <c>n/a</c>, <c>#N/A</c>,
    /// <c>#N/A N/A</c>, <c>#NA</c>, <c>&lt;NA&gt;</c>, <c>NULL</c>, <c>null</c>, <c>NaN</c>, <c>-NaN</c>, <c>nan</c>,
    /// <c>-nan</c>, <c>None</c>, <c>1.#IND</c>, <c>-1.#IND</c>, <c>1.#QNAN</c>, <c>-1.#QNAN</c>. Set it to an empty list to
    /// make an empty cell an error (the literal <c>NaN</c> still parses as float's NaN), or add a sentinel such as
    /// <c>"-999"</c>.
    /// </summary>
    public IReadOnlyCollection<string> MissingValues { get; init; } = PandasMissingValues;

    /// <summary>
    /// The longest line accepted, in characters without the line break: 1,048,576 (1 Mi) unless set. A longer line is
    /// an error naming this bound, so that a file without line breaks, or not a CSV file at all, fails at once.
    /// </summary>
    public int MaxLineLength { get; init; } = 1 << 20;

    /// <summary>
    /// The most cells a row (or the header) may have: 100,000 unless set. A wider row is an error naming this bound,
    /// which usually means the wrong <see cref="Separator"/>.
    /// </summary>
    public int MaxCellsPerRow { get; init; } = 100_000;

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

        if (MaxLineLength <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxLineLength), MaxLineLength, "MaxLineLength is the longest line in characters and must be positive, such as 1048576.");
        }

        if (MaxCellsPerRow <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxCellsPerRow), MaxCellsPerRow, "MaxCellsPerRow is the widest row in cells and must be positive, such as 100000.");
        }

        ArgumentNullException.ThrowIfNull(MissingValues, nameof(MissingValues));
        foreach (string marker in MissingValues)
        {
            if (marker is null || marker.Length != marker.Trim().Length)
            {
                throw new ArgumentException(
                    $"MissingValues holds {(marker is null ? "null" : $"'{marker}'")}; markers are matched against cells without their surrounding white space, so list them trimmed.",
                    nameof(MissingValues));
            }
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
