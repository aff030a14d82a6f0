using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using TypedNets.Onnx;
using OnnxModel = global::Onnx.ModelProto;

namespace TypedNets.Tests.Onnx;

/// <summary>
/// Exports small networks, one per layer kind, runs them in ONNX Runtime on random inputs at batch sizes 1 and 3 (the
/// batch dimension is dynamic) and compares with TypedNets' own Predict. With the environment variable
/// <c>TYPEDNETS_ONNX_DIR</c> set, every exported model is also written there, for reference/onnx/check_models.py.
/// </summary>
public sealed class OnnxExportTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string> Networks => new(Factories.Keys);

    private static readonly Dictionary<string, Func<INetwork>> Factories = new()
    {
        ["dense_activations"] = () => new OnnxDenseActivationsNet(maxBatch: 3, seed: 1),
        ["sequence_dense_layer_norm"] = () => new OnnxSequenceDenseNet(maxBatch: 3, seed: 2),
        ["conv_batch_norm_pools"] = () => new OnnxConvNet(maxBatch: 3, seed: 3),
        ["global_average_pooling_2d"] = () => new OnnxGlobalPoolNet(maxBatch: 3, seed: 4),
        ["one_channel_image"] = () => new OnnxOneChannelNet(maxBatch: 3, seed: 5),
        ["sequence_batch_norm_global_max"] = () => new OnnxSequenceBatchNormNet(maxBatch: 3, seed: 6),
        ["vector_batch_norm"] = () => new OnnxVectorBatchNormNet(maxBatch: 3, seed: 7),
        ["embedding_global_average_1d"] = () => new OnnxEmbeddingNet(maxBatch: 3, seed: 8),
        ["tied_embedding_head"] = () => new OnnxTiedEmbeddingNet(maxBatch: 3, seed: 9),
        ["embedding_lstm"] = () => new OnnxLstmNet(maxBatch: 3, seed: 10),
        ["stacked_bidirectional_lstm_sequences"] = () => new OnnxStackedLstmNet(maxBatch: 3, seed: 11),
        ["gru_sequences_then_stacked_bidirectional"] = () => new OnnxGruNet(maxBatch: 3, seed: 12),
        ["conv_1d_pools_1d"] = () => new OnnxConv1DNet(maxBatch: 3, seed: 13),
        ["position_embedding"] = () => new OnnxPositionEmbeddingNet(maxBatch: 3, seed: 14),
        ["causal_self_attention"] = () => new OnnxAttentionNet(maxBatch: 3, seed: 15),
        ["encoder_self_attention"] = () => new OnnxEncoderAttentionNet(maxBatch: 3, seed: 16),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void OnnxRuntimeMatchesPredictAtBatchOneAndThree(string name)
    {
        INetwork network = Factories[name]();
        Randomise(network, seed: name.Length);
        byte[] model = TypedNets.Onnx.Onnx.ToBytes(network);
        WriteForChecker(name, model);

        using var session = new InferenceSession(model);
        var random = new Random(17);
        foreach (int batch in new[] { 1, 3 })
        {
            float[] input = RandomInput(network, batch, random);
            float[] expected = new float[batch * network.OutputSize];
            network.Predict(input, expected);

            float[] actual = Run(session, network, input, batch);
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
            {
                double error = Math.Abs(actual[i] - expected[i]);
                Assert.True(
                    error <= Tolerance * Math.Max(1, Math.Abs(expected[i])),
                    $"{name}, batch {batch}, output {i}: ONNX Runtime {actual[i]:R}, TypedNets {expected[i]:R}, error {error:E2}.");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void ModelHasOpset17DynamicBatchAndStateDictInitializers(string name)
    {
        INetwork network = Factories[name]();
        OnnxModel model = OnnxModel.Parser.ParseFrom(TypedNets.Onnx.Onnx.ToBytes(network));

        Assert.Equal(8, model.IrVersion);
        Assert.Equal(17, Assert.Single(model.OpsetImport, opset => opset.Domain.Length == 0).Version);
        Assert.Equal("input", Assert.Single(model.Graph.Input).Name);
        Assert.Equal("output", Assert.Single(model.Graph.Output).Name);
        var inputShape = model.Graph.Input[0].Type.TensorType.Shape.Dim;
        var outputShape = model.Graph.Output[0].Type.TensorType.Shape.Dim;
        Assert.Equal("batch", inputShape[0].DimParam);
        Assert.Equal("batch", outputShape[0].DimParam);
        Assert.Equal(network.Layers[0].InputShape.ToArray().Select(d => (long)d), inputShape.Skip(1).Select(d => d.DimValue));
        Assert.Equal(network.Layers[^1].OutputShape.ToArray().Select(d => (long)d), outputShape.Skip(1).Select(d => d.DimValue));

        var stateDict = network.Layers
            .SelectMany(layer => layer.Parameters.Select(p => (p.Name, Shape: p.Shape.ToArray(), Values: p.Values.ToArray()))
                .Concat(layer.Buffers.Select(b => (b.Name, Shape: b.Shape.ToArray(), Values: b.Values.ToArray()))))
            .DistinctBy(tensor => tensor.Name)
            .ToList();
        Assert.Equal(stateDict.Select(t => t.Name), model.Graph.Initializer.Select(i => i.Name));
        foreach (var (tensor, initializer) in stateDict.Zip(model.Graph.Initializer))
        {
            Assert.Equal(tensor.Shape.Select(d => (long)d), initializer.Dims);
            Assert.Equal(tensor.Values, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(initializer.RawData.Span).ToArray());
        }
    }

    [Fact]
    public void ExportToFileAndStreamWriteTheSameModel()
    {
        var network = new OnnxDenseActivationsNet(maxBatch: 3, seed: 1);
        string path = Path.Combine(Path.GetTempPath(), $"typednets-onnx-{Guid.NewGuid():N}.onnx");
        try
        {
            File.WriteAllText(path, "an older file");
            TypedNets.Onnx.Onnx.Export(network, path);
            using var stream = new MemoryStream();
            TypedNets.Onnx.Onnx.Export(network, stream);
            Assert.Equal(stream.ToArray(), File.ReadAllBytes(path));
            Assert.Equal(TypedNets.Onnx.Onnx.ToBytes(network), stream.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ExportRefusesNullsAndAReadOnlyStream()
    {
        var network = new OnnxDenseActivationsNet(maxBatch: 1, seed: 1);
        Assert.Equal("network", Assert.Throws<ArgumentNullException>(() => TypedNets.Onnx.Onnx.Export(null!, "model.onnx")).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentNullException>(() => TypedNets.Onnx.Onnx.Export(network, (string)null!)).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => TypedNets.Onnx.Onnx.Export(network, string.Empty)).ParamName);
        Assert.Equal("stream", Assert.Throws<ArgumentNullException>(() => TypedNets.Onnx.Onnx.Export(network, (Stream)null!)).ParamName);
        using var readOnly = new MemoryStream(new byte[4], writable: false);
        Assert.Equal("stream", Assert.Throws<ArgumentException>(() => TypedNets.Onnx.Onnx.Export(network, readOnly)).ParamName);
    }

    [Fact]
    public void UncoveredLayerKindsAreRefusedByName()
    {
        var concatenate = Assert.Throws<NotSupportedException>(() => TypedNets.Onnx.Onnx.ToBytes(new OnnxConcatenateNet(maxBatch: 1, seed: 1)));
        Assert.Contains("'joined'", concatenate.Message, StringComparison.Ordinal);
        Assert.Contains("Concatenate", concatenate.Message, StringComparison.Ordinal);

        // The branch is refused at the layer that leaves the chain, before its Concatenate is reached.
        var branch = Assert.Throws<NotSupportedException>(() => TypedNets.Onnx.Onnx.ToBytes(new OnnxBranchNet(maxBatch: 1, seed: 1)));
        Assert.Contains("'right'", branch.Message, StringComparison.Ordinal);
        Assert.Contains("sequential", branch.Message, StringComparison.Ordinal);

        var masked = Assert.Throws<NotSupportedException>(() => TypedNets.Onnx.Onnx.ToBytes(new OnnxMaskedEmbeddingNet(maxBatch: 1, seed: 1)));
        Assert.Contains("MaskZero", masked.Message, StringComparison.Ordinal);

        var add = Assert.Throws<NotSupportedException>(() => TypedNets.Onnx.Onnx.ToBytes(new OnnxResidualNet(maxBatch: 1, seed: 1)));
        Assert.Contains("Add", add.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FailedExportLeavesAnExistingFileAsItWas()
    {
        string path = Path.Combine(Path.GetTempPath(), $"typednets-onnx-{Guid.NewGuid():N}.onnx");
        try
        {
            File.WriteAllText(path, "an older file");
            Assert.Throws<NotSupportedException>(() => TypedNets.Onnx.Onnx.Export(new OnnxResidualNet(maxBatch: 1, seed: 1), path));
            Assert.Equal("an older file", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// Draws every parameter and running statistic afresh: biases, norm scales and running statistics start at
    /// zeros and ones, which would hide a bias, scale or statistic given to the wrong input.
    /// </summary>
    private static void Randomise(INetwork network, int seed)
    {
        var random = new Random(seed);
        foreach (Layer layer in network.Layers)
        {
            foreach (ParameterTensor parameter in layer.Parameters)
            {
                Span<float> values = parameter.Values;
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = (float)(random.NextDouble() * 1.6 - 0.8);
                }
            }

            foreach (BufferTensor buffer in layer.Buffers)
            {
                bool variance = buffer.Name.EndsWith("running_var", StringComparison.Ordinal);
                Span<float> values = buffer.Values;
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = variance ? (float)(0.2 + random.NextDouble()) : (float)(random.NextDouble() - 0.5);
                }
            }
        }
    }

    private static float[] RandomInput(INetwork network, int batch, Random random)
    {
        float[] input = new float[batch * network.InputSize];
        int vocabulary = network.Layers[0] is EmbeddingLayer embedding ? embedding.Vocabulary : 0;
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = vocabulary > 0 ? random.Next(vocabulary) : (float)(random.NextDouble() * 4 - 2);
        }

        return input;
    }

    private static float[] Run(InferenceSession session, INetwork network, float[] input, int batch)
    {
        long[] shape = [batch, .. network.Layers[0].InputShape.ToArray().Select(d => (long)d)];
        using OrtValue value = network.Layers[0] is EmbeddingLayer
            ? OrtValue.CreateTensorValueFromMemory(input.Select(id => (long)id).ToArray(), shape)
            : OrtValue.CreateTensorValueFromMemory(input, shape);
        using var options = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(options, ["input"], [value], ["output"]);
        long[] outputShape = outputs[0].GetTensorTypeAndShape().Shape;
        Assert.Equal(batch, outputShape[0]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static void WriteForChecker(string name, byte[] model)
    {
        string? folder = Environment.GetEnvironmentVariable("TYPEDNETS_ONNX_DIR");
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(Path.Combine(folder, name + ".onnx"), model);
        }
    }
}
