using System.Text;
using TypedNets.Generator.Helpers;

namespace TypedNets.Generator.Model;

internal static class ShapeMath
{
    public static int Size(EquatableArray<int> shape)
    {
        int size = 1;
        foreach (int dimension in shape)
        {
            size *= dimension;
        }

        return size;
    }

    /// <summary>Formats a shape as messages show it: <c>[28, 28]</c>.</summary>
    public static string Format(EquatableArray<int> shape)
    {
        var text = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0)
            {
                text.Append(", ");
            }

            text.Append(shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return text.Append(']').ToString();
    }
}
