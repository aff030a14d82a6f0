using System;
using System.Collections.Generic;
using System.Linq;
using TypedNets.Compression;

namespace TypedNets.Tests.Onnx;

/// <summary>
/// The ONNX export of int8-quantised networks (Dense layers, dynamic and static; Conv2D, static), run in ONNX Runtime against the
/// quantised network's own Predict: the graph quantises the activations with the runtime's rules and multiplies the
/// codes with <c>MatMulInteger</c>, so the two agree within 1e-5.
/// </summary>
public sealed class OnnxInt8ExportTests
{
    public static TheoryData<string> Networks => new(Factories.Keys);

    private static readonly Dictionary<string, Func<INetwork>> Factories = new()
    {
        ["int8_dynamic_dense_activations"] = () => Dynamic(new OnnxDenseActivationsNet(maxBatch: 8, seed: 1)),
        ["int8_static_dense_activations"] = () => Static(new OnnxDenseActivationsNet(maxBatch: 8, seed: 1)),
        ["int8_dynamic_sequence_dense"] = () => Dynamic(new OnnxSequenceDenseNet(maxBatch: 8, seed: 2)),
        ["int8_static_sequence_dense"] = () => Static(new OnnxSequenceDenseNet(maxBatch: 8, seed: 2)),
        ["int8_dynamic_skip_dense"] = () => Dynamic(new Networks.SkipDenseNet(maxBatch: 8, seed: 3)),
        ["int8_dynamic_fashion_mlp"] = () => Dynamic(new FashionMnist.FashionMlp(maxBatch: 8, seed: 4)),
        ["int8_static_fashion_mlp"] = () => Static(new FashionMnist.FashionMlp(maxBatch: 8, seed: 4)),
        ["int8_static_quickstart_binary"] = () => Static(new Quickstart.BinaryClassifier(maxBatch: 8, seed: 5)),
        ["int8_static_conv_global_pool"] = () => Static(new OnnxGlobalPoolNet(maxBatch: 8, seed: 6)),
        ["int8_static_one_channel_conv"] = () => Static(new OnnxOneChannelNet(maxBatch: 8, seed: 7)),
        ["int8_static_tiny_resnet"] = () => Static(new Networks.TinyResNet(maxBatch: 8, seed: 8)),
        ["int8_static_fashion_convnet"] = () => Static(new FashionMnist.FashionConvnet(maxBatch: 8, seed: 9)),
        ["int8_static_tiny_inception"] = () => Static(new Networks.TinyInception(maxBatch: 8, seed: 10)),
        ["int8_dynamic_tiny_gpt_lm"] = () => Dynamic(new Networks.TinyGptLm(maxBatch: 8, seed: 11)),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void QuantisedNetworkRunsInOnnxRuntimeAsItsPredict(string name)
    {
        INetwork network = Factories[name]();
        Assert.True(network.IsQuantized);
        OnnxParity.AssertRuntimeMatchesPredict(name, network);
    }

    private static TNetwork Dynamic<TNetwork>(TNetwork network)
        where TNetwork : INetworkFactory<TNetwork>
    {
        OnnxParity.Randomise(network, seed: 5);
        return network.Quantize();
    }

    private static TNetwork Static<TNetwork>(TNetwork network)
        where TNetwork : INetworkFactory<TNetwork>
    {
        OnnxParity.Randomise(network, seed: 6);
        var random = new Random(29);
        float[] calibration = Enumerable.Range(0, 16 * network.InputSize).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        return network.Quantize(calibration);
    }
}
