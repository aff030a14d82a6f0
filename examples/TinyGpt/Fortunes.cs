using System;
using System.Collections.Generic;
using System.IO;
using TypedNets.Text;

namespace TinyGpt;

/// <summary>The text the model learns: every quote of the categories scripts/fetch-fortunes.sh lists, in its order.</summary>
internal static class Fortunes
{
    /// <summary>
    /// All quotes joined by a blank line, as reference/pytorch/tiny_gpt.py joins them, so that both read one text.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">data/fortunes is missing; run scripts/fetch-fortunes.sh.</exception>
    public static (string Text, int Quotes, int Categories) ReadAll()
    {
        string directory = FindDataDirectory();
        string[] categories = File.ReadAllLines(Path.Combine(directory, "CATEGORIES"));
        var quotes = new List<string>();
        int read = 0;
        foreach (string line in categories)
        {
            string category = line.Trim();
            if (category.Length > 0)
            {
                quotes.AddRange(FortuneFile.Read(Path.Combine(directory, category)));
                read++;
            }
        }

        return (string.Join("\n\n", quotes), quotes.Count, read);
    }

    private static string FindDataDirectory()
    {
        // data/fortunes at the repository root, found from the working directory or the program's own folder.
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? directory = new(start); directory is not null; directory = directory.Parent)
            {
                string candidate = Path.Combine(directory.FullName, "data", "fortunes");
                if (File.Exists(Path.Combine(candidate, "CATEGORIES")))
                {
                    return candidate;
                }
            }
        }

        throw new DirectoryNotFoundException("data/fortunes/CATEGORIES was not found; run scripts/fetch-fortunes.sh from the repository first.");
    }
}
