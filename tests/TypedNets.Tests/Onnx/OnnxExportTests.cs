using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using TypedNets.Compression;
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
        ["concatenate"] = () => new OnnxConcatenateNet(maxBatch: 3, seed: 17),
        ["from_input_branch"] = () => new OnnxBranchNet(maxBatch: 3, seed: 18),
        ["add_input_residual"] = () => new OnnxResidualNet(maxBatch: 3, seed: 19),
        ["masked_embedding_average"] = () => new OnnxMaskedEmbeddingNet(maxBatch: 3, seed: 20),
        ["masked_embedding_max"] = () => new OnnxMaskedMaxNet(maxBatch: 3, seed: 21),
        ["concatenate_sequences_and_images"] = () => new OnnxSequenceConcatenateNet(maxBatch: 3, seed: 22),
        ["concatenate_images_add"] = () => new OnnxImageConcatenateNet(maxBatch: 3, seed: 23),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void OnnxRuntimeMatchesPredictAtBatchOneAndThree(string name)
    {
        INetwork network = Factories[name]();
        OnnxParity.Randomise(network, seed: name.Length);
        OnnxParity.AssertRuntimeMatchesPredict(name, network);
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
    public void QuantisedConvolutionsAndRecurrentLayersExportTheirInt8Codes()
    {
        // A dynamic Conv2D and an LSTM's two weights go out as int8 codes under their state_dict names; a grouped
        // convolution stays float, as Quantize leaves it.
        OnnxModel convolution = OnnxModel.Parser.ParseFrom(TypedNets.Onnx.Onnx.ToBytes(new OnnxConvNet(maxBatch: 1, seed: 1).Quantize()));
        Assert.Equal((int)global::Onnx.TensorProto.Types.DataType.Int8, convolution.Graph.Initializer.Single(t => t.Name == "rectangular.weight").DataType);
        Assert.Equal((int)global::Onnx.TensorProto.Types.DataType.Float, convolution.Graph.Initializer.Single(t => t.Name == "grouped.weight").DataType);
        Assert.Contains(convolution.Graph.Node, node => node.OpType == "MatMulInteger");

        OnnxModel recurrent = OnnxModel.Parser.ParseFrom(TypedNets.Onnx.Onnx.ToBytes(new OnnxLstmNet(maxBatch: 1, seed: 1).Quantize()));
        Assert.Equal((int)global::Onnx.TensorProto.Types.DataType.Int8, recurrent.Graph.Initializer.Single(t => t.Name == "encoder.weight_ih_l0").DataType);
        Assert.Equal((int)global::Onnx.TensorProto.Types.DataType.Int8, recurrent.Graph.Initializer.Single(t => t.Name == "encoder.weight_hh_l0").DataType);
        Assert.DoesNotContain(recurrent.Graph.Node, node => node.OpType == "LSTM");
    }

    [Fact]
    public void FailedExportLeavesWhatWasAtThePathAndNoTemporaryFile()
    {
        // Every layer Quantize produces is exported now, so the failure is the file system's: a folder in the way of
        // the model. The model is written beside it first and moved in place only when whole.
        string folder = Path.Combine(Path.GetTempPath(), $"typednets-onnx-{Guid.NewGuid():N}");
        string path = Path.Combine(folder, "model.onnx");
        try
        {
            Directory.CreateDirectory(path);
            File.WriteAllText(Path.Combine(path, "kept.txt"), "an older file");
            Exception? error = Record.Exception(() => TypedNets.Onnx.Onnx.Export(new OnnxConvNet(maxBatch: 1, seed: 1).Quantize(), path));
            Assert.True(error is IOException or UnauthorizedAccessException, $"Expected a file-system error, got {error?.GetType().Name ?? "none"}.");
            Assert.Equal("an older file", File.ReadAllText(Path.Combine(path, "kept.txt")));
            Assert.Equal([path], Directory.GetFileSystemEntries(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
