using System;
using System.Globalization;
using System.Text;

namespace TypedNets.Generator.Helpers;

/// <summary>
/// Reads JSON token by token, strictly (RFC 8259: no comments, trailing commas, single quotes or lone surrogates),
/// for the one grammar it serves, a safetensors header. The generator targets netstandard2.0 and takes no package
/// beyond Roslyn, so it cannot use System.Text.Json; the header's grammar is small enough that a caller-driven scanner
/// needs no document and no recursion.
/// </summary>
internal sealed class JsonScanner(string text)
{
    private int _position;

    /// <summary>The offset of the next character, for messages.</summary>
    public int Position => _position;

    /// <summary>Skips whitespace and returns the next character, or '\0' at the end.</summary>
    public char Peek()
    {
        SkipWhitespace();
        return _position < text.Length ? text[_position] : '\0';
    }

    /// <summary>Consumes <paramref name="expected"/> after any whitespace, or throws.</summary>
    public void Expect(char expected, string what)
    {
        char next = Peek();
        if (next != expected)
        {
            throw Error($"expected {what} ('{expected}') but found {Describe()}");
        }

        _position++;
    }

    /// <summary>Consumes the next character if it is <paramref name="candidate"/>.</summary>
    public bool TryConsume(char candidate)
    {
        if (Peek() != candidate)
        {
            return false;
        }

        _position++;
        return true;
    }

    /// <summary>Whether only whitespace is left.</summary>
    public bool AtEnd()
    {
        SkipWhitespace();
        return _position >= text.Length;
    }

    /// <summary>Reads a string literal, decoding its escapes.</summary>
    public string ReadString(string what)
    {
        if (Peek() != '"')
        {
            throw Error($"expected {what} (a string) but found {Describe()}");
        }

        int start = _position++;
        var value = new StringBuilder();
        while (true)
        {
            if (_position >= text.Length)
            {
                throw Error($"the string that starts at character {(start + 1).ToString(CultureInfo.InvariantCulture)} is never closed");
            }

            char c = text[_position++];
            if (c == '"')
            {
                return value.ToString();
            }

            if (c < ' ')
            {
                throw Error("a string holds a control character; JSON needs it escaped");
            }

            if (char.IsSurrogate(c))
            {
                // A surrogate that comes straight from the UTF-8 text is always half of a valid pair.
                value.Append(c);
                continue;
            }

            if (c != '\\')
            {
                value.Append(c);
                continue;
            }

            char escape = _position < text.Length ? text[_position++] : '\0';
            switch (escape)
            {
                case '"' or '\\' or '/':
                    value.Append(escape);
                    break;
                case 'b':
                    value.Append('\b');
                    break;
                case 'f':
                    value.Append('\f');
                    break;
                case 'n':
                    value.Append('\n');
                    break;
                case 'r':
                    value.Append('\r');
                    break;
                case 't':
                    value.Append('\t');
                    break;
                case 'u':
                    char unit = ReadHex();
                    if (char.IsHighSurrogate(unit) && _position + 1 < text.Length && text[_position] == '\\' && text[_position + 1] == 'u')
                    {
                        _position += 2;
                        char low = ReadHex();
                        if (!char.IsLowSurrogate(low))
                        {
                            throw Error("a \\u escape holds a lone surrogate, which is not text");
                        }

                        value.Append(unit).Append(low);
                    }
                    else if (char.IsSurrogate(unit))
                    {
                        throw Error("a \\u escape holds a lone surrogate, which is not text");
                    }
                    else
                    {
                        value.Append(unit);
                    }

                    break;
                default:
                    throw Error("a string holds an unknown escape '\\" + escape + "'");
            }
        }
    }

    /// <summary>Reads a non-negative integer written as plain digits (no sign, fraction, exponent or leading zero).</summary>
    public ulong ReadUnsigned(string what)
    {
        char first = Peek();
        if (first is < '0' or > '9')
        {
            throw Error($"expected {what} (a non-negative integer) but found {Describe()}");
        }

        int start = _position;
        ulong value = 0;
        while (_position < text.Length && text[_position] is >= '0' and <= '9')
        {
            ulong digit = (ulong)(text[_position] - '0');
            if (value > (ulong.MaxValue - digit) / 10)
            {
                throw Error($"{what} {text.Substring(start, Math.Min(30, text.Length - start))}... does not fit in 64 bits");
            }

            value = (value * 10) + digit;
            _position++;
        }

        if (_position - start > 1 && text[start] == '0')
        {
            throw Error($"{what} {text.Substring(start, _position - start)} has a leading zero, which JSON does not allow");
        }

        if (_position < text.Length && text[_position] is '.' or 'e' or 'E')
        {
            throw Error($"{what} must be a whole number written as plain digits, without fraction or exponent");
        }

        return value;
    }

    /// <summary>The exception for a fault at the current position; the caller turns it into a diagnostic.</summary>
    public FormatException Error(string message) => new($"{message}, at character {(_position + 1).ToString(CultureInfo.InvariantCulture)} of the header");

    /// <summary>The next token, as messages show it.</summary>
    public string Describe()
    {
        char next = Peek();
        if (_position >= text.Length)
        {
            return "the end of the header";
        }

        return next switch
        {
            '"' => "a string",
            '{' => "an object",
            '[' => "an array",
            't' or 'f' => "a boolean",
            'n' => "null",
            '-' or (>= '0' and <= '9') => "a number",
            >= ' ' and <= '~' => $"'{next}'",
            _ => $"U+{((int)next).ToString("X4", CultureInfo.InvariantCulture)}",
        };
    }

    private char ReadHex()
    {
        if (_position + 4 > text.Length)
        {
            throw Error("a \\u escape is cut short");
        }

        int value = 0;
        for (int i = 0; i < 4; i++)
        {
            char c = text[_position++];
            int digit = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'f' => c - 'a' + 10,
                >= 'A' and <= 'F' => c - 'A' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                throw Error("a \\u escape holds a character that is not a hexadecimal digit");
            }

            value = (value * 16) + digit;
        }

        return (char)value;
    }

    private void SkipWhitespace()
    {
        while (_position < text.Length && text[_position] is ' ' or '\t' or '\n' or '\r')
        {
            _position++;
        }
    }
}
