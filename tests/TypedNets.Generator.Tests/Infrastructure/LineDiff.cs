using System;
using System.Collections.Generic;
using System.Text;

namespace TypedNets.Generator.Tests.Infrastructure;

/// <summary>A unified-style line diff (longest common subsequence) with three lines of context, for failure messages.</summary>
internal static class LineDiff
{
    private const int Context = 3;
    private const int MaxOutputLines = 80;

    public static string Format(string expected, string actual)
    {
        string[] a = expected.Split('\n');
        string[] b = actual.Split('\n');
        List<(char Kind, string Line, int LineA, int LineB)> edits = Edits(a, b);

        var output = new StringBuilder();
        int written = 0;
        int index = 0;
        while (index < edits.Count)
        {
            int change = edits.FindIndex(index, edit => edit.Kind != ' ');
            if (change < 0)
            {
                break;
            }

            // A hunk runs from Context lines before the first change to Context lines after a change that is not
            // followed by another within 2 * Context lines.
            int start = Math.Max(index, change - Context);
            int end = change;
            for (int i = change; i < edits.Count && i <= end + (2 * Context); i++)
            {
                if (edits[i].Kind != ' ')
                {
                    end = i;
                }
            }

            int stop = Math.Min(edits.Count, end + Context + 1);
            output.Append($"@@ verified line {edits[start].LineA + 1}, received line {edits[start].LineB + 1} @@\n");
            for (int i = start; i < stop; i++)
            {
                if (++written > MaxOutputLines)
                {
                    output.Append("... (diff truncated)\n");
                    return output.ToString();
                }

                output.Append(edits[i].Kind).Append(' ').Append(edits[i].Line).Append('\n');
            }

            index = stop;
        }

        return output.ToString();
    }

    private static List<(char Kind, string Line, int LineA, int LineB)> Edits(string[] a, string[] b)
    {
        // Lengths of the longest common subsequence of a[i..] and b[j..]; generated files are small enough.
        int[,] lcs = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
        {
            for (int j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        var edits = new List<(char, string, int, int)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                edits.Add((' ', a[x], x, y));
                x++;
                y++;
            }
            else if (x < a.Length && (y == b.Length || lcs[x + 1, y] >= lcs[x, y + 1]))
            {
                edits.Add(('-', a[x], x, y));
                x++;
            }
            else
            {
                edits.Add(('+', b[y], x, y));
                y++;
            }
        }

        return edits;
    }
}
