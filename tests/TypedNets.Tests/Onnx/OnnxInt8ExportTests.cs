using System;
using System.Collections.Generic;
using System.Linq;
using TypedNets.Compression;

namespace TypedNets.Tests.Onnx;

/// <summary>
/// The ONNX export of int8-quantised networks (Dense, Conv2D, LSTM and GRU layers, dynamic and static), run in ONNX
/// Runtime against the quantised network's own Predict: the graph quantises the activations with the runtime's rules
/// (a dynamic convolution's patches one row each, a recurrent layer's input and state step by step) and multiplies the
/// codes with <c>MatMulInteger</c> or <c>ConvInteger</c>, so the two agree within 1e-5.
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
        ["int8_dynamic_fashion_convnet"] = () => Dynamic(new FashionMnist.FashionConvnet(maxBatch: 8, seed: 12)),
        ["int8_dynamic_tiny_resnet"] = () => Dynamic(new Networks.TinyResNet(maxBatch: 8, seed: 13)),
        ["int8_dynamic_grouped_and_rectangular_conv"] = () => Dynamic(new OnnxConvNet(maxBatch: 8, seed: 14)),
        ["int8_dynamic_one_channel_conv"] = () => Dynamic(new OnnxOneChannelNet(maxBatch: 8, seed: 15)),
        ["int8_dynamic_strided_padded_conv"] = () => Dynamic(new OnnxGlobalPoolNet(maxBatch: 8, seed: 16)),
        ["int8_dynamic_rectangular_conv"] = () => Dynamic(new Networks.RectangularFixtureNet(maxBatch: 8, seed: 17)),
        ["int8_dynamic_dilated_conv"] = () => Dynamic(new Networks.DilationFixtureNet(maxBatch: 8, seed: 17)),
        ["int8_dynamic_grouped_convs_stay_float"] = () => Dynamic(new Networks.GroupsGradientNet(maxBatch: 8, seed: 17)),
        ["int8_dynamic_fortune_classifier"] = () => Dynamic(new TextClassifier.FortuneClassifier(maxBatch: 8, seed: 18)),
        ["int8_static_fortune_classifier"] = () => Static(new TextClassifier.FortuneClassifier(maxBatch: 8, seed: 18)),
        ["int8_dynamic_lstm"] = () => Dynamic(new OnnxLstmNet(maxBatch: 8, seed: 19)),
        ["int8_static_lstm"] = () => Static(new OnnxLstmNet(maxBatch: 8, seed: 19)),
        ["int8_dynamic_stacked_bidirectional_lstm_sequences"] = () => Dynamic(new OnnxStackedLstmNet(maxBatch: 8, seed: 20)),
        ["int8_static_stacked_bidirectional_lstm_sequences"] = () => Static(new OnnxStackedLstmNet(maxBatch: 8, seed: 20)),
        ["int8_dynamic_stacked_bidirectional_lstm_last"] = () => Dynamic(new Networks.LstmTwoLayersBidirectionalFixtureNet(maxBatch: 8, seed: 21)),
        ["int8_static_stacked_bidirectional_lstm_last"] = () => Static(new Networks.LstmTwoLayersBidirectionalFixtureNet(maxBatch: 8, seed: 21)),
        ["int8_dynamic_gru_stack"] = () => Dynamic(new OnnxGruNet(maxBatch: 8, seed: 22)),
        ["int8_static_gru_stack"] = () => Static(new OnnxGruNet(maxBatch: 8, seed: 22)),
        ["int8_dynamic_stacked_bidirectional_gru_sequences"] = () => Dynamic(new Networks.GruTwoLayersBidirectionalFixtureNet(maxBatch: 8, seed: 23)),
        ["int8_static_stacked_bidirectional_gru_sequences"] = () => Static(new Networks.GruTwoLayersBidirectionalFixtureNet(maxBatch: 8, seed: 23)),
        ["int8_dynamic_lstm_then_gru"] = () => Dynamic(new Networks.StackedSequenceNet(maxBatch: 8, seed: 24)),
        ["int8_static_lstm_then_gru"] = () => Static(new Networks.StackedSequenceNet(maxBatch: 8, seed: 24)),
        ["int8_dynamic_masked_bidirectional_lstm_gru"] = () => Dynamic(new Networks.MaskedBidirectionalNet(maxBatch: 8, seed: 25)),
        ["int8_static_masked_bidirectional_lstm_gru"] = () => Static(new Networks.MaskedBidirectionalNet(maxBatch: 8, seed: 25)),
        ["int8_dynamic_masked_stacked_lstm"] = () => Dynamic(new Networks.MaskedLstmNet(maxBatch: 8, seed: 26)),
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

        // A network on tokens is calibrated on token ids of its vocabulary, padding included where an embedding masks it.
        EmbeddingLayer? tokens = network.Core.TokenInput ? network.Layers.OfType<EmbeddingLayer>().First() : null;
        float[] calibration = Enumerable.Range(0, 16 * network.InputSize)
            .Select(_ => tokens is null ? (float)(random.NextDouble() * 4 - 2) : random.Next(0, tokens.Vocabulary))
            .ToArray();
        return network.Quantize(calibration);
    }
}
