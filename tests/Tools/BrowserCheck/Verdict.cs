using System.Collections.Generic;
using System.Linq;

namespace TypedNets.BrowserCheck;

/// <summary>One thing wrong with a report.</summary>
/// <param name="Kind">What kind of fault: <c>console-error</c>, <c>page-error</c>, <c>external-request</c>, <c>load-failed</c>, <c>no-chart</c>, <c>zero-size</c>, <c>missing-svg</c>, <c>empty-tokens</c>, <c>blank</c> or <c>text-overflow</c>.</param>
/// <param name="Message">What was seen, naming the figure, the text and the amounts.</param>
public sealed record Finding(string Kind, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Kind}: {Message}";
}

/// <summary>What the browser saw of one report.</summary>
public sealed record Verdict(string File, int Charts, int Diagrams, int TokenFigures, int ConsoleErrors, IReadOnlyList<Finding> Findings, double Seconds)
{
    /// <summary>Whether the report passed: nothing was found wrong.</summary>
    public bool Passed => Findings.Count == 0;

    /// <summary>The kinds of fault found, each once.</summary>
    public IReadOnlySet<string> Kinds => Findings.Select(finding => finding.Kind).ToHashSet();

    /// <summary>The counts of what the report holds, as one line prints them.</summary>
    public string Summary
        => $"{Charts} chart{Plural(Charts)}, {Diagrams} diagram{Plural(Diagrams)}, {TokenFigures} token figure{Plural(TokenFigures)}, {ConsoleErrors} console error{Plural(ConsoleErrors)}";

    private static string Plural(int count) => count == 1 ? "" : "s";
}
