using System;
using System.Collections.Generic;
using System.Linq;
using TypedNets.Tests.Networks;

namespace TypedNets.Tests.Onnx;

/// <summary>
/// The ONNX export of networks that are not a chain (blocks, residual blocks, [From] branches, Add, Concatenate, layers
/// that read the network's input), of padding-masked networks, and of every example's network, each run in ONNX
/// Runtime against Predict at batch sizes 1 and 3.
/// </summary>
public sealed class OnnxGraphExportTests
{
    public static TheoryData<string> GraphNetworks => new(Graphs.Keys);

    public static TheoryData<string> ExampleNetworks => new(Examples.Keys);

    // Test networks: their weights are drawn afresh (OnnxParity.Randomise), so biases and statistics are not trivial.
    private static readonly Dictionary<string, Func<INetwork>> Graphs = new()
    {
        ["graph_tiny_resnet"] = () => new TinyResNet(maxBatch: 3, seed: 1),
        ["graph_skip_dense"] = () => new SkipDenseNet(maxBatch: 3, seed: 2),
        ["graph_tiny_inception"] = () => new TinyInception(maxBatch: 3, seed: 3),
        ["graph_input_residual"] = () => new InputResidualNet(maxBatch: 3, seed: 4),
        ["graph_smooth_resnet"] = () => new SmoothResNet(maxBatch: 3, seed: 5),
        ["graph_two_shapes"] = () => new TwoShapesNet(maxBatch: 3, seed: 6),
        ["graph_input_skip"] = () => new InputSkipNet(maxBatch: 3, seed: 7),
        ["graph_growth"] = () => new GrowthNet(maxBatch: 3, seed: 8),
        ["gpt_nano"] = () => new NanoGpt(maxBatch: 3, seed: 9),
        ["gpt_block"] = () => new GptBlockNet(maxBatch: 3, seed: 10),
        ["gpt_block_on_input"] = () => new GptBlockOnInputNet(maxBatch: 3, seed: 11),
        ["attention_causal"] = () => new CausalAttentionNet(maxBatch: 3, seed: 12),
        ["attention_bidirectional"] = () => new BidirectionalAttentionNet(maxBatch: 3, seed: 13),
        ["attention_dropout"] = () => new DropoutAttentionNet(maxBatch: 3, seed: 14),
        ["attention_bare"] = () => new BareAttentionNet(maxBatch: 3, seed: 15),
        ["attention_causal_sequence"] = () => new CausalSequenceNet(maxBatch: 3, seed: 16),
        ["generation_causal_language"] = () => new CausalLanguageNet(maxBatch: 3, seed: 17),
        ["generation_tiny_gpt_lm"] = () => new TinyGptLm(maxBatch: 3, seed: 18),
        ["generation_softmax_head"] = () => new SoftmaxHeadLanguageNet(maxBatch: 3, seed: 19),
        ["masked_position_average"] = () => new MaskedPositionNet(maxBatch: 3, seed: 20),
        ["masked_gru_average"] = () => new MaskedGruNet(maxBatch: 3, seed: 21),
        ["masked_lstm_stack"] = () => new MaskedLstmNet(maxBatch: 3, seed: 22),
        ["masked_lstm_bidirectional_stacked"] = () => new LstmMaskedBidirectionalFixtureNet(maxBatch: 3, seed: 23),
        ["masked_gru_bidirectional_stacked_sequences"] = () => new GruMaskedBidirectionalFixtureNet(maxBatch: 3, seed: 24),
        ["masked_lstm_then_gru_bidirectional"] = () => new MaskedBidirectionalNet(maxBatch: 3, seed: 25),
        ["masked_gru_bidirectional_average"] = () => new MaskedBidirectionalPoolNet(maxBatch: 3, seed: 26),
        ["masked_sequence_batch_norm_gru"] = () => new MaskedSequenceBatchNormNet(maxBatch: 3, seed: 27),
        ["masked_conv_1d_average"] = () => new MaskedConv1DNet(maxBatch: 3, seed: 28),
    };

