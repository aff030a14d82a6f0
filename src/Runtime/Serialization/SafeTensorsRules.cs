using System;
using System.Collections.Generic;
using System.Globalization;

namespace TypedNets.Serialization;

/// <summary>
/// The safetensors format's rules, each with the sentence that says how a file breaks it: the header's length and
/// first byte, the dtypes and their sizes, a tensor entry's fields, rank and byte range, and the tiling of the data
/// buffer. The runtime's reader (<see cref="SafeTensorsHeaderReader"/>) and the source generator's build-time reader of
/// embedded weights both compile this one file, so a file is held to one definition and described in the same words
/// wherever it is read.
/// </summary>
/// <remarks>
/// Only the rules are shared, not the JSON tokenizer: the runtime reads the header with <c>System.Text.Json</c>'s
/// <c>Utf8JsonReader</c>, which an analyzer cannot load in every compiler host, so the generator scans the text itself.
/// The file therefore targets netstandard2.0 as well as the runtime's framework: no spans in interpolations, no ranges.
/// Sentences end with a period and start upper case; a caller that embeds one in a longer message adjusts both.
/// </remarks>
internal static class SafeTensorsRules
{
    /// <summary>The key of the optional string-to-string metadata object.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The most dimensions a tensor may have; PyTorch's own limit is far below it.</summary>
    public const int MaxRank = 64;

    /// <summary>The largest header a file may declare, as the reference implementation limits it.</summary>
    public const int MaxHeaderLength = 100_000_000;

    private const int NameDisplayLength = 100;

    /// <summary>The size in bytes of one element of each whole-byte dtype the format defines.</summary>
    private static readonly Dictionary<string, int> ElementSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1, ["F8_E8M0"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8, ["C64"] = 8,
    };

    /// <summary>The dtypes of fewer than 8 bits, packed several to a byte.</summary>
    private static readonly HashSet<string> PackedDtypes = new(StringComparer.Ordinal) { "F6_E2M3", "F6_E3M2", "F4" };

    /// <summary>Whether <paramref name="dtype"/> is one of the format's dtype names (upper case, as files write them).</summary>
    public static bool IsDtype(string dtype) => ElementSizes.ContainsKey(dtype) || PackedDtypes.Contains(dtype);

    /// <summary>The size in bytes of one element of <paramref name="dtype"/>, or 0 when it is not a whole-byte dtype of the format.</summary>
    public static int ElementSize(string dtype) => ElementSizes.TryGetValue(dtype, out int size) ? size : 0;

    /// <summary>Why the 8-byte header length field <paramref name="declared"/> cannot stand before <paramref name="following"/> bytes (unknown when null), or null.</summary>
    public static string? HeaderLengthProblem(ulong declared, long? following)
    {
        if (declared < 2)
        {
            return $"The header length field says {Invariant(declared)} bytes, but the smallest header, '{{}}', takes 2; the file is corrupted or not a safetensors file.";
        }

        if (declared > MaxHeaderLength)
        {
            return $"The header length field says {Invariant(declared)} bytes, more than the {Invariant(MaxHeaderLength)} bytes a safetensors header may take; " +
                "the file is corrupted or not a safetensors file (its first 8 bytes must be the header's length, little-endian).";
        }

        if (following is long available && declared > (ulong)Math.Max(0, available))
        {
            return $"The header length field says {Invariant(declared)} bytes, but only {Invariant(available)} bytes follow it; the file is truncated or not a safetensors file.";
        }

        return null;
    }

    /// <summary>The sentence for a header that is not UTF-8.</summary>
    public const string NotUtf8 = "The header is not valid UTF-8 text, so it cannot be the JSON a safetensors header holds; the file is corrupted or not a safetensors file.";

    /// <summary>Why a header cannot start with <paramref name="first"/>, or null when it is the '{' it must start with.</summary>
    public static string? FirstByteProblem(byte first)
        => first == (byte)'{'
            ? null
            : $"The header starts with {DescribeByte(first)}, but a safetensors header is a JSON object that starts with '{{' (no leading whitespace or byte-order mark); " +
              "the file is corrupted or not a safetensors file.";

