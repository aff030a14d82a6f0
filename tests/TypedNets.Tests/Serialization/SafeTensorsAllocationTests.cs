using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;

namespace TypedNets.Tests.Serialization;

/// <summary>
/// Headers built to make a loader allocate far more than the file holds (many tiny keys, huge names and numbers,
/// deep nesting, lengths that lie): every load through every API stays within four times the file's length plus a
/// constant, and refuses or accepts the file as it should.
/// </summary>
public sealed class SafeTensorsAllocationTests
{
    private const long Constant = 16 * 1024;

    private static readonly INetwork Source = SafeTensorsTests.Trained(nameof(TinyMlp), 3);
    private static readonly string Header = SafeTensorsTesting.Split(SafeTensorsTesting.SaveToBytes(Source)).Header.TrimEnd(' ');
    private static readonly byte[] Data = SafeTensorsTesting.Split(SafeTensorsTesting.SaveToBytes(Source)).Data;
    private static readonly string Body = Header[1..^1];

    private static readonly Dictionary<string, (Func<byte[]> Build, bool Valid)> Cases = new()
    {
        ["300,000 tiny metadata keys"] = (() => File("{\"__metadata__\":{" + string.Join(",", Enumerable.Range(0, 300_000).Select(i => $"\"{i}\":\"\"")) + "}," + Body + "}"), true),
        ["300,000 tiny metadata keys, the last a duplicate"] = (() => File("{\"__metadata__\":{" + string.Join(",", Enumerable.Range(0, 300_000).Select(i => $"\"{i}\":\"\"")) + ",\"7\":\"\"}," + Body + "}"), false),
        ["a 4 MB metadata value of escapes"] = (() => File("{\"__metadata__\":{\"a\":\"" + string.Concat(Enumerable.Repeat("\\u00e9", 700_000)) + "\"}," + Body + "}"), true),
        ["300,000 tiny tensors"] = (() => File("{" + string.Join(",", Enumerable.Range(0, 300_000).Select(i => $"\"{i}\":{{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}")) + "," + Body + "}"), false),
        ["a 4 MB tensor name"] = (() => File("{\"" + new string('n', 4_000_000) + "\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}," + Body + "}"), false),
        ["a 4 MB number"] = (() => File("{\"hidden.weight\":{\"dtype\":\"F32\",\"shape\":[1" + new string('0', 4_000_000) + "],\"data_offsets\":[0,80]}}"), false),
        ["a 4 MB dimension list"] = (() => File("{\"hidden.weight\":{\"dtype\":\"F32\",\"shape\":[" + string.Join(",", Enumerable.Repeat("1", 2_000_000)) + "],\"data_offsets\":[0,80]}}"), false),
        ["nesting 4 MB deep"] = (() => File("{\"hidden.weight\":{\"shape\":" + new string('[', 4_000_000) + "}}"), false),
        ["a length field of 99 MB in a 200-byte file"] = (() => SafeTensorsTesting.SaveToBytes(Source).Select((b, i) => i == 3 ? (byte)0x05 : b).Take(200).ToArray(), false),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Adversarial_header_costs_at_most_four_times_the_file(string name)
    {
        (Func<byte[]> build, bool valid) = Cases[name];
        byte[] file = build();
        INetwork network = SafeTensorsTests.Create(nameof(TinyMlp), 42);
        float[] before = network.Parameters.ToArray();
        foreach (string api in new[] { "span", "seekable stream", "forward-only stream" })
        {
            for (int round = 0; round < 2; round++)
            {
                // The first round warms up; the second is measured.
                before.CopyTo(network.Parameters);
                Stream? stream = api == "span" ? null : api == "seekable stream" ? new MemoryStream(file) : new ForwardOnlyStream(new MemoryStream(file), chunk: 1 << 16);
                long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                Exception? error = Record.Exception(() =>
                {
                    if (stream is null)
                    {
                        SafeTensors.Load(network, file);
                    }
                    else
                    {
                        SafeTensors.Load(network, stream);
                    }
                });
                long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

                if (valid)
                {
                    Assert.Null(error);
                    Assert.True(SafeTensorsTesting.SameBits(Source.Parameters, network.Parameters), $"{name} via {api}: wrong values");
                }
                else
                {
                    Assert.IsType<SafeTensorsFormatException>(error);
                    Assert.True(SafeTensorsTesting.SameBits(before, network.Parameters), $"{name} via {api}: a failed load changed the network");
                }

                Assert.True(
                    allocated <= (4L * file.Length) + Constant,
                    $"{name} via {api}: allocated {allocated} bytes ({(double)allocated / file.Length:F2} x) for a {file.Length}-byte file");
            }
        }
    }

    [Fact]
    public void A_valid_load_allocates_a_small_constant_from_a_span_and_the_header_and_a_staging_copy_from_a_stream()
    {
        INetwork source = SafeTensorsTests.Trained(nameof(TinyTextClassifier), 3);
        byte[] file = SafeTensorsTesting.SaveToBytes(source, new Dictionary<string, string> { ["format"] = "pt" });
        INetwork network = SafeTensorsTests.Create(nameof(TinyTextClassifier), 42);
        int header = file.Length - (4 * network.Parameters.Length);

        var stream = new MemoryStream(file);
        SafeTensors.Load(network, file);
        SafeTensors.Load(network, stream);
        long span = Allocations.Fewest(() => SafeTensors.Load(network, file));
        long streamed = Allocations.Fewest(() =>
        {
            stream.Position = 0;
            SafeTensors.Load(network, stream);
        });

        Assert.True(span <= 8 * 1024, $"a span load of a {file.Length}-byte file allocated {span} bytes");
        Assert.True(streamed <= header + (4 * network.Parameters.Length) + (8 * 1024), $"a stream load of a {file.Length}-byte file allocated {streamed} bytes");

        Assert.True(SafeTensorsTesting.SameBits(source.Parameters, network.Parameters));
    }

    private static byte[] File(string header) => SafeTensorsTesting.Assemble(Encoding.UTF8.GetBytes(header), Data);
}
