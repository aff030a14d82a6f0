using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TypedNets.Compression;
using TypedNets.Onnx;
using OnnxModel = global::Onnx.ModelProto;
using OnnxType = global::Onnx.TensorProto.Types.DataType;

namespace TypedNets.Tests.Onnx;

/// <summary>
/// Writes Triton model repositories and checks them as Triton would read them: the layout, the config.pbtxt (read back
/// with a reader of protobuf's text format written here for the fields the export writes) against the model's own graph
/// inputs and outputs, and the model served from that layout by ONNX Runtime, which is what Triton's ONNX backend runs,
/// against <c>Predict</c>. With the environment variable <c>TYPEDNETS_TRITON_DIR</c> set, the repositories are also
/// written there, for reference/onnx/check_triton_configs.py.
/// </summary>
public sealed class TritonTests : IDisposable
{
    private readonly string _repository = Path.Combine(Path.GetTempPath(), $"typednets-triton-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (System.IO.Directory.Exists(_repository))
        {
            System.IO.Directory.Delete(_repository, recursive: true);
        }
    }

    public static TheoryData<string> Networks => new() { "conv_batch_norm_pools", "embedding_lstm", "sequence_dense_layer_norm", "dense_activations", "int8_conv", "int8_embedding_lstm" };

    [Theory]
    [MemberData(nameof(Networks))]
    public void ConfigMatchesTheModelGraphAndOnnxRuntimeServesPredict(string name)
    {
        INetwork network = Create(name);
        string directory = Triton.ExportModel(network, _repository, name, maxBatchSize: 4);

        // For reference/onnx/check_triton_configs.py, which reads the configs with Triton's own schema.
        if (Environment.GetEnvironmentVariable("TYPEDNETS_TRITON_DIR") is { Length: > 0 } checkerRepository)
        {
            Triton.ExportModel(network, checkerRepository, name, maxBatchSize: 4);
        }

        Assert.Equal(Path.Combine(Path.GetFullPath(_repository), name), directory);
        Assert.Equal(["1", "config.pbtxt"], System.IO.Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["model.onnx"], System.IO.Directory.EnumerateFiles(Path.Combine(directory, "1")).Select(Path.GetFileName));
        string modelPath = Path.Combine(directory, "1", "model.onnx");

        TextMessage config = TextFormat.Parse(File.ReadAllText(Path.Combine(directory, "config.pbtxt")));
        Assert.Equal(name, config.String("name"));
        Assert.Equal("onnxruntime_onnx", config.String("platform"));
        Assert.Equal(4, config.Integer("max_batch_size"));
        Assert.NotNull(config.Message("dynamic_batching"));

        OnnxModel model = OnnxModel.Parser.ParseFrom(File.ReadAllBytes(modelPath));
        AssertTensors(model.Graph.Input, config.Messages("input"));
        AssertTensors(model.Graph.Output, config.Messages("output"));

        // Triton hands the backend a batch of at most max_batch_size requests stacked on the first axis.
        using var session = new InferenceSession(modelPath);
        TextMessage input = config.Messages("input").Single();
        TextMessage output = config.Messages("output").Single();
        var random = new Random(5);
        foreach (int batch in new[] { 1, 4 })
        {
            int[] shape = [batch, .. input.Integers("dims").Select(dim => (int)dim)];
            float[] samples = RandomInput(network, batch, random);
            float[] expected = new float[batch * network.OutputSize];
            network.Predict(samples, expected);

            NamedOnnxValue value = input.Identifier("data_type") == "TYPE_INT64"
                ? NamedOnnxValue.CreateFromTensor(input.String("name"), new DenseTensor<long>(samples.Select(id => (long)id).ToArray(), shape))
                : NamedOnnxValue.CreateFromTensor(input.String("name"), new DenseTensor<float>(samples, shape));
            using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run([value], [output.String("name")]);
            Tensor<float> served = results.Single().AsTensor<float>();
            Assert.Equal([batch, .. output.Integers("dims").Select(dim => (int)dim)], served.Dimensions.ToArray());
            float[] actual = served.ToArray();
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5, $"{name} batch {batch} output {i}: {actual[i]} against Predict's {expected[i]}");
            }
        }
    }

    [Fact]
    public void TokenInputsAreInt64AndPerSampleDimsLeaveTheBatchToMaxBatchSize()
    {
        var network = new OnnxEmbeddingNet(maxBatch: 3, seed: 1);
        string config = Triton.Config(network, "tokens", maxBatchSize: 16);

        TextMessage parsed = TextFormat.Parse(config);
        Assert.Equal(16, parsed.Integer("max_batch_size"));
        TextMessage input = parsed.Messages("input").Single();
        Assert.Equal("input", input.String("name"));
        Assert.Equal("TYPE_INT64", input.Identifier("data_type"));
        Assert.Equal([5L], input.Integers("dims"));
        TextMessage output = parsed.Messages("output").Single();
        Assert.Equal("output", output.String("name"));
        Assert.Equal("TYPE_FP32", output.Identifier("data_type"));
        Assert.Equal([3L], output.Integers("dims"));
    }

    [Fact]
    public void ARepeatedExportReplacesTheModelAndTheConfig()
    {
        var first = new OnnxVectorBatchNormNet(maxBatch: 3, seed: 1);
        var second = new OnnxVectorBatchNormNet(maxBatch: 3, seed: 2);
        Triton.ExportModel(first, _repository, "classifier", maxBatchSize: 2);
        string directory = Triton.ExportModel(second, _repository, "classifier", maxBatchSize: 6);

        Assert.Equal(TypedNets.Onnx.Onnx.ToBytes(second), File.ReadAllBytes(Path.Combine(directory, "1", "model.onnx")));
        Assert.Equal(6, TextFormat.Parse(File.ReadAllText(Path.Combine(directory, "config.pbtxt"))).Integer("max_batch_size"));
        Assert.Empty(System.IO.Directory.EnumerateFiles(directory, "*.tmp", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a\\b")]
    public void ModelNamesThatAreNotOneDirectoryAreRefused(string modelName)
    {
        var network = new OnnxVectorBatchNormNet(maxBatch: 3, seed: 1);
        ArgumentException error = Assert.Throws<ArgumentException>(() => Triton.ExportModel(network, _repository, modelName));
        Assert.Equal("modelName", error.ParamName);
        Assert.False(System.IO.Directory.Exists(_repository));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void MaxBatchSizeBelowOneIsRefused(int maxBatchSize)
    {
        var network = new OnnxVectorBatchNormNet(maxBatch: 3, seed: 1);
        ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(() => Triton.ExportModel(network, _repository, "m", maxBatchSize));
        Assert.Equal("maxBatchSize", error.ParamName);
        Assert.Contains("dynamic_batching", error.Message, StringComparison.Ordinal);
        Assert.False(System.IO.Directory.Exists(_repository));
    }

    [Fact]
    public void AModelThatCannotBeWrittenLeavesNoConfigBehind()
    {
        // A directory where model.onnx belongs: the model's move fails, so the configuration, written after it, is not
        // written, and Triton does not find a config without its model.
        string model = System.IO.Path.Combine(_repository, "m", "1", "model.onnx");
        System.IO.Directory.CreateDirectory(model);
        var network = new OnnxVectorBatchNormNet(maxBatch: 3, seed: 1);
        Assert.ThrowsAny<System.IO.IOException>(() => Triton.ExportModel(network, _repository, "m"));
        Assert.False(System.IO.File.Exists(System.IO.Path.Combine(_repository, "m", "config.pbtxt")));
        Assert.Equal([model], System.IO.Directory.GetFileSystemEntries(System.IO.Path.Combine(_repository, "m", "1")));
    }

    private static void AssertTensors(IEnumerable<global::Onnx.ValueInfoProto> graph, IReadOnlyList<TextMessage> config)
    {
        List<global::Onnx.ValueInfoProto> values = graph.ToList();
        Assert.Equal(values.Count, config.Count);
        for (int i = 0; i < values.Count; i++)
        {
            global::Onnx.TypeProto.Types.Tensor type = values[i].Type.TensorType;
            Assert.Equal(values[i].Name, config[i].String("name"));
            string expectedType = (OnnxType)type.ElemType switch
            {
                OnnxType.Float => "TYPE_FP32",
                OnnxType.Int64 => "TYPE_INT64",
                OnnxType other => throw new InvalidOperationException($"Unexpected element type {other}."),
            };
            Assert.Equal(expectedType, config[i].Identifier("data_type"));

            // The model's first dimension is the dynamic batch, which max_batch_size stands for; the rest are dims.
            Assert.Equal("batch", type.Shape.Dim[0].DimParam);
            Assert.Equal(type.Shape.Dim.Skip(1).Select(dim => dim.DimValue), config[i].Integers("dims"));
        }
    }

    private static INetwork Create(string name) => name switch
    {
        "conv_batch_norm_pools" => new OnnxConvNet(maxBatch: 4, seed: 3),
        "embedding_lstm" => new OnnxLstmNet(maxBatch: 4, seed: 10),
        "sequence_dense_layer_norm" => new OnnxSequenceDenseNet(maxBatch: 4, seed: 2),
        "dense_activations" => new OnnxDenseActivationsNet(maxBatch: 4, seed: 1),

        // Quantised networks are served as their quantised Predict: a dynamic int8 convolution beside a grouped float
        // one, and an int8 LSTM unrolled over its steps.
        "int8_conv" => new OnnxConvNet(maxBatch: 4, seed: 3).Quantize(),
        "int8_embedding_lstm" => new OnnxLstmNet(maxBatch: 4, seed: 10).Quantize(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such network."),
    };

    private static float[] RandomInput(INetwork network, int batch, Random random)
    {
        float[] input = new float[batch * network.InputSize];
        int vocabulary = network.Layers[0] is EmbeddingLayer embedding ? embedding.Vocabulary : 0;
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = vocabulary > 0 ? random.Next(vocabulary) : (float)(random.NextDouble() * 2 - 1);
        }

        return input;
    }

    /// <summary>One message of protobuf's text format: each field's values in order (strings, numbers, enum identifiers or messages).</summary>
    private sealed class TextMessage
    {
        public Dictionary<string, List<object>> Fields { get; } = new(StringComparer.Ordinal);

        public string String(string field) => Assert.IsType<string>(Single(field));

        public long Integer(string field) => Assert.IsType<long>(Single(field));

        public string Identifier(string field) => Assert.IsType<Identifier>(Single(field)).Name;

        public TextMessage? Message(string field) => Fields.TryGetValue(field, out List<object>? values) ? Assert.IsType<TextMessage>(Assert.Single(values)) : null;

        public IReadOnlyList<TextMessage> Messages(string field) => Fields[field].Select(value => Assert.IsType<TextMessage>(value)).ToList();

        public long[] Integers(string field) => Fields[field].Select(value => Assert.IsType<long>(value)).ToArray();

        private object Single(string field) => Assert.Single(Fields[field]);
    }

    private sealed record Identifier(string Name);

    /// <summary>
    /// A reader of protobuf's text format, as far as config.pbtxt files use it: <c>field: scalar</c>,
    /// <c>field: [ a, b ]</c>, <c>field { ... }</c>, <c>field [ { ... }, { ... } ]</c>, double-quoted strings, integers,
    /// enum identifiers and <c>#</c> comments. Anything else fails the test.
    /// </summary>
    private static class TextFormat
    {
        public static TextMessage Parse(string text)
        {
            var tokens = new Queue<string>(Tokenise(text));
            TextMessage message = ReadFields(tokens, closing: null);
            Assert.Empty(tokens);
            return message;
        }

        private static TextMessage ReadFields(Queue<string> tokens, string? closing)
        {
            var message = new TextMessage();
            while (tokens.Count > 0 && tokens.Peek() != closing)
            {
                string field = tokens.Dequeue();
                Assert.Matches("^[a-z_][a-z0-9_]*$", field);
                if (!message.Fields.TryGetValue(field, out List<object>? values))
                {
                    values = [];
                    message.Fields.Add(field, values);
                }

                bool colon = tokens.Peek() == ":";
                if (colon)
                {
                    tokens.Dequeue();
                }

                if (tokens.Peek() == "[")
                {
                    tokens.Dequeue();
                    while (tokens.Peek() != "]")
                    {
                        values.Add(ReadValue(tokens, allowMessage: true));
                        if (tokens.Peek() == ",")
                        {
                            tokens.Dequeue();
                        }
                    }

                    tokens.Dequeue();
                }
                else
                {
                    Assert.True(colon || tokens.Peek() == "{", $"Field '{field}' has neither ':' nor a message.");
                    values.Add(ReadValue(tokens, allowMessage: true));
                }
            }

            if (closing is not null)
            {
                Assert.Equal(closing, tokens.Dequeue());
            }

            return message;
        }

        private static object ReadValue(Queue<string> tokens, bool allowMessage)
        {
            string token = tokens.Dequeue();
            if (token == "{" && allowMessage)
            {
                return ReadFields(tokens, "}");
            }

            if (token.StartsWith('"'))
            {
                return token[1..^1];
            }

            if (long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long number))
            {
                return number;
            }

            Assert.Matches("^[A-Za-z_][A-Za-z0-9_]*$", token);
            return new Identifier(token);
        }

        private static IEnumerable<string> Tokenise(string text)
        {
            int i = 0;
            while (i < text.Length)
            {
                char c = text[i];
                if (char.IsWhiteSpace(c))
                {
                    i++;
                }
                else if (c == '#')
                {
                    while (i < text.Length && text[i] != '\n')
                    {
                        i++;
                    }
                }
                else if ("{}[]:,".Contains(c, StringComparison.Ordinal))
                {
                    yield return c.ToString();
                    i++;
                }
                else if (c == '"')
                {
                    var value = new StringBuilder("\"");
                    i++;
                    while (text[i] != '"')
                    {
                        Assert.NotEqual('\\', text[i]);
                        value.Append(text[i++]);
                    }

                    i++;
                    yield return value.Append('"').ToString();
                }
                else
                {
                    int start = i;
                    while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] is '_' or '-' or '.'))
                    {
                        i++;
                    }

                    Assert.True(i > start, $"Unexpected character '{c}' in config.pbtxt.");
                    yield return text[start..i];
                }
            }
        }
    }
}
