using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace TypedNets.Text;

/// <summary>
/// Reads the quotes of a BSD <c>fortune</c> data file, such as Debian's <c>/usr/share/games/fortunes/computers</c>:
/// entries separated by lines that hold only <c>%</c>.
/// </summary>
/// <remarks>
/// A separator is a line that is exactly <c>%</c> (as <c>strfile</c> reads it); a line such as <c>50% off</c> or
/// <c> %</c> is part of a quote. Each entry's lines are joined with <c>\n</c> (whatever line endings the file has) and
/// the entry is trimmed of white space at both ends; entries left empty (from a leading, trailing or doubled separator)
/// are dropped. Everything else, indentation and backspace overstrikes included, is kept as written. The file is read
/// as UTF-8.
/// </remarks>
public static class FortuneFile
{
    /// <summary>Reads the quotes of the fortune file at <paramref name="path"/>, in file order.</summary>
    /// <exception cref="FileNotFoundException">
    /// There is no file at <paramref name="path"/>; for the example's data, run <c>scripts/fetch-fortunes.sh</c>.
    /// </exception>
    public static IReadOnlyList<string> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            string fullPath = Path.GetFullPath(path);
            string hint = fullPath == path ? "" : $" (relative paths resolve against the current directory, {Environment.CurrentDirectory})";
            throw new FileNotFoundException(
                $"There is no fortune file at '{fullPath}'{hint}. To download the 'computers' and 'politics' quotes into data/fortunes/, " +
                "run scripts/fetch-fortunes.sh from the TypedNets repository (it needs apt); otherwise check the path.",
                fullPath);
        }

        using var reader = new StreamReader(path, Encoding.UTF8);
        return Parse(reader);
    }

    /// <summary>Reads fortune entries from <paramref name="reader"/> to its end.</summary>
    public static IReadOnlyList<string> Parse(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var entries = new List<string>();
        var entry = new StringBuilder();
        while (reader.ReadLine() is { } line)
        {
            if (line == "%")
            {
                AddEntry(entries, entry);
                continue;
            }

            if (entry.Length > 0)
            {
                entry.Append('\n');
            }

            entry.Append(line);
        }

        AddEntry(entries, entry);
        return entries.AsReadOnly();
    }

    private static void AddEntry(List<string> entries, StringBuilder entry)
    {
        string text = entry.ToString().Trim();
        if (text.Length > 0)
        {
            entries.Add(text);
        }

        entry.Clear();
    }
}
