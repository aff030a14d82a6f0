using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace TypedNets.Data;

/// <summary>
/// Reads numeric CSV files (every cell a number or a missing value, as in scikit-learn's bundled data sets) into a
/// <see cref="CsvTable"/> of floats.
/// </summary>
/// <remarks>
/// <para>
/// Lines end with <c>\n</c>, <c>\r\n</c> or <c>\r</c>. A cell may be wrapped in double quotes (<c>"sepal length"</c>,
/// with <c>""</c> for a quote inside), but a quoted cell cannot span lines. Blank lines (nothing but white space) are
/// ignored, as pandas does, but count in line numbers. Every row must have as many cells as the header (or, without a
/// header, as the first row).
/// </para>
/// <para>
/// Missing values: a cell whose text, without surrounding white space and quotes, is one of
/// <see cref="CsvOptions.MissingValues"/> (by default pandas' list: the empty cell, <c>NA</c>, <c>NaN</c>,
/// <c>null</c>, <c>N/A</c>, <c>#N/A</c>, <c>None</c>, ...) reads as <see cref="float.NaN"/>, as pandas' <c>read_csv</c>
/// reads it, so that the rows can be dropped (<see cref="CsvTable.DropMissing"/>) or filled in (<see cref="SimpleImputer"/>).
/// A <see cref="Dataset"/> refuses NaN, so a missing value cannot reach training unnoticed.
/// </para>
/// <para>
/// Numbers are parsed as <see cref="float"/> with <see cref="NumberStyles.Float"/> in <see cref="CsvOptions.Culture"/>.
/// The literals <c>Infinity</c> and <c>-Infinity</c> (and <c>NaN</c>) are read as such. A number whose magnitude is
/// beyond float's range (above 3.4028235E+38, such as <c>1e39</c> or <c>1e400</c>) is an error rather than an
/// infinity, and so is a non-zero number too small to be told from zero (below about 7E-46, half the smallest
/// subnormal float, such as <c>1e-50</c>): rounding it to 0 would silently change the value, and a column at that
/// scale needs rescaling before it is read. Numbers between that and 1.2E-38 are read as subnormal floats.
/// </para>
/// <para>
/// Bounds: a line longer than <see cref="CsvOptions.MaxLineLength"/> characters or a row of more than
/// <see cref="CsvOptions.MaxCellsPerRow"/> cells is an error that names the bound, so that a file that is not the
/// expected CSV (no line breaks, the wrong separator) fails at once instead of exhausting memory.
/// </para>
/// <para>
/// Memory: the text is parsed from a buffer of fixed size (it grows only for a single cell longer than the buffer),
/// never a line at a time, and the values are collected in blocks and copied once into the table. Reading therefore
/// allocates about 8 bytes per cell plus a fixed 1 MiB or so of buffers, and the peak is the same: 4 bytes per cell for
/// the table and 4 for the blocks. Since every cell takes at least two characters of the file (a digit and a separator
/// or line break), that is at most 4 times the size of an ASCII file, and about 1 to 1.5 times for typical files of
/// 6 to 8 characters per cell.
/// </para>
/// </remarks>
public static class Csv
{
    /// <summary>Reads the CSV file at <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, or an option is invalid.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="CsvFormatException">
    /// A cell is not a number or a missing value, a number is out of float's range, a row is ragged, a line or row
    /// exceeds its bound, or the header is missing.
    /// </exception>
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
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="CsvFormatException">
    /// A cell is not a number or a missing value, a number is out of float's range, a row is ragged, a line or row
    /// exceeds its bound, or the header is missing.
    /// </exception>
    public static CsvTable Parse(TextReader reader, CsvOptions? options = null) => Parse(reader, options, filePath: null);

    private static CsvTable Parse(TextReader reader, CsvOptions? options, string? filePath)
    {
        ArgumentNullException.ThrowIfNull(reader);
        options ??= CsvOptions.Default;
        options.Validate();
        return new Parser(reader, options, filePath).Run();
    }

