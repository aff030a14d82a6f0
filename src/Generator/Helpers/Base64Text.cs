using System.Globalization;

namespace TypedNets.Generator.Helpers;

/// <summary>
/// Decodes base64 text (RFC 4648, the standard alphabet) that may be broken into lines, as
/// <c>SafeTensors.SaveBase64</c> writes it. Unlike <c>Convert.FromBase64String</c>, a fault is reported with its line
/// and column, so that the diagnostic can say where the file is broken.
/// </summary>
internal static class Base64Text
{
    /// <summary>Decodes <paramref name="text"/>, skipping spaces, tabs and line ends.</summary>
    /// <param name="text">The text.</param>
    /// <param name="bytes">The decoded bytes, or <see langword="null"/> when the text is not base64.</param>
    /// <returns>Why the text is not base64, or <see langword="null"/> when it is.</returns>
    public static string? TryDecode(string text, out byte[]? bytes)
    {
        bytes = null;
        int symbols = 0;
        int padding = 0;
        int line = 1;
        int column = 0;
        (int Line, int Column) firstPadding = default;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            column++;
            if (c == '\n')
            {
                line++;
                column = 0;
                continue;
            }

            if (c is ' ' or '\t' or '\r')
            {
                continue;
            }

            if (c == '=')
            {
                if (padding == 0)
                {
                    firstPadding = (line, column);
                }

                padding++;
                symbols++;
                continue;
            }

            if (Value(c) < 0)
            {
                return $"line {Invariant(line)}, column {Invariant(column)} holds {Describe(c)}, which is not a base64 character (A-Z, a-z, 0-9, '+', '/', and '=' at the end)";
            }

            if (padding > 0)
            {
                return $"the '=' padding at line {Invariant(firstPadding.Line)}, column {Invariant(firstPadding.Column)} is followed by more base64 at line {Invariant(line)}, column {Invariant(column)}; padding only ends the text";
            }

            symbols++;
        }

        if (symbols == 0)
        {
            return "the file holds no base64 text";
        }

        if (symbols % 4 != 0)
        {
            return $"it holds {Invariant(symbols)} base64 characters, not a multiple of 4, so the text is cut short or has characters missing";
        }

        if (padding > 2)
        {
            return $"it ends in {Invariant(padding)} '=' characters, but base64 pads with at most 2";
        }

        byte[] output = new byte[(symbols / 4 * 3) - padding];
        int accumulator = 0;
        int pending = 0;
        int written = 0;
        foreach (char c in text)
        {
            int value = Value(c);
            if (value < 0)
            {
                continue;
            }

            accumulator = (accumulator << 6) | value;
            pending += 6;
            if (pending >= 8)
            {
                pending -= 8;
                if (written < output.Length)
                {
                    output[written++] = (byte)(accumulator >> pending);
                }

                accumulator &= (1 << pending) - 1;
            }
        }

        bytes = output;
        return null;
    }

    /// <summary>The 6-bit value of a base64 character, or -1 for anything else ('=' included).</summary>
    private static int Value(char c) => c switch
    {
        >= 'A' and <= 'Z' => c - 'A',
        >= 'a' and <= 'z' => c - 'a' + 26,
        >= '0' and <= '9' => c - '0' + 52,
        '+' => 62,
        '/' => 63,
        _ => -1,
    };

    private static string Describe(char c)
        => c is >= ' ' and <= '~' ? $"'{c}'" : $"U+{((int)c).ToString("X4", CultureInfo.InvariantCulture)}";

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
