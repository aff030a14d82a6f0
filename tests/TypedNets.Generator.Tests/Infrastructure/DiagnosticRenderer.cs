using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace TypedNets.Generator.Tests.Infrastructure;

/// <summary>
/// Renders diagnostics the way a reader checks them: position, severity, id and message, then the source line with
/// <c>^^^</c> under the span.
/// </summary>
internal static class DiagnosticRenderer
{
    public static string Render(IEnumerable<Diagnostic> diagnostics)
    {
        var text = new StringBuilder();
        foreach (Diagnostic diagnostic in diagnostics)
        {
            if (text.Length > 0)
            {
                text.Append('\n');
            }

            text.Append(Render(diagnostic));
        }

        return text.ToString();
    }

    public static string Render(Diagnostic diagnostic)
    {
        var text = new StringBuilder();
        string severity = diagnostic.Severity.ToString().ToLowerInvariant();
        string message = diagnostic.GetMessage(CultureInfo.InvariantCulture);
        Location location = diagnostic.Location;
        if (!location.IsInSource || location.SourceTree is null)
        {
            text.Append($"(no location): {severity} {diagnostic.Id}: {message}\n");
            return text.ToString();
        }

        FileLinePositionSpan position = location.GetLineSpan();
        LinePosition start = position.StartLinePosition;
        text.Append($"{position.Path}({start.Line + 1},{start.Character + 1}): {severity} {diagnostic.Id}: {message}\n");

        SourceText source = location.SourceTree.GetText();
        TextLine line = source.Lines[start.Line];
        text.Append(line.ToString()).Append('\n');

        // A span running past its first line is marked to the end of that line.
        int end = position.EndLinePosition.Line == start.Line ? position.EndLinePosition.Character : line.Span.Length;
        text.Append(' ', start.Character).Append('^', System.Math.Max(1, end - start.Character)).Append('\n');
        return text.ToString();
    }
}