    /// <summary>One pass over the text: a character buffer with look-ahead, cells scanned in place.</summary>
    private sealed class Parser
    {
        // 64 Ki characters: big enough that refills are rare, small enough to be noise next to the values.
        private const int BufferLength = 64 * 1024;

        // Values are collected in blocks of this many floats (256 KiB), so that growing never copies what is there.
        private const int BlockLength = 64 * 1024;

        private readonly TextReader _reader;
        private readonly CsvOptions _options;
        private readonly string? _filePath;
        private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _missing;
        private readonly List<float[]> _blocks = [];
        private char[] _buffer = new char[BufferLength];
        private int _position;
        private int _end;
        private bool _endOfInput;
        private long _bufferOffset; // the number of characters before _buffer[0]
        private long _lineStart;    // the offset of the current line's first character
        private int _lineNumber;
        private int _blockUsed = BlockLength;
        private long _valueCount;

        public Parser(TextReader reader, CsvOptions options, string? filePath)
        {
            _reader = reader;
            _options = options;
            _filePath = filePath;
            _missing = new HashSet<string>(options.MissingValues, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public CsvTable Run()
        {
            for (int skipped = 0; skipped < _options.SkipRows; skipped++)
            {
                if (!AtLineStart())
                {
                    throw new CsvFormatException(
                        $"{Source()} ends after {_lineNumber} lines, before the {_options.SkipRows} lines that SkipRows skips; " +
                        "lower SkipRows or check that this is the intended file.",
                        _filePath,
                        _lineNumber);
                }

                _lineNumber++;
                _lineStart = Offset;
                SkipToNextLine();
            }

            string[]? names = null;
            int headerLine = 0;
            if (_options.HasHeader)
            {
                if (!NextNonBlankLine())
                {
                    throw new CsvFormatException(
                        $"{Source()} ends after {_lineNumber} lines, before the header row that should follow the {_options.SkipRows} skipped lines; " +
                        "pass HasHeader = false if the file has none.",
                        _filePath,
                        _lineNumber);
                }

                headerLine = _lineNumber;
                var header = new List<string>();
                ReadCells((cell, inner, column) => header.Add((inner.Length == cell.Length ? inner.ToString() : Unescape(inner)).Trim()));
                names = header.ToArray();
            }

            int width = names?.Length ?? -1;
            int firstDataLine = 0;
            int rows = 0;
            float[] row = new float[Math.Min(width < 0 ? 64 : width, _options.MaxCellsPerRow)];
            CellHandler parseCell = (cell, inner, column) =>
            {
                if (width < 0)
                {
                    if (column == row.Length)
                    {
                        Array.Resize(ref row, Math.Min(row.Length * 2, _options.MaxCellsPerRow));
                    }
                }
                else if (column >= width)
                {
                    return; // a ragged row, reported with its cell count below
                }

                row[column] = ParseCell(cell, inner, column, names?[column]);
            };

            while (NextNonBlankLine())
            {
                int cells = ReadCells(parseCell);

                if (width < 0)
                {
                    width = cells;
                    firstDataLine = _lineNumber;
                    names = new string[width];
                    for (int column = 0; column < width; column++)
                    {
                        names[column] = "column" + column.ToString(CultureInfo.InvariantCulture);
                    }
                }

                if (cells != width)
                {
                    string reference = _options.HasHeader ? $"the header on line {headerLine}" : $"the first row, on line {firstDataLine},";
                    throw new CsvFormatException(
                        $"{Where()} has {cells} cells, but {reference} has {width}; every row needs one cell per column " +
                        $"(check for a missing or extra '{_options.Separator}').",
                        _filePath,
                        _lineNumber);
                }

                Append(row.AsSpan(0, width));
                rows++;
            }

            return new CsvTable(names ?? [], Values(), rows);
        }

        private long Offset => _bufferOffset + _position;

        // The text of the current line so far must fit the bound; checked on every refill and at every line end, so
        // the buffer never holds much more than one bound's worth of a line.
        private void CheckLineLength(long lineEnd)
        {
            if (lineEnd - _lineStart > _options.MaxLineLength)
            {
                throw new CsvFormatException(
                    $"{Where()} is longer than {_options.MaxLineLength.ToString(CultureInfo.InvariantCulture)} characters, the bound set by " +
                    "CsvOptions.MaxLineLength; if the file really has lines this long, raise it (new CsvOptions { MaxLineLength = ... }), " +
                    "otherwise check that this is a CSV file with one row per line.",
                    _filePath,
                    _lineNumber);
            }
        }

        // Makes room and reads more text, keeping _buffer[keep..] (moved to the front). False at the end of the input.
        private bool Fill(ref int keep)
        {
            if (_endOfInput)
            {
                return false;
            }

            CheckLineLength(_bufferOffset + _end);
            int kept = _end - keep;
            if (keep > 0)
            {
                Array.Copy(_buffer, keep, _buffer, 0, kept);
                _bufferOffset += keep;
                _position -= keep;
                _end = kept;
                keep = 0;
            }

            if (_end == _buffer.Length)
            {
                // Only one cell (or one blank line) longer than the buffer gets here; the line bound caps the growth.
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            int read = _reader.Read(_buffer, _end, _buffer.Length - _end);
            if (read <= 0)
            {
                _endOfInput = true;
                return false;
            }

            _end += read;
            return true;
        }

        private bool Fill()
        {
            int keep = _position;
            return Fill(ref keep);
        }

        // Whether any text is left (the start of a line, when called between lines).
        private bool AtLineStart() => _position < _end || Fill();

        private char? Peek() => _position < _end || Fill() ? _buffer[_position] : null;

        // Consumes a line break at the current position, if there is one (\n, \r\n or \r).
        private void ConsumeLineBreak()
        {
            CheckLineLength(Offset);
            if (Peek() is '\r')
            {
                _position++;
                _lineStart = Offset; // the line is done: refills from here on measure whatever comes next
                if (Peek() is '\n')
                {
                    _position++;
                }
            }
            else if (Peek() is '\n')
            {
                _position++;
            }

            _lineStart = Offset;
        }

        private void SkipToNextLine()
        {
            while (Peek() is { } character && character is not '\r' and not '\n')
            {
                _position++;
            }

            ConsumeLineBreak();
        }

        // Moves to the start of the next line that holds more than white space, counting the lines it passes.
        private bool NextNonBlankLine()
        {
            while (AtLineStart())
            {
                _lineNumber++;
                _lineStart = Offset;
                int probe = _position;
                while (true)
                {
                    if (probe == _end)
                    {
                        int keep = _position;
                        int before = _position;
                        if (!Fill(ref keep))
                        {
                            break;
                        }

                        probe -= before - _position;
                    }

                    char character = _buffer[probe];
                    if (character is '\r' or '\n')
                    {
                        break;
                    }

                    if (!char.IsWhiteSpace(character))
                    {
                        return true;
                    }

                    probe++;
                }

                _position = probe;
                ConsumeLineBreak();
            }

            return false;
        }

        private delegate void CellHandler(ReadOnlySpan<char> cell, ReadOnlySpan<char> inner, int column);

        // Scans the cells of the current line, hands each to the handler (the raw text, and the text inside the quotes
        // for a quoted cell), consumes the line break and returns the number of cells.
        private int ReadCells(CellHandler handle)
        {
            char separator = _options.Separator;
            int column = 0;
            while (true)
            {
                if (column == _options.MaxCellsPerRow)
                {
                    throw new CsvFormatException(
                        $"{Where()} has more than {_options.MaxCellsPerRow.ToString(CultureInfo.InvariantCulture)} cells, the bound set by " +
                        "CsvOptions.MaxCellsPerRow; if the file really is this wide, raise it (new CsvOptions { MaxCellsPerRow = ... }), " +
                        $"otherwise check the separator ('{_options.Separator}').",
                        _filePath,
                        _lineNumber);
                }

                int start = _position;
                int scan = start;
                while (true)
                {
                    if (scan == _end)
                    {
                        int before = start;
                        if (!Fill(ref start))
                        {
                            break;
                        }

                        scan -= before - start;
                    }

                    if (_buffer[scan] != ' ')
                    {
                        break;
                    }

                    scan++;
                }

                bool last;
                if (scan < _end && _buffer[scan] == '"')
                {
                    int quote = scan;
                    scan++;
                    while (true)
                    {
                        if (scan == _end)
                        {
                            int before = start;
                            if (!Fill(ref start))
                            {
                                throw Unclosed(quote, column);
                            }

                            scan -= before - start;
                            quote -= before - start;
                        }

                        char character = _buffer[scan];
                        if (character is '\r' or '\n')
                        {
                            throw Unclosed(quote, column);
                        }

                        if (character == '"')
                        {
                            if (scan + 1 == _end)
                            {
                                int before = start;
                                Fill(ref start);
                                scan -= before - start;
                                quote -= before - start;
                            }

                            if (scan + 1 < _end && _buffer[scan + 1] == '"')
                            {
                                scan += 2;
                                continue;
                            }

                            break;
                        }

                        scan++;
                    }

                    int closing = scan;
                    scan++;
                    while (true)
                    {
                        if (scan == _end)
                        {
                            int before = start;
                            if (!Fill(ref start))
                            {
                                break;
                            }

                            scan -= before - start;
                            quote -= before - start;
                            closing -= before - start;
                        }

                        if (_buffer[scan] != ' ')
                        {
                            break;
                        }

                        scan++;
                    }

                    if (scan < _end && _buffer[scan] != separator && _buffer[scan] is not '\r' and not '\n')
                    {
                        string text = RestOfLine(quote);
                        throw new CsvFormatException(
                            $"{Where()}, column {column}: text follows the closing quote at character {(int)(_bufferOffset + closing - _lineStart) + 1}: " +
                            $"'{text}'; put the whole cell inside the quotes.",
                            _filePath,
                            _lineNumber,
                            column,
                            text: text);
                    }

                    last = scan == _end || _buffer[scan] != separator;
                    CheckLineLength(_bufferOffset + scan);
                    handle(_buffer.AsSpan(quote, closing + 1 - quote), _buffer.AsSpan(quote + 1, closing - quote - 1), column);
                }
                else
                {
                    while (true)
                    {
                        if (scan == _end)
                        {
                            int before = start;
                            if (!Fill(ref start))
                            {
                                break;
                            }

                            scan -= before - start;
                        }

                        char character = _buffer[scan];
                        if (character == separator || character is '\r' or '\n')
                        {
                            break;
                        }

                        scan++;
                    }

                    last = scan == _end || _buffer[scan] != separator;
                    CheckLineLength(_bufferOffset + scan);
                    ReadOnlySpan<char> cell = _buffer.AsSpan(start, scan - start);
                    handle(cell, cell, column);
                }

                column++;
                _position = last ? scan : scan + 1;
                if (last)
                {
                    ConsumeLineBreak();
                    return column;
                }
            }
        }

        private CsvFormatException Unclosed(int quote, int column)
        {
            string text = _buffer.AsSpan(quote, _end - quote).ToString();
            int lineBreak = text.IndexOfAny(['\r', '\n']);
            text = lineBreak >= 0 ? text[..lineBreak] : text;
            return new CsvFormatException(
                $"{Where()}, column {column}: the quote at character {(int)(_bufferOffset + quote - _lineStart) + 1} is never closed; " +
                "close it with '\"' (cells cannot span lines, and a quote inside a quoted cell is written '\"\"').",
                _filePath,
                _lineNumber,
                column,
                text: text);
        }

        // The rest of the line from buffer index start, as far as it has been read, for an error message.
        private string RestOfLine(int start)
        {
            int end = start;
            while (end < _end && _buffer[end] is not '\r' and not '\n')
            {
                end++;
            }

            return _buffer.AsSpan(start, end - start).ToString();
        }

        private static string Unescape(ReadOnlySpan<char> inner) => inner.ToString().Replace("\"\"", "\"", StringComparison.Ordinal);

        private float ParseCell(ReadOnlySpan<char> cell, ReadOnlySpan<char> inner, int column, string? name)
        {
            ReadOnlySpan<char> number = inner.Trim();
            if (_missing.Contains(number))
            {
                return float.NaN;
            }

            name ??= "column" + column.ToString(CultureInfo.InvariantCulture);
            CultureInfo culture = _options.Culture;
            if (float.TryParse(number, NumberStyles.Float, culture, out float value))
            {
                // float.Parse rounds overflow to infinity and underflow to zero without a word; only the literal
                // infinities (which have no digits) and zeros (whose digits before the exponent are all 0) are meant.
                if (float.IsInfinity(value) && number.IndexOfAnyInRange('0', '9') >= 0)
                {
                    throw BadCell(
                        cell,
                        column,
                        name,
                        $"'{cell}' is beyond float's range (±{float.MaxValue.ToString(CultureInfo.InvariantCulture)}); rescale that column before reading it " +
                        "(for example, write it in thousands or as a logarithm).");
                }

                if (value == 0 && HasNonZeroDigit(number))
                {
                    throw BadCell(
                        cell,
                        column,
                        name,
                        $"'{cell}' is too small for a float: it would round to 0 (the smallest non-zero float is " +
                        $"{float.Epsilon.ToString(CultureInfo.InvariantCulture)}); rescale that column before reading it " +
                        "(for example, write it in millionths), or write 0 if zero is meant.");
                }

                return value;
            }

            string problem = number.IsEmpty
                ? "the cell is empty, and CsvOptions.MissingValues does not list \"\", so it cannot be read as a missing value; " +
                  "fill it in, or keep the default MissingValues to read it as NaN."
                : $"'{cell}' is not a number in the {(culture.Name.Length == 0 ? "invariant" : culture.Name)} culture; " +
                  "fix that cell, or set CsvOptions.Separator or Culture if the file uses another format, or add it to CsvOptions.MissingValues if it marks a missing value.";
            throw BadCell(cell, column, name, problem);
        }

        // Whether a digit 1 to 9 comes before the exponent: the number is not zero, whatever float makes of it.
        private static bool HasNonZeroDigit(ReadOnlySpan<char> number)
        {
            int exponent = number.IndexOfAny('e', 'E');
            return (exponent < 0 ? number : number[..exponent]).IndexOfAnyInRange('1', '9') >= 0;
        }

        private CsvFormatException BadCell(ReadOnlySpan<char> cell, int column, string name, string problem)
            => new($"{Where()}, column {column} ('{name}'): {problem}", _filePath, _lineNumber, column, name, cell.ToString());

        private void Append(ReadOnlySpan<float> row)
        {
            while (!row.IsEmpty)
            {
                if (_blockUsed == BlockLength)
                {
                    _blocks.Add(new float[BlockLength]);
                    _blockUsed = 0;
                }

                int take = Math.Min(row.Length, BlockLength - _blockUsed);
                row[..take].CopyTo(_blocks[^1].AsSpan(_blockUsed, take));
                _blockUsed += take;
                row = row[take..];
                _valueCount += take;
            }

            if (_valueCount > Array.MaxLength)
            {
                throw new CsvFormatException(
                    $"{Where()} brings the table to {_valueCount} cells, more than one .NET array holds ({Array.MaxLength}); " +
                    "read the file in parts or keep fewer columns.",
                    _filePath,
                    _lineNumber);
            }
        }

        private float[] Values()
        {
            float[] values = new float[_valueCount];
            int written = 0;
            foreach (float[] block in _blocks)
            {
                int take = (int)Math.Min(BlockLength, _valueCount - written);
                block.AsSpan(0, take).CopyTo(values.AsSpan(written));
                written += take;
            }

            _blocks.Clear();
            return values;
        }

        private string Source() => _filePath is null ? "The CSV text" : $"'{_filePath}'";

        private string Where() => _filePath is null ? $"Line {_lineNumber}" : $"'{_filePath}', line {_lineNumber}";
    }
}
