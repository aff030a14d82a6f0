using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using TypedNets.Metrics;
using static TypedNets.Reporting.Markup;

namespace TypedNets.Reporting.Charts;

/// <summary>
/// A confusion matrix as scikit-learn's <c>ConfusionMatrixDisplay</c> draws it: true classes down the side, predicted
/// classes along the bottom, each cell shaded by its count (white to blue) with the count written in it.
/// </summary>
internal static class ConfusionHeatMap
{
    private const double FontSize = 12;
    private static readonly (int R, int G, int B) Low = (247, 251, 255);
    private static readonly (int R, int G, int B) High = (8, 48, 107);

    public static string Render(ConfusionMatrix matrix, IReadOnlyList<string> classNames)
    {
        int classes = matrix.Classes;
        double cell = classes <= 4 ? 64 : classes <= 10 ? 48 : 32;
        double longest = classNames.Max(name => LineChart.TextWidth(name));
        double left = longest + 40;
        double top = 12;
        double grid = cell * classes;
        // Predicted-class names are written at 45 degrees below the grid; their height is their length over sqrt 2.
        double bottom = (longest * 0.71) + 44;
        double width = left + grid + 16;
        double height = top + grid + bottom;
        int largest = Math.Max(1, Enumerable.Range(0, classes * classes).Max(index => matrix[index / classes, index % classes]));

        var svg = new StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"0 0 {N(width)} {N(height)}\" font-family=\"sans-serif\" font-size=\"{N(FontSize)}\" role=\"img\">\n");
        svg.Append($"<rect width=\"{N(width)}\" height=\"{N(height)}\" fill=\"#ffffff\"/>\n");
        for (int actual = 0; actual < classes; actual++)
        {
            for (int predicted = 0; predicted < classes; predicted++)
            {
                int count = matrix[actual, predicted];
                double share = (double)count / largest;
                double x = left + (predicted * cell);
                double y = top + (actual * cell);
                svg.Append($"<g class=\"tn-cell\" data-true=\"{actual}\" data-predicted=\"{predicted}\" data-count=\"{count}\">");
                svg.Append($"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(cell)}\" height=\"{N(cell)}\" fill=\"{Mix(Low, High, share)}\" stroke=\"#ffffff\"/>");
                // White on the darker half of the scale, as scikit-learn switches the text colour.
                string ink = share > 0.5 ? "#ffffff" : "#000000";
                svg.Append($"<text x=\"{N(x + (cell / 2))}\" y=\"{N(y + (cell / 2) + 4)}\" text-anchor=\"middle\" fill=\"{ink}\">{count}</text>");
                svg.Append($"<title>true {Escape(classNames[actual])}, predicted {Escape(classNames[predicted])}: {count}</title></g>\n");
            }
        }

        for (int index = 0; index < classes; index++)
        {
            double centre = (index * cell) + (cell / 2);
            svg.Append($"<text x=\"{N(left - 6)}\" y=\"{N(top + centre + 4)}\" text-anchor=\"end\">{Escape(classNames[index])}</text>\n");
            svg.Append($"<text transform=\"translate({N(left + centre + 4)} {N(top + grid + 8)}) rotate(-45)\" text-anchor=\"end\">{Escape(classNames[index])}</text>\n");
        }

        svg.Append($"<text transform=\"translate(14 {N(top + (grid / 2))}) rotate(-90)\" text-anchor=\"middle\">true class</text>\n");
        svg.Append($"<text x=\"{N(left + (grid / 2))}\" y=\"{N(height - 8)}\" text-anchor=\"middle\">predicted class</text>\n");
        svg.Append("</svg>");
        return svg.ToString();
    }
}