    /// <summary>The sentence for a tensor name or metadata key that appears twice.</summary>
    public static string KeyTwice(string key)
        => key == MetadataKey
            ? $"The header has key {MetadataKey} twice; it may appear once."
            : $"The header has key {Quote(key)} twice; each tensor may appear once.";

    /// <summary>The sentence for a metadata key that appears twice.</summary>
    public static string MetadataKeyTwice(string key) => $"{MetadataKey} has key {Quote(key)} twice; each key may appear once.";

    /// <summary>The sentence for a field a tensor entry repeats.</summary>
    public static string FieldTwice(string tensor, string field) => $"Tensor {Quote(tensor)} has field {field} twice; each field may appear once.";

    /// <summary>The sentence for a field a tensor entry may not hold.</summary>
    public static string UnknownField(string tensor, string field)
        => $"Tensor {Quote(tensor)} has a field {Quote(field)}, but a tensor entry holds only dtype, shape and data_offsets.";

    /// <summary>The sentence for a field a tensor entry lacks.</summary>
    public static string MissingField(string tensor, string field)
        => $"Tensor {Quote(tensor)} has no {field}; each tensor entry needs dtype, shape and data_offsets.";

    /// <summary>The sentence for a shape of more than <see cref="MaxRank"/> dimensions.</summary>
    public static string TooManyDimensions(string tensor)
        => $"Tensor {Quote(tensor)} has a shape of more than {MaxRank} dimensions; TypedNets reads at most {MaxRank}, and its own tensors have 1 or 2.";

    /// <summary>The sentence for a dtype name the format does not define.</summary>
    public static string UnknownDtype(string tensor, string dtype, string readable)
        => $"Tensor {Quote(tensor)} has dtype {Quote(dtype)}, which is not a safetensors dtype; TypedNets loads {readable} (upper case).";

    /// <summary>
    /// Why a tensor's entry cannot describe its bytes, or null when it does: the element count of
    /// <paramref name="shape"/> times <paramref name="elementSize"/> (0 for a dtype whose size is not checked) must be
    /// the length of <paramref name="begin"/>..<paramref name="end"/>, which lies in the data buffer of
    /// <paramref name="bufferLength"/> bytes (null when not yet known) and within a stream's positions.
    /// </summary>
    public static string? EntryProblem(string tensor, string dtype, int elementSize, ulong[] shape, ulong begin, ulong end, long? bufferLength)
    {
        ulong count = 1;
        foreach (ulong dimension in shape)
        {
            // A zero dimension makes the tensor empty however large the others are.
            if (dimension == 0)
            {
                count = 0;
                break;
            }
        }

        for (int i = 0; i < shape.Length && count != 0; i++)
        {
            if (count > ulong.MaxValue / shape[i])
            {
                return $"Tensor {Quote(tensor)} has shape {Format(shape)}, whose element count overflows 64 bits; the shape is corrupted.";
            }

            count *= shape[i];
        }

        if (elementSize > 0 && count > ulong.MaxValue / (ulong)elementSize)
        {
            return $"Tensor {Quote(tensor)} of shape {Format(shape)} would take more than 2^64 bytes; the shape is corrupted.";
        }

        if (begin > end)
        {
            return $"Tensor {Quote(tensor)} has data_offsets [{Invariant(begin)}, {Invariant(end)}], which begin after they end; begin must be at most end.";
        }

        if (bufferLength is long length && end > (ulong)length)
        {
            return $"Tensor {Quote(tensor)} has data_offsets [{Invariant(begin)}, {Invariant(end)}], which end past the {Invariant(length)}-byte data buffer; " +
                "the file is truncated or its header is corrupted.";
        }

        ulong bytes = count * (ulong)elementSize;
        if (elementSize > 0 && end - begin != bytes)
        {
            return $"Tensor {Quote(tensor)} has data_offsets [{Invariant(begin)}, {Invariant(end)}], {Invariant(end - begin)} bytes, " +
                $"but shape {Format(shape)} of {dtype} takes {Invariant(count)} x {Invariant(elementSize)} = {Invariant(bytes)} bytes; the offsets, the shape and the dtype must agree.";
        }

        // Checked against the buffer's length where it is known; without it (a stream that cannot seek) the offsets
        // must still fit a stream's position.
        if (end > long.MaxValue)
        {
            return $"Tensor {Quote(tensor)} has data_offsets [{Invariant(begin)}, {Invariant(end)}], which end past the largest file a stream can hold.";
        }

        return null;
    }

