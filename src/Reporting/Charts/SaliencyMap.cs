using System;
using System.Text;
using static TypedNets.Reporting.Markup;

namespace TypedNets.Reporting.Charts;

/// <summary>
/// An image and its attribution side by side: the image in grey, then the image again with the attribution laid over
/// it (red for positive, blue for negative, opacity by size relative to the largest), then the colour scale.
/// </summary>
/// <remarks>Pixels are <c>&lt;rect&gt;</c>s rather than an embedded PNG, so the file stays text and every cell can be read back.</remarks>
internal static class SaliencyMap
{
    private const double Panel = 168;
    private const double Gap = 16;
    private const double Top = 22;
    private const double ScaleWidth = 14;

    /// <param name="grey">The image, one value per pixel (channels already averaged), scaled to [0, 1].</param>
    /// <param name="attribution">One value per pixel (channels already summed).</param>
    /// <param name="height">The image's height in pixels.</param>
    /// <param name="width">The image's width in pixels.</param>
    public static string Render(float[] grey, float[] attribution, int height, int width)
    {
        double pixel = Panel / Math.Max(height, width);
        double panelWidth = pixel * width;
        double panelHeight = pixel * height;
        double largest = 0;
        bool signed = false;
        foreach (float value in attribution)
        {
            largest = Math.Max(largest, Math.Abs(value));
            signed |= value < 0;
        }

        double scaleX = (2 * panelWidth) + (2 * Gap);
        double svgWidth = scaleX + ScaleWidth + 64;
        double svgHeight = Top + panelHeight + 8;
        var svg = new StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(svgWidth)}\" height=\"{N(svgHeight)}\" viewBox=\"0 0 {N(svgWidth)} {N(svgHeight)}\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\" shape-rendering=\"crispEdges\">\n");
        svg.Append($"<rect width=\"{N(svgWidth)}\" height=\"{N(svgHeight)}\" fill=\"#ffffff\"/>\n");
        svg.Append($"<text x=\"0\" y=\"14\">input</text><text x=\"{N(panelWidth + Gap)}\" y=\"14\">attribution over the input</text>\n");
        Image(svg, grey, height, width, pixel, 0);
        Image(svg, grey, height, width, pixel, panelWidth + Gap);

        svg.Append($"<g class=\"tn-attribution\" transform=\"translate({N(panelWidth + Gap)} {N(Top)})\">");
        for (int row = 0; row < height; row++)
        {
            for (int column = 0; column < width; column++)
            {
                float value = attribution[(row * width) + column];
                if (value == 0 || largest == 0)
                {
                    continue;
                }

                svg.Append($"<rect x=\"{N(column * pixel)}\" y=\"{N(row * pixel)}\" width=\"{N(pixel)}\" height=\"{N(pixel)}\" fill=\"{Rgb(SignColour(value))}\" fill-opacity=\"{N(Math.Abs(value) / largest * 0.85)}\" data-value=\"{Value(value)}\"/>");
            }
        }

        svg.Append("</g>\n");

        // The scale: from -largest (blue) through 0 (transparent over white) to +largest (red); only the upper half
        // when every attribution is at least zero, as saliency's absolute gradients are.
        const int Steps = 20;
        double low = signed ? -largest : 0;
        svg.Append($"<g class=\"tn-scale\" transform=\"translate({N(scaleX)} {N(Top)})\">");
        for (int step = 0; step < Steps; step++)
        {
            double value = largest - ((largest - low) * (step + 0.5) / Steps);
            double opacity = largest == 0 ? 0 : Math.Abs(value) / largest * 0.85;
            svg.Append($"<rect x=\"0\" y=\"{N(step * panelHeight / Steps)}\" width=\"{N(ScaleWidth)}\" height=\"{N((panelHeight / Steps) + 0.5)}\" fill=\"{Rgb(SignColour(value))}\" fill-opacity=\"{N(opacity)}\"/>");
        }

        svg.Append($"<rect x=\"0\" y=\"0\" width=\"{N(ScaleWidth)}\" height=\"{N(panelHeight)}\" fill=\"none\" stroke=\"#444444\"/>");
        svg.Append($"<text x=\"{N(ScaleWidth + 4)}\" y=\"10\">{Value(largest)}</text>");
        svg.Append($"<text x=\"{N(ScaleWidth + 4)}\" y=\"{N(panelHeight)}\">{Value(low)}</text>");
        svg.Append("</g>\n</svg>");
        return svg.ToString();
    }

    private static void Image(StringBuilder svg, float[] grey, int height, int width, double pixel, double x)
    {
        svg.Append($"<g class=\"tn-image\" transform=\"translate({N(x)} {N(Top)})\">");
        for (int row = 0; row < height; row++)
        {
            for (int column = 0; column < width; column++)
            {
                double level = grey[(row * width) + column] * 255;
                svg.Append($"<rect x=\"{N(column * pixel)}\" y=\"{N(row * pixel)}\" width=\"{N(pixel)}\" height=\"{N(pixel)}\" fill=\"{Rgb(level, level, level)}\"/>");
            }
        }

        svg.Append("</g>\n");
    }
}
