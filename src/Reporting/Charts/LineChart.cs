using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using static TypedNets.Reporting.Markup;

namespace TypedNets.Reporting.Charts;

/// <summary>One line of a chart, already checked: as many x as y values, all finite.</summary>
internal sealed record PlotLine(string Name, double[] X, double[] Y, string Color, bool Dashed);

/// <summary>
/// Lines over a shared x axis with ticks, grid, axis labels and a legend above the plot. Each line is a
/// <c>&lt;polyline data-series="name"&gt;</c> with a dot on every point, so a single epoch still shows.
/// </summary>
internal static class LineChart
{
    private const double Width = 560;
    private const double Height = 320;
    private const double Left = 64;
    private const double Right = 16;
    private const double Top = 36;
    private const double Bottom = 48;

    public static string Render(string xLabel, string yLabel, IReadOnlyList<PlotLine> lines, bool integerX)
    {
        var x = Axis.Around(lines.Min(line => line.X.Min()), lines.Max(line => line.X.Max()), Left, Width - Right, integerX);
        var y = Axis.Around(lines.Min(line => line.Y.Min()), lines.Max(line => line.Y.Max()), Height - Bottom, Top);
        var svg = new StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(Width)}\" height=\"{N(Height)}\" viewBox=\"0 0 {N(Width)} {N(Height)}\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\">\n");
        svg.Append($"<rect width=\"{N(Width)}\" height=\"{N(Height)}\" fill=\"#ffffff\"/>\n");

        svg.Append("<g class=\"tn-axis\" stroke=\"#dddddd\">\n");
        foreach (double tick in x.Ticks())
        {
            svg.Append($"<line x1=\"{N(x.Map(tick))}\" y1=\"{N(y.PixelStart)}\" x2=\"{N(x.Map(tick))}\" y2=\"{N(y.PixelEnd)}\"/>\n");
        }

        foreach (double tick in y.Ticks())
        {
            svg.Append($"<line x1=\"{N(x.PixelStart)}\" y1=\"{N(y.Map(tick))}\" x2=\"{N(x.PixelEnd)}\" y2=\"{N(y.Map(tick))}\"/>\n");
        }

        svg.Append("</g>\n");
        svg.Append($"<rect x=\"{N(Left)}\" y=\"{N(Top)}\" width=\"{N(Width - Left - Right)}\" height=\"{N(Height - Top - Bottom)}\" fill=\"none\" stroke=\"#444444\"/>\n");
        foreach (double tick in x.Ticks())
        {
            svg.Append($"<text x=\"{N(x.Map(tick))}\" y=\"{N(y.PixelStart + 16)}\" text-anchor=\"middle\">{x.Label(tick)}</text>\n");
        }

        foreach (double tick in y.Ticks())
        {
            svg.Append($"<text x=\"{N(Left - 6)}\" y=\"{N(y.Map(tick) + 4)}\" text-anchor=\"end\">{y.Label(tick)}</text>\n");
        }

        svg.Append($"<text x=\"{N((Left + Width - Right) / 2)}\" y=\"{N(Height - 10)}\" text-anchor=\"middle\">{Escape(xLabel)}</text>\n");
        svg.Append($"<text transform=\"translate(14 {N((Top + Height - Bottom) / 2)}) rotate(-90)\" text-anchor=\"middle\">{Escape(yLabel)}</text>\n");

        foreach (PlotLine line in lines)
        {
            string dash = line.Dashed ? " stroke-dasharray=\"6 4\"" : "";
            string points = string.Join(" ", line.X.Select((value, index) => $"{N(x.Map(value))},{N(y.Map(line.Y[index]))}"));
            svg.Append($"<polyline class=\"tn-series\" data-series=\"{Escape(line.Name)}\" points=\"{points}\" fill=\"none\" stroke=\"{line.Color}\" stroke-width=\"2\"{dash}/>\n");
            svg.Append($"<g fill=\"{line.Color}\">");
            for (int index = 0; index < line.X.Length; index++)
            {
                svg.Append($"<circle cx=\"{N(x.Map(line.X[index]))}\" cy=\"{N(y.Map(line.Y[index]))}\" r=\"3\"><title>{Escape(line.Name)} {Value(line.X[index])}: {Value(line.Y[index])}</title></circle>");
            }

            svg.Append("</g>\n");
        }

        // The legend runs along the top margin, one swatch and name per line, so that it never covers the data.
        double legendX = Left;
        foreach (PlotLine line in lines)
        {
            string dash = line.Dashed ? " stroke-dasharray=\"6 4\"" : "";
            svg.Append($"<g class=\"tn-legend\"><line x1=\"{N(legendX)}\" y1=\"{N(Top - 14)}\" x2=\"{N(legendX + 24)}\" y2=\"{N(Top - 14)}\" stroke=\"{line.Color}\" stroke-width=\"2\"{dash}/>");
            svg.Append($"<text x=\"{N(legendX + 30)}\" y=\"{N(Top - 10)}\">{Escape(line.Name)}</text></g>\n");
            legendX += 30 + TextWidth(line.Name) + 20;
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>The width of a label at 12 px sans-serif, estimated at 0.6 em per character (wider than most fonts draw it).</summary>
    public static double TextWidth(string text) => text.Length * 7.2;
}
