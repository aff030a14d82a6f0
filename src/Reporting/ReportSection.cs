using System.IO;

namespace TypedNets.Reporting;

/// <summary>A part of the report's body, written in the order it was added.</summary>
internal abstract class ReportSection
{
    /// <summary>Writes the section's HTML.</summary>
    public abstract void Write(TextWriter writer);
}

/// <summary>A section whose HTML was rendered, from a copy of the data, when it was added.</summary>
internal sealed class HtmlSection(string html) : ReportSection
{
    public override void Write(TextWriter writer) => writer.Write(html);
}