    // The examples' networks with their own seeded initial weights; those with batch normalisation are trained for a
    // few steps first, so that the running statistics the export writes are not the initial zeros and ones.
    private static readonly Dictionary<string, Func<INetwork>> Examples = new()
    {
        ["example_fashion_mlp"] = () => new FashionMnist.FashionMlp(maxBatch: 8, seed: 1),
        ["example_fashion_convnet"] = () => new FashionMnist.FashionConvnet(maxBatch: 8, seed: 2),
        ["example_fashion_resnet"] = () => new FashionMnist.FashionResNet(maxBatch: 8, seed: 3),
        ["example_quickstart_binary"] = () => new Quickstart.BinaryClassifier(maxBatch: 8, seed: 4),
        ["example_quickstart_wide_binary"] = () => new Quickstart.WideBinaryClassifier(maxBatch: 8, seed: 5),
        ["example_text_fortune_classifier"] = () => new TextClassifier.FortuneClassifier(maxBatch: 8, seed: 6),
        ["example_text_bag_of_words"] = () => new TextClassifier.BagOfWords(maxBatch: 8, seed: 7),
        ["example_tiny_gpt"] = () => new TinyGpt.FortuneGpt(maxBatch: 8, seed: 8),
        ["example_compression_student"] = () => new global::Compression.FashionStudent(maxBatch: 8, seed: 9),
        ["example_compression_mlp_halved"] = () => new global::Compression.FashionMlpHalved(maxBatch: 8, seed: 10),
    };

    [Theory]
    [MemberData(nameof(GraphNetworks))]
    public void GraphNetworkRunsInOnnxRuntimeAsPredict(string name)
    {
        INetwork network = Graphs[name]();
        OnnxParity.Randomise(network, seed: name.Length);
        OnnxParity.AssertRuntimeMatchesPredict(name, network);
    }

    [Theory]
    [MemberData(nameof(ExampleNetworks))]
    public void ExampleNetworkRunsInOnnxRuntimeAsPredict(string name)
    {
        INetwork network = Examples[name]();
        if (network.Layers.OfType<BatchNormLayer>().Any())
        {
            OnnxParity.TrainBriefly(network, samples: 16, batchSize: 8);
            Assert.Contains(network.Layers.OfType<BatchNormLayer>().First().RunningMean.Values.ToArray(), mean => mean != 0);
        }

        // A language model's logits are compared at the scale of their step's row (the scale its softmax sees): through
        // FortuneGpt's four 128-wide blocks, float rounding in two summation orders parts a few logits by up to 2e-5.
        OnnxParity.AssertRuntimeMatchesPredict(name, network, rowWidth: network.Layers[^1].OutputShape.Length == 2 ? network.Layers[^1].OutputShape[^1] : 1);
    }

    [Fact]
    public void NodesAndTensorsAreNamedAfterModulesAndWiredAsDeclared()
    {
        var model = global::Onnx.ModelProto.Parser.ParseFrom(TypedNets.Onnx.Onnx.ToBytes(new TinyResNet(maxBatch: 1, seed: 1)));
        global::Onnx.NodeProto Node(string name) => Assert.Single(model.Graph.Node, node => node.Name == name);

        // layer1.0's identity shortcut reads the stem's output; layer2.0's sums its path with its projection shortcut,
        // which reads layer1.0's output, as the first convolution of the block does.
        Assert.Equal(["layer1.0.bn2/batch_norm", "bn1/relu"], Node("/layer1.0/Add").Input);
        Assert.Equal(["layer2.0.bn2/batch_norm", "layer2.0.downsample.1/batch_norm"], Node("/layer2.0/Add").Input);
        Assert.Equal("layer1.0/relu", Node("/layer2.0.downsample.0/Conv").Input[0]);
        Assert.Equal("layer1.0/relu", Node("/layer2.0.conv1/Conv").Input[0]);
        Assert.Equal(["layer2.1.bn2/batch_norm", "layer2.0/relu"], Node("/layer2.1/Add").Input);
        Assert.Contains("layer2.0.downsample.0.weight", model.Graph.Initializer.Select(i => i.Name));
    }
}
