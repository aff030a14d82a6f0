using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using System.Text.Json;
using System.Text.Unicode;

namespace TypedNets.Tests.Serialization;

/// <summary>
/// The safetensors rules of <see cref="TypedNets.Serialization.SafeTensors"/> restated as plainly as possible, through
/// <see cref="JsonDocument"/> and <see cref="BigInteger"/> rather than a hand-written reader and checked 64-bit
/// arithmetic, so that the fuzz test can tell, independently of the loader, whether a mutated file is still valid and
/// which parameters and buffers it holds.
/// </summary>
/// <remarks>
/// The rules: dtypes F32, F16, BF16 (floats), I64, and I8 and U8 (an int8 file's); an I64 tensor must be a scalar
/// (shape []) named <c>&lt;module&gt;.num_batches_tracked</c>, where, against a network, the module is one of its
/// BatchNorm layers (and then that name must be I64); against a network, the file's names are all its parameters and
/// buffers, with their shapes, as floats, plus any of those counters, and nothing else; and, against a network, every
/// float value is finite unless non-finite values are allowed. Against a network the oracle knows float files only
/// (the fuzz tests mutate float files, and no mutation makes a whole int8 file of one), so an I8 or U8 tensor makes a
/// file invalid there; int8 files are <see cref="Int8SafeTensorsTests"/>' to check.
/// </remarks>
internal static class SafeTensorsOracle
{
    private const int MaxHeader = 100_000_000;

    /// <summary>
    /// The network's state (<see cref="SafeTensorsTesting.State(INetwork)"/>: parameters, then buffers) after loading
    /// <paramref name="file"/> over <paramref name="current"/>, or <see langword="null"/> when the file is invalid for it. Without a network, an empty array when the file itself is valid; <paramref name="metadata"/> is then its
    /// <c>__metadata__</c>.
    /// </summary>
    public static float[]? Expect(byte[] file, INetwork? network, float[] current, out Dictionary<string, string> metadata, bool allowNonFinite = false)
    {
        metadata = [];
        if (file.Length < 8)
        {
            return null;
        }

        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (n < 2 || n > MaxHeader || n > (ulong)(file.Length - 8))
        {
            return null;
        }

        ReadOnlyMemory<byte> header = file.AsMemory(8, (int)n);
        long bufferLength = file.Length - 8 - (long)n;
        if (!Utf8.IsValid(header.Span) || header.Span[0] != (byte)'{')
        {
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException)
        {
            return null;
        }

        using (document)
        {
            try
            {
                return Check(document.RootElement, network, current, file.AsSpan(8 + (int)n), metadata, allowNonFinite);
            }
            catch (InvalidOperationException)
            {
                // A name or string with a lone surrogate escape cannot be read as text.
                return null;
            }
        }
    }

