using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;

namespace TypedNets.Tests.Serialization;

/// <summary>What <see cref="SafeTensors"/> writes, and that what it writes (or a hand-built file) loads back exactly.</summary>
public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "typednets-safetensors-" + Guid.NewGuid().ToString("N"));

    public SafeTensorsTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string> NetworkNames => new()
    {
        nameof(TinyMlp), nameof(TinyTextClassifier), nameof(SequenceNet), nameof(MaskedGruNet), nameof(MaskedLstmNet),
        nameof(FlattenNet), nameof(DropoutNet), nameof(AveragePoolingFixtureNet), nameof(TinyBatchNormConvNet), nameof(ImageGradientNet),
        nameof(StridedImageNet), nameof(BatchNorm2DFixtureNet), nameof(BatchNorm1DFixtureNet),
    };

    internal static INetwork Create(string name, ulong seed) => name switch
    {
        nameof(TinyMlp) => new TinyMlp(maxBatch: 6, seed: seed),
        nameof(TinyTextClassifier) => new TinyTextClassifier(maxBatch: 4, seed: seed),
        nameof(SequenceNet) => new SequenceNet(maxBatch: 2, seed: seed),
        nameof(MaskedGruNet) => new MaskedGruNet(maxBatch: 2, seed: seed),
        nameof(MaskedLstmNet) => new MaskedLstmNet(maxBatch: 2, seed: seed),
        nameof(FlattenNet) => new FlattenNet(maxBatch: 2, seed: seed),
        nameof(DropoutNet) => new DropoutNet(maxBatch: 2, seed: seed),
        nameof(AveragePoolingFixtureNet) => new AveragePoolingFixtureNet(maxBatch: 2, seed: seed),
        nameof(TinyBatchNormConvNet) => new TinyBatchNormConvNet(maxBatch: 6, seed: seed),
        nameof(ImageGradientNet) => new ImageGradientNet(maxBatch: 2, seed: seed),
        nameof(StridedImageNet) => new StridedImageNet(maxBatch: 2, seed: seed),
        nameof(BatchNorm2DFixtureNet) => new BatchNorm2DFixtureNet(maxBatch: 2, seed: seed),
        nameof(BatchNorm1DFixtureNet) => new BatchNorm1DFixtureNet(maxBatch: 2, seed: seed),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such network."),
    };

    /// <summary>
    /// A network with every parameter distinct and non-zero (Initialize zeroes the biases), and every buffer moved off
    /// its initial value (running means of 0 and variances of 1) as training would; variances stay positive.
    /// </summary>
    internal static INetwork Trained(string name, ulong seed)
    {
        INetwork network = Create(name, seed);
        var random = new Xoshiro256(seed + 1000);
        Span<float> parameters = network.Parameters;
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] += (float)random.NextDouble(-0.1, 0.1);
        }

        Span<float> buffers = network.Buffers;
        for (int i = 0; i < buffers.Length; i++)
        {
            buffers[i] += (float)random.NextDouble(-0.5, 0.5);
        }

        return network;
    }

    [Fact]
    public void Save_writes_the_reference_layout_in_state_dict_order()
    {
        INetwork network = Trained(nameof(TinyMlp), 3);
        byte[] file = SafeTensorsTesting.SaveToBytes(network);

        const string json =
            "{\"hidden.weight\":{\"dtype\":\"F32\",\"shape\":[5,4],\"data_offsets\":[0,80]}," +
            "\"hidden.bias\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[80,100]}," +
            "\"output.weight\":{\"dtype\":\"F32\",\"shape\":[3,5],\"data_offsets\":[100,160]}," +
            "\"output.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[160,172]}}";
        (string header, byte[] data) = SafeTensorsTesting.Split(file);
        Assert.Equal(0, header.Length % 8);
        Assert.Equal(json, header.TrimEnd(' '));
        Assert.True(header.Length - json.Length < 8, "padding is less than 8 spaces");
        Assert.Equal(MemoryMarshal.AsBytes(network.Parameters).ToArray(), data);
    }

    [Fact]
    public void Metadata_comes_first_in_key_order_and_loads_back()
    {
        INetwork network = Trained(nameof(TinyMlp), 3);
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["epoch"] = "12", ["note"] = "naïve \"quoted\" \\ \n 🙂" };
        byte[] file = SafeTensorsTesting.SaveToBytes(network, metadata);

        string header = SafeTensorsTesting.Split(file).Header;
        Assert.StartsWith("{\"__metadata__\":{\"epoch\":\"12\",\"format\":\"pt\",\"note\":\"naïve \\\"quoted\\\" \\\\ \\n \\uD83D\\uDE42\"},\"hidden.weight\"", header);
        Assert.Equal(metadata.OrderBy(pair => pair.Key), SafeTensors.ReadMetadata(file).OrderBy(pair => pair.Key));
        string path = Path.Combine(_directory, "with-metadata.safetensors");
        File.WriteAllBytes(path, file);
        Assert.Equal(metadata.OrderBy(pair => pair.Key), SafeTensors.ReadMetadata(path).OrderBy(pair => pair.Key));
        Assert.Empty(SafeTensors.ReadMetadata(SafeTensorsTesting.SaveToBytes(network)));

        INetwork loaded = Create(nameof(TinyMlp), 9);
        SafeTensors.Load(loaded, file);
        Assert.True(SafeTensorsTesting.SameBits(network.Parameters, loaded.Parameters));
    }

    [Theory]
    [MemberData(nameof(NetworkNames))]
    public void Every_way_to_load_restores_the_saved_parameters_and_outputs(string name)
    {
        INetwork saved = Trained(name, 5);
        string path = Path.Combine(_directory, name + ".safetensors");
        SafeTensors.Save(saved, path);
        byte[] file = File.ReadAllBytes(path);
        Assert.Equal(SafeTensorsTesting.SaveToBytes(saved), file);

        var loads = new Dictionary<string, Action<INetwork>>
        {
            ["path"] = network => SafeTensors.Load(network, path),
            ["span"] = network => SafeTensors.Load(network, file),
            ["seekable stream"] = network => SafeTensors.Load(network, new MemoryStream(file)),
            ["forward-only stream"] = network => SafeTensors.Load(network, new ForwardOnlyStream(new MemoryStream(file), chunk: 5)),
        };
        float[] input = Input(saved, batch: 2);
        float[] expected = saved.Forward(input, training: false).ToArray();
        foreach ((string how, Action<INetwork> load) in loads)
        {
            INetwork network = Create(name, 77);
            load(network);
            Assert.True(SafeTensorsTesting.SameBits(saved.Parameters, network.Parameters), $"{name} via {how}: parameters differ");
            Assert.True(SafeTensorsTesting.SameBits(saved.Buffers, network.Buffers), $"{name} via {how}: buffers differ");
            Assert.Equal(expected, network.Forward(input, training: false).ToArray());
        }
    }

    [Fact]
    public void A_network_without_parameters_saves_an_empty_header()
    {
        INetwork network = Create(nameof(AveragePoolingFixtureNet), 1);
        byte[] file = SafeTensorsTesting.SaveToBytes(network);
        Assert.Equal("{}      ", SafeTensorsTesting.Split(file).Header);
        Assert.Equal(16, file.Length);
        SafeTensors.Load(network, file);
        Assert.Empty(SafeTensors.ReadMetadata(file));
    }

    [Theory]
    [InlineData("F32")]
    [InlineData("F16")]
    [InlineData("BF16")]
    public void Tensors_load_in_any_order_and_convert_exactly_from_each_dtype(string dtype)
    {
        INetwork source = Trained(nameof(TinyTextClassifier), 8);
        Span<float> values = source.Parameters;
        float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, 65504f, 6.1e-5f, 6e-8f, 1e-40f, -3.5f, 1f / 3];
        special.CopyTo(values);

        // Reversed, and with the tensor order of the header different from the order of the data.
        ParameterTensor[] order = SafeTensorsTesting.Tensors(source).Reverse().ToArray();
        byte[] file = SafeTensorsTesting.Build(source, dtype, order, metadataJson: "{\"format\":\"pt\"}");

        float[] expected = values.ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            expected[i] = dtype switch
            {
                "F16" => (float)(Half)expected[i],
                "BF16" => SafeTensorsTesting.FromBFloat16Bits(SafeTensorsTesting.ToBFloat16Bits(expected[i])),
                _ => expected[i],
            };
        }

        // NaN and the infinities load only when allowed (see NonFiniteWeightsTests).
        INetwork network = Create(nameof(TinyTextClassifier), 1);
        SafeTensors.Load(network, file, allowNonFinite: true);
        Assert.Equal("pt", SafeTensors.ReadMetadata(file)["format"]);
        Assert.True(SafeTensorsTesting.SameBits(expected, network.Parameters), $"{dtype}: span load differs");
        INetwork streamed = Create(nameof(TinyTextClassifier), 1);
        SafeTensors.Load(streamed, new ForwardOnlyStream(new MemoryStream(file), chunk: 3), allowNonFinite: true);
        Assert.True(SafeTensorsTesting.SameBits(expected, streamed.Parameters), $"{dtype}: stream load differs");
        if (dtype == "F32")
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(network.Parameters[3]));
        }
    }

    [Fact]
    public void A_data_buffer_that_is_not_8_byte_aligned_loads()
    {
        // Other writers need not pad the header; F32 data may then start at any byte.
        INetwork source = Trained(nameof(TinyMlp), 2);
        byte[] file = SafeTensorsTesting.Build(source, "F32");
        Assert.NotEqual(0, (file.Length - 172) % 4);
        INetwork network = Create(nameof(TinyMlp), 1);
        SafeTensors.Load(network, file);
        Assert.True(SafeTensorsTesting.SameBits(source.Parameters, network.Parameters));
    }

    [Fact]
    public void Streams_are_read_and_written_from_their_position_and_left_open()
    {
        INetwork source = Trained(nameof(TinyMlp), 2);
        var stream = new MemoryStream();
        stream.Write("prefix"u8);
        SafeTensors.Save(source, stream);
        Assert.True(stream.CanWrite, "the stream stays open");
        stream.Position = 6;
        INetwork network = Create(nameof(TinyMlp), 1);
        SafeTensors.Load(network, stream);
        Assert.Equal(stream.Length, stream.Position);
        Assert.True(SafeTensorsTesting.SameBits(source.Parameters, network.Parameters));
    }

    [Fact]
    public void Save_replaces_an_existing_file_and_leaves_no_temporary_file()
    {
        string path = Path.Combine(_directory, "model.safetensors");
        File.WriteAllText(path, "an older, longer file that is not a safetensors file at all; it must be replaced whole");
        INetwork source = Trained(nameof(TinyMlp), 2);
        SafeTensors.Save(source, path, new Dictionary<string, string> { ["format"] = "pt" });
        Assert.Equal(SafeTensorsTesting.SaveToBytes(source, new Dictionary<string, string> { ["format"] = "pt" }), File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_directory));
    }

    [Fact]
    public void Arguments_are_checked_before_any_file_is_created()
    {
        string path = Path.Combine(_directory, "model.safetensors");
        INetwork network = Create(nameof(TinyMlp), 1);
        Assert.Throws<ArgumentNullException>(() => SafeTensors.Save(null!, path));
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(network, ""));
        var bad = new Dictionary<string, string> { ["format"] = null! };
        ArgumentException exception = Assert.Throws<ArgumentException>(() => SafeTensors.Save(network, path, bad));
        Assert.Contains("'format' has a null value", exception.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_directory));
        Assert.Throws<ArgumentException>(() => SafeTensors.Load(network, new FailingStream(Stream.Null, 0)));
        Assert.Throws<FileNotFoundException>(() => SafeTensors.Load(network, Path.Combine(_directory, "missing.safetensors")));
    }

    [Fact]
    public void Path_errors_name_the_file()
    {
        string path = Path.Combine(_directory, "other.safetensors");
        SafeTensors.Save(Create(nameof(TinyMlp), 1), path);
        SafeTensorsFormatException exception = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(new ReluNet(maxBatch: 1), path));
        Assert.Equal(path, exception.FilePath);
        Assert.StartsWith($"Safetensors file '{path}': ", exception.Message, StringComparison.Ordinal);
    }

    private static float[] Input(INetwork network, int batch)
    {
        var random = new Xoshiro256(31);
        float[] input = new float[batch * network.InputSize];
        bool tokens = network.Layers.Count > 0 && network.Layers[0] is EmbeddingLayer;
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = tokens ? random.NextInt(((EmbeddingLayer)network.Layers[0]).Vocabulary) : (float)random.NextDouble(-1, 1);
        }

        return input;
    }
}
