using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using FashionMnist;
using TypedNets.Compression;
using TypedNets.Kernels;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;
using Xunit.Abstractions;

namespace TypedNets.Tests.Serialization;

/// <summary>
/// Quantised networks in safetensors files: each int8 weight as I8 codes under the float weight's name and shape, its
/// per-row scales as <c>&lt;name&gt;_scale</c> (F32 <c>[rows]</c>), for a static quantisation its input's scale and zero
/// point as <c>&lt;name&gt;_input_scale</c> (F32 <c>[]</c>) and <c>&lt;name&gt;_input_zero_point</c> (U8 <c>[]</c>), and
/// <c>typednets.quantization</c> in the metadata. A load of such a file makes any network of the type quantised,
/// predicting bit for bit as the network saved; a float file makes it float again; every fault is refused, naming the
/// tensor, before anything changes. The files the refusals are tested on are written by hand, not by the writer.
/// </summary>
public sealed class Int8SafeTensorsTests(ITestOutputHelper output) : IDisposable
{
    private const string QuantizationKey = "typednets.quantization";

    private readonly string _directory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "typednets-int8-" + Guid.NewGuid().ToString("N"))).FullName;

    private string Target => Path.Combine(_directory, "model.safetensors");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string, bool> Quantizations => new()
    {
        { nameof(TinyMlp), false },
        { nameof(TinyMlp), true },
        { nameof(TinyConvNet), false },
        { nameof(TinyConvNet), true },
        { nameof(TinyTextClassifier), false },
        { nameof(TinyTextClassifier), true },
        { nameof(TinyBatchNormConvNet), false },
        { nameof(TinyBatchNormConvNet), true },
        { nameof(SequenceNet), false },
        { nameof(SequenceNet), true },
    };

    [Theory]
    [MemberData(nameof(Quantizations))]
    public void A_quantised_network_loaded_into_a_fresh_float_network_predicts_bit_for_bit_as_the_one_saved(string name, bool calibrated)
    {
        INetwork quantized = Quantized(name, seed: 1, calibrated);
        SafeTensors.Save(quantized, Target);

        INetwork loaded = Create(name, seed: 2);
        Assert.False(loaded.IsQuantized);
        SafeTensors.Load(loaded, Target);

        Assert.True(loaded.IsQuantized);
        Assert.Equal(calibrated, loaded.Core.Engine.Int8Weights!.IsStatic);
        Assert.Equal(Describe(quantized), Describe(loaded));
        Assert.True(SafeTensorsTesting.SameBits(quantized.Parameters, loaded.Parameters), "the float parameters are not the dequantised weights saved");
        Assert.True(SafeTensorsTesting.SameBits(quantized.Buffers, loaded.Buffers));
        float[] inputs = Inputs(quantized, rows: 9, seed: 3);
        Assert.True(SafeTensorsTesting.SameBits(Predict(quantized, inputs), Predict(loaded, inputs)), "the loaded network predicts otherwise");
        Assert.Equal(calibrated ? "int8-static" : "int8-dynamic", SafeTensors.ReadMetadata(Target)[QuantizationKey]);

        // Every weight Quantize takes is int8 in the file, under its own name, with the float tensor's shape.
        List<string> int8 = [.. Quantization.QuantizableWeights(loaded).Select(weight => weight.Tensor.Name)];
        Assert.Equal(int8, loaded.Core.Engine.Int8Weights!.Weights.Select(weight => weight.Name));
        using JsonDocument header = JsonDocument.Parse(SafeTensorsTesting.Split(File.ReadAllBytes(Target)).Header);
        foreach (ParameterTensor parameter in loaded.Layers.SelectMany(layer => layer.Parameters))
        {
            JsonElement entry = header.RootElement.GetProperty(parameter.Name);
            Assert.Equal(int8.Contains(parameter.Name) ? "I8" : "F32", entry.GetProperty("dtype").GetString());
            Assert.Equal(parameter.Shape.ToArray(), entry.GetProperty("shape").EnumerateArray().Select(dimension => dimension.GetInt32()));
        }
    }

    [Theory]
    [InlineData(nameof(TinyMlp))]
    [InlineData(nameof(TinyConvNet))]
    [InlineData(nameof(TinyTextClassifier))]
    public void The_loaded_network_runs_int8_products_rather_than_float_ones_on_the_dequantised_weights(string name)
    {
        INetwork quantized = Quantized(name, seed: 1, calibrated: false);
        INetwork loaded = Create(name, seed: 2);
        SafeTensors.Load(loaded, SafeTensorsTesting.SaveToBytes(quantized));

        // A float network holding the same dequantised weights: only the activations' quantisation tells them apart.
        INetwork twin = Create(name, seed: 3);
        quantized.Parameters.CopyTo(twin.Parameters);
        quantized.Buffers.CopyTo(twin.Buffers);
        float[] inputs = Inputs(quantized, rows: 9, seed: 4);
        float[] int8 = Predict(loaded, inputs), single = Predict(twin, inputs);
        Assert.False(SafeTensorsTesting.SameBits(single, int8), "the loaded network ran float products");
        double largest = int8.Zip(single, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"{name}: largest difference between int8 and float products on the same weights {largest:G3}");
        Assert.True(largest < 0.05, $"{largest} is more than the activations' quantisation explains");
    }

    [Fact]
    public void The_file_holds_I8_codes_F32_scales_and_the_static_input_quantisation_aligned_as_the_reference_writer_aligns()
    {
        INetwork quantized = Quantized(nameof(TinyMlp), seed: 1, calibrated: true);
        byte[] file = SafeTensorsTesting.SaveToBytes(quantized, new Dictionary<string, string> { ["format"] = "pt" });
        (string text, byte[] data) = SafeTensorsTesting.Split(file);
        Assert.Equal(0, (8 + Encoding.UTF8.GetByteCount(text)) % 8);
        using JsonDocument header = JsonDocument.Parse(text);
        JsonElement root = header.RootElement;

        Assert.Equal(
            [("format", "pt"), (QuantizationKey, "int8-static")],
            root.GetProperty("__metadata__").EnumerateObject().Select(pair => (pair.Name, pair.Value.GetString()!)));

        // state_dict order, each weight's scales and input quantisation right after it.
        (string Name, string Dtype, int[] Shape)[] expected =
        [
            ("hidden.weight", "I8", [5, 4]), ("hidden.weight_scale", "F32", [5]),
            ("hidden.weight_input_scale", "F32", []), ("hidden.weight_input_zero_point", "U8", []), ("hidden.bias", "F32", [5]),
            ("output.weight", "I8", [3, 5]), ("output.weight_scale", "F32", [3]),
            ("output.weight_input_scale", "F32", []), ("output.weight_input_zero_point", "U8", []), ("output.bias", "F32", [3]),
        ];
        List<JsonProperty> entries = [.. root.EnumerateObject().Where(entry => entry.Name != "__metadata__")];
        Assert.Equal(
            expected.Select(entry => $"{entry.Name} {entry.Dtype} [{string.Join(",", entry.Shape)}]"),
            entries.Select(entry => $"{entry.Name} {entry.Value.GetProperty("dtype").GetString()} [{string.Join(",", entry.Value.GetProperty("shape").EnumerateArray())}]"));

        var bytes = entries.ToDictionary(
            entry => entry.Name,
            entry => data[entry.Value.GetProperty("data_offsets")[0].GetInt32()..entry.Value.GetProperty("data_offsets")[1].GetInt32()]);
        foreach (Int8Weight weight in quantized.Core.Engine.Int8Weights!.Weights)
        {
            sbyte[] codes = new sbyte[weight.Rows * weight.Columns];
            weight.CopyCodes(codes);
            Assert.Equal(MemoryMarshal.AsBytes(codes.AsSpan()).ToArray(), bytes[weight.Name]);
            Assert.Equal(weight.Scales.ToArray(), Floats(bytes[weight.Name + "_scale"]));
            Assert.Equal([weight.InputScale], Floats(bytes[weight.Name + "_input_scale"]));
            Assert.Equal([(byte)weight.InputZeroPoint], bytes[weight.Name + "_input_zero_point"]);

            // What the network computes with: scale * code, in its float parameters too.
            float[] dequantized = [.. codes.Select((code, i) => weight.Scales[i / weight.Columns] * code)];
            Assert.Equal(dequantized, quantized.Parameters.Slice(weight.Offset, codes.Length).ToArray());
        }

        Assert.Equal(quantized.Layers[0].Parameters[1].Values.ToArray(), Floats(bytes["hidden.bias"]));

        // As the reference writer orders the data by dtype size: every F32 tensor first, 4-byte aligned, then the bytes.
        var extents = entries.Select(entry => (Dtype: entry.Value.GetProperty("dtype").GetString(), Begin: entry.Value.GetProperty("data_offsets")[0].GetInt32())).ToList();
        Assert.All(extents.Where(extent => extent.Dtype == "F32"), extent => Assert.Equal(0, extent.Begin % 4));
        Assert.True(extents.Where(extent => extent.Dtype == "F32").Max(extent => extent.Begin) < extents.Where(extent => extent.Dtype != "F32").Min(extent => extent.Begin));
    }

    [Fact]
    public void The_int8_file_of_the_784_256_128_10_mlp_is_a_quarter_of_the_float_file()
    {
        var network = new FashionMlp(maxBatch: 8, seed: 1);
        byte[] single = SafeTensorsTesting.SaveToBytes(network);
        byte[] dynamic = SafeTensorsTesting.SaveToBytes(network.Quantize());
        byte[] calibrated = SafeTensorsTesting.SaveToBytes(network.Quantize(Inputs(network, rows: 32, seed: 2)));

        // 784 x 256 + 256 x 128 + 128 x 10 = 234,752 weights and 394 biases: four bytes each as float; as int8, one byte
        // per weight plus four per bias and per row's scale, and for a static file four and one more per weight matrix.
        Assert.Equal(4 * (234_752 + 394), SafeTensorsTesting.Split(single).Data.Length);
        Assert.Equal(234_752 + (4 * 394) + (4 * 394), SafeTensorsTesting.Split(dynamic).Data.Length);
        Assert.Equal(234_752 + (4 * 394) + (4 * 394) + (3 * (4 + 1)), SafeTensorsTesting.Split(calibrated).Data.Length);

        double dynamicRatio = (double)dynamic.Length / single.Length, staticRatio = (double)calibrated.Length / single.Length;
        output.WriteLine($"float {single.Length} bytes, int8 dynamic {dynamic.Length} ({dynamicRatio:F4}x), int8 static {calibrated.Length} ({staticRatio:F4}x)");
        Assert.InRange(dynamicRatio, 0.25, 0.26);
        Assert.InRange(staticRatio, 0.25, 0.26);
    }

    [Fact]
    public void Every_save_and_load_form_round_trips_a_quantised_network()
    {
        INetwork quantized = Quantized(nameof(TinyTextClassifier), seed: 1, calibrated: true);
        byte[] file = SafeTensorsTesting.SaveToBytes(quantized);
        SafeTensors.Save(quantized, Target);
        Assert.Equal(file, File.ReadAllBytes(Target));
        string base64 = Path.Combine(_directory, "model.safetensors.b64");
        SafeTensors.SaveBase64(quantized, base64);
        Assert.Equal(file, Convert.FromBase64String(File.ReadAllText(base64)));

        float[] inputs = Inputs(quantized, rows: 5, seed: 2);
        float[] expected = Predict(quantized, inputs);
        var loads = new Dictionary<string, Action<INetwork>>
        {
            ["path"] = network => SafeTensors.Load(network, Target),
            ["span"] = network => SafeTensors.Load(network, file),
            ["seekable stream"] = network => SafeTensors.Load(network, new MemoryStream(file)),
            ["forward-only stream"] = network => SafeTensors.Load(network, new ForwardOnlyStream(new MemoryStream(file))),
            ["base64"] = network => SafeTensors.LoadBase64(network, base64),
            ["span, renamed as it is"] = network => SafeTensors.Load(network, file, name => name),
            ["forward-only stream, renamed as it is"] = network => SafeTensors.Load(network, new ForwardOnlyStream(new MemoryStream(file)), name => name),
        };
        foreach ((string form, Action<INetwork> load) in loads)
        {
            INetwork loaded = Create(nameof(TinyTextClassifier), seed: 3);
            load(loaded);
            Assert.True(loaded.IsQuantized, form);
            Assert.Equal(Describe(quantized), Describe(loaded));
            Assert.True(SafeTensorsTesting.SameBits(expected, Predict(loaded, inputs)), form);
        }
    }

    [Fact]
    public void A_renamed_load_renames_the_scales_with_their_weights()
    {
        INetwork quantized = Quantized(nameof(TinyMlp), seed: 1, calibrated: true);
        byte[] file = Int8File(quantized, tensors =>
        {
            for (int i = 0; i < tensors.Count; i++)
            {
                tensors[i] = tensors[i] with { Name = "model." + tensors[i].Name };
            }
        });

        INetwork loaded = Create(nameof(TinyMlp), seed: 2);
        SafeTensors.Load(loaded, file, name => name["model.".Length..]);
        Assert.Equal(Describe(quantized), Describe(loaded));
    }

    [Fact]
    public void A_float_file_makes_a_quantised_network_float_again_and_trainable()
    {
        var single = (TinyConvNet)Trained(nameof(TinyConvNet), seed: 1);
        TinyConvNet network = single.Quantize();
        SafeTensors.Load(network, SafeTensorsTesting.SaveToBytes(single));

        Assert.False(network.IsQuantized);
        Assert.True(SafeTensorsTesting.SameBits(single.Parameters, network.Parameters));
        float[] inputs = Inputs(single, rows: 4, seed: 2);
        Assert.True(SafeTensorsTesting.SameBits(Predict(single, inputs), Predict(network, inputs)));
        network.Forward(inputs, training: true);
        network.Backward(new float[4 * 3]);
    }

    [Fact]
    public void An_int8_file_replaces_the_int8_weights_of_a_quantised_network()
    {
        INetwork calibrated = Quantized(nameof(TinyMlp), seed: 1, calibrated: true);
        INetwork network = Quantized(nameof(TinyMlp), seed: 2, calibrated: false);
        SafeTensors.Load(network, SafeTensorsTesting.SaveToBytes(calibrated));

        Assert.True(network.Core.Engine.Int8Weights!.IsStatic);
        Assert.Equal(Describe(calibrated), Describe(network));
        float[] inputs = Inputs(network, rows: 7, seed: 3);
        Assert.True(SafeTensorsTesting.SameBits(Predict(calibrated, inputs), Predict(network, inputs)));
    }

    [Fact]
    public void A_file_without_the_metadata_is_read_by_its_I8_tensors()
    {
        foreach (bool calibrated in new[] { false, true })
        {
            INetwork quantized = Quantized(nameof(TinyMlp), seed: 1, calibrated);
            INetwork loaded = Create(nameof(TinyMlp), seed: 2);
            SafeTensors.Load(loaded, Int8File(quantized, metadata: null));
            Assert.Equal(Describe(quantized), Describe(loaded));
        }
    }

    [Fact]
    public void Read_metadata_reads_an_int8_file()
    {
        INetwork quantized = Quantized(nameof(TinyConvNet), seed: 1, calibrated: true);
        SafeTensors.Save(quantized, Target, new Dictionary<string, string> { ["format"] = "pt" });
        var expected = new Dictionary<string, string> { ["format"] = "pt", [QuantizationKey] = "int8-static" };
        Assert.Equal(expected, SafeTensors.ReadMetadata(Target));
        Assert.Equal(expected, SafeTensors.ReadMetadata(File.ReadAllBytes(Target)));
    }

    [Fact]
    public void Save_keeps_the_quantization_key_to_itself()
    {
        INetwork single = Trained(nameof(TinyMlp), seed: 1);
        INetwork quantized = Quantized(nameof(TinyMlp), seed: 1, calibrated: false);
        foreach ((INetwork network, string value) in new[] { (single, "int8-dynamic"), (quantized, "int8-static"), (quantized, "float") })
        {
            var metadata = new Dictionary<string, string> { [QuantizationKey] = value };
            ArgumentException exception = Assert.Throws<ArgumentException>(() => SafeTensors.Save(network, Target, metadata));
            Assert.Equal("metadata", exception.ParamName);
            Assert.Contains($"'{QuantizationKey}' is '{value}'", exception.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(Target));
        }

        // The metadata ReadMetadata gave back can be saved again with the network it came from.
        SafeTensors.Save(quantized, Target, new Dictionary<string, string> { [QuantizationKey] = "int8-dynamic", ["format"] = "pt" });
        Assert.Equal("int8-dynamic", SafeTensors.ReadMetadata(Target)[QuantizationKey]);
    }

    [Fact]
    public void A_save_of_a_quantised_network_that_fails_at_any_write_or_byte_leaves_the_previous_file()
    {
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        SafeTensors.Save(Trained(nameof(TinyMlp), seed: 1), Target, metadata);
        byte[] previous = File.ReadAllBytes(Target);
        INetwork next = Quantized(nameof(TinyMlp), seed: 2, calibrated: true);
        byte[] expected = SafeTensorsTesting.SaveToBytes(next, metadata);

        // The length field, the header and one write per tensor: two biases, two weights with four tensors each.
        var counter = new FailingStream(Stream.Null, failOn: 0);
        SafeTensors.Save(next, counter, metadata);
        Assert.Equal(2 + 10, counter.Writes);
        for (int k = 1; k <= counter.Writes; k++)
        {
            int failOn = k;
            Assert.Throws<IOException>(() => AtomicFile.Write(Target, stream => SafeTensors.Save(next, new FailingStream(stream, failOn), metadata)));
            Assert.Equal(previous, File.ReadAllBytes(Target));
            Assert.Equal([Target], Directory.GetFiles(_directory));
        }

        for (int budget = 0; budget < expected.Length; budget++)
        {
            int bytes = budget;
            Assert.Throws<IOException>(() => AtomicFile.Write(Target, stream => SafeTensors.Save(next, new ByteBudgetStream(stream, bytes), metadata)));
            Assert.Equal(previous, File.ReadAllBytes(Target));
            Assert.Equal([Target], Directory.GetFiles(_directory));
        }

        SafeTensors.Save(next, Target, metadata);
        Assert.Equal(expected, File.ReadAllBytes(Target));
        INetwork loaded = Create(nameof(TinyMlp), seed: 3);
        SafeTensors.Load(loaded, Target);
        Assert.Equal(Describe(next), Describe(loaded));
    }

    // The refusals, each on a static TinyMlp file written by hand: hidden.weight [5, 4], output.weight [3, 5].
    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["scale missing"] = new(
            tensors => Remove(tensors, "hidden.weight_scale"), "hidden.weight_scale",
            "'hidden.weight' holds int8 codes (I8), but the file has no 'hidden.weight_scale'", "F32 [5]"),
        ["scale of the wrong shape"] = new(
            tensors => Change(tensors, "hidden.weight_scale", tensor => tensor with { Shape = [4], Data = tensor.Data[..16] }), "hidden.weight_scale",
            "'hidden.weight_scale' has shape [4]", "one per row of the 5 of 'hidden.weight'", "F32 [5]"),
        ["scale as a matrix"] = new(
            tensors => Change(tensors, "hidden.weight_scale", tensor => tensor with { Shape = [5, 1] }), "hidden.weight_scale", "'hidden.weight_scale' has shape [5, 1]", "F32 [5]"),
        ["scale of 0"] = new(
            tensors => SetFloat(tensors, "hidden.weight_scale", 2, 0f), "hidden.weight_scale", "'hidden.weight_scale' holds 0 for row 2 of 'hidden.weight'", "positive and finite"),
        ["negative scale"] = new(
            tensors => SetFloat(tensors, "output.weight_scale", 1, -0.5f), "output.weight_scale", "'output.weight_scale' holds -0.5 for row 1 of 'output.weight'", "positive and finite"),
        ["NaN scale"] = new(
            tensors => SetFloat(tensors, "hidden.weight_scale", 4, float.NaN), "hidden.weight_scale", "holds NaN for row 4", "positive and finite"),
        ["infinite scale"] = new(
            tensors => SetFloat(tensors, "hidden.weight_scale", 0, float.PositiveInfinity), "hidden.weight_scale", "holds Infinity for row 0", "positive and finite"),
        ["scale as F16"] = new(
            tensors => Change(tensors, "hidden.weight_scale", tensor => tensor with { Dtype = "F16", Data = tensor.Data[..10] }), "hidden.weight_scale",
            "'hidden.weight_scale' has dtype F16", "the scales of an int8 weight are F32"),
        ["codes of the wrong shape"] = new(
            tensors => Change(tensors, "hidden.weight", tensor => tensor with { Shape = [4, 5] }), "hidden.weight", "'hidden.weight' has shape [4, 5] in the file", "TinyMlp's hidden.weight is [5, 4]"),
        ["codes as U8"] = new(
            tensors => Change(tensors, "hidden.weight", tensor => tensor with { Dtype = "U8" }), "hidden.weight", "'hidden.weight' has dtype U8", "I8"),
        ["codes as I16"] = new(
            tensors => Change(tensors, "hidden.weight", tensor => tensor with { Dtype = "I16", Data = [.. tensor.Data, .. tensor.Data] }), "hidden.weight",
            "'hidden.weight' has dtype I16, which TypedNets does not load", "I8"),
        ["codes for a bias"] = new(
            tensors => Change(tensors, "hidden.bias", tensor => tensor with { Dtype = "I8", Data = [1, 2, 3, 4, 5] }), "hidden.bias",
            "'hidden.bias' has dtype I8", "Quantize keeps it float", "Dense, Conv2D, LSTM and GRU"),
        ["scale for a float weight"] = new(
            tensors => Change(tensors, "hidden.weight", tensor => tensor with { Dtype = "F32", Data = new byte[4 * 20] }), "hidden.weight_scale",
            "'hidden.weight_scale' is the scale of an int8 weight, but 'hidden.weight' is F32 in the file"),
        ["scale under a name that is no weight's"] = new(
            tensors => tensors.Add(new FileTensor("hidden.bias_scale", "F32", [5], new byte[20])), "hidden.bias_scale", "'hidden.bias_scale', which TinyMlp does not have"),
        ["input scale missing"] = new(
            tensors => Remove(tensors, "output.weight_input_scale"), "output.weight_input_scale",
            "'output.weight_input_zero_point'", "no 'output.weight_input_scale'"),
        ["zero point missing"] = new(
            tensors => Remove(tensors, "hidden.weight_input_zero_point"), "hidden.weight_input_zero_point",
            "'hidden.weight_input_scale'", "no 'hidden.weight_input_zero_point'"),
        ["input scale of 0"] = new(
            tensors => SetFloat(tensors, "hidden.weight_input_scale", 0, 0f), "hidden.weight_input_scale", "'hidden.weight_input_scale' holds 0", "positive and finite"),
        ["negative input scale"] = new(
            tensors => SetFloat(tensors, "hidden.weight_input_scale", 0, -2f), "hidden.weight_input_scale", "'hidden.weight_input_scale' holds -2", "positive and finite"),
        ["input scale of shape [1]"] = new(
            tensors => Change(tensors, "hidden.weight_input_scale", tensor => tensor with { Shape = [1] }), "hidden.weight_input_scale",
            "'hidden.weight_input_scale' has shape [1]", "F32 []"),
        ["zero point as F32"] = new(
            tensors => Change(tensors, "hidden.weight_input_zero_point", tensor => tensor with { Dtype = "F32", Data = BitConverter.GetBytes(300f) }), "hidden.weight_input_zero_point",
            "'hidden.weight_input_zero_point' has dtype F32", "U8 (a code in [0, 255])"),
        ["zero point as I64"] = new(
            tensors => Change(tensors, "hidden.weight_input_zero_point", tensor => tensor with { Dtype = "I64", Data = BitConverter.GetBytes(256L) }), "hidden.weight_input_zero_point",
            "'hidden.weight_input_zero_point' has dtype I64", "U8 (a code in [0, 255])"),
        ["zero point of shape [1]"] = new(
            tensors => Change(tensors, "hidden.weight_input_zero_point", tensor => tensor with { Shape = [1] }), "hidden.weight_input_zero_point",
            "'hidden.weight_input_zero_point' has shape [1]", "U8 []"),
        ["static and dynamic weights mixed"] = new(
            tensors => Remove(tensors, "output.weight_input_scale", "output.weight_input_zero_point"), "output.weight_input_scale",
            "'hidden.weight' is quantised statically", "'output.weight' dynamically", "all one way", Metadata: null),
        ["static metadata over a dynamic weight"] = new(
            tensors => Remove(tensors, "output.weight_input_scale", "output.weight_input_zero_point"), "output.weight_input_scale",
            "int8-static", "'output.weight' has no 'output.weight_input_scale'", Metadata: "int8-static"),
        ["dynamic metadata over static weights"] = new(
            tensors => { }, "hidden.weight_input_scale", "int8-dynamic", "'hidden.weight_input_scale'", Metadata: "int8-dynamic"),
        ["int8 metadata over a float file"] = new(
            tensors =>
            {
                Remove(tensors, "hidden.weight_scale", "hidden.weight_input_scale", "hidden.weight_input_zero_point", "output.weight_scale", "output.weight_input_scale", "output.weight_input_zero_point");
                Change(tensors, "hidden.weight", tensor => tensor with { Dtype = "F32", Data = new byte[4 * 20] });
                Change(tensors, "output.weight", tensor => tensor with { Dtype = "F32", Data = new byte[4 * 15] });
            },
            null, $"{QuantizationKey} is 'int8-dynamic'", "holds no I8 tensor", Metadata: "int8-dynamic"),
        ["unknown quantization"] = new(tensors => { }, null, $"{QuantizationKey} is 'int4'", "int8-dynamic or int8-static", Metadata: "int4"),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void A_faulty_int8_file_is_refused_naming_the_tensor_and_leaves_float_and_quantised_networks_as_they_were(string name)
    {
        Case test = Cases[name];
        byte[] file = Int8File(Quantized(nameof(TinyMlp), seed: 1, calibrated: true), test.Edit, test.Metadata);
        INetwork single = Trained(nameof(TinyMlp), seed: 5);
        INetwork quantized = Quantized(nameof(TinyMlp), seed: 6, calibrated: false);
        foreach (INetwork network in new[] { single, quantized })
        {
            float[] parameters = network.Parameters.ToArray();
            Int8Weights? int8 = network.Core.Engine.Int8Weights;
            string before = Describe(network);

            SafeTensorsFormatException exception = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(network, file, allowNonFinite: true));
            foreach (string fragment in test.Fragments)
            {
                Assert.Contains(fragment, exception.Message, StringComparison.Ordinal);
            }

            Assert.Equal(test.Tensor, exception.TensorName);

            // The streams find the same fault; a forward-only one may meet it elsewhere but must refuse the file too.
            Assert.Equal(exception.Message, Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(network, new MemoryStream(file))).Message);
            Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(network, new ForwardOnlyStream(new MemoryStream(file))));
            Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(network, file, name => name));

            Assert.True(SafeTensorsTesting.SameBits(parameters, network.Parameters), "a failed load changed the float weights");
            Assert.Same(int8, network.Core.Engine.Int8Weights);
            Assert.Equal(before, Describe(network));
        }
    }

    [Fact]
    public void The_hand_written_base_file_loads()
    {
        INetwork quantized = Quantized(nameof(TinyMlp), seed: 1, calibrated: true);
        INetwork loaded = Create(nameof(TinyMlp), seed: 2);
        SafeTensors.Load(loaded, Int8File(quantized));
        Assert.Equal(Describe(quantized), Describe(loaded));

        // Every code and zero point the dtypes hold loads as it is: -128 and 127, 0 and 255.
        byte[] extremes = Int8File(quantized, tensors =>
        {
            Change(tensors, "hidden.weight", tensor => tensor with { Data = [.. tensor.Data.Select((code, i) => i == 0 ? (byte)0x80 : i == 1 ? (byte)127 : code)] });
            Change(tensors, "hidden.weight_input_zero_point", tensor => tensor with { Data = [255] });
            Change(tensors, "output.weight_input_zero_point", tensor => tensor with { Data = [0] });
        });
        SafeTensors.Load(loaded, extremes);
        Int8Weight hidden = loaded.Core.Engine.Int8Weights!.Weights[0];
        sbyte[] codes = new sbyte[20];
        hidden.CopyCodes(codes);
        Assert.Equal(new sbyte[] { -128, 127 }, codes[..2]);
        Assert.Equal(-128 * hidden.Scales[0], loaded.Parameters[0]);
        Assert.Equal(255, hidden.InputZeroPoint);
        Assert.Equal(0, loaded.Core.Engine.Int8Weights!.Weights[1].InputZeroPoint);
    }

    [Fact]
    public void An_embedding_table_as_I8_is_refused_since_Quantize_keeps_it_float()
    {
        INetwork quantized = Quantized(nameof(TinyTextClassifier), seed: 1, calibrated: false);
        byte[] file = Int8File(quantized, tensors => Change(tensors, "embedding.weight", tensor => tensor with { Dtype = "I8", Data = new byte[20 * 8] }));
        INetwork network = Create(nameof(TinyTextClassifier), seed: 2);
        float[] parameters = network.Parameters.ToArray();
        SafeTensorsFormatException exception = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(network, file));
        Assert.Equal("embedding.weight", exception.TensorName);
        Assert.Contains("'embedding.weight' has dtype I8", exception.Message, StringComparison.Ordinal);
        Assert.Contains("Quantize keeps it float", exception.Message, StringComparison.Ordinal);
        Assert.True(SafeTensorsTesting.SameBits(parameters, network.Parameters));
        Assert.False(network.IsQuantized);
    }

    [Fact]
    public void An_int8_weight_rebuilt_from_its_codes_and_scales_is_the_weight_it_was()
    {
        const int Rows = 7, Columns = 11;
        var random = new Xoshiro256(5);
        float[] values = [.. Enumerable.Range(0, Rows * Columns).Select(_ => (float)random.NextDouble(-2, 2))];
        Int8Weight weight = Int8Weight.Quantize("w", 3, values, Rows, Columns);
        sbyte[] codes = new sbyte[Rows * Columns];
        weight.CopyCodes(codes);

        Int8Weight rebuilt = Int8Weight.FromCodes("w", 3, codes, weight.Scales, Rows, Columns, inputScale: 0.02f, inputZeroPoint: 17);
        sbyte[] again = new sbyte[Rows * Columns];
        rebuilt.CopyCodes(again);
        Assert.Equal(codes, again);
        Assert.Equal(weight.Scales.ToArray(), rebuilt.Scales.ToArray());
        Assert.True(rebuilt.IsStatic);
        Assert.Equal((0.02f, 17), (rebuilt.InputScale, rebuilt.InputZeroPoint));
        Assert.False(weight.IsStatic);

        // The weight it stands for is scale * code, row by row, and within half a step of the float weight.
        float[] dequantized = new float[Rows * Columns];
        rebuilt.Dequantize(dequantized);
        for (int i = 0; i < values.Length; i++)
        {
            float scale = weight.Scales[i / Columns];
            Assert.Equal(scale * codes[i], dequantized[i]);
            Assert.True(Math.Abs(values[i] - dequantized[i]) <= (scale / 2) + 1e-6f, $"element {i}");
        }
    }

    [Fact]
    public void From_codes_refuses_what_cannot_be_an_int8_weight_naming_the_argument()
    {
        sbyte[] codes = new sbyte[6];
        float[] scales = [0.5f, 0.25f];
        Assert.Equal("codes", Assert.Throws<ArgumentException>(() => Int8Weight.FromCodes("w", 0, codes[..5], scales, 2, 3)).ParamName);
        Assert.Equal("scales", Assert.Throws<ArgumentException>(() => Int8Weight.FromCodes("w", 0, codes, scales[..1], 2, 3)).ParamName);
        foreach (float scale in new[] { 0f, -1f, float.NaN, float.PositiveInfinity })
        {
            ArgumentOutOfRangeException exception = Assert.Throws<ArgumentOutOfRangeException>(() => Int8Weight.FromCodes("w", 0, codes, [0.5f, scale], 2, 3));
            Assert.Equal("scales", exception.ParamName);
            Assert.Contains("row 1 of w", exception.Message, StringComparison.Ordinal);
        }

        foreach (float inputScale in new[] { -1f, float.NaN, float.PositiveInfinity })
        {
            Assert.Equal("inputScale", Assert.Throws<ArgumentOutOfRangeException>(() => Int8Weight.FromCodes("w", 0, codes, scales, 2, 3, inputScale)).ParamName);
        }

        foreach (int zeroPoint in new[] { -1, 256 })
        {
            Assert.Equal("inputZeroPoint", Assert.Throws<ArgumentOutOfRangeException>(() => Int8Weight.FromCodes("w", 0, codes, scales, 2, 3, 0.1f, zeroPoint)).ParamName);
        }

        Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => Int8Weight.FromCodes("w", 0, codes, scales, 0, 3)).ParamName);
    }

    internal static INetwork Create(string name, ulong seed) => name switch
    {
        nameof(TinyMlp) => new TinyMlp(maxBatch: 6, seed: seed),
        nameof(TinyConvNet) => new TinyConvNet(maxBatch: 6, seed: seed),
        nameof(TinyTextClassifier) => new TinyTextClassifier(maxBatch: 4, seed: seed),
        nameof(TinyBatchNormConvNet) => new TinyBatchNormConvNet(maxBatch: 6, seed: seed),
        nameof(SequenceNet) => new SequenceNet(maxBatch: 3, seed: seed),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such network."),
    };

    /// <summary>A float network with every parameter distinct and non-zero and every buffer moved, as after training.</summary>
    internal static INetwork Trained(string name, ulong seed)
    {
        INetwork network = Create(name, seed);
        var random = new Xoshiro256(seed + 1000);
        foreach (ref float parameter in network.Parameters)
        {
            parameter += (float)random.NextDouble(-0.1, 0.1);
        }

        foreach (ref float buffer in network.Buffers)
        {
            buffer += (float)random.NextDouble(-0.5, 0.5);
        }

        return network;
    }

    /// <summary>The trained network quantised dynamically, or statically calibrated on samples of its own.</summary>
    internal static INetwork Quantized(string name, ulong seed, bool calibrated)
    {
        INetwork network = Trained(name, seed);
        float[]? calibration = calibrated ? Inputs(network, rows: 24, seed: seed + 7) : null;
        return network switch
        {
            TinyMlp mlp => Quantize(mlp, calibration),
            TinyConvNet convolutional => Quantize(convolutional, calibration),
            TinyTextClassifier text => Quantize(text, calibration),
            TinyBatchNormConvNet normalized => Quantize(normalized, calibration),
            SequenceNet sequence => Quantize(sequence, calibration),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such network."),
        };
    }

    private static TNetwork Quantize<TNetwork>(TNetwork network, float[]? calibration)
        where TNetwork : INetworkFactory<TNetwork>
        => calibration is null ? network.Quantize() : network.Quantize(calibration);

    /// <summary>Samples for the network: token ids below its vocabulary, or values in [-1, 1].</summary>
    internal static float[] Inputs(INetwork network, int rows, ulong seed)
    {
        var random = new Xoshiro256(seed);
        float[] inputs = new float[rows * network.InputSize];
        int vocabulary = network.Core.TokenInput ? network.Layers.OfType<EmbeddingLayer>().First().Vocabulary : 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = vocabulary > 0 ? random.NextInt(vocabulary) : (float)random.NextDouble(-1, 1);
        }

        return inputs;
    }

    internal static float[] Predict(INetwork network, float[] inputs)
    {
        float[] outputs = new float[inputs.Length / network.InputSize * network.OutputSize];
        network.Predict(inputs, outputs);
        return outputs;
    }

    /// <summary>The network's int8 weights, every code, scale and input quantisation spelt out, or "float".</summary>
    internal static string Describe(INetwork network)
    {
        Int8Weights? weights = network.Core.Engine.Int8Weights;
        if (weights is null)
        {
            return "float";
        }

        var text = new StringBuilder();
        foreach (Int8Weight weight in weights.Weights)
        {
            sbyte[] codes = new sbyte[weight.Rows * weight.Columns];
            weight.CopyCodes(codes);
            text.Append(CultureInfo.InvariantCulture, $"{weight.Name} at {weight.Offset}, {weight.Rows} x {weight.Columns}, ")
                .Append(CultureInfo.InvariantCulture, $"input {weight.InputScale:R} {weight.InputZeroPoint}, ")
                .Append(CultureInfo.InvariantCulture, $"scales {string.Join(" ", weight.Scales.ToArray().Select(scale => scale.ToString("R", CultureInfo.InvariantCulture)))}, ")
                .Append(CultureInfo.InvariantCulture, $"codes {string.Join(" ", codes)}\n");
        }

        return text.ToString();
    }

    /// <summary>
    /// The quantised network's int8 file written by hand, not by <see cref="SafeTensors"/>: its tensors in
    /// <c>state_dict</c> order (each int8 weight's codes followed by its scales and, when static, its input's scale and
    /// zero point), edited by <paramref name="edit"/>, laid end to end, with <paramref name="metadata"/> as
    /// <c>typednets.quantization</c> (the network's own quantisation by default, none when null).
    /// </summary>
    private static byte[] Int8File(INetwork quantized, Action<List<FileTensor>>? edit = null, string? metadata = "")
    {
        Int8Weights weights = quantized.Core.Engine.Int8Weights!;
        var tensors = new List<FileTensor>();
        foreach (Layer layer in quantized.Layers)
        {
            foreach (ParameterTensor parameter in layer.Parameters)
            {
                Int8Weight? weight = weights.Find(parameter.Offset);
                if (weight is null)
                {
                    tensors.Add(new FileTensor(parameter.Name, "F32", parameter.Shape.ToArray(), Bytes(parameter.Values)));
                    continue;
                }

                sbyte[] codes = new sbyte[weight.Rows * weight.Columns];
                weight.CopyCodes(codes);
                tensors.Add(new FileTensor(parameter.Name, "I8", parameter.Shape.ToArray(), MemoryMarshal.AsBytes(codes.AsSpan()).ToArray()));
                tensors.Add(new FileTensor(parameter.Name + "_scale", "F32", [weight.Rows], Bytes(weight.Scales)));
                if (weight.IsStatic)
                {
                    tensors.Add(new FileTensor(parameter.Name + "_input_scale", "F32", [], Bytes([weight.InputScale])));
                    tensors.Add(new FileTensor(parameter.Name + "_input_zero_point", "U8", [], [(byte)weight.InputZeroPoint]));
                }
            }

            foreach (BufferTensor buffer in layer.Buffers)
            {
                tensors.Add(new FileTensor(buffer.Name, "F32", buffer.Shape.ToArray(), Bytes(buffer.Values)));
            }
        }

        edit?.Invoke(tensors);
        var header = new StringBuilder("{");
        if (metadata is not null)
        {
            string value = metadata.Length > 0 ? metadata : weights.IsStatic ? "int8-static" : "int8-dynamic";
            header.Append(CultureInfo.InvariantCulture, $"\"__metadata__\":{{\"{QuantizationKey}\":\"{value}\"}},");
        }

        var data = new MemoryStream();
        foreach (FileTensor tensor in tensors)
        {
            long begin = data.Length;
            data.Write(tensor.Data);
            header.Append(CultureInfo.InvariantCulture, $"\"{tensor.Name}\":{{\"dtype\":\"{tensor.Dtype}\",\"shape\":[{string.Join(",", tensor.Shape)}],\"data_offsets\":[{begin},{data.Length}]}},");
        }

        header.Length--;
        header.Append('}');
        return SafeTensorsTesting.Assemble(header.ToString(), data.ToArray());
    }

    private static byte[] Bytes(ReadOnlySpan<float> values)
    {
        byte[] bytes = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        }

        return bytes;
    }

    private static float[] Floats(byte[] bytes)
        => [.. Enumerable.Range(0, bytes.Length / 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i)))];

    private static void Remove(List<FileTensor> tensors, params string[] names)
        => Assert.Equal(names.Length, tensors.RemoveAll(tensor => names.Contains(tensor.Name)));

    private static void Change(List<FileTensor> tensors, string name, Func<FileTensor, FileTensor> change)
    {
        int index = tensors.FindIndex(tensor => tensor.Name == name);
        Assert.True(index >= 0, $"no {name}");
        tensors[index] = change(tensors[index]);
    }

    private static void SetFloat(List<FileTensor> tensors, string name, int element, float value)
        => Change(tensors, name, tensor =>
        {
            byte[] data = (byte[])tensor.Data.Clone();
            BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * element), value);
            return tensor with { Data = data };
        });

    /// <summary>One tensor of a hand-written file.</summary>
    private sealed record FileTensor(string Name, string Dtype, int[] Shape, byte[] Data);

    /// <summary>A faulty file: the edit of the base file's tensors, the tensor the refusal names, what its message says, and the metadata's quantization ("" for the base file's own).</summary>
    private sealed record Case(Action<List<FileTensor>> Edit, string? Tensor, string Fragment1, string? Fragment2 = null, string? Fragment3 = null, string? Metadata = "")
    {
        public IEnumerable<string> Fragments => new[] { Fragment1, Fragment2, Fragment3 }.OfType<string>();
    }
}