    private static float[]? Check(JsonElement root, INetwork? network, float[] current, ReadOnlySpan<byte> buffer, Dictionary<string, string> metadata, bool allowNonFinite)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        var entries = new List<(string Name, string Dtype, BigInteger[] Shape, BigInteger Begin, BigInteger End)>();
        foreach (JsonProperty property in root.EnumerateObject())
        {
            if (!keys.Add(property.Name))
            {
                return null;
            }

            if (property.Name == "__metadata__")
            {
                if (property.Value.ValueKind != JsonValueKind.Object)
                {
                    return null;
                }

                var metadataKeys = new HashSet<string>(StringComparer.Ordinal);
                foreach (JsonProperty pair in property.Value.EnumerateObject())
                {
                    if (!metadataKeys.Add(pair.Name) || pair.Value.ValueKind != JsonValueKind.String)
                    {
                        return null;
                    }

                    metadata[pair.Name] = pair.Value.GetString()!;
                }

                continue;
            }

            JsonElement entry = property.Value;
            if (entry.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            string[] fields = entry.EnumerateObject().Select(field => field.Name).ToArray();
            if (fields.Length != 3 || !fields.OrderBy(field => field, StringComparer.Ordinal).SequenceEqual(["data_offsets", "dtype", "shape"]))
            {
                return null;
            }

            JsonElement dtype = entry.GetProperty("dtype");
            JsonElement shape = entry.GetProperty("shape");
            JsonElement offsets = entry.GetProperty("data_offsets");
            if (dtype.ValueKind != JsonValueKind.String || dtype.GetString() is not ("F32" or "F16" or "BF16" or "I64" or "I8" or "U8")
                || shape.ValueKind != JsonValueKind.Array || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            {
                return null;
            }

            var dimensions = new List<BigInteger>();
            foreach (JsonElement dimension in shape.EnumerateArray())
            {
                if (!Integer(dimension, out BigInteger value))
                {
                    return null;
                }

                dimensions.Add(value);
            }

            if (!Integer(offsets[0], out BigInteger begin) || !Integer(offsets[1], out BigInteger end))
            {
                return null;
            }

            BigInteger count = dimensions.Aggregate(BigInteger.One, (product, dimension) => product * dimension);
            int size = dtype.GetString() switch { "F32" => 4, "I64" => 8, "I8" or "U8" => 1, _ => 2 };
            if (begin > end || end > buffer.Length || end - begin != count * size)
            {
                return null;
            }

            if (dtype.GetString() == "I64" && (dimensions.Count != 0 || !property.Name.EndsWith(".num_batches_tracked", StringComparison.Ordinal)))
            {
                return null;
            }

            entries.Add((property.Name, dtype.GetString()!, [.. dimensions], begin, end));
        }

        BigInteger covered = 0;
        foreach (var entry in entries.OrderBy(entry => entry.Begin).ThenBy(entry => entry.End))
        {
            if (entry.Begin != covered)
            {
                return null;
            }

            covered = entry.End;
        }

        if (covered != buffer.Length)
        {
            return null;
        }

        if (network is null)
        {
            return [];
        }

        var tensors = SafeTensorsTesting.StateTensors(network).ToDictionary(tensor => tensor.Name);
        var counters = SafeTensorsTesting.CounterNames(network).ToHashSet(StringComparer.Ordinal);
        var names = entries.Select(entry => entry.Name).ToHashSet(StringComparer.Ordinal);
        if (!tensors.Keys.All(names.Contains) || !names.All(name => tensors.ContainsKey(name) || counters.Contains(name)))
        {
            return null;
        }

        float[] expected = (float[])current.Clone();
        foreach (var entry in entries)
        {
            if (!tensors.TryGetValue(entry.Name, out NamedTensor? tensor))
            {
                // A counter: an I64 scalar (shape checked above), whose value goes nowhere.
                if (entry.Dtype != "I64")
                {
                    return null;
                }

                continue;
            }

            if (entry.Dtype is "I64" or "I8" or "U8" || !entry.Shape.SequenceEqual(tensor.Shape.Select(dimension => (BigInteger)dimension)))
            {
                return null;
            }

            ReadOnlySpan<byte> bytes = buffer[(int)entry.Begin..(int)entry.End];
            int offset = tensor.StateOffset(network);
            for (int i = 0; i < tensor.Length; i++)
            {
                float value = entry.Dtype switch
                {
                    "F32" => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..])),
                    "F16" => (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..])),
                    _ => SafeTensorsTesting.FromBFloat16Bits(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..])),
                };
                if (!allowNonFinite && !float.IsFinite(value))
                {
                    return null;
                }

                expected[offset + i] = value;
            }
        }

        return expected;
    }

    /// <summary>A JSON number written as a plain non-negative integer (digits only: no sign, fraction or exponent).</summary>
    private static bool Integer(JsonElement element, out BigInteger value)
    {
        value = default;
        if (element.ValueKind != JsonValueKind.Number)
        {
            return false;
        }

        string text = element.GetRawText();
        if (!text.All(char.IsAsciiDigit))
        {
            return false;
        }

        value = BigInteger.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        return true;
    }
}
