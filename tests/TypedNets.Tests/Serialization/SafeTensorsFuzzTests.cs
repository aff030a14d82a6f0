using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;
using Xunit.Abstractions;

namespace TypedNets.Tests.Serialization;

/// <summary>
/// Deterministic fuzzing of <see cref="SafeTensors.Load(INetwork, ReadOnlySpan{byte}, bool)"/> and its stream and path
/// forms: tens of thousands of mutations of valid files (every truncation, flipped bytes, header length fields, edited
/// dtypes, shapes, offsets, names and metadata, malformed and deeply nested JSON, stacked combinations). Each load must
/// succeed exactly when the independent <see cref="SafeTensorsOracle"/> finds the file valid, with the oracle's values;
/// otherwise throw <see cref="SafeTensorsFormatException"/> and nothing else, leaving the network's parameters and
/// buffers bit-for-bit as they were; and never allocate more than four times the file's length plus a constant. The
/// bases include a BatchNorm network, saved by TypedNets and built as PyTorch saves it (BF16, by name, with the I64
/// counter <c>norm.num_batches_tracked</c>), so buffers and the optional counter are fuzzed too.
/// </summary>
public sealed class SafeTensorsFuzzTests(ITestOutputHelper output)
{
    private const ulong Seed = 0x5AFE_7E50_25;
    private const int FlipsPerBase = 2_000;
    private const int CombinationsPerBase = 600;
    private const int PathEvery = 50;

    /// <summary>The constant part of the allocation bound: exception objects, stack traces and messages.</summary>
    private const long AllocationConstant = 16 * 1024;

    private static readonly TimeSpan TimeLimit = TimeSpan.FromMinutes(3);

    private static readonly Regex EntryPattern = new(
        "\"(?<name>[^\"]+)\":\\{\"dtype\":\"(?<dtype>[A-Z0-9]+)\",\"shape\":\\[(?<shape>[0-9,]*)\\],\"data_offsets\":\\[(?<begin>[0-9]+),(?<end>[0-9]+)\\]\\}",
        RegexOptions.CultureInvariant);

    [Fact]
    public async Task Every_mutation_loads_only_if_valid_and_otherwise_fails_cleanly_within_bounded_allocation()
    {
        // On its own thread, so a hang fails the test instead of blocking the run.
        Task<Statistics> run = Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Statistics statistics;
        try
        {
            statistics = await run.WaitAsync(TimeLimit);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The fuzz run did not finish in {TimeLimit}: some load hangs or is pathologically slow.");
            return;
        }
        foreach (string line in statistics.Report())
        {
            output.WriteLine(line);
        }

        // Set TYPEDNETS_FUZZ_REPORT to a file path to keep the statistics.
        string reportPath = Environment.GetEnvironmentVariable("TYPEDNETS_FUZZ_REPORT") ?? "";
        if (reportPath.Length > 0)
        {
            File.WriteAllLines(reportPath, statistics.Report());
        }

        Assert.True(statistics.Mutations >= 10_000, $"only {statistics.Mutations} mutations");
        Assert.Empty(statistics.Failures);
        Assert.True(statistics.Valid > 100 && statistics.Invalid > 1_000, $"a fuzz run should see both outcomes: {statistics.Valid} valid, {statistics.Invalid} invalid");
    }

