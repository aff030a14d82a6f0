using System;
using System.Globalization;
using System.Text;

namespace TypedNets.Reporting;

/// <summary>Escaping and number formatting shared by the HTML and the SVG the report writes.</summary>
internal static class Markup
{
    /// <summary>
    /// Escapes text for an HTML or SVG element's content or a quoted attribute value. The five XML entities cover both,
    /// since the inline SVG is parsed by the HTML parser in a browser and as XML by tools that read the charts.
    /// </summary>
    public static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            _ = c switch
            {
                '&' => escaped.Append("&amp;"),
                '<' => escaped.Append("&lt;"),
                '>' => escaped.Append("&gt;"),
                '"' => escaped.Append("&quot;"),
                '\'' => escaped.Append("&#39;"),
                // Control characters other than tab and newlines are not allowed in XML 1.0; a token of raw bytes
                // (a byte-level vocabulary) may hold them, so they are shown as their code instead.
                < ' ' and not ('\t' or '\n' or '\r') => escaped.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}"),
                _ => escaped.Append(c),
            };
        }

        return escaped.ToString();
    }

    /// <summary>A coordinate with at most two decimals, invariant culture (SVG wants a dot).</summary>
    public static string N(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>A value for a tooltip or a cell: four significant digits, invariant culture.</summary>
    public static string Value(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>The colour of an attribution that raises the output (red), in every chart and in token highlighting.</summary>
    public static readonly (int R, int G, int B) Raises = (214, 39, 40);

    /// <summary>The colour of an attribution that lowers the output (blue).</summary>
    public static readonly (int R, int G, int B) Lowers = (31, 119, 180);

    /// <summary><see cref="Raises"/> for a value of at least zero, <see cref="Lowers"/> below it.</summary>
    public static (int R, int G, int B) SignColour(double value) => value >= 0 ? Raises : Lowers;

    /// <summary>An RGB colour as <c>#rrggbb</c>.</summary>
    public static string Rgb((int R, int G, int B) colour) => Rgb(colour.R, colour.G, colour.B);

    /// <summary>An RGB colour as <c>#rrggbb</c>.</summary>
    public static string Rgb(double red, double green, double blue) => string.Create(CultureInfo.InvariantCulture,
        $"#{Channel(red):x2}{Channel(green):x2}{Channel(blue):x2}");

    /// <summary>Mixes two colours given as 0-255 triples: <paramref name="amount"/> 0 gives the first, 1 the second.</summary>
    public static string Mix((int R, int G, int B) from, (int R, int G, int B) to, double amount)
    {
        double t = Math.Clamp(amount, 0, 1);
        return Rgb(from.R + ((to.R - from.R) * t), from.G + ((to.G - from.G) * t), from.B + ((to.B - from.B) * t));
    }

    private static int Channel(double value) => (int)Math.Round(Math.Clamp(value, 0, 255));
}
