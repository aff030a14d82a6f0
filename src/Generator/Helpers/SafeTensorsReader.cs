using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using TypedNets.Generator.Model;

namespace TypedNets.Generator.Helpers;

/// <summary>
/// Reads a base64-encoded safetensors file at build time, as strictly as the runtime's <c>SafeTensors.Load</c> reads
/// the binary one: an 8-byte little-endian header length, a UTF-8 JSON header
/// <c>{"__metadata__": {...}, "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}</c>, then a
/// data buffer that the tensors tile exactly. What is checked here is the file alone; matching its tensors with a
/// network's is the embedded-weights check's job.
/// </summary>
internal static class SafeTensorsReader
{
    private const int MaxRank = 64;

    // Element sizes of the dtypes the safetensors format defines, so that a tensor's byte range can be checked
    // whatever its type (only F32 can be embedded; the check says so by name).
    private static readonly Dictionary<string, int> ElementSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

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
            return Failed(path, exception.Message);
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
        if (declared < 2)
        {
            throw new FormatException($"the header length field says {Invariant(declared)} bytes, but the smallest header, '{{}}', takes 2");
        }

        if (declared > (ulong)following)
        {
            throw new FormatException($"the header length field says {Invariant(declared)} bytes, but only {Invariant(following)} bytes follow it");
        }

        int headerLength = (int)declared;
        string header;
        try
        {
            header = StrictUtf8.GetString(file, 8, headerLength);
        }
        catch (ArgumentException)
        {
            throw new FormatException("the header is not valid UTF-8 text, so it cannot be the JSON a safetensors header holds");
        }

        if (header[0] != '{')
        {
            throw new FormatException("the header does not start with '{'; a safetensors header is a JSON object, without leading whitespace or byte-order mark");
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
                    throw scanner.Error($"the header lists '{key}' twice");
                }

                scanner.Expect(':', "a colon");
                if (key == "__metadata__")
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

        CheckTiling(tensors, bufferLength);
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
                throw scanner.Error($"__metadata__ lists '{key}' twice");
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
        List<long>? shape = null;
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
                        throw scanner.Error($"tensor '{name}' has '{field}' twice");
                    default:
                        throw scanner.Error($"tensor '{name}' has a field '{field}'; a tensor entry has only dtype, shape and data_offsets");
                }
            }
            while (scanner.TryConsume(','));

            scanner.Expect('}', $"',' or the end of the entry of tensor '{name}'");
        }

        string? missing = dtype is null ? "dtype" : shape is null ? "shape" : offsets is null ? "data_offsets" : null;
        if (missing is not null)
        {
            throw scanner.Error($"tensor '{name}' has no {missing}");
        }

        (ulong first, ulong last) = offsets!.Value;
        if (first > last || last > (ulong)bufferLength)
        {
            throw new FormatException(
                $"tensor '{name}' has data_offsets [{Invariant(first)}, {Invariant(last)}], but they must satisfy begin <= end <= {Invariant(bufferLength)}, the length of the data buffer");
        }

        long elements = 1;
        foreach (long dimension in shape!)
        {
            // Bounded by the buffer's length long before it could overflow, unless a dimension is 0.
            elements = dimension == 0 || elements == 0 ? 0 : elements > long.MaxValue / dimension ? long.MaxValue : elements * dimension;
        }

        long length = (long)(last - first);
        if (ElementSizes.TryGetValue(dtype!, out int size) && (elements > long.MaxValue / size || elements * size != length))
        {
            throw new FormatException(
                $"tensor '{name}' is {dtype} {Format(shape)}, {(elements > long.MaxValue / size ? "more bytes than a file can hold" : Invariant(elements * size) + " bytes")}, " +
                $"but its data_offsets [{Invariant(first)}, {Invariant(last)}] span {Invariant(length)}");
        }

        return new WeightsTensor(name, dtype!, shape.ToEquatableArray(), (long)first, (long)last);
    }

    private static List<long> ReadShape(JsonScanner scanner, string name)
    {
        var shape = new List<long>();
        scanner.Expect('[', $"the shape of tensor '{name}', an array");
        if (scanner.TryConsume(']'))
        {
            return shape;
        }

        do
        {
            ulong dimension = scanner.ReadUnsigned($"a dimension of tensor '{name}'");
            if (dimension > long.MaxValue || shape.Count == MaxRank)
            {
                throw scanner.Error(dimension > long.MaxValue
                    ? $"a dimension of tensor '{name}' is {Invariant(dimension)}, too large for any file"
                    : $"tensor '{name}' has more than {Invariant(MaxRank)} dimensions");
            }

            shape.Add((long)dimension);
        }
        while (scanner.TryConsume(','));

        scanner.Expect(']', $"',' or the end of the shape of tensor '{name}'");
        return shape;
    }

    /// <summary>Sorted by offset, the tensors must start at byte 0, follow one another without gap or overlap, and end where the buffer does.</summary>
    private static void CheckTiling(List<WeightsTensor> tensors, long bufferLength)
    {
        long position = 0;
        string previous = "the start of the data buffer";
        foreach (WeightsTensor tensor in tensors.OrderBy(tensor => tensor.Begin).ThenBy(tensor => tensor.End))
        {
            if (tensor.Begin != position)
            {
                throw new FormatException(tensor.Begin > position
                    ? $"tensor '{tensor.Name}' starts at byte {Invariant(tensor.Begin)}, but {previous} ends at byte {Invariant(position)}; tensors must follow one another without gaps"
                    : $"tensor '{tensor.Name}' starts at byte {Invariant(tensor.Begin)}, inside {previous}, which ends at byte {Invariant(position)}; tensors must not overlap");
            }

            position = tensor.End;
            previous = $"tensor '{tensor.Name}'";
        }

        if (position != bufferLength)
        {
            throw new FormatException($"the tensors cover {Invariant(position)} bytes of the data buffer, but it holds {Invariant(bufferLength)}; every byte after the header belongs to one tensor");
        }
    }

    /// <summary>A shape for messages, such as <c>[50, 10]</c>.</summary>
    public static string Format(IEnumerable<long> shape) => "[" + string.Join(", ", shape.Select(dimension => Invariant(dimension))) + "]";

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