    private static Statistics Run()
    {
        var statistics = new Statistics();
        var random = new Xoshiro256(Seed);
        string directory = Path.Combine(Path.GetTempPath(), "typednets-fuzz-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            Base[] bases = Bases();

            // Warm up every path (JIT, statics, the first exceptions) so the measured loads see steady-state costs.
            foreach (Base b in bases)
            {
                foreach (byte[] file in new[] { b.File, b.File[..^1], b.File[..20], Flip(b.File, 9, 0x40) })
                {
                    Check(b, new Mutation("warm-up", file, null), directory, new Statistics(), usePath: true);
                }
            }

            int index = 0;
            foreach (Base b in bases)
            {
                foreach (Mutation mutation in Mutations(b, ref random))
                {
                    // Every other mutation is loaded with non-finite values allowed, so that values of every bit
                    // pattern are checked to arrive as the file holds them, and the others to be refused.
                    Check(b, mutation, directory, statistics, usePath: index % PathEvery == 0, allowNonFinite: index % 2 == 1);
                    index++;
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        return statistics;
    }

    private static Base[] Bases()
    {
        INetwork mlp = SafeTensorsTests.Trained(nameof(TinyMlp), 3);
        INetwork text = SafeTensorsTests.Trained(nameof(TinyTextClassifier), 4);
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["epoch"] = "3", ["note"] = "ünïcödé" };
        ParameterTensor[] byName = SafeTensorsTesting.Tensors(mlp).OrderBy(tensor => tensor.Name, StringComparer.Ordinal).ToArray();
        ParameterTensor[] reversed = SafeTensorsTesting.Tensors(mlp).Reverse().ToArray();
        INetwork batchNorm = SafeTensorsTests.Trained(nameof(TinyBatchNormConvNet), 5);
        string[] pyTorchNames = SafeTensorsTesting.StateTensors(batchNorm).Select(tensor => tensor.Name)
            .Concat(SafeTensorsTesting.CounterNames(batchNorm)).Order(StringComparer.Ordinal).ToArray();
        return
        [
            new("TinyMlp F32", nameof(TinyMlp), SafeTensorsTesting.SaveToBytes(mlp)),
            new("TinyMlp F32 + metadata", nameof(TinyMlp), SafeTensorsTesting.SaveToBytes(mlp, metadata)),
            new("TinyMlp F16 by name", nameof(TinyMlp), SafeTensorsTesting.Build(mlp, "F16", byName, "{\"format\":\"pt\"}")),
            new("TinyMlp BF16 reversed", nameof(TinyMlp), SafeTensorsTesting.Build(mlp, "BF16", reversed)),
            new("TinyTextClassifier F32", nameof(TinyTextClassifier), SafeTensorsTesting.SaveToBytes(text)),
            new("TinyBatchNormConvNet F32", nameof(TinyBatchNormConvNet), SafeTensorsTesting.SaveToBytes(batchNorm)),
            new("TinyBatchNormConvNet BF16 by name + I64 counter", nameof(TinyBatchNormConvNet), SafeTensorsTesting.BuildState(batchNorm, "BF16", pyTorchNames, "{\"format\":\"pt\"}")),
        ];
    }

    private static void Check(Base b, Mutation mutation, string directory, Statistics statistics, bool usePath, bool allowNonFinite = false)
    {
        INetwork network = b.Network;
        float[]? expected = SafeTensorsOracle.Expect(mutation.File, network, b.Baseline, out _, allowNonFinite);
        if (mutation.Valid is bool promised && promised != (expected is not null))
        {
            statistics.Fail(b, mutation, "oracle", $"the mutation should leave the file {(promised ? "valid" : "invalid")}, but the oracle finds it {(promised ? "invalid" : "valid")}");
            return;
        }

        statistics.Count(b, mutation, expected is not null);
        string? path = null;
        if (usePath)
        {
            path = Path.Combine(directory, "mutant.safetensors");
            File.WriteAllBytes(path, mutation.File);
        }

        CheckMetadata(b, mutation, statistics);
        foreach (string api in Apis)
        {
            if (api == "path" && path is null)
            {
                continue;
            }

            Stream? stream = api switch
            {
                "seekable stream" => new MemoryStream(mutation.File, writable: false),
                "forward-only stream" => new ForwardOnlyStream(new MemoryStream(mutation.File, writable: false), chunk: (mutation.File.Length % 3) switch { 0 => 1, 1 => 13, _ => 4096 }),
                _ => null,
            };
            SafeTensorsTesting.SetState(network, b.Baseline);
            Exception? error = null;
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            long started = Stopwatch.GetTimestamp();
            try
            {
                switch (api)
                {
                    case "span":
                        SafeTensors.Load(network, mutation.File.AsSpan(), allowNonFinite);
                        break;
                    case "path":
                        SafeTensors.Load(network, path!, allowNonFinite);
                        break;
                    default:
                        SafeTensors.Load(network, stream!, allowNonFinite);
                        break;
                }
            }
            catch (Exception exception)
            {
                error = exception;
            }

            TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            statistics.Measure(api, mutation.File.Length, allocated, elapsed);

            if (allocated > (4L * mutation.File.Length) + AllocationConstant)
            {
                statistics.Fail(b, mutation, api, $"allocated {allocated} bytes for a {mutation.File.Length}-byte file");
            }

            if (error is not null and not SafeTensorsFormatException)
            {
                statistics.Fail(b, mutation, api, $"threw {error.GetType().Name}: {error.Message}");
                continue;
            }

            if (error is SafeTensorsFormatException format)
            {
                statistics.Error(format);
                if (expected is not null)
                {
                    statistics.Fail(b, mutation, api, $"refused a valid file: {format.Message}");
                }

                if (!SafeTensorsTesting.SameBits(b.Baseline, SafeTensorsTesting.State(network)))
                {
                    statistics.Fail(b, mutation, api, $"a failed load changed the network ({format.Message})");
                }

                if (format.TensorName is string tensor && !format.Message.Contains(tensor[..Math.Min(tensor.Length, 100)], StringComparison.Ordinal))
                {
                    statistics.Fail(b, mutation, api, $"the message does not name tensor '{tensor}': {format.Message}");
                }
            }
            else if (expected is null)
            {
                statistics.Fail(b, mutation, api, "loaded a file the oracle finds invalid");
            }
            else if (!SafeTensorsTesting.SameBits(expected, SafeTensorsTesting.State(network)))
            {
                statistics.Fail(b, mutation, api, "loaded other values than the file holds");
            }
        }
    }

    private static readonly string[] Apis = ["span", "seekable stream", "forward-only stream", "path"];

    /// <summary><see cref="SafeTensors.ReadMetadata(ReadOnlySpan{byte})"/> checks the file alone: it must agree with the oracle without a network.</summary>
    private static void CheckMetadata(Base b, Mutation mutation, Statistics statistics)
    {
        bool valid = SafeTensorsOracle.Expect(mutation.File, null, b.Baseline, out Dictionary<string, string> expected) is not null;
        IReadOnlyDictionary<string, string>? metadata = null;
        Exception? error = null;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        long started = Stopwatch.GetTimestamp();
        try
        {
            metadata = SafeTensors.ReadMetadata(mutation.File);
        }
        catch (Exception exception)
        {
            error = exception;
        }

        statistics.Measure("ReadMetadata (span, no network)", mutation.File.Length, GC.GetAllocatedBytesForCurrentThread() - allocatedBefore, Stopwatch.GetElapsedTime(started));
        if (error is not null and not SafeTensorsFormatException)
        {
            statistics.Fail(b, mutation, "ReadMetadata", $"threw {error.GetType().Name}: {error.Message}");
        }
        else if (valid != (error is null))
        {
            statistics.Fail(b, mutation, "ReadMetadata", valid ? $"refused a valid file: {error!.Message}" : "accepted an invalid file");
        }
        else if (metadata is not null && !expected.OrderBy(pair => pair.Key, StringComparer.Ordinal).SequenceEqual(metadata.OrderBy(pair => pair.Key, StringComparer.Ordinal)))
        {
            statistics.Fail(b, mutation, "ReadMetadata", "returned other metadata than the file holds");
        }
    }

    private static IEnumerable<Mutation> Mutations(Base b, ref Xoshiro256 random)
    {
        var mutations = new List<Mutation>();
        byte[] file = b.File;
        (string paddedHeader, byte[] data) = SafeTensorsTesting.Split(file);
        string header = paddedHeader.TrimEnd(' ');
        int headerEnd = 8 + Encoding.UTF8.GetByteCount(paddedHeader);

        // 1. Every truncation (k = 1: the files are small enough to cut at every byte).
        for (int length = 0; length < file.Length; length++)
        {
            mutations.Add(new("truncation", file[..length], false));
        }

        // 2. The header length field.
        ulong actual = (ulong)(headerEnd - 8);
        ulong[] lengths =
        [
            0, 1, 2, 7, 8, actual - 1, actual + 1, actual + 8, (ulong)file.Length - 8, (ulong)file.Length - 7, (ulong)file.Length,
            100_000_000, 100_000_001, int.MaxValue, uint.MaxValue, (1UL << 32) + actual, 1UL << 63, (1UL << 63) + actual, ulong.MaxValue,
        ];
        foreach (ulong length in lengths.Where(length => length != actual))
        {
            byte[] mutant = (byte[])file.Clone();
            BinaryPrimitives.WriteUInt64LittleEndian(mutant, length);
            mutations.Add(new("header length field", mutant, false));
        }

        // 3. Edits of each tensor's entry.
        foreach (Match entry in EntryPattern.Matches(header))
        {
            foreach ((string category, string replacement, bool? valid) in EntryEdits(entry))
            {
                string edited = header[..entry.Index] + replacement + header[(entry.Index + entry.Length)..];
                mutations.Add(new(category, SafeTensorsTesting.Assemble(edited, data), valid));
            }
        }

        // 4. Edits of the whole header and of the data buffer.
        foreach ((string category, byte[] mutant, bool? valid) in HeaderEdits(header, data))
        {
            mutations.Add(new(category, mutant, valid));
        }

        // 5. A BatchNorm counter (I64 scalar) added at the end, under each layer's name: valid only for a BatchNorm
        // layer whose counter the file lacks (the oracle decides).
        foreach (Layer layer in b.Network.Layers)
        {
            string entry = $"\"{layer.Name}.num_batches_tracked\":{{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[{data.Length},{data.Length + 8}]}}";
            mutations.Add(new("counter: added", SafeTensorsTesting.Assemble(header[..^1] + (header.Length > 2 ? "," : "") + entry + "}", [.. data, 3, 0, 0, 0, 0, 0, 0, 0]), null));
        }

        int structural = mutations.Count;

        // 6. Flipped bytes: 1 to 3 bytes xor a random non-zero value; half land in the length field and header, and
        // half of those keep ASCII text ASCII (xor below 128), so that they reach the JSON rather than the UTF-8 check.
        for (int i = 0; i < FlipsPerBase; i++)
        {
            byte[] mutant = (byte[])file.Clone();
            int flips = 1 + random.NextInt(3);
            bool inHeader = random.NextInt(2) == 0;
            bool ascii = inHeader && random.NextInt(2) == 0;
            bool dataOnly = true;
            for (int f = 0; f < flips; f++)
            {
                int position = inHeader ? random.NextInt(headerEnd) : random.NextInt(file.Length);
                mutant[position] ^= (byte)(1 + random.NextInt(ascii ? 127 : 255));
                dataOnly &= position >= headerEnd;
            }

            // A flip in the data changes values, never the layout: the file stays valid unless a value becomes NaN or
            // infinite, which the oracle decides.
            mutations.Add(new(dataOnly ? "flipped data bytes" : "flipped bytes", mutant, null));
        }

        // 7. Combinations: a structural mutation with flipped bytes or a truncation on top.
        for (int i = 0; i < CombinationsPerBase; i++)
        {
            byte[] mutant = (byte[])mutations[random.NextInt(structural)].File.Clone();
            if (mutant.Length > 0 && random.NextInt(4) != 0)
            {
                for (int f = 0; f <= random.NextInt(2); f++)
                {
                    mutant[random.NextInt(mutant.Length)] ^= (byte)(1 + random.NextInt(255));
                }
            }
            else
            {
                mutant = mutant[..random.NextInt(mutant.Length + 1)];
            }

            mutations.Add(new("combination", mutant, null));
        }

        return mutations;
    }

    private static IEnumerable<(string Category, string Replacement, bool? Valid)> EntryEdits(Match entry)
    {
        string name = entry.Groups["name"].Value, dtype = entry.Groups["dtype"].Value, shape = entry.Groups["shape"].Value;
        long begin = long.Parse(entry.Groups["begin"].Value, CultureInfo.InvariantCulture), end = long.Parse(entry.Groups["end"].Value, CultureInfo.InvariantCulture);
        string[] dimensions = shape.Split(',');
        string Entry(string? key = null, string? type = null, string? dims = null, string? offsets = null, string extra = "")
            => $"\"{key ?? name}\":{{\"dtype\":{type ?? $"\"{dtype}\""},\"shape\":{dims ?? $"[{shape}]"},\"data_offsets\":{offsets ?? $"[{begin},{end}]"}{extra}}}";

        string[] types = ["\"F64\"", "\"I64\"", "\"I32\"", "\"U8\"", "\"BOOL\"", "\"f32\"", "\"i64\"", "\"\"", "\"F32 \"", "\"FP32\"", "42", "null", "true", "[\"F32\"]", "{\"F32\":1}"];
        foreach (string type in types.Where(type => type != $"\"{dtype}\""))
        {
            yield return ("dtype: unsupported or not a dtype", Entry(type: type), false);
        }

        foreach (string other in new[] { "F32", "F16", "BF16" }.Where(other => other != dtype))
        {
            // F16 <-> BF16 keeps every size and so stays valid (with other values); anything else breaks a length, and
            // the I64 counter may be nothing but I64.
            bool sameSize = dtype != "I64" && (other == "F32") == (dtype == "F32");
            yield return ("dtype: another float type", Entry(type: $"\"{other}\""), sameSize);
        }

        if (shape.Length == 0)
        {
            // A scalar (the BatchNorm counter): any dimension at all breaks its shape or its length.
            foreach (string dims in new[] { "[1]", "[0]", "[1,1]", "[8]", "[-0]", "[0.0]", "[\"\"]", "[,]", "[[]]", "null", "{}", "\"\"", "[18446744073709551616]", "[" + new string('[', 1000) + new string(']', 1000) + "]" })
            {
                yield return ("shape: wrong, malformed or huge", Entry(dims: dims), false);
            }

            yield return ("shape: spaced out", Entry(dims: "[ \n ]"), true);
        }
        else
        {
            foreach (string dims in Shapes(shape, dimensions))
            {
                yield return ("shape: wrong, malformed or huge", Entry(dims: dims), false);
            }

            yield return ("shape: spaced out", Entry(dims: $"[ {shape.Replace(",", " , ", StringComparison.Ordinal)} ]"), true);
        }

        var offsets = new List<string>
        {
            $"[{begin},{end + 1}]", $"[{begin + 1},{end}]", $"[{end},{begin}]", $"[{begin}]", $"[{begin},{end},{end}]", "[]", $"[-1,{end}]",
            $"[{begin},-{end}]", $"[{begin},9223372036854775807]", $"[{begin},9223372036854775808]", $"[{begin},18446744073709551615]",
            $"[{begin},18446744073709551616]", $"[{begin}.0,{end}]", $"[\"{begin}\",{end}]", "null", "{}", $"[{begin + 2},{end + 2}]",
            $"[{begin + 4},{end + 4}]", $"[{begin},{end}e0]", $"[{begin},0{end}]", $"[[{begin}],{end}]",
        };
        if (begin > 0)
        {
            offsets.Add($"[{begin - 1},{end}]");
            offsets.Add($"[0,{end - begin}]");
        }

        offsets.Add($"[{begin},{end - 1}]");
        foreach (string range in offsets)
        {
            yield return ("data_offsets: wrong, malformed or huge", Entry(offsets: range), false);
        }

        yield return ("data_offsets: spaced out", Entry(offsets: $"[ {begin} ,\n{end} ]"), true);

        foreach (string value in new[] { "[]", "\"x\"", "1", "null", "{}", "true", new string('[', 20_000) + new string(']', 20_000), string.Concat(Enumerable.Repeat("{\"a\":", 5_000)) + "1" + new string('}', 5_000) })
        {
            yield return ("entry: not an object", $"\"{name}\":{value}", false);
        }

        yield return ("entry: no dtype", $"\"{name}\":{{\"shape\":[{shape}],\"data_offsets\":[{begin},{end}]}}", false);
        yield return ("entry: no shape", $"\"{name}\":{{\"dtype\":\"{dtype}\",\"data_offsets\":[{begin},{end}]}}", false);
        yield return ("entry: no data_offsets", $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{shape}]}}", false);
        yield return ("entry: unknown field", Entry(extra: ",\"extra\":1"), false);
        yield return ("entry: duplicate field", Entry(extra: $",\"dtype\":\"{dtype}\""), false);
        yield return ("entry: duplicate offsets", Entry(extra: $",\"data_offsets\":[{begin},{end}]"), false);
        yield return ("entry: fields reordered", $"\"{name}\":{{\"data_offsets\":[{begin},{end}],\"shape\":[{shape}],\"dtype\":\"{dtype}\"}}", true);
        yield return ("entry: escaped field names", $"\"{name}\":{{\"\\u0064type\":\"{dtype}\",\"sh\\u0061pe\":[{shape}],\"data\\u005foffsets\":[{begin},{end}]}}", true);
        yield return ("name: escaped", Entry(key: name.Replace(".", "\\u002e", StringComparison.Ordinal)), true);
        yield return ("name: changed", Entry(key: name + "x"), false);
        yield return ("name: upper case", Entry(key: name.ToUpperInvariant()), false);
        yield return ("name: lone surrogate", Entry(key: name + "\\ud800"), false);
        yield return ("name: empty", Entry(key: ""), false);
        yield return ("entry: duplicated", Entry() + "," + Entry(), false);
        yield return ("entry: twice under two names", Entry() + "," + Entry(key: name + "2"), false);
    }

    /// <summary>Wrong, malformed and huge spellings of a shape of at least one dimension.</summary>
    private static List<string> Shapes(string shape, string[] dimensions)
    {
        string first = dimensions[0];
        string rest = dimensions.Length > 1 ? "," + string.Join(",", dimensions[1..]) : "";
        var shapes = new List<string>
        {
            "[]", $"[{shape},1]", $"[1,{shape}]", $"[{long.Parse(first, CultureInfo.InvariantCulture) + 1}{rest}]",
            $"[-{first}{rest}]", $"[{first}.0{rest}]", $"[{first}e0{rest}]", $"[\"{first}\"{rest}]", $"[{first}{rest},]", "[18446744073709551616]",
            "[18446744073709551615]", "[9223372036854775808]", "[4294967296,4294967296,4294967296]", "[4294967296,4294967296,0]", "[0]", $"[[{first}]{rest}]",
            "null", "{}", $"\"{shape}\"", "[" + new string('[', 1000) + new string(']', 1000) + "]",
        };
        if (dimensions.Length > 1)
        {
            shapes.Add($"[{string.Join(",", dimensions[..^1])}]");
            if (dimensions[0] != dimensions[^1])
            {
                shapes.Add($"[{string.Join(",", dimensions.Reverse())}]");
            }
        }

        return shapes;
    }

    private static IEnumerable<(string Category, byte[] File, bool? Valid)> HeaderEdits(string header, byte[] data)
    {
        byte[] Text(string text) => SafeTensorsTesting.Assemble(text, data);
        byte[] Bytes(byte[] bytes) => SafeTensorsTesting.Assemble(bytes, data);
        byte[] utf8 = Encoding.UTF8.GetBytes(header);
        string body = header[1..^1];
        bool hasMetadata = header.StartsWith("{\"__metadata__\"", StringComparison.Ordinal);

        foreach (string text in new[] { "", "{", "}", "{}", "[]", "null", "0", "\"s\"", "{\"a\":", "{\"a\":1}", "{{}}", "{\"\":{}}", new string('{', 50_000), new string('[', 100_000) })
        {
            yield return ("header: not a safetensors header", Text(text), false);
        }

        var random = new Xoshiro256((ulong)header.Length);
        for (int i = 0; i < 10; i++)
        {
            byte[] garbage = new byte[2 + random.NextInt(64)];
            for (int j = 0; j < garbage.Length; j++)
            {
                garbage[j] = (byte)random.NextInt(256);
            }

            yield return ("header: random bytes", Bytes(garbage), false);
        }

        yield return ("header: byte-order mark", Bytes([0xEF, 0xBB, 0xBF, .. utf8]), false);
        yield return ("header: leading space", Text(" " + header), false);
        yield return ("header: text after the object", Text(header + "x"), false);
        yield return ("header: second object", Text(header + header), false);
        yield return ("header: trailing comma", Text("{" + body + ",}"), false);
        yield return ("header: comment", Text("{/* weights */" + body + "}"), false);
        yield return ("header: NUL padding", Text(header + "\0\0\0"), false);
        yield return ("header: single quotes", Text(header.Replace('"', '\'')), false);
        yield return ("header: invalid UTF-8 in a name", Bytes([.. utf8[..3], 0xFF, .. utf8[3..]]), false);
        yield return ("header: overlong UTF-8", Bytes([.. utf8[..3], 0xC0, 0xAF, .. utf8[3..]]), false);
        yield return ("header: whitespace padding", Text(header + " \t\r\n   "), true);
        yield return ("header: space padding to 8", Text(header + new string(' ', 8 - (header.Length % 8))), true);
        yield return ("header: pretty-printed", Text(header.Replace(",\"", ",\n  \"", StringComparison.Ordinal).Replace("\":", "\" : ", StringComparison.Ordinal)), true);
        yield return ("header: tensors in reverse order", Text("{" + string.Join(",", EntryPattern.Matches(header).Select(match => match.Value).Reverse()) + "}"), true);

        if (!hasMetadata)
        {
            yield return ("metadata: added first", Text("{\"__metadata__\":{\"format\":\"pt\",\"π\":\"3.14\"}," + body + "}"), true);
            yield return ("metadata: added last", Text("{" + body + ",\"__metadata__\":{}}"), true);
            yield return ("metadata: escaped key", Text("{\"\\u005f_metadata__\":{\"a\":\"b\"}," + body + "}"), true);
            yield return ("metadata: many keys", Text("{\"__metadata__\":{" + string.Join(",", Enumerable.Range(0, 2_000).Select(i => $"\"k{i}\":\"{i}\"")) + "}," + body + "}"), true);
            foreach (string metadata in new[]
            {
                "[]", "\"pt\"", "null", "1", "{\"a\":1}", "{\"a\":null}", "{\"a\":{\"b\":\"c\"}}", "{\"a\":[\"b\"]}", "{\"a\":\"1\",\"a\":\"2\"}",
                "{\"a\":\"1\",\"\\u0061\":\"2\"}", "{\"a\\ud800\":\"1\"}", "{\"a\":\"\\udc00\"}", "{\"a\":" + new string('{', 10_000) + "}",
            })
            {
                yield return ("metadata: malformed", Text("{\"__metadata__\":" + metadata + "," + body + "}"), false);
            }

            yield return ("metadata: twice", Text("{\"__metadata__\":{},\"__metadata__\":{}," + body + "}"), false);
        }

        yield return ("tensor: extra empty tensor", Text("{" + body + ",\"extra\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}"), false);
        yield return ("tensor: extra tensor with data", SafeTensorsTesting.Assemble("{" + body + $",\"extra\":{{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[{data.Length},{data.Length + 4}]}}}}", [.. data, 0, 0, 128, 63]), false);
        yield return ("tensor: all removed", Text(hasMetadata ? "{\"__metadata__\":{}}" : "{}"), false);

        yield return ("data: one byte more", SafeTensorsTesting.Assemble(header, [.. data, 0]), false);
        yield return ("data: eight bytes more", SafeTensorsTesting.Assemble(header, [.. data, 0, 0, 0, 0, 0, 0, 0, 0]), false);
        yield return ("data: one byte less", SafeTensorsTesting.Assemble(header, data[..^1]), false);
        yield return ("data: all zero", SafeTensorsTesting.Assemble(header, new byte[data.Length]), true);
        // Valid only where non-finite values are allowed (the oracle decides).
        yield return ("data: all 0xFF (NaNs)", SafeTensorsTesting.Assemble(header, Enumerable.Repeat((byte)0xFF, data.Length).ToArray()), null);
        yield return ("data: all 0x7F (finite, large)", SafeTensorsTesting.Assemble(header, Enumerable.Repeat((byte)0x7F, data.Length).ToArray()), null);
    }

    private static byte[] Flip(byte[] file, int position, byte mask)
    {
        byte[] mutant = (byte[])file.Clone();
        mutant[position] ^= mask;
        return mutant;
    }

    private sealed record Mutation(string Category, byte[] File, bool? Valid);

    private sealed class Base
    {
        public Base(string name, string networkName, byte[] file)
        {
            Name = name;
            NetworkName = networkName;
            File = file;

            // Weights and buffers other than the file's, so that a partly applied load would show.
            Network = SafeTensorsTests.Create(networkName, 42);
            Baseline = SafeTensorsTesting.State(Network);
        }

        public string Name { get; }

        public string NetworkName { get; }

        public byte[] File { get; }

        public INetwork Network { get; }

        /// <summary>The network's parameters and buffers before each load (<see cref="SafeTensorsTesting.State(INetwork)"/>).</summary>
        public float[] Baseline { get; }
    }

    private sealed class Statistics
    {
        private readonly SortedDictionary<string, (int Valid, int Invalid)> _categories = new(StringComparer.Ordinal);
        private readonly SortedDictionary<string, (int Loads, double MaxRatio, long MaxExcess, long MaxBytes, TimeSpan Slowest, TimeSpan Total)> _apis = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _errors = new(StringComparer.Ordinal);

        public int Mutations { get; private set; }

        public int Valid { get; private set; }

        public int Invalid { get; private set; }

        public List<string> Failures { get; } = [];

        public void Count(Base b, Mutation mutation, bool valid)
        {
            Mutations++;
            if (valid)
            {
                Valid++;
            }
            else
            {
                Invalid++;
            }

            _categories.TryGetValue(mutation.Category, out var counts);
            _categories[mutation.Category] = valid ? (counts.Valid + 1, counts.Invalid) : (counts.Valid, counts.Invalid + 1);
        }

        public void Measure(string api, int length, long allocated, TimeSpan elapsed)
        {
            // The ratio is reported for files of 8 KB and more, where the constant part (an exception, its message,
            // the lookup of the network's names) no longer dominates; the excess over 4 x the length covers every file.
            _apis.TryGetValue(api, out var entry);
            double ratio = length < 8192 ? 0 : (double)allocated / length;
            _apis[api] = (
                entry.Loads + 1, Math.Max(entry.MaxRatio, ratio), Math.Max(entry.MaxExcess, allocated - (4L * length)), Math.Max(entry.MaxBytes, allocated),
                elapsed > entry.Slowest ? elapsed : entry.Slowest, entry.Total + elapsed);
        }

        public void Error(SafeTensorsFormatException exception)
        {
            // The kind of error: the message without its numbers and quoted names.
            string message = exception.FilePath is null ? exception.Message : exception.Message[(exception.Message.IndexOf("': ", StringComparison.Ordinal) + 3)..];
            string kind = Regex.Replace(Regex.Replace(message, "(?<=[ (])'[^']*'(?=[ ,;.)]|$)", "'…'"), "[0-9]+", "#");
            kind = Regex.Replace(kind, "not valid JSON \\(.*", "not valid JSON (…)");
            kind = kind.Length > 100 ? kind[..100] : kind;
            _errors[kind] = _errors.GetValueOrDefault(kind) + 1;
        }

        public void Fail(Base b, Mutation mutation, string api, string problem)
        {
            if (Failures.Count < 20)
            {
                string start = Convert.ToHexString(mutation.File.AsSpan(0, Math.Min(mutation.File.Length, 48)));
                Failures.Add($"{b.Name} / {mutation.Category} / {api}: {problem} (file of {mutation.File.Length} bytes starting {start})");
            }
        }

        public IEnumerable<string> Report()
        {
            yield return $"{Mutations} mutations: {Valid} still valid, {Invalid} invalid; {Failures.Count} failures.";
            foreach ((string api, var entry) in _apis)
            {
                yield return $"  {api}: {entry.Loads} loads; allocated at most {entry.MaxBytes} bytes in one load, at most {entry.MaxRatio:F2} x the length of files of 8 KB or more, " +
                             $"at most {entry.MaxExcess} bytes above 4 x the length for any file; slowest load {entry.Slowest.TotalMilliseconds:F2} ms, all {entry.Total.TotalSeconds:F2} s";
            }

            yield return "  By mutation (valid / invalid):";
            foreach ((string category, var counts) in _categories)
            {
                yield return $"    {category}: {counts.Valid} / {counts.Invalid}";
            }

            yield return $"  {_errors.Count} kinds of error (numbers and names aside), the 40 most frequent:";
            foreach ((string kind, int count) in _errors.OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal).Take(40))
            {
                yield return $"    {count,6}  {kind}";
            }

            foreach (string failure in Failures)
            {
                yield return "  FAILURE " + failure;
            }
        }
    }
}
