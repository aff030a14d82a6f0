using System;
using TypedNets.Reporting;

namespace TypedNets.Examples;

/// <summary>
/// The <c>--report FILE</c> option every example takes: where to write its HTML report (see the README's "Report"
/// section). Linked into each example (see its .csproj).
/// </summary>
internal static class ReportArgument
{
    /// <summary>The file after <c>--report</c>, or <paramref name="defaultPath"/> when the option is absent.</summary>
    /// <param name="args">The program's arguments.</param>
    /// <param name="defaultPath">Where the report goes without the option; null for no report.</param>
    /// <returns>The report's path, or null for none.</returns>
    /// <exception cref="ArgumentException"><c>--report</c> is the last argument or is followed by another option.</exception>
    public static string? Find(string[] args, string? defaultPath = null)
    {
        int position = Array.IndexOf(args, "--report");
        if (position < 0)
        {
            return defaultPath;
        }

        return position + 1 < args.Length && !args[position + 1].StartsWith("--", StringComparison.Ordinal)
            ? args[position + 1]
            : throw new ArgumentException("--report needs a file, such as --report artifacts/report.html.", nameof(args));
    }

    /// <summary>Saves the report and says where it went.</summary>
    public static void Save(Report report, string path)
    {
        report.Save(path);
        Console.WriteLine($"Report: {path}");
    }
}
