using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Server;

/// <summary>
/// Says where a body failed to parse and what was expected there, from the JSON path System.Text.Json reports
/// (<c>$.batch[3][2]</c>) and a table of each field's shape: the exception's own message names .NET types, not fields.
/// </summary>
internal static partial class BodyErrors
{
    public static string Describe(JsonException exception, IReadOnlyDictionary<string, string> shapes)
    {
        string path = exception.Path ?? "$";
        string field = path.StartsWith("$.", System.StringComparison.Ordinal) ? path[2..] : path == "$" ? "" : path;
        string where = string.Create(CultureInfo.InvariantCulture, $"At {path} (line {exception.LineNumber + 1}, byte {exception.BytePositionInLine + 1})");
        if (field.Length == 0)
        {
            return $"{where}: the body must be one JSON object.";
        }

        // batch[3][2] has the shape of batch[][].
        if (shapes.TryGetValue(Index().Replace(field, "[]"), out string? shape))
        {
            return $"{where}: {field} must be {shape}.";
        }

        string name = field.Split('[')[0];
        return shapes.ContainsKey(name)
            ? $"{where}: {field} is not what {name} holds."
            : $"{where}: '{name}' is not a field of this request.";
    }

    [GeneratedRegex(@"\[\d+\]")]
    private static partial Regex Index();
}
