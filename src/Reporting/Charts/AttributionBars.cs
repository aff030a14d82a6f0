using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using static TypedNets.Reporting.Markup;

namespace TypedNets.Reporting.Charts;

/// <summary>
/// One horizontal bar per feature from a zero line, right and red for a positive attribution, left and blue for a
/// negative one, with the value at the bar's end: the per-feature plot SHAP and Captum's tutorials draw for tabular data.
/// </summary>
internal static class AttributionBars
{
    private const double Row = 22;
    private const double BarArea = 360;
    private const double Top = 8;

    public static string Render(IReadOnlyList<string> features, IReadOnlyList<double> scores)
    {
        double labels = features.Max(name => LineChart.TextWidth(name)) + 12;
        double largest = Math.Max(scores.Max(Math.Abs), double.Epsilon);
        bool signed = scores.Any(score => score < 0);
        // Room for the value written past the end of each bar, on both sides when there are negative bars.
        const double ValueRoom = 64;
        double zero = labels + (signed ? ValueRoom + (BarArea / 2) : 0);
        double half = signed ? BarArea / 2 : BarArea;
        double width = zero + half + ValueRoom;
        double height = Top + (Row * features.Count) + 8;

        var svg = new StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"0 0 {N(width)} {N(height)}\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\">\n");
        svg.Append($"<rect width=\"{N(width)}\" height=\"{N(height)}\" fill=\"#ffffff\"/>\n");
        for (int index = 0; index < features.Count; index++)
        {
            double score = scores[index];
            double length = Math.Abs(score) / largest * half;
            double y = Top + (index * Row);
            double x = score >= 0 ? zero : zero - length;
            string fill = Rgb(SignColour(score));
            svg.Append($"<g class=\"tn-bar\" data-feature=\"{Escape(features[index])}\" data-value=\"{Value(score)}\">");
            svg.Append($"<text x=\"{N(labels - 8)}\" y=\"{N(y + 15)}\" text-anchor=\"end\">{Escape(features[index])}</text>");
            svg.Append($"<rect x=\"{N(x)}\" y=\"{N(y + 3)}\" width=\"{N(Math.Max(length, 1))}\" height=\"{N(Row - 6)}\" fill=\"{fill}\"/>");
            string anchor = score >= 0 ? "start" : "end";
            double valueX = score >= 0 ? zero + length + 4 : zero - length - 4;
            svg.Append($"<text x=\"{N(valueX)}\" y=\"{N(y + 15)}\" text-anchor=\"{anchor}\">{Value(score)}</text></g>\n");
        }

        svg.Append($"<line x1=\"{N(zero)}\" y1=\"{N(Top)}\" x2=\"{N(zero)}\" y2=\"{N(height - 8)}\" stroke=\"#444444\"/>\n");
        svg.Append("</svg>");
        return svg.ToString();
    }
}
