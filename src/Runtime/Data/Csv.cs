using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace TypedNets.Data;

/// <summary>
/// Reads numeric CSV files (every cell a number, as in scikit-learn's bundled data sets) into a <see cref="CsvTable"/>
/// of floats.
/// </summary>
/// <remarks>
/// <para>
/// Lines end with <c>\n</c> or <c>\r\n</c>. A cell may be wrapped in double quotes (<c>"sepal length"</c>, with
/// <c>""</c> for a quote inside), but a quoted cell cannot span lines. Blank lines are ignored, as pandas does, but
/// count in line numbers. Every row must have as many cells as the header (or, without a header, as the first row).
/// </para>
/// <para>
/// Numbers are parsed as <see cref="float"/> with <see cref="NumberStyles.Float"/> in <see cref="CsvOptions.Culture"/>:
/// <c>NaN</c> and <c>Infinity</c> are accepted, an empty cell or a finite number beyond float's range is not.
/// </para>
/// </remarks>
public static class Csv
{
    /// <summary>Reads the CSV file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="CsvFormatException">A cell is not a number, a row is ragged, or the header is missing.</exception>
    public static CsvTable Read(string path, CsvOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            string fullPath = Path.GetFullPath(path);
            string hint = fullPath == path ? "" : $" (relative paths resolve against the current directory, {Environment.CurrentDirectory})";
            throw new FileNotFoundException($"There is no CSV file at '{fullPath}'{hint}; check the path.", fullPath);
        }