    /// <summary>
    /// Sorts <paramref name="entries"/> by where their bytes lie, (begin, end), and returns why they do not tile the
    /// data buffer, or null: they must start at byte 0, follow one another without gaps or overlaps, and end where the
    /// buffer of <paramref name="bufferLength"/> bytes does (when known).
    /// </summary>
    /// <param name="entries">The tensor entries; sorted in place.</param>
    /// <param name="extentOf">Each entry's name and byte range.</param>
    /// <param name="bufferLength">The length of the data buffer, or null when the tensors' extent defines it.</param>
    /// <param name="tensor">The tensor the problem is at, or null for the buffer as a whole.</param>
    /// <param name="extent">Where the last tensor ends.</param>
    public static string? TilingProblem<T>(List<T> entries, Func<T, TensorExtent> extentOf, long? bufferLength, out string? tensor, out long extent)
    {
        // Sorted by (begin, end), so an empty tensor sits before a non-empty one that starts at the same byte.
        entries.Sort((a, b) =>
        {
            TensorExtent x = extentOf(a), y = extentOf(b);
            return x.Begin != y.Begin ? x.Begin.CompareTo(y.Begin) : x.End.CompareTo(y.End);
        });
        extent = 0;
        string? previous = null;
        foreach (T item in entries)
        {
            TensorExtent entry = extentOf(item);
            if (entry.Begin != extent)
            {
                string after = previous is null
                    ? "the data buffer starts at byte 0"
                    : $"the tensor before it, {Quote(previous)}, ends at byte {Invariant(extent)}";
                string fault = entry.Begin > extent ? $"leaving {Invariant(entry.Begin - extent)} bytes that belong to no tensor" : "overlapping it";
                tensor = entry.Name;
                return $"Tensor {Quote(entry.Name)} starts at byte {Invariant(entry.Begin)}, but {after}, {fault}; tensors must follow one another without gaps or overlaps.";
            }

            extent = entry.End;
            previous = entry.Name;
        }

        tensor = null;
        if (bufferLength is long length && extent != length)
        {
            return $"The tensors cover {Invariant(extent)} bytes, but the data buffer after the header is {Invariant(length)} bytes; " +
                $"the last {Invariant(length - extent)} bytes belong to no tensor (a safetensors file ends where its last tensor does).";
        }

        return null;
    }

    /// <summary>A tensor name in quotes, shortened when it is long enough to drown the message.</summary>
    public static string Quote(string name)
        => name.Length <= NameDisplayLength
            ? $"'{name}'"
            : $"'{name.Substring(0, NameDisplayLength)}...' ({Invariant(name.Length)} characters)";

    /// <summary>A shape for messages, such as <c>[5, 4]</c>.</summary>
    public static string Format(IEnumerable<ulong> shape)
    {
        var parts = new List<string>();
        foreach (ulong dimension in shape)
        {
            parts.Add(Invariant(dimension));
        }

        return "[" + string.Join(", ", parts) + "]";
    }

    private static string DescribeByte(byte value)
        => value is >= 0x20 and < 0x7F ? $"'{(char)value}'" : $"byte 0x{value.ToString("X2", CultureInfo.InvariantCulture)}";

    private static string Invariant(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Where one tensor's bytes lie in the data buffer.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="Begin">The first byte, relative to the start of the data buffer.</param>
/// <param name="End">One past the last byte.</param>
internal readonly record struct TensorExtent(string Name, long Begin, long End);
