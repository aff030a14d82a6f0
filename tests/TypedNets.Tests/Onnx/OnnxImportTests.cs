using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Google.Protobuf;
using TypedNets.Compression;
using TypedNets.Onnx;
using OnnxModel = global::Onnx.ModelProto;
using OnnxTensor = global::Onnx.TensorProto;
using OnnxType = global::Onnx.TensorProto.Types.DataType;

namespace TypedNets.Tests.Onnx;

/// <summary>
/// Loads the initializers of ONNX files that torch 1.13's <c>torch.onnx.export</c> wrote (reference/onnx/export_torch.py)
/// into the TypedNets networks of the same names, and checks the weights against the module's <c>state_dict</c>, bit
/// for bit, and <c>Predict</c> against the module's eval-mode output. Every fault must be refused with the tensor named
/// and the network left as it was.
/// </summary>
public sealed class OnnxImportTests
{
    private const double Tolerance = 1e-5;

    private static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "Fixtures", "onnx_import");

    public static TheoryData<string, string> TorchExports => new()
    {
        { "mlp", "path" },
        { "mlp", "stream" },
        { "mlp", "span" },
        { "convnet_batchnorm", "path" },
        { "convnet_batchnorm", "span" },
        { "lstm_classifier", "stream" },
        { "lstm_classifier", "path" },
        { "sequence_mlp", "path" },
    };

    [Theory]
    [MemberData(nameof(TorchExports))]
    public void TorchExportLoadsTheStateDictBitForBitAndPredictsAsTorch(string name, string source)
    {
        INetwork network = Create(name);
        string path = Path.Combine(Directory, name + ".onnx");
        switch (source)
        {
            case "path":
                OnnxWeights.Load(network, path);
                break;
            case "stream":
                using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read))
                {
                    OnnxWeights.Load(network, stream);
                }

                break;
            default:
                OnnxWeights.Load(network, File.ReadAllBytes(path).AsSpan());
                break;
        }

        using JsonDocument fixture = ReadFixture(name);
        JsonElement tensors = fixture.RootElement.GetProperty("tensors");
        int compared = 0;
        foreach ((string tensorName, float[] values, int[] shape) in NetworkTensors(network))
        {
            JsonElement expected = tensors.GetProperty(tensorName);
            Assert.Equal(Ints(expected.GetProperty("shape")), shape);
            float[] expectedValues = Floats(expected.GetProperty("values"));
            Assert.Equal(expectedValues.Select(BitConverter.SingleToInt32Bits), values.Select(BitConverter.SingleToInt32Bits));
            compared++;
        }

        Assert.Equal(tensors.EnumerateObject().Count(), compared);

        float[] input = Floats(fixture.RootElement.GetProperty("input").GetProperty("values"));
        float[] torchOutput = Floats(fixture.RootElement.GetProperty("output").GetProperty("values"));
        float[] output = new float[torchOutput.Length];
        network.Predict(input, output);
        for (int i = 0; i < output.Length; i++)
        {
            Assert.True(Math.Abs(output[i] - torchOutput[i]) <= Tolerance, $"{name} output {i}: {output[i]} against torch's {torchOutput[i]}");
        }
    }

    [Fact]
    public void EvalModeExportWithBatchNormFusedIntoTheConvolutionIsRefusedWithTheExportOptionsThatKeepIt()
    {
        var network = new OnnxImportConvNet(maxBatch: 3, seed: 1);
        float[][] before = Snapshot(network);

        OnnxFormatException error = Assert.Throws<OnnxFormatException>(() => OnnxWeights.Load(network, Path.Combine(Directory, "convnet_batchnorm_folded.onnx")));

        Assert.Contains("'conv.weight' [3, 1, 3, 3]", error.Message, StringComparison.Ordinal);
        Assert.Contains("'norm.running_mean' [3]", error.Message, StringComparison.Ordinal);
        Assert.Contains("onnx::Conv_", error.Message, StringComparison.Ordinal);
        Assert.Contains("fuses", error.Message, StringComparison.Ordinal);
        Assert.Contains("training=torch.onnx.TrainingMode.PRESERVE", error.Message, StringComparison.Ordinal);
        Assert.Contains("do_constant_folding=False", error.Message, StringComparison.Ordinal);
        Assert.Equal("conv.weight", error.TensorName);
        AssertUnchanged(before, network);
    }

    [Fact]
    public void ConstantFoldedLstmIsRefusedWithDoConstantFoldingFalse()
    {
        var network = new OnnxImportLstmClassifier(maxBatch: 3, seed: 1);
        float[][] before = Snapshot(network);

        OnnxFormatException error = Assert.Throws<OnnxFormatException>(() => OnnxWeights.Load(network, Path.Combine(Directory, "lstm_classifier_folded.onnx")));

        Assert.Contains("'lstm.weight_ih_l0' [16, 3]", error.Message, StringComparison.Ordinal);
        Assert.Contains("onnx::LSTM_", error.Message, StringComparison.Ordinal);
        Assert.Contains("W, R and B", error.Message, StringComparison.Ordinal);
        Assert.Contains("do_constant_folding=False", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("output.weight", error.Message, StringComparison.Ordinal);
        AssertUnchanged(before, network);
    }

    [Fact]
    public void ConstantFoldedTransposedSequenceWeightIsRefusedWithDoConstantFoldingFalse()
    {
        var network = new OnnxImportSequenceMlp(maxBatch: 3, seed: 1);
        float[][] before = Snapshot(network);

        OnnxFormatException error = Assert.Throws<OnnxFormatException>(() => OnnxWeights.Load(network, Path.Combine(Directory, "sequence_mlp_folded.onnx")));

        Assert.Contains("lacks 'hidden.weight' [4, 3].", error.Message, StringComparison.Ordinal);
        Assert.Contains("'onnx::MatMul_11' [3, 4]", error.Message, StringComparison.Ordinal);
        Assert.Contains("transposed", error.Message, StringComparison.Ordinal);
        Assert.Contains("do_constant_folding=False", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("BatchNorm", error.Message, StringComparison.Ordinal);
        AssertUnchanged(before, network);
    }

    [Fact]
    public void AnotherModulesExportIsRefusedAsSuchWithoutTorchsRenamingAdvice()
    {
        var network = new OnnxImportMlp(maxBatch: 3, seed: 1);
        float[][] before = Snapshot(network);

        OnnxFormatException error = Assert.Throws<OnnxFormatException>(() => OnnxWeights.Load(network, Path.Combine(Directory, "lstm_classifier.onnx")));

        Assert.Contains("lacks 'hidden.weight' [8, 4], 'hidden.bias' [8].", error.Message, StringComparison.Ordinal);
        Assert.Contains("'lstm.weight_ih_l0' [16, 3]", error.Message, StringComparison.Ordinal);
        Assert.Contains("another module", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("do_constant_folding", error.Message, StringComparison.Ordinal);
        AssertUnchanged(before, network);
    }

    [Fact]
    public void ShapeMismatchIsRefusedNamingTheTensorBothShapesAndTheFix()
    {
        var network = new OnnxImportWideMlp(maxBatch: 3, seed: 1);
        float[][] before = Snapshot(network);

        OnnxFormatException error = Assert.Throws<OnnxFormatException>(() => OnnxWeights.Load(network, Path.Combine(Directory, "mlp.onnx")));

        Assert.Contains("'hidden.weight' has shape [8, 4] in the ONNX file", error.Message, StringComparison.Ordinal);
        Assert.Contains("is [9, 4]", error.Message, StringComparison.Ordinal);
        Assert.Contains("declare the network with the exported module's layer sizes", error.Message, StringComparison.Ordinal);
        Assert.Contains("mlp.onnx", error.Message, StringComparison.Ordinal);
        Assert.Equal("hidden.weight", error.TensorName);
        AssertUnchanged(before, network);
    }

    [Fact]
    public void MissingTensorIsRefusedNamingItAndItsShape()
    {
        OnnxModel model = ReadModel("mlp");
        model.Graph.Initializer.Remove(model.Graph.Initializer.Single(tensor => tensor.Name == "output.bias"));
        var network = new OnnxImportMlp(maxBatch: 3, seed: 1);
        float[][] before = Snapshot(network);

        OnnxFormatException error = Assert.Throws<OnnxFormatException>(() => OnnxWeights.Load(network, model.ToByteArray()));

        Assert.Contains("lacks 'output.bias' [3]", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("renamed", error.Message, StringComparison.Ordinal);
        Assert.Equal("output.bias", error.TensorName);
        AssertUnchanged(before, network);
    }

    [Theory]
    [InlineData((int)OnnxType.Double, "DOUBLE")]
    [InlineData((int)OnnxType.Int64, "INT64")]
    [InlineData((int)OnnxType.Int8, "INT8")]
    public void OtherElementTypesAreRefusedNamingTheTensorAndTheType(int type, string typeName)
    {
        OnnxModel model = ReadModel("mlp");
        OnnxTensor bias = model.Graph.Initializer.Single(tensor => tensor.Name == "hidden.bias");
        bias.DataType = type;
        var network = new OnnxImportMlp(maxBatch: 3, seed: 1);
        float[][] before = Snapshot(network);

        OnnxFormatException error = Assert.Throws<OnnxFormatException>(() => OnnxWeights.Load(network, model.ToByteArray()));

        Assert.Contains($"'hidden.bias' is {typeName}", error.Message, StringComparison.Ordinal);
        Assert.Contains("FLOAT", error.Message, StringComparison.Ordinal);
        Assert.Equal("hidden.bias", error.TensorName);
        AssertUnchanged(before, network);
    }

    [Fact]
    public void Float16AndFloatDataAreLoadedExactly()
    {
        OnnxModel model = ReadModel("mlp");
        var reference = new OnnxImportMlp(maxBatch: 3, seed: 1);
        OnnxWeights.Load(reference, Path.Combine(Directory, "mlp.onnx"));

        // hidden.weight as float_data, hidden.bias as FLOAT16 raw_data, output.weight as FLOAT16 in int32_data (the
        // bits of each half in one int32, as onnx.proto says), output.bias as it was.
        OnnxTensor weight = model.Graph.Initializer.Single(tensor => tensor.Name == "hidden.weight");
        float[] weightValues = RawFloats(weight);
        weight.RawData = ByteString.Empty;
        weight.FloatData.Add(weightValues);

        OnnxTensor bias = model.Graph.Initializer.Single(tensor => tensor.Name == "hidden.bias");
        Half[] biasHalves = RawFloats(bias).Select(value => (Half)value).ToArray();
        bias.DataType = (int)OnnxType.Float16;
        bias.RawData = ByteString.CopyFrom(biasHalves.SelectMany(value => BitConverter.GetBytes(value)).ToArray());

        OnnxTensor outputWeight = model.Graph.Initializer.Single(tensor => tensor.Name == "output.weight");
        Half[] outputHalves = RawFloats(outputWeight).Select(value => (Half)value).ToArray();
        outputWeight.DataType = (int)OnnxType.Float16;
        outputWeight.RawData = ByteString.Empty;
        outputWeight.Int32Data.Add(outputHalves.Select(value => (int)BitConverter.HalfToUInt16Bits(value)));

        var network = new OnnxImportMlp(maxBatch: 3, seed: 2);
        OnnxWeights.Load(network, model.ToByteArray());

        Assert.Equal(weightValues, network.Hidden.Weight.Values.ToArray());
        Assert.Equal(biasHalves.Select(value => (float)value), network.Hidden.Bias!.Values.ToArray());
        Assert.Equal(outputHalves.Select(value => (float)value), network.Output.Weight.Values.ToArray());
        Assert.Equal(reference.Output.Bias!.Values.ToArray(), network.Output.Bias!.Values.ToArray());
        Assert.NotEqual(reference.Hidden.Bias!.Values.ToArray(), network.Hidden.Bias!.Values.ToArray());
    }

    [Fact]
    public void DataOfTheWrongLengthIsRefused()
    {
        OnnxModel model = ReadModel("mlp");
        OnnxTensor weight = model.Graph.Initializer.Single(tensor => tensor.Name == "output.weight");
        weight.RawData = ByteString.CopyFrom(weight.RawData.Span[..^4]);
        var network = new OnnxImportMlp(maxBatch: 3, seed: 1);
        float[][] before = Snapshot(network);

        OnnxFormatException error = Assert.Throws<OnnxFormatException>(() => OnnxWeights.Load(network, model.ToByteArray()));

        Assert.Contains("'output.weight'", error.Message, StringComparison.Ordinal);
        Assert.Contains("92 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("96", error.Message, StringComparison.Ordinal);
        AssertUnchanged(before, network);
    }

    [Fact]
    public void FloatDataOfTheWrongCountIsRefused()
    {
        OnnxModel model = ReadModel("mlp");
        OnnxTensor bias = model.Graph.Initializer.Single(tensor => tensor.Name == "output.bias");
        bias.RawData = ByteString.Empty;
        bias.FloatData.Add([1f, 2f]);
        var network = new OnnxImportMlp(maxBatch: 3, seed: 1);
        float[][] before = Snapshot(network);

        OnnxFormatException error = Assert.Throws<OnnxFormatException>(() => OnnxWeights.Load(network, model.ToByteArray()));

        Assert.Contains("'output.bias' holds 2 values", error.Message, StringComparison.Ordinal);
        Assert.Contains("[3] takes 3", error.Message, StringComparison.Ordinal);
        AssertUnchanged(before, network);
    }

    [Fact]
    public void ATensorNamedTwiceIsRefused()
    {
        OnnxModel model = ReadModel("mlp");
        model.Graph.Initializer.Add(model.Graph.Initializer.Single(tensor => tensor.Name == "hidden.bias").Clone());
        var network = new OnnxImportMlp(maxBatch: 3, seed: 1);
        float[][] before = Snapshot(network);

        OnnxFormatException error = Assert.Throws<OnnxFormatException>(() => OnnxWeights.Load(network, model.ToByteArray()));

        Assert.Contains("'hidden.bias' twice", error.Message, StringComparison.Ordinal);
        Assert.Equal("hidden.bias", error.TensorName);
        AssertUnchanged(before, network);
    }

    [Fact]
    public void ExternalDataIsRefused()
    {
        OnnxModel model = ReadModel("mlp");
        OnnxTensor weight = model.Graph.Initializer.Single(tensor => tensor.Name == "hidden.weight");
        weight.RawData = ByteString.Empty;
        weight.DataLocation = OnnxTensor.Types.DataLocation.External;
        weight.ExternalData.Add(new global::Onnx.StringStringEntryProto { Key = "location", Value = "weights.bin" });
        var network = new OnnxImportMlp(maxBatch: 3, seed: 1);

        OnnxFormatException error = Assert.Throws<OnnxFormatException>(() => OnnxWeights.Load(network, model.ToByteArray()));

        Assert.Contains("'hidden.weight'", error.Message, StringComparison.Ordinal);
        Assert.Contains("save_as_external_data=False", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NonFiniteValuesAreRefusedUnlessAllowed()
    {
        OnnxModel model = ReadModel("mlp");
        OnnxTensor bias = model.Graph.Initializer.Single(tensor => tensor.Name == "hidden.bias");
        float[] values = RawFloats(bias);
        values[5] = float.NaN;
        bias.RawData = ByteString.CopyFrom(values.SelectMany(BitConverter.GetBytes).ToArray());
        var network = new OnnxImportMlp(maxBatch: 3, seed: 1);
        float[][] before = Snapshot(network);

        OnnxFormatException error = Assert.Throws<OnnxFormatException>(() => OnnxWeights.Load(network, model.ToByteArray()));
        Assert.Contains("'hidden.bias'", error.Message, StringComparison.Ordinal);
        Assert.Contains("element 5", error.Message, StringComparison.Ordinal);
        Assert.Contains("NaN", error.Message, StringComparison.Ordinal);
        AssertUnchanged(before, network);

        OnnxWeights.Load(network, model.ToByteArray(), allowNonFinite: true);
        Assert.True(float.IsNaN(network.Hidden.Bias!.Values[5]));
    }

    [Fact]
    public void EmptyTruncatedAndForeignFilesAreRefused()
    {
        var network = new OnnxImportMlp(maxBatch: 3, seed: 1);
        float[][] before = Snapshot(network);
        byte[] file = File.ReadAllBytes(Path.Combine(Directory, "mlp.onnx"));

        OnnxFormatException empty = Assert.Throws<OnnxFormatException>(() => OnnxWeights.Load(network, ReadOnlySpan<byte>.Empty));
        Assert.Contains("empty", empty.Message, StringComparison.Ordinal);

        OnnxFormatException truncated = Assert.Throws<OnnxFormatException>(() => OnnxWeights.Load(network, file.AsSpan(0, file.Length / 2)));
        Assert.Contains("not a valid ONNX model", truncated.Message, StringComparison.Ordinal);

        // A safetensors file is not a protobuf message at all.
        byte[] safetensors = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "safetensors", "tiny_mlp.safetensors"));
        Assert.Throws<OnnxFormatException>(() => OnnxWeights.Load(network, safetensors));

        // A valid ModelProto without a graph, as a model whose graph was lost would read.
        byte[] tensor = new OnnxModel { IrVersion = 8, ProducerName = "pytorch" }.ToByteArray();
        OnnxFormatException graphless = Assert.Throws<OnnxFormatException>(() => OnnxWeights.Load(network, tensor));
        Assert.Contains("no graph", graphless.Message, StringComparison.Ordinal);

        string emptyPath = Path.Combine(Path.GetTempPath(), $"typednets-empty-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(emptyPath, []);
        try
        {
            OnnxFormatException fromPath = Assert.Throws<OnnxFormatException>(() => OnnxWeights.Load(network, emptyPath));
            Assert.Equal(emptyPath, fromPath.FilePath);
            Assert.Contains(emptyPath, fromPath.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(emptyPath);
        }

        AssertUnchanged(before, network);
    }

    [Fact]
    public void IdentityNodesSharingAnInitializerAreFollowed()
    {
        // torch.onnx.export keeps one copy of initializers with equal values and names the others through Identity
        // nodes (a fresh BatchNorm's running_var equals its weight, all ones); the import follows them.
        OnnxModel model = ReadModel("convnet_batchnorm");
        OnnxTensor variance = model.Graph.Initializer.Single(tensor => tensor.Name == "norm.running_var");
        OnnxTensor weight = model.Graph.Initializer.Single(tensor => tensor.Name == "norm.weight");
        model.Graph.Initializer.Remove(variance);
        var identity = new global::Onnx.NodeProto { OpType = "Identity", Name = "Identity_0" };
        identity.Input.Add(weight.Name);
        identity.Output.Add("norm.running_var");
        model.Graph.Node.Insert(0, identity);

        var network = new OnnxImportConvNet(maxBatch: 3, seed: 1);
        OnnxWeights.Load(network, model.ToByteArray());

        Assert.Equal(network.Norm.Parameters.Single(tensor => tensor.Name == "norm.weight").Values.ToArray(),
            network.Norm.Buffers.Single(tensor => tensor.Name == "norm.running_var").Values.ToArray());
    }

    public static TheoryData<string> RoundTripNetworks => new() { "conv_batch_norm_pools", "embedding_lstm", "tied_embedding_head", "stacked_bidirectional_lstm", "gru", "attention" };

    [Theory]
    [MemberData(nameof(RoundTripNetworks))]
    public void ExportedModelLoadsIntoAFreshNetworkWithIdenticalWeights(string name)
    {
        INetwork network = CreateExportable(name, seed: 3);
        Randomise(network, seed: 7);
        byte[] model = TypedNets.Onnx.Onnx.ToBytes(network);

        INetwork fresh = CreateExportable(name, seed: 4);
        Assert.NotEqual(network.Parameters.ToArray(), fresh.Parameters.ToArray());
        OnnxWeights.Load(fresh, model);

        Assert.Equal(network.Parameters.ToArray(), fresh.Parameters.ToArray());
        Assert.Equal(network.Buffers.ToArray(), fresh.Buffers.ToArray());
    }

    [Fact]
    public void ArgumentsAreChecked()
    {
        var network = new OnnxImportMlp(maxBatch: 3, seed: 1);
        Assert.Equal("network", Assert.Throws<ArgumentNullException>(() => OnnxWeights.Load(null!, "x.onnx")).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentNullException>(() => OnnxWeights.Load(network, (string)null!)).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => OnnxWeights.Load(network, string.Empty)).ParamName);
        Assert.Equal("stream", Assert.Throws<ArgumentNullException>(() => OnnxWeights.Load(network, (Stream)null!)).ParamName);
        using var unreadable = new UnreadableStream();
        Assert.Equal("stream", Assert.Throws<ArgumentException>(() => OnnxWeights.Load(network, unreadable)).ParamName);
    }

    [Fact]
    public void AQuantisedNetworkIsRefusedAndStaysQuantised()
    {
        var network = new OnnxImportMlp(maxBatch: 3, seed: 1).Quantize();
        float[][] before = Snapshot(network);

        ArgumentException error = Assert.Throws<ArgumentException>(() => OnnxWeights.Load(network, Path.Combine(Directory, "mlp.onnx")));

        Assert.Equal("network", error.ParamName);
        Assert.Contains("Quantize()", error.Message, StringComparison.Ordinal);
        Assert.True(network.IsQuantized);
        AssertUnchanged(before, network);
    }

    private static INetwork Create(string name) => name switch
    {
        "mlp" => new OnnxImportMlp(maxBatch: 3, seed: 1),
        "convnet_batchnorm" => new OnnxImportConvNet(maxBatch: 3, seed: 1),
        "lstm_classifier" => new OnnxImportLstmClassifier(maxBatch: 3, seed: 1),
        "sequence_mlp" => new OnnxImportSequenceMlp(maxBatch: 3, seed: 1),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such fixture."),
    };

    private static INetwork CreateExportable(string name, ulong seed) => name switch
    {
        "conv_batch_norm_pools" => new OnnxConvNet(maxBatch: 3, seed: seed),
        "embedding_lstm" => new OnnxLstmNet(maxBatch: 3, seed: seed),
        "tied_embedding_head" => new OnnxTiedEmbeddingNet(maxBatch: 3, seed: seed),
        "stacked_bidirectional_lstm" => new OnnxStackedLstmNet(maxBatch: 3, seed: seed),
        "gru" => new OnnxGruNet(maxBatch: 3, seed: seed),
        "attention" => new OnnxAttentionNet(maxBatch: 3, seed: seed),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such network."),
    };

    private static IEnumerable<(string Name, float[] Values, int[] Shape)> NetworkTensors(INetwork network)
    {
        foreach (Layer layer in network.Layers)
        {
            foreach (ParameterTensor tensor in layer.Parameters)
            {
                yield return (tensor.Name, tensor.Values.ToArray(), tensor.Shape.ToArray());
            }

            foreach (BufferTensor tensor in layer.Buffers)
            {
                yield return (tensor.Name, tensor.Values.ToArray(), tensor.Shape.ToArray());
            }
        }
    }

    private static void Randomise(INetwork network, int seed)
    {
        var random = new Random(seed);
        Span<float> parameters = network.Parameters;
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] = (float)(random.NextDouble() * 1.6 - 0.8);
        }

        // Positive, so that a running variance stays a variance.
        Span<float> buffers = network.Buffers;
        for (int i = 0; i < buffers.Length; i++)
        {
            buffers[i] = (float)(0.2 + random.NextDouble());
        }
    }

    private static float[][] Snapshot(INetwork network) => [network.Parameters.ToArray(), network.Buffers.ToArray()];

    private static void AssertUnchanged(float[][] before, INetwork network)
    {
        Assert.Equal(before[0], network.Parameters.ToArray());
        Assert.Equal(before[1], network.Buffers.ToArray());
    }

    private static OnnxModel ReadModel(string name) => OnnxModel.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(Directory, name + ".onnx")));

    private static float[] RawFloats(OnnxTensor tensor)
    {
        ReadOnlySpan<byte> bytes = tensor.RawData.Span;
        float[] values = new float[bytes.Length / 4];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BitConverter.ToSingle(bytes.Slice(i * 4, 4));
        }

        return values;
    }

    private static JsonDocument ReadFixture(string name) => JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, name + ".json")));

    // The fixture holds float32 values printed as doubles; each converts back to the same float exactly.
    private static float[] Floats(JsonElement array) => array.EnumerateArray().Select(value => (float)value.GetDouble()).ToArray();

    private static int[] Ints(JsonElement array) => array.EnumerateArray().Select(value => value.GetInt32()).ToArray();

    private sealed class UnreadableStream : MemoryStream
    {
        public override bool CanRead => false;
    }
}
