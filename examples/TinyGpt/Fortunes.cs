using System;
using System.Collections.Generic;
using System.IO;
using TypedNets.Examples;
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
        string directory = DataDirectory.Find("fortunes", "scripts/fetch-fortunes.sh", requiredFile: "CATEGORIES");
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
}
