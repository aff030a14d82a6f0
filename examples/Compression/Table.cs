using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using TypedNets.Serialization;

namespace Compression;

/// <summary>The rows as one markdown table, and that table written into the example's README.</summary>
internal static class Table
{
    /// <summary>The comment lines between which the README holds the table; everything between them is replaced.</summary>
    public const string Begin = "<!-- table: written by a full run of the example; edits between these lines are lost -->";

    /// <summary>The line after the table.</summary>
    public const string End = "<!-- end of table -->";

    /// <summary>The rows under one header, in the order given.</summary>
    public static string Markdown(IEnumerable<Row> rows)
    {
        var text = new StringBuilder();
        text.AppendLine("| model | variant | test accuracy | model bytes | batch 1 | batch 256 | notes |");
        text.Append("|---|---|---|---:|---:|---:|---|");
        foreach (Row row in rows)
        {
            text.AppendLine();
            text.Append(CultureInfo.InvariantCulture,
                $"| {row.Model} | {row.Variant} | {row.AccuracyText} | {row.Bytes:N0} | {row.Batch1Microseconds:F1} µs | {row.Batch256Milliseconds:F2} ms | {row.Notes} |");
        }

        return text.ToString();
    }

    /// <summary>Replaces what stands between <see cref="Begin"/> and <see cref="End"/> in <paramref name="readme"/>.</summary>
    /// <exception cref="InvalidDataException">The README lacks either line.</exception>
    public static void WriteInto(string readme, string table)
    {
        string text = File.ReadAllText(readme);
        int begin = text.IndexOf(Begin, StringComparison.Ordinal);
        int end = text.IndexOf(End, StringComparison.Ordinal);
        if (begin < 0 || end < begin)
        {
            throw new InvalidDataException($"{readme} has no '{Begin}' line followed by an '{End}' line to put the table between.");
        }

        string updated = text[..(begin + Begin.Length)] + "\n" + table.ReplaceLineEndings("\n") + "\n" + text[end..];
        AtomicFile.Write(readme, stream => stream.Write(Encoding.UTF8.GetBytes(updated)));
    }
}
