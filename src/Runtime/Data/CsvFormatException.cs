using System;

namespace TypedNets.Data;

/// <summary>
/// A CSV file that <see cref="Csv"/> could not read: a cell that is not a number or a missing value, a number beyond
/// float's range or too small to be told from zero, a row with the wrong number of cells, a line or row beyond
/// <see cref="CsvOptions.MaxLineLength"/> or <see cref="CsvOptions.MaxCellsPerRow"/>, an unterminated quote, or a file
/// that ends before its header. The message names the 1-based line, and where
/// one cell is at fault its column (index and name) and text; the same facts are in the properties.
/// </summary>
public sealed class CsvFormatException : FormatException
{
    /// <summary>Creates the exception; <paramref name="message"/> should already name the line and cell.</summary>
    public CsvFormatException(string message, string? filePath, int lineNumber, int columnIndex = -1, string? columnName = null, string? text = null)
        : base(message)
    {
        FilePath = filePath;
        LineNumber = lineNumber;
        ColumnIndex = columnIndex;
        ColumnName = columnName;
        Text = text;
    }

    /// <summary>The file being read, or <see langword="null"/> when the text came from a <see cref="System.IO.TextReader"/>.</summary>
    public string? FilePath { get; }

    /// <summary>The 1-based physical line number at fault (skipped and blank lines count).</summary>
    public int LineNumber { get; }

    /// <summary>The 0-based column of the bad cell, or -1 when the whole line is at fault.</summary>
    public int ColumnIndex { get; }

    /// <summary>The name of the bad cell's column (from the header, or <c>columnN</c>), or <see langword="null"/>.</summary>
    public string? ColumnName { get; }

    /// <summary>The offending text as it appeared in the file, or <see langword="null"/>.</summary>
    public string? Text { get; }
}
