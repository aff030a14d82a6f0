using System;
using System.Globalization;
using System.Text;

namespace TypedNets;

/// <summary>Text forms of values, invariant of culture so that output reads the same everywhere.</summary>
public static class Formatting
{
    /// <summary>Formats values as <c>[0.25, -1, 3.5]</c>, each with up to six significant digits.</summary>
    public static string Values(ReadOnlySpan<float> values)
    {
        var text = new StringBuilder("[");
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0)
            {
                text.Append(", ");
            }

            text.Append(values[i].ToString("G6", CultureInfo.InvariantCulture));
        }

        return text.Append(']').ToString();
    }

    /// <summary>Formats token ids as <c>[4, 0, 17]</c>.</summary>
    public static string Values(ReadOnlySpan<int> values)
    {
        var text = new StringBuilder("[");
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0)
            {
                text.Append(", ");
            }

            text.Append(values[i].ToString(CultureInfo.InvariantCulture));
        }

        return text.Append(']').ToString();
    }
}
