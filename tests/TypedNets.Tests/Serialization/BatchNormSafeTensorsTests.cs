using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;

namespace TypedNets.Tests.Serialization;

/// <summary>
/// Buffers in safetensors files: batch normalisation's <c>running_mean</c> and <c>running_var</c> are saved after each
/// layer's parameters as PyTorch orders its <c>state_dict</c>, are required and checked on load like parameters, and
/// are staged with them, so a failed load changes neither. PyTorch's <c>num_batches_tracked</c> (an I64 scalar) is
/// accepted and ignored for a BatchNorm layer, checked like any tensor, and never written.
/// </summary>
public sealed class BatchNormSafeTensorsTests : IDisposable
{
    // conv.weight [4, 1, 3, 3] at 0, conv.bias at 144, norm.weight at 160, norm.bias at 176, norm.running_mean at 192,
    // norm.running_var at 208, output.weight [3, 36] at 224, output.bias at 656; 668 bytes.
    private const int DataLength = 668;
    private const string Counter = "norm.num_batches_tracked";

    private static readonly INetwork Source = SafeTensorsTests.Trained(nameof(TinyBatchNormConvNet), 3);
    private static readonly byte[] Valid = SafeTensorsTesting.SaveToBytes(Source);
    private static readonly string Header = SafeTensorsTesting.Split(Valid).Header.TrimEnd(' ');
    private static readonly byte[] Data = SafeTensorsTesting.Split(Valid).Data;

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["counter as F32"] = new(() => WithEntry($"\"{Counter}\":{{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[668,672]}}", 4), Counter,
            $"'{Counter}' has dtype F32, but TinyBatchNormConvNet can only hold it as PyTorch's BatchNorm counter, an I64 scalar (shape [])"),
        ["counter as BF16, dtype last"] = new(() => WithEntry($"\"{Counter}\":{{\"shape\":[],\"data_offsets\":[668,670],\"dtype\":\"BF16\"}}", 2), Counter, "has dtype BF16", "an I64 scalar"),
        ["counter of shape [1]"] = new(() => WithEntry($"\"{Counter}\":{{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[668,676]}}", 8), Counter,
            $"'{Counter}' has shape [1], but as I64 it can only be PyTorch's BatchNorm counter num_batches_tracked, a scalar of shape []"),
        ["counter of 4 bytes"] = new(() => WithEntry($"\"{Counter}\":{{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[668,672]}}", 4), Counter,
            "[668, 672], 4 bytes, but shape [] of I64 takes 1 x 8 = 8 bytes"),
        ["counter overlapping the last tensor"] = new(() => WithEntry($"\"{Counter}\":{{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[664,672]}}", 4), Counter,
            $"'{Counter}' starts at byte 664", "'output.bias', ends at byte 668, overlapping it"),
        ["counter past the data"] = new(() => WithEntry($"\"{Counter}\":{{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[668,676]}}", 4), Counter,
            "[668, 676], which end past the 672-byte data buffer"),
        ["counter twice"] = new(() => WithEntry($"\"{Counter}\":{{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[668,676]}},\"{Counter}\":{{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[676,684]}}", 16), Counter,
            $"key '{Counter}' twice"),
        ["counter of a layer that is not a BatchNorm"] = new(() => WithEntry("\"conv.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[668,676]}", 8), "conv.num_batches_tracked",
            "dtype I64, which TypedNets does not load", "I64 only as PyTorch's BatchNorm counter num_batches_tracked"),
        ["running statistic as I64"] = new(() => Edit("\"norm.running_mean\":{\"dtype\":\"F32\"", "\"norm.running_mean\":{\"dtype\":\"I64\""), "norm.running_mean",
            "'norm.running_mean' has dtype I64, which TypedNets does not load"),
        ["running statistic of the wrong shape"] = new(() => Edit("\"norm.running_mean\":{\"dtype\":\"F32\",\"shape\":[4]", "\"norm.running_mean\":{\"dtype\":\"F32\",\"shape\":[2,2]"), "norm.running_mean",
            "'norm.running_mean' has shape [2, 2] in the file, but TinyBatchNormConvNet's norm.running_mean is [4]"),
        ["running_var missing"] = new(() => SafeTensorsTesting.BuildState(Source, "F32", Names().Where(name => name != "norm.running_var")), "norm.running_var",
            "not TinyBatchNormConvNet's: it lacks 'norm.running_var' [4]",
            "whose tensors are 'conv.weight', 'conv.bias', 'norm.weight', 'norm.bias', 'norm.running_mean', 'norm.running_var', 'output.weight', 'output.bias'"),
        ["buffers missing, counter present"] = new(() => SafeTensorsTesting.BuildState(Source, "F32", Names().Where(name => !name.Contains("running", StringComparison.Ordinal)).Append(Counter)), "norm.running_mean",
            "it lacks 'norm.running_mean' [4], 'norm.running_var' [4]"),
        ["a buffer under another name"] = new(() => Edit("\"norm.running_var\"", "\"norm.running_variance\""), "norm.running_var",
            "it lacks 'norm.running_var' [4], and it holds 'norm.running_variance', which TinyBatchNormConvNet does not have"),
        ["one tensor more than the network and its counter"] = new(
            () => WithEntry($"\"{Counter}\":{{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[668,676]}},\"norm.extra\":{{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[676,680]}}", 12), "norm.extra",
            "more than the 8 tensors TinyBatchNormConvNet has and the 1 it may also hold ('norm.num_batches_tracked'), among them 'norm.extra'"),
    };

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "typednets-batchnorm-" + Guid.NewGuid().ToString("N"));

    public BatchNormSafeTensorsTests() => Directory.CreateDirectory(_directory);

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    public static TheoryData<string, string> CounterPlacements => new()
    {
        { "none", "F32" }, { "first", "F32" }, { "after running_var", "F32" }, { "last", "F32" }, { "by name", "BF16" }, { "first", "F16" },
    };

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Save_writes_each_layers_parameters_then_its_buffers_and_no_counter()
    {
        Assert.Equal(DataLength, Data.Length);
        const string json =
            "{\"conv.weight\":{\"dtype\":\"F32\",\"shape\":[4,1,3,3],\"data_offsets\":[0,144]}," +
            "\"conv.bias\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[144,160]}," +
            "\"norm.weight\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[160,176]}," +
            "\"norm.bias\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[176,192]}," +
            "\"norm.running_mean\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[192,208]}," +
            "\"norm.running_var\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[208,224]}," +
            "\"output.weight\":{\"dtype\":\"F32\",\"shape\":[3,36],\"data_offsets\":[224,656]}," +
            "\"output.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[656,668]}}";
        Assert.Equal(json, Header);

        var network = (TinyBatchNormConvNet)Source;
        float[] expected =
        [
            .. network.Conv.Weight.Values, .. network.Conv.Bias!.Values, .. network.Norm.Weight.Values, .. network.Norm.Bias.Values,
            .. network.Norm.RunningMean.Values, .. network.Norm.RunningVariance.Values, .. network.Output.Weight.Values, .. network.Output.Bias!.Values,
        ];
        Assert.Equal(MemoryMarshal.AsBytes(expected.AsSpan()).ToArray(), Data);
        Assert.Equal(Names(), SafeTensorsTesting.StateTensors(network).Select(tensor => tensor.Name));
    }

    [Fact]
    public void Running_statistics_that_training_moved_survive_a_save_and_load()
    {
        var trained = new TinyBatchNormConvNet(maxBatch: 6, seed: 11);
        var random = new Xoshiro256(12);
        float[] batch = new float[6 * TinyBatchNormConvNet.InputSize];
        for (int step = 0; step < 5; step++)
        {
            for (int i = 0; i < batch.Length; i++)
            {
                batch[i] = (float)random.NextDouble(-1, 3);
            }

            trained.Forward(batch, training: true);
        }

        Assert.DoesNotContain(0f, trained.Norm.RunningMean.Values.ToArray());
        string path = Path.Combine(_directory, "trained.safetensors");
        SafeTensors.Save(trained, path);
        var loaded = new TinyBatchNormConvNet(maxBatch: 6, seed: 13);
        SafeTensors.Load(loaded, path);

        Assert.True(SafeTensorsTesting.SameBits(trained.Buffers, loaded.Buffers));
        Assert.True(SafeTensorsTesting.SameBits(trained.Parameters, loaded.Parameters));
        Assert.Equal(trained.Forward(batch, training: false).ToArray(), loaded.Forward(batch, training: false).ToArray());
    }

    [Theory]
    [MemberData(nameof(CounterPlacements))]
    public void The_counter_may_be_anywhere_or_absent_and_is_ignored_through_every_api(string placement, string dtype)
    {
        List<string> names = Names();
        switch (placement)
        {
            case "first":
                names.Insert(0, Counter);
                break;
            case "after running_var":
                names.Insert(names.IndexOf("norm.running_var") + 1, Counter);
                break;
            case "last":
                names.Add(Counter);
                break;
            case "by name":
                names.Add(Counter);
                names.Sort(StringComparer.Ordinal);
                break;
        }

        byte[] file = SafeTensorsTesting.BuildState(Source, dtype, names, "{\"format\":\"pt\"}", counter: placement == "last" ? long.MinValue : 1234);
        Assert.Equal(placement != "none", SafeTensorsTesting.Split(file).Header.Contains($"\"{Counter}\":{{\"dtype\":\"I64\",\"shape\":[]", StringComparison.Ordinal));
        float[] expected = SafeTensorsTesting.State(Source).Select(value => dtype switch
        {
            "F16" => (float)(Half)value,
            "BF16" => SafeTensorsTesting.FromBFloat16Bits(SafeTensorsTesting.ToBFloat16Bits(value)),
            _ => value,
        }).ToArray();
        string path = Path.Combine(_directory, "pytorch.safetensors");
        File.WriteAllBytes(path, file);

        foreach ((string api, Action<INetwork> load) in Loads(file, path))
        {
            INetwork network = SafeTensorsTests.Create(nameof(TinyBatchNormConvNet), 77);
            load(network);
            Assert.True(SafeTensorsTesting.SameBits(expected, SafeTensorsTesting.State(network)), $"{placement} {dtype} via {api}: the state differs");
        }

        Assert.Equal("pt", SafeTensors.ReadMetadata(file)["format"]);
        Assert.Equal("pt", SafeTensors.ReadMetadata(path)["format"]);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void A_bad_buffer_or_counter_is_refused_through_every_api_and_changes_nothing(string name)
    {
        Case test = Cases[name];
        byte[] file = test.Build();
        string path = Path.Combine(_directory, "bad.safetensors");
        File.WriteAllBytes(path, file);
        INetwork network = SafeTensorsTests.Create(nameof(TinyBatchNormConvNet), 42);
        float[] before = SafeTensorsTesting.State(network);

        SafeTensorsFormatException exception = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(network, file));
        foreach (string fragment in test.Fragments)
        {
            Assert.Contains(fragment, exception.Message, StringComparison.Ordinal);
        }

        Assert.Equal(test.Tensor, exception.TensorName);
        Assert.Equal(exception.Message, Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(network, new MemoryStream(file))).Message);
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(network, new ForwardOnlyStream(new MemoryStream(file))));
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(network, path));
        Assert.True(SafeTensorsTesting.SameBits(before, SafeTensorsTesting.State(network)), "a failed load changed the parameters or the buffers");
    }

    [Fact]
    public void A_load_that_fails_while_reading_the_data_leaves_parameters_and_buffers_as_they_were()
    {
        // The counter sits between the buffers and the last layer, so failures land before, inside and after it.
        List<string> names = Names();
        names.Insert(names.IndexOf("norm.running_var") + 1, Counter);
        byte[] file = SafeTensorsTesting.BuildState(Source, "F32", names);
        int dataStart = file.Length - DataLength - 8;
        INetwork network = SafeTensorsTests.Create(nameof(TinyBatchNormConvNet), 42);
        float[] before = SafeTensorsTesting.State(network);

        // Every cut and every I/O failure from the first data byte on: by then the header matched, and some tensors,
        // the buffers among them, have been staged.
        for (int at = dataStart; at < file.Length; at++)
        {
            SafeTensorsFormatException truncated = Assert.Throws<SafeTensorsFormatException>(
                () => SafeTensors.Load(network, new ForwardOnlyStream(new MemoryStream(file[..at]), chunk: 64)));
            Assert.Contains($"ends at byte {at}, inside tensor", truncated.Message, StringComparison.Ordinal);
            IOException failed = Assert.Throws<IOException>(() => SafeTensors.Load(network, new FailingReadStream(file, at)));
            Assert.Equal($"Injected read failure at byte {at}.", failed.Message);
            Assert.True(SafeTensorsTesting.SameBits(before, SafeTensorsTesting.State(network)), $"a load failing at byte {at} changed the network");
        }

        SafeTensorsFormatException inCounter = Assert.Throws<SafeTensorsFormatException>(
            () => SafeTensors.Load(network, new ForwardOnlyStream(new MemoryStream(file[..(dataStart + 228)]))));
        Assert.Contains($"inside tensor '{Counter}'", inCounter.Message, StringComparison.Ordinal);

        // A stream that goes on after the last tensor is refused once everything has been staged.
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(network, new ForwardOnlyStream(new MemoryStream([.. file, 0]))));
        Assert.True(SafeTensorsTesting.SameBits(before, SafeTensorsTesting.State(network)));

        // And the whole file loads.
        SafeTensors.Load(network, new FailingReadStream(file, file.Length));
        Assert.True(SafeTensorsTesting.SameBits(SafeTensorsTesting.State(Source), SafeTensorsTesting.State(network)));
    }

    [Fact]
    public void Without_a_network_an_I64_scalar_is_accepted_only_as_a_counter()
    {
        byte[] OneTensor(string name, string shape, int bytes)
            => SafeTensorsTesting.Assemble($"{{\"__metadata__\":{{\"format\":\"pt\"}},\"{name}\":{{\"dtype\":\"I64\",\"shape\":{shape},\"data_offsets\":[0,{bytes}]}}}}", new byte[bytes]);

        Assert.Equal("pt", SafeTensors.ReadMetadata(OneTensor("any.module.num_batches_tracked", "[]", 8))["format"]);
        Assert.Contains("dtype I64, which TypedNets does not load", Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.ReadMetadata(OneTensor("norm.steps", "[]", 8))).Message, StringComparison.Ordinal);
        Assert.Contains("has shape [2], but as I64", Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.ReadMetadata(OneTensor("norm.num_batches_tracked", "[2]", 16))).Message, StringComparison.Ordinal);

        // A float tensor of that name is still a valid file on its own.
        Assert.Empty(SafeTensors.ReadMetadata(SafeTensorsTesting.Assemble("{\"norm.num_batches_tracked\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", new byte[4])));
    }

    [Fact]
    public void A_network_without_batchnorm_refuses_a_counter()
    {
        INetwork network = SafeTensorsTests.Create(nameof(TinyMlp), 1);
        float[] before = SafeTensorsTesting.State(network);
        byte[] file = SafeTensorsTesting.BuildState(SafeTensorsTests.Trained(nameof(TinyMlp), 2), "F32", SafeTensorsTesting.StateTensors(network).Select(tensor => tensor.Name).Prepend("hidden.num_batches_tracked"));
        SafeTensorsFormatException exception = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(network, file));
        Assert.Equal("hidden.num_batches_tracked", exception.TensorName);
        Assert.Contains("dtype I64, which TypedNets does not load", exception.Message, StringComparison.Ordinal);
        Assert.True(SafeTensorsTesting.SameBits(before, SafeTensorsTesting.State(network)));
    }

    [Fact]
    public void Networks_whose_only_state_is_batchnorm_round_trip()
    {
        foreach (string name in new[] { nameof(BatchNorm2DFixtureNet), nameof(BatchNorm1DFixtureNet), nameof(StridedImageNet) })
        {
            INetwork saved = SafeTensorsTests.Trained(name, 21);
            Assert.NotEqual(0, saved.Buffers.Length);
            byte[] file = SafeTensorsTesting.SaveToBytes(saved);
            Assert.DoesNotContain("num_batches_tracked", SafeTensorsTesting.Split(file).Header, StringComparison.Ordinal);
            INetwork loaded = SafeTensorsTests.Create(name, 22);
            SafeTensors.Load(loaded, new ForwardOnlyStream(new MemoryStream(file), chunk: 5));
            Assert.True(SafeTensorsTesting.SameBits(SafeTensorsTesting.State(saved), SafeTensorsTesting.State(loaded)), name);
        }
    }

    /// <summary>The network's state_dict names, in order: per layer, parameters and then buffers.</summary>
    private static List<string> Names() =>
    [
        "conv.weight", "conv.bias", "norm.weight", "norm.bias", "norm.running_mean", "norm.running_var", "output.weight", "output.bias",
    ];

    private static Dictionary<string, Action<INetwork>> Loads(byte[] file, string path) => new()
    {
        ["span"] = network => SafeTensors.Load(network, file),
        ["seekable stream"] = network => SafeTensors.Load(network, new MemoryStream(file)),
        ["forward-only stream"] = network => SafeTensors.Load(network, new ForwardOnlyStream(new MemoryStream(file), chunk: 3)),
        ["path"] = network => SafeTensors.Load(network, path),
    };

    /// <summary>The valid file with one or more entries added at the end of the header and <paramref name="extra"/> zero bytes of data.</summary>
    private static byte[] WithEntry(string entries, int extra)
    {
        byte[] data = [.. Data, .. new byte[extra]];
        return SafeTensorsTesting.Assemble(Header[..^1] + "," + entries + "}", data);
    }

    private static byte[] Edit(string find, string replace)
    {
        Assert.Contains(find, Header, StringComparison.Ordinal);
        return SafeTensorsTesting.Assemble(Header.Replace(find, replace, StringComparison.Ordinal), Data);
    }

    private sealed record Case(Func<byte[]> Build, string? Tensor, params string[] Fragments);

    /// <summary>A seekable read-only stream over <c>data</c> that throws <see cref="IOException"/> when a read reaches byte <c>failAt</c>.</summary>
    private sealed class FailingReadStream(byte[] data, int failAt) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => data.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int count = Math.Min(buffer.Length, data.Length - _position);
            if (count > 0 && _position + count > failAt)
            {
                // The bytes before the failure arrive first, as a disk error part-way would leave them.
                int before = failAt - _position;
                if (before > 0)
                {
                    data.AsSpan(_position, before).CopyTo(buffer);
                    _position += before;
                    return before;
                }

                throw new IOException($"Injected read failure at byte {failAt}.");
            }

            data.AsSpan(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
