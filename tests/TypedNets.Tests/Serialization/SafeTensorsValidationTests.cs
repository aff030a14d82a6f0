using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;

namespace TypedNets.Tests.Serialization;

/// <summary>
/// One malformed file per validation rule: each is refused through every API with a
/// <see cref="SafeTensorsFormatException"/> whose message names the tensor, the value found and the value expected,
/// and the network keeps its parameters.
/// </summary>
public sealed class SafeTensorsValidationTests
{
    private static readonly INetwork Source = SafeTensorsTests.Trained(nameof(TinyMlp), 3);
    private static readonly byte[] Valid = SafeTensorsTesting.SaveToBytes(Source);
    private static readonly string Header = SafeTensorsTesting.Split(Valid).Header.TrimEnd(' ');
    private static readonly byte[] Data = SafeTensorsTesting.Split(Valid).Data;

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["empty file"] = new(() => [], null, "0 bytes long", "8-byte header length"),
        ["seven bytes"] = new(() => Valid[..7], null, "7 bytes long"),
        ["header length 0"] = new(() => WithLength(0), null, "says 0 bytes", "'{}', takes 2"),
        ["header length 1"] = new(() => WithLength(1), null, "says 1 bytes"),
        ["header length above the cap"] = new(() => WithLength(100_000_001), null, "says 100000001 bytes", "more than the 100000000 bytes"),
        ["header length 2^63"] = new(() => WithLength(1UL << 63), null, "says 9223372036854775808 bytes", "more than the 100000000"),
        ["header length 2^64-1"] = new(() => WithLength(ulong.MaxValue), null, "says 18446744073709551615 bytes"),
        ["header longer than the file"] = new(() => WithLength((ulong)Valid.Length - 7), null, $"says {Valid.Length - 7} bytes", $"only {Valid.Length - 8} bytes follow it", "truncated"),
        ["invalid UTF-8"] = new(() => Bytes(Encoding.UTF8.GetBytes(Header).Select((b, i) => i == 3 ? (byte)0xFF : b).ToArray()), null, "not valid UTF-8"),
        ["byte-order mark"] = new(() => Bytes([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Header)]), null, "starts with byte 0xEF", "starts with '{'"),
        ["leading space"] = new(() => Text(" " + Header), null, "starts with ' '"),
        ["array header"] = new(() => Text("[]"), null, "starts with '['"),
        ["not JSON"] = new(() => Text("{hello}"), null, "not valid JSON", "'h' is an invalid start of a property name"),
        ["unclosed object"] = new(() => Text(Header[..^1]), null, "not valid JSON"),
        ["text after the object"] = new(() => Text(Header + "x"), null, "not valid JSON", "after a single JSON value"),
        ["comment"] = new(() => Text("{/*c*/" + Header[1..]), null, "not valid JSON"),
        ["trailing comma"] = new(() => Text(Header[..^1] + ",}"), null, "not valid JSON"),
        ["deep nesting"] = new(() => Text("{\"hidden.weight\":" + new string('[', 100_000) + new string(']', 100_000) + "}"), "hidden.weight", "'hidden.weight' is an array", "must be an object"),
        ["deep nesting in metadata"] = new(() => Text("{\"__metadata__\":{\"a\":" + new string('{', 50_000) + "}"), null, "maps 'a' to an object", "must be strings"),
        ["duplicate tensor"] = new(() => Text(Header[..^1] + "," + Header[1..Header.IndexOf("},", StringComparison.Ordinal)] + "}}"), "hidden.weight", "key 'hidden.weight' twice"),
        ["duplicate field"] = new(() => Edit("\"dtype\":\"F32\",\"shape\":[5]", "\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[5]"), "hidden.bias", "'hidden.bias' has field dtype twice"),
        ["metadata not an object"] = new(() => Text("{\"__metadata__\":[\"pt\"]," + Header[1..]), null, "__metadata__ is an array", "must be an object"),
        ["metadata value not a string"] = new(() => Text("{\"__metadata__\":{\"epoch\":3}," + Header[1..]), null, "maps 'epoch' to a number", "must be strings"),
        ["metadata key twice"] = new(() => Text("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}," + Header[1..]), null, "__metadata__ has key 'a' twice"),
        ["metadata key twice, once escaped"] = new(() => Text("{\"__metadata__\":{\"ab\":\"1\",\"c\":\"\",\"a\\u0062\":\"2\"}," + Header[1..]), null, "__metadata__ has key 'ab' twice"),
        ["lone surrogate in metadata"] = new(() => Text("{\"__metadata__\":{\"a\":\"\\udc00\"}," + Header[1..]), null, "A value of __metadata__ holds an escape that is not valid UTF-16"),
        ["too many dimensions"] = new(() => Edit("\"shape\":[3]", "\"shape\":[" + string.Join(",", Enumerable.Repeat("1", 65)) + ",3]"), "output.bias", "more than 64 dimensions"),
        ["metadata twice"] = new(() => Text("{\"__metadata__\":{},\"__metadata__\":{}," + Header[1..]), "__metadata__", "key __metadata__ twice"),
        ["lone surrogate"] = new(() => Edit("\"output.bias\"", "\"output\\ud800.bias\""), null, "A key of the header holds an escape that is not valid UTF-16 text"),
        ["entry not an object"] = new(() => Edit("\"output.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[160,172]}", "\"output.bias\":null"), "output.bias", "'output.bias' is null", "must be an object with dtype, shape and data_offsets"),
        ["unknown field"] = new(() => Edit("\"shape\":[3],", "\"shape\":[3],\"strides\":[1],"), "output.bias", "has a field 'strides'", "only dtype, shape and data_offsets"),
        ["no dtype"] = new(() => Edit("\"dtype\":\"F32\",\"shape\":[3],", "\"shape\":[3],"), "output.bias", "'output.bias' has no dtype"),
        ["no shape"] = new(() => Edit("\"shape\":[3],", ""), "output.bias", "'output.bias' has no shape"),
        ["no data_offsets"] = new(() => Edit(",\"data_offsets\":[160,172]", ""), "output.bias", "'output.bias' has no data_offsets"),
        ["unsupported dtype"] = new(() => Edit("\"dtype\":\"F32\",\"shape\":[3]", "\"dtype\":\"F64\",\"shape\":[3]"), "output.bias", "dtype F64, which TypedNets does not load", "F32, F16 and BF16"),
        ["unknown dtype"] = new(() => Edit("\"dtype\":\"F32\",\"shape\":[3]", "\"dtype\":\"f32\",\"shape\":[3]"), "output.bias", "dtype 'f32', which is not a safetensors dtype"),
        ["dtype not a string"] = new(() => Edit("\"dtype\":\"F32\",\"shape\":[3]", "\"dtype\":32,\"shape\":[3]"), "output.bias", "dtype that is a number", "must be a string"),
        ["shape not an array"] = new(() => Edit("\"shape\":[3]", "\"shape\":3"), "output.bias", "shape that is a number", "array of non-negative integers"),
        ["negative dimension"] = new(() => Edit("\"shape\":[3]", "\"shape\":[-3]"), "output.bias", "dimension 0 of its shape -3, which is negative"),
        ["fractional dimension"] = new(() => Edit("\"shape\":[5,4]", "\"shape\":[5,4.0]"), "hidden.weight", "dimension 1 of its shape 4.0", "not a whole number"),
        ["exponent dimension"] = new(() => Edit("\"shape\":[3]", "\"shape\":[3e0]"), "output.bias", "3e0", "not a whole number"),
        ["string dimension"] = new(() => Edit("\"shape\":[3]", "\"shape\":[\"3\"]"), "output.bias", "dimension 0 of its shape a string"),
        ["dimension of 2^64"] = new(() => Edit("\"shape\":[3]", "\"shape\":[18446744073709551616]"), "output.bias", "18446744073709551616, which does not fit 64 bits"),
        ["element count overflow"] = new(() => Edit("\"shape\":[3]", "\"shape\":[4294967296,4294967296,3]"), "output.bias", "[4294967296, 4294967296, 3]", "overflows 64 bits"),
        ["byte count overflow"] = new(() => Edit("\"shape\":[3]", "\"shape\":[4611686018427387904]"), "output.bias", "more than 2^64 bytes"),
        ["empty offsets"] = new(() => Edit("[160,172]", "[]"), "output.bias", "data_offsets []"),
        ["one offset"] = new(() => Edit("[160,172]", "[160]"), "output.bias", "data_offsets [160], one number"),
        ["three offsets"] = new(() => Edit("[160,172]", "[160,172,172]"), "output.bias", "more than two data_offsets"),
        ["offsets not an array"] = new(() => Edit("[160,172]", "\"160-172\""), "output.bias", "data_offsets that are a string"),
        ["negative offset"] = new(() => Edit("[160,172]", "[-160,172]"), "output.bias", "begin of its data_offsets -160, which is negative"),
        ["offset of 2^64"] = new(() => Edit("[160,172]", "[160,18446744073709551616]"), "output.bias", "end of its data_offsets 18446744073709551616, which does not fit 64 bits"),
        ["begin after end"] = new(() => Edit("[160,172]", "[172,160]"), "output.bias", "[172, 160], which begin after they end"),
        ["end past the buffer"] = new(() => Edit("[160,172]", "[160,9223372036854775808]"), "output.bias", "[160, 9223372036854775808], which end past the 172-byte data buffer"),
        ["length disagrees with the shape"] = new(() => Edit("[160,172]", "[160,168]"), "output.bias", "[160, 168], 8 bytes", "shape [3] of F32 takes 3 x 4 = 12 bytes"),
        ["dtype disagrees with the length"] = new(() => Edit("\"dtype\":\"F32\",\"shape\":[3]", "\"dtype\":\"F16\",\"shape\":[3]"), "output.bias", "12 bytes", "shape [3] of F16 takes 3 x 2 = 6 bytes"),
        ["overlap"] = new(() => Edit("\"shape\":[3],\"data_offsets\":[160,172]", "\"shape\":[3],\"data_offsets\":[156,168]"), "output.bias", "'output.bias' starts at byte 156", "'output.weight', ends at byte 160", "overlapping it"),
        ["gap"] = new(() => Rebuild(Header.Replace("[160,172]", "[164,176]", StringComparison.Ordinal), [.. Data, 0, 0, 0, 0]), "output.bias", "starts at byte 164", "leaving 4 bytes that belong to no tensor"),
        ["first tensor not at 0"] = new(() => Rebuild(Header.Replace("[0,80]", "[4,84]", StringComparison.Ordinal).Replace("[80,100]", "[84,104]", StringComparison.Ordinal).Replace("[100,160]", "[104,164]", StringComparison.Ordinal).Replace("[160,172]", "[164,176]", StringComparison.Ordinal), [0, 0, 0, 0, .. Data]), "hidden.weight", "starts at byte 4", "the data buffer starts at byte 0"),
        ["bytes after the last tensor"] = new(() => Rebuild(Header, [.. Data, 1, 2, 3]), null, "cover 172 bytes", "175 bytes", "the last 3 bytes belong to no tensor"),
        ["truncated data"] = new(() => Valid[..^1], "output.bias", "[160, 172], which end past the 171-byte data buffer"),
        ["missing tensor"] = new(() => Rebuild(Header.Replace(",\"output.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[160,172]}", "", StringComparison.Ordinal), Data[..160]), "output.bias", "not TinyMlp's", "it lacks 'output.bias' [3]", "whose tensors are 'hidden.weight', 'hidden.bias', 'output.weight', 'output.bias'"),
        ["unexpected tensor"] = new(() => Rebuild(Header[..^1] + ",\"output.scale\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[172,176]}}", [.. Data, 0, 0, 128, 63]), "output.scale", "more than the 4 tensors TinyMlp has, among them 'output.scale', which TinyMlp does not have"),
        ["renamed tensor"] = new(() => Edit("\"output.bias\"", "\"output.b\""), "output.bias", "it lacks 'output.bias' [3], and it holds 'output.b'"),
        ["wrong shape"] = new(() => Edit("\"shape\":[5,4]", "\"shape\":[4,5]"), "hidden.weight", "'hidden.weight' has shape [4, 5] in the file, but TinyMlp's hidden.weight is [5, 4]"),
        ["extra dimension"] = new(() => Edit("\"shape\":[3],", "\"shape\":[3,1],"), "output.bias", "shape [3, 1] in the file", "is [3]"),
        ["long name"] = new(() => Edit("\"output.bias\"", "\"" + new string('x', 5000) + "\""), "output.bias", "it holds 'xxxxxxxxxx", "...[5000 bytes]', which TinyMlp does not have"),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Malformed_file_is_refused_with_a_message_that_says_what_and_where(string name)
    {
        Case test = Cases[name];
        byte[] file = test.Build();
        INetwork network = SafeTensorsTests.Create(nameof(TinyMlp), 42);
        float[] before = network.Parameters.ToArray();

        SafeTensorsFormatException exception = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(network, file));
        foreach (string fragment in test.Fragments)
        {
            Assert.Contains(fragment, exception.Message, StringComparison.Ordinal);
        }

        Assert.Equal(test.Tensor, exception.TensorName);
        Assert.Null(exception.FilePath);
        Assert.True(SafeTensorsTesting.SameBits(before, network.Parameters), "a failed load changed the network");

        // The same file through a seekable stream gives the same message; a forward-only stream may find the fault
        // at another point (it cannot know the length up front) but must refuse it all the same.
        SafeTensorsFormatException streamed = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(network, new MemoryStream(file)));
        Assert.Equal(exception.Message, streamed.Message);
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(network, new ForwardOnlyStream(new MemoryStream(file))));
        Assert.True(SafeTensorsTesting.SameBits(before, network.Parameters), "a failed stream load changed the network");
    }

    [Fact]
    public void The_base_file_is_valid()
    {
        INetwork network = SafeTensorsTests.Create(nameof(TinyMlp), 42);
        SafeTensors.Load(network, Rebuild(Header, Data));
        Assert.True(SafeTensorsTesting.SameBits(Source.Parameters, network.Parameters));
    }

    [Fact]
    public void Forward_only_streams_report_truncation_and_trailing_bytes_as_they_meet_them()
    {
        INetwork network = SafeTensorsTests.Create(nameof(TinyMlp), 42);
        SafeTensorsFormatException truncated = Assert.Throws<SafeTensorsFormatException>(
            () => SafeTensors.Load(network, new ForwardOnlyStream(new MemoryStream(Valid[..^5]))));
        Assert.Contains($"ends at byte {Valid.Length - 5}, inside tensor 'output.bias'", truncated.Message, StringComparison.Ordinal);

        SafeTensorsFormatException header = Assert.Throws<SafeTensorsFormatException>(
            () => SafeTensors.Load(network, new ForwardOnlyStream(new MemoryStream(Valid[..100]))));
        Assert.Contains("ends at byte 100, inside the header", header.Message, StringComparison.Ordinal);

        SafeTensorsFormatException trailing = Assert.Throws<SafeTensorsFormatException>(
            () => SafeTensors.Load(network, new ForwardOnlyStream(new MemoryStream([.. Valid, 0]))));
        Assert.Contains($"goes on after byte {Valid.Length}, where the last tensor ends", trailing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Equivalent_spellings_of_a_valid_header_load()
    {
        // JSON whitespace, key order, escapes and metadata are free; only the meaning is checked.
        string pretty = Header.Replace(",", ",\n  ", StringComparison.Ordinal).Replace(":", " : ", StringComparison.Ordinal);
        string escaped = Header.Replace("\"output.bias\"", "\"output\\u002ebias\"", StringComparison.Ordinal).Replace("\"dtype\"", "\"d\\u0074ype\"", StringComparison.Ordinal);
        string reordered = "{\"output.bias\":{\"data_offsets\":[160,172],\"shape\":[3],\"dtype\":\"F32\"}," + Header[1..].Replace(",\"output.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[160,172]}", "", StringComparison.Ordinal);
        string metadata = Header[..^1] + ",\"__metadata__\":{\"format\":\"pt\",\"\":\"\"}}";
        foreach (string header in new[] { pretty, escaped, reordered, metadata, Header + " \t\r\n" })
        {
            INetwork network = SafeTensorsTests.Create(nameof(TinyMlp), 42);
            SafeTensors.Load(network, Rebuild(header, Data));
            Assert.True(SafeTensorsTesting.SameBits(Source.Parameters, network.Parameters), header);
        }
    }

    private static byte[] WithLength(ulong length)
    {
        byte[] file = (byte[])Valid.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(file, length);
        return file;
    }

    private static byte[] Text(string header) => Rebuild(header, Data);

    private static byte[] Bytes(byte[] header) => SafeTensorsTesting.Assemble(header, Data);

    private static byte[] Rebuild(string header, byte[] data) => SafeTensorsTesting.Assemble(header, data);

    private static byte[] Edit(string find, string replace)
    {
        // Edits the last occurrence, which for the shared field spellings is output.bias, the last tensor.
        int at = Header.LastIndexOf(find, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{find}' is not in the header");
        return Text(Header[..at] + replace + Header[(at + find.Length)..]);
    }

    private sealed record Case(Func<byte[]> Build, string? Tensor, params string[] Fragments);
}
