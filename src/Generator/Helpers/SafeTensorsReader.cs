using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using TypedNets.Generator.Model;
using TypedNets.Serialization;

namespace TypedNets.Generator.Helpers;

/// <summary>
/// Reads a base64-encoded safetensors file at build time, as strictly as the runtime's <c>SafeTensors.Load</c> reads
/// the binary one: an 8-byte little-endian header length, a UTF-8 JSON header
/// <c>{"__metadata__": {...}, "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}</c>, then a
/// data buffer that the tensors tile exactly. What is checked here is the file alone; matching its tensors with a
/// network's is the embedded-weights check's job.
/// </summary>
/// <remarks>
/// The format's rules and their sentences are the runtime's (<see cref="SafeTensorsRules"/>, compiled into the
/// generator from the runtime's source), so a file the generator accepts is one the runtime accepts and a broken one
/// is described in the same words; only the JSON tokenizer (<see cref="JsonScanner"/>) is the generator's own. Every
/// dtype's byte range is checked, though only F32 can be embedded (the embedded-weights check says so by name).
/// </remarks>
internal static class SafeTensorsReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes and reads <paramref name="text"/>; never throws.</summary>
    public static WeightsFile Read(string path, string text)
    {
        string? problem = Base64Text.TryDecode(text, out byte[]? bytes);
        if (problem is not null)
        {
            return Failed(path, problem);
        }

        try
        {
            return Parse(path, bytes!);
        }
        catch (FormatException exception)
        {
            return Failed(path, Fragment(exception.Message));
        }
    }

    private static WeightsFile Failed(string path, string problem) => new(path, problem, EquatableArray<WeightsTensor>.Empty, EquatableArray<byte>.Empty);

    private static WeightsFile Parse(string path, byte[] file)
    {
        if (file.Length < 8)
        {
            throw new FormatException($"it decodes to {Invariant(file.Length)} bytes, fewer than the 8 of a safetensors file's header length field");
        }

        ulong declared = 0;
        for (int i = 7; i >= 0; i--)
        {
            declared = (declared << 8) | file[i];
        }

        long following = file.Length - 8;
        if (SafeTensorsRules.HeaderLengthProblem(declared, following) is string lengthProblem)
        {
            throw new FormatException(lengthProblem);
        }

        int headerLength = (int)declared;
        string header;
        try
        {
            header = StrictUtf8.GetString(file, 8, headerLength);
        }
        catch (ArgumentException)
        {
            throw new FormatException(SafeTensorsRules.NotUtf8);
        }

        if (SafeTensorsRules.FirstByteProblem(file[8]) is string firstByte)
        {
            throw new FormatException(firstByte);
        }

        long bufferLength = following - headerLength;
        var tensors = new List<WeightsTensor>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var scanner = new JsonScanner(header);
        scanner.Expect('{', "the header object");
        if (!scanner.TryConsume('}'))
        {
            do
            {
                string key = scanner.ReadString("a tensor name");
                if (!keys.Add(key))
                {
                    throw new FormatException(SafeTensorsRules.KeyTwice(key));
                }

                scanner.Expect(':', "a colon");
                if (key == SafeTensorsRules.MetadataKey)
                {
                    ReadMetadata(scanner);
                }
                else
                {
                    tensors.Add(ReadTensor(scanner, key, bufferLength));
                }
            }
            while (scanner.TryConsume(','));

            scanner.Expect('}', "',' or the end of the header object");
        }

        if (!scanner.AtEnd())
        {
            throw scanner.Error($"the header goes on after its object with {scanner.Describe()}; only spaces may pad it");
        }

        if (SafeTensorsRules.TilingProblem(tensors, static tensor => new TensorExtent(tensor.Name, tensor.Begin, tensor.End), bufferLength, out _, out _) is string tiling)
        {
            throw new FormatException(tiling);
        }

        var buffer = new byte[bufferLength];
        Array.Copy(file, 8 + headerLength, buffer, 0, bufferLength);
        return new WeightsFile(path, null, tensors.ToEquatableArray(), buffer.ToEquatableArray());
    }

    private static void ReadMetadata(JsonScanner scanner)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        scanner.Expect('{', "the __metadata__ object");
        if (scanner.TryConsume('}'))
        {
            return;
        }

        do
        {
            string key = scanner.ReadString("a __metadata__ key");
            if (!keys.Add(key))
            {
                throw new FormatException(SafeTensorsRules.MetadataKeyTwice(key));
            }

            scanner.Expect(':', "a colon");
            scanner.ReadString($"the value of __metadata__ '{key}'");
        }
        while (scanner.TryConsume(','));

        scanner.Expect('}', "',' or the end of __metadata__");
    }

    private static WeightsTensor ReadTensor(JsonScanner scanner, string name, long bufferLength)
    {
        string? dtype = null;
        List<ulong>? shape = null;
        (ulong Begin, ulong End)? offsets = null;
        scanner.Expect('{', $"the entry of tensor '{name}'");
        if (!scanner.TryConsume('}'))
        {
            do
            {
                string field = scanner.ReadString($"a field of tensor '{name}'");
                scanner.Expect(':', "a colon");
                switch (field)
                {
                    case "dtype" when dtype is null:
                        dtype = scanner.ReadString($"the dtype of tensor '{name}'");
                        break;
                    case "shape" when shape is null:
                        shape = ReadShape(scanner, name);
                        break;
                    case "data_offsets" when offsets is null:
                        scanner.Expect('[', $"the data_offsets of tensor '{name}', [begin, end]");
                        ulong begin = scanner.ReadUnsigned($"the first data offset of tensor '{name}'");
                        scanner.Expect(',', $"a second data offset of tensor '{name}'");
                        ulong end = scanner.ReadUnsigned($"the second data offset of tensor '{name}'");
                        scanner.Expect(']', $"the end of the data_offsets of tensor '{name}', which hold two numbers");
                        offsets = (begin, end);
                        break;
                    case "dtype" or "shape" or "data_offsets":
                        throw new FormatException(SafeTensorsRules.FieldTwice(name, field));
                    default:
                        throw new FormatException(SafeTensorsRules.UnknownField(name, field));
                }
            }
            while (scanner.TryConsume(','));

            scanner.Expect('}', $"',' or the end of the entry of tensor '{name}'");
        }

        string? missing = dtype is null ? "dtype" : shape is null ? "shape" : offsets is null ? "data_offsets" : null;
        if (missing is not null)
        {
            throw new FormatException(SafeTensorsRules.MissingField(name, missing));
        }

        if (!SafeTensorsRules.IsDtype(dtype!))
        {
            throw new FormatException(SafeTensorsRules.UnknownDtype(name, dtype!, "F32"));
        }

        (ulong first, ulong last) = offsets!.Value;
        if (SafeTensorsRules.EntryProblem(name, dtype!, SafeTensorsRules.ElementSize(dtype!), shape!.ToArray(), first, last, bufferLength) is string problem)
        {
            throw new FormatException(problem);
        }

        return new WeightsTensor(name, dtype!, shape.Select(dimension => (long)dimension).ToEquatableArray(), (long)first, (long)last);
    }

    private static List<ulong> ReadShape(JsonScanner scanner, string name)
    {
        var shape = new List<ulong>();
        scanner.Expect('[', $"the shape of tensor '{name}', an array");
        if (scanner.TryConsume(']'))
        {
            return shape;
        }

        do
        {
            if (shape.Count == SafeTensorsRules.MaxRank)
            {
                throw new FormatException(SafeTensorsRules.TooManyDimensions(name));
            }

            shape.Add(scanner.ReadUnsigned($"a dimension of tensor '{name}'"));
        }
        while (scanner.TryConsume(','));

        scanner.Expect(']', $"',' or the end of the shape of tensor '{name}'");
        return shape;
    }

    /// <summary>A sentence of the rules as a clause of TN0030's message: lower case first, no final period.</summary>
    private static string Fragment(string sentence)
    {
        string clause = sentence.EndsWith(".", StringComparison.Ordinal) ? sentence.Substring(0, sentence.Length - 1) : sentence;
        return clause.Length > 0 && char.IsUpper(clause[0]) && !clause.StartsWith("TypedNets", StringComparison.Ordinal)
            ? char.ToLowerInvariant(clause[0]) + clause.Substring(1)
            : clause;
    }

    /// <summary>A shape for messages, such as <c>[50, 10]</c>, written as the runtime writes shapes.</summary>
    public static string Format(IEnumerable<long> shape) => SafeTensorsRules.Format(shape.Select(dimension => (ulong)dimension));

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