        using var reader = new StreamReader(path);
        return Parse(reader, options, path);
    }

    /// <summary>Reads CSV text from <paramref name="reader"/> to its end.</summary>
    /// <exception cref="CsvFormatException">A cell is not a number, a row is ragged, or the header is missing.</exception>
    public static CsvTable Parse(TextReader reader, CsvOptions? options = null) => Parse(reader, options, filePath: null);

    private static CsvTable Parse(TextReader reader, CsvOptions? options, string? filePath)
    {
        ArgumentNullException.ThrowIfNull(reader);
        options ??= CsvOptions.Default;
        options.Validate();

        int lineNumber = 0;
        for (int skipped = 0; skipped < options.SkipRows; skipped++)
        {
            if (reader.ReadLine() is null)
            {
                throw new CsvFormatException(
                    $"{Source(filePath)} ends after {lineNumber} lines, before the {options.SkipRows} lines that SkipRows skips; " +
                    "lower SkipRows or check that this is the intended file.",
                    filePath,
                    lineNumber);
            }

            lineNumber++;
        }

        var cells = new List<Range>();
        string[]? names = null;
        int headerLine = 0;
        if (options.HasHeader)
        {
            string? header = NextNonBlankLine(reader, ref lineNumber);
            if (header is null)
            {
                throw new CsvFormatException(
                    $"{Source(filePath)} ends after {lineNumber} lines, before the header row that should follow the {options.SkipRows} skipped lines; " +
                    "pass HasHeader = false if the file has none.",
                    filePath,
                    lineNumber);
            }

            headerLine = lineNumber;
            SplitCells(header, options.Separator, cells, filePath, lineNumber);
            names = new string[cells.Count];
            for (int column = 0; column < names.Length; column++)
            {
                names[column] = CellText(header, cells[column]).Trim();
            }
        }

        var values = new List<float>();
        int width = names?.Length ?? -1;
        int firstDataLine = 0;
        int rows = 0;
        while (NextNonBlankLine(reader, ref lineNumber) is { } line)
        {
            SplitCells(line, options.Separator, cells, filePath, lineNumber);
            if (width < 0)
            {
                width = cells.Count;
                firstDataLine = lineNumber;
                names = new string[width];
                for (int column = 0; column < width; column++)
                {
                    names[column] = "column" + column.ToString(CultureInfo.InvariantCulture);
                }
            }

            if (cells.Count != width)
            {
                string reference = options.HasHeader ? $"the header on line {headerLine}" : $"the first row, on line {firstDataLine},";
                throw new CsvFormatException(
                    $"{Where(filePath, lineNumber)} has {cells.Count} cells, but {reference} has {width}; every row needs one cell per column " +
                    $"(check for a missing or extra '{options.Separator}').",
                    filePath,
                    lineNumber);
            }

            for (int column = 0; column < width; column++)
            {
                values.Add(ParseCell(line, cells[column], column, names![column], options.Culture, filePath, lineNumber));
            }

            rows++;
        }

        return new CsvTable(names ?? [], values.ToArray(), rows);
    }

    private static string? NextNonBlankLine(TextReader reader, ref int lineNumber)
    {
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                return line;
            }
        }

        return null;
    }

    // Splits one line into cell ranges. A quoted cell's range covers the quotes, so CellText and ParseCell can tell it
    // apart; anything but spaces between a closing quote and the next separator is an error.
    private static void SplitCells(string line, char separator, List<Range> cells, string? filePath, int lineNumber)
    {
        cells.Clear();
        int start = 0;
        while (true)
        {
            int position = start;
            while (position < line.Length && line[position] == ' ')
            {
                position++;
            }

            if (position < line.Length && line[position] == '"')
            {
                int quote = position;
                position++;
                while (true)
                {
                    if (position >= line.Length)
                    {
                        throw new CsvFormatException(
                            $"{Where(filePath, lineNumber)}, column {cells.Count}: the quote at character {quote + 1} is never closed; " +
                            "close it with '\"' (cells cannot span lines, and a quote inside a quoted cell is written '\"\"').",
                            filePath,
                            lineNumber,
                            cells.Count,
                            text: line[quote..]);
                    }

                    if (line[position] == '"')
                    {
                        if (position + 1 < line.Length && line[position + 1] == '"')
                        {
                            position += 2;
                            continue;
                        }

                        break;
                    }

                    position++;
                }

                int end = position + 1;
                position = end;
                while (position < line.Length && line[position] == ' ')
                {
                    position++;
                }

                if (position < line.Length && line[position] != separator)
                {
                    throw new CsvFormatException(
                        $"{Where(filePath, lineNumber)}, column {cells.Count}: text follows the closing quote at character {end}: '{line[quote..]}'; " +
                        "put the whole cell inside the quotes.",
                        filePath,
                        lineNumber,
                        cells.Count,
                        text: line[quote..]);
                }

                cells.Add(quote..end);
            }
            else
            {
                position = line.IndexOf(separator, start);
                if (position < 0)
                {
                    position = line.Length;
                }

                cells.Add(start..position);
            }

            if (position >= line.Length)
            {
                return;
            }

            start = position + 1;
        }
    }

    private static string CellText(string line, Range cell)
    {
        ReadOnlySpan<char> text = line.AsSpan(cell);
        return IsQuoted(text) ? text[1..^1].ToString().Replace("\"\"", "\"", StringComparison.Ordinal) : text.ToString();
    }

    private static bool IsQuoted(ReadOnlySpan<char> text) => text.Length >= 2 && text[0] == '"' && text[^1] == '"';

    private static float ParseCell(string line, Range cell, int column, string name, CultureInfo culture, string? filePath, int lineNumber)
    {
        ReadOnlySpan<char> text = line.AsSpan(cell);
        ReadOnlySpan<char> number = IsQuoted(text) ? text[1..^1] : text;
        if (float.TryParse(number, NumberStyles.Float, culture, out float value))
        {
            if (!float.IsInfinity(value) || !double.TryParse(number, NumberStyles.Float, culture, out double wide) || double.IsInfinity(wide))
            {
                return value;
            }

            throw new CsvFormatException(
                $"{Where(filePath, lineNumber)}, column {column} ('{name}'): '{text.ToString()}' is beyond float's range (±{float.MaxValue.ToString(CultureInfo.InvariantCulture)}); " +
                "rescale that column before reading it.",
                filePath,
                lineNumber,
                column,
                name,
                text.ToString());
        }

        string problem = number.IsWhiteSpace()
            ? "the cell is empty; every cell of a numeric CSV needs a number, so fill or drop missing values first"
            : $"'{text.ToString()}' is not a number in the {(culture.Name.Length == 0 ? "invariant" : culture.Name)} culture; " +
              "fix that cell, or set CsvOptions.Separator or Culture if the file uses another format";
        throw new CsvFormatException(
            $"{Where(filePath, lineNumber)}, column {column} ('{name}'): {problem}.",
            filePath,
            lineNumber,
            column,
            name,
            text.ToString());
    }

    private static string Source(string? filePath) => filePath is null ? "The CSV text" : $"'{filePath}'";

    private static string Where(string? filePath, int lineNumber)
        => filePath is null ? $"Line {lineNumber}" : $"'{filePath}', line {lineNumber}";
}
