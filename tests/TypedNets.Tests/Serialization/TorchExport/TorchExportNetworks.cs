using System;
using System.Collections.Generic;
using TypedNets.Tests.Compression;
using TypedNets.Tests.Networks;
using TypedNets.Tests.Onnx;

namespace TypedNets.Tests.Serialization.TorchExport;

/// <summary>
/// The networks the PyTorch export is checked on: every example's, one or more per layer kind and option, and the
/// graph, attention, recurrent and masked test networks. Folder name -> a fresh instance for batches of up to 4.
/// </summary>
internal static class TorchExportNetworks
{
    public const int MaxBatch = 4;

    public static readonly IReadOnlyDictionary<string, Func<INetwork>> All = new Dictionary<string, Func<INetwork>>
    {
        // The examples.
        ["example_fashion_mlp"] = () => new FashionMnist.FashionMlp(maxBatch: MaxBatch, seed: 1),
        ["example_fashion_convnet"] = () => new FashionMnist.FashionConvnet(maxBatch: MaxBatch, seed: 2),
        ["example_fashion_resnet"] = () => new FashionMnist.FashionResNet(maxBatch: MaxBatch, seed: 3),
        ["example_binary_classifier"] = () => new Quickstart.BinaryClassifier(maxBatch: MaxBatch, seed: 4),
        ["example_wide_binary_classifier"] = () => new Quickstart.WideBinaryClassifier(maxBatch: MaxBatch, seed: 5),
        ["example_fortune_classifier"] = () => new TextClassifier.FortuneClassifier(maxBatch: MaxBatch, seed: 6),
        ["example_bag_of_words"] = () => new TextClassifier.BagOfWords(maxBatch: MaxBatch, seed: 7),
        ["example_fortune_gpt"] = () => new TinyGpt.FortuneGpt(maxBatch: MaxBatch, seed: 8),
        ["example_fashion_student"] = () => new global::Compression.FashionStudent(maxBatch: MaxBatch, seed: 9),
        ["example_fashion_mlp_halved"] = () => new global::Compression.FashionMlpHalved(maxBatch: MaxBatch, seed: 10),

        // Dense and every activation, dropout, flatten.
        ["onnx_dense_activations"] = () => new OnnxDenseActivationsNet(maxBatch: MaxBatch, seed: 11),
        ["identity"] = () => new IdentityNet(maxBatch: MaxBatch, seed: 12),
        ["relu"] = () => new ReluNet(maxBatch: MaxBatch, seed: 13),
        ["leaky_relu"] = () => new LeakyReluNet(maxBatch: MaxBatch, seed: 14),
        ["sigmoid"] = () => new SigmoidNet(maxBatch: MaxBatch, seed: 15),
        ["tanh"] = () => new TanhNet(maxBatch: MaxBatch, seed: 16),
        ["softmax"] = () => new SoftmaxNet(maxBatch: MaxBatch, seed: 17),
        ["gelu"] = () => new GeluNet(maxBatch: MaxBatch, seed: 18),
        ["gelu_tanh"] = () => new GeluTanhFixtureNet(maxBatch: MaxBatch, seed: 19),
        ["gelu_tanh_relu_twin"] = () => new GeluTanhReluTwinNet(maxBatch: MaxBatch, seed: 20),
        ["dropout"] = () => new DropoutNet(maxBatch: MaxBatch, seed: 21),
        ["dropout_ends"] = () => new DropoutEndsNet(maxBatch: MaxBatch, seed: 22),
        ["flatten"] = () => new FlattenNet(maxBatch: MaxBatch, seed: 23),
        ["no_bias_relu"] = () => new NoBiasReluNet(maxBatch: MaxBatch, seed: 24),
        ["tiny_mlp_mse"] = () => new TinyMlpMse(maxBatch: MaxBatch, seed: 25),
        ["binary"] = () => new BinaryNet(maxBatch: MaxBatch, seed: 26),
        ["huber_regularized"] = () => new RegularizedNet(maxBatch: MaxBatch, seed: 27),
        ["sequence_dense_layer_norm"] = () => new OnnxSequenceDenseNet(maxBatch: MaxBatch, seed: 28),
        ["dense_per_step"] = () => new DensePerStepFixtureNet(maxBatch: MaxBatch, seed: 29),

        // Images: convolutions with their options, pools, global pooling, batch normalisation.
        ["onnx_conv_batch_norm_pools"] = () => new OnnxConvNet(maxBatch: MaxBatch, seed: 30),
        ["onnx_one_channel_image"] = () => new OnnxOneChannelNet(maxBatch: MaxBatch, seed: 31),
        ["strided_image"] = () => new StridedImageNet(maxBatch: MaxBatch, seed: 32),
        ["conv2d_stride_padding"] = () => new Conv2DStridePaddingFixtureNet(maxBatch: MaxBatch, seed: 33),
        ["conv2d_dilation"] = () => new DilationFixtureNet(maxBatch: MaxBatch, seed: 34),
        ["conv2d_rectangular"] = () => new RectangularFixtureNet(maxBatch: MaxBatch, seed: 35),
        ["conv2d_groups"] = () => new GroupsFixtureNet(maxBatch: MaxBatch, seed: 36),
        ["conv2d_no_bias"] = () => new NoBiasFixtureNet(maxBatch: MaxBatch, seed: 37),
        ["max_pool_padding"] = () => new MaxPoolPaddingFixtureNet(maxBatch: MaxBatch, seed: 38),
        ["avg_pool_padding"] = () => new AvgPoolPaddingFixtureNet(maxBatch: MaxBatch, seed: 39),
        ["avg_pool_padding_stride_one"] = () => new AvgPoolPaddingStrideOneFixtureNet(maxBatch: MaxBatch, seed: 40),
        ["global_average_pooling_2d"] = () => new OnnxGlobalPoolNet(maxBatch: MaxBatch, seed: 41),
        ["batch_norm_2d"] = () => new BatchNorm2DFixtureNet(maxBatch: MaxBatch, seed: 42),
        ["batch_norm_1d"] = () => new BatchNorm1DFixtureNet(maxBatch: MaxBatch, seed: 43),
        ["batch_norm_sequence"] = () => new OnnxSequenceBatchNormNet(maxBatch: MaxBatch, seed: 44),
        ["batch_norm_conv"] = () => new TinyBatchNormConvNet(maxBatch: MaxBatch, seed: 45),
        ["tiny_conv"] = () => new TinyConvNet(maxBatch: MaxBatch, seed: 46),
        ["prunable_convnet"] = () => new TinyPrunableConvnet(maxBatch: MaxBatch, seed: 47),

        // Sequences: Conv1D, pools, LayerNorm, global pools, embeddings, position embeddings, recurrent layers.
        ["conv1d_pools"] = () => new OnnxConv1DNet(maxBatch: MaxBatch, seed: 48),
        ["avg_pool_1d_padding"] = () => new AvgPool1DPaddingFixtureNet(maxBatch: MaxBatch, seed: 49),
        ["max_pool_1d_padding"] = () => new MaxPool1DPaddingFixtureNet(maxBatch: MaxBatch, seed: 50),
        ["masked_conv1d"] = () => new MaskedConv1DNet(maxBatch: MaxBatch, seed: 51),
        ["layer_norm_sequence"] = () => new LayerNormSequenceFixtureNet(maxBatch: MaxBatch, seed: 52),
        ["average_pooling_1d"] = () => new AveragePoolingFixtureNet(maxBatch: MaxBatch, seed: 53),
        ["max_pooling_1d"] = () => new MaxPoolingFixtureNet(maxBatch: MaxBatch, seed: 54),
        ["embedding_padding_index"] = () => new PaddingIndexFixtureNet(maxBatch: MaxBatch, seed: 55),
        ["position_embedding"] = () => new OnnxPositionEmbeddingNet(maxBatch: MaxBatch, seed: 56),
        ["masked_position"] = () => new MaskedPositionNet(maxBatch: MaxBatch, seed: 57),
        ["lstm_last"] = () => new LstmLastFixtureNet(maxBatch: MaxBatch, seed: 58),
        ["gru_sequences"] = () => new GruSequencesFixtureNet(maxBatch: MaxBatch, seed: 59),
        ["lstm_two_layers_bidirectional"] = () => new LstmTwoLayersBidirectionalFixtureNet(maxBatch: MaxBatch, seed: 60),
        ["gru_two_layers_bidirectional"] = () => new GruTwoLayersBidirectionalFixtureNet(maxBatch: MaxBatch, seed: 61),
        ["stacked_bidirectional_lstm_sequences"] = () => new OnnxStackedLstmNet(maxBatch: MaxBatch, seed: 62),
        ["gru_stacked"] = () => new OnnxGruNet(maxBatch: MaxBatch, seed: 63),
        ["masked_lstm"] = () => new MaskedLstmNet(maxBatch: MaxBatch, seed: 64),
        ["masked_gru"] = () => new MaskedGruNet(maxBatch: MaxBatch, seed: 65),
        ["masked_lstm_bidirectional"] = () => new LstmMaskedBidirectionalFixtureNet(maxBatch: MaxBatch, seed: 66),
        ["masked_gru_bidirectional"] = () => new GruMaskedBidirectionalFixtureNet(maxBatch: MaxBatch, seed: 67),
        ["masked_bidirectional"] = () => new MaskedBidirectionalNet(maxBatch: MaxBatch, seed: 68),
        ["masked_bidirectional_pool"] = () => new MaskedBidirectionalPoolNet(maxBatch: MaxBatch, seed: 69),
        ["masked_sequence_batch_norm"] = () => new MaskedSequenceBatchNormNet(maxBatch: MaxBatch, seed: 70),
        ["masked_embedding"] = () => new OnnxMaskedEmbeddingNet(maxBatch: MaxBatch, seed: 71),
        ["tiny_text_classifier"] = () => new TinyTextClassifier(maxBatch: MaxBatch, seed: 72),
        ["next_token_ignore_index"] = () => new NextTokenNet(maxBatch: MaxBatch, seed: 73),
        ["step_tagger"] = () => new StepTaggerNet(maxBatch: MaxBatch, seed: 74),

        // Attention, tied heads, GPT blocks.
        ["causal_attention"] = () => new CausalAttentionNet(maxBatch: MaxBatch, seed: 75),
        ["bidirectional_attention"] = () => new BidirectionalAttentionNet(maxBatch: MaxBatch, seed: 76),
        ["dropout_attention"] = () => new DropoutAttentionNet(maxBatch: MaxBatch, seed: 77),
        ["bare_attention"] = () => new BareAttentionNet(maxBatch: MaxBatch, seed: 78),
        ["tied_head"] = () => new TiedHeadNet(maxBatch: MaxBatch, seed: 79),
        ["tied_head_with_bias"] = () => new TiedHeadWithBiasNet(maxBatch: MaxBatch, seed: 80),
        ["nano_gpt"] = () => new NanoGpt(maxBatch: MaxBatch, seed: 81),
        ["gpt_block_on_input"] = () => new GptBlockOnInputNet(maxBatch: MaxBatch, seed: 82),
        ["tiny_gpt_lm"] = () => new TinyGptLm(maxBatch: MaxBatch, seed: 83),

        // Graphs: residual blocks, skips, branches, joins.
        ["tiny_resnet"] = () => new TinyResNet(maxBatch: MaxBatch, seed: 84),
        ["skip_dense"] = () => new SkipDenseNet(maxBatch: MaxBatch, seed: 85),
        ["smooth_resnet"] = () => new SmoothResNet(maxBatch: MaxBatch, seed: 86),
        ["input_residual"] = () => new InputResidualNet(maxBatch: MaxBatch, seed: 87),
        ["tiny_inception"] = () => new TinyInception(maxBatch: MaxBatch, seed: 88),
        ["two_shapes"] = () => new TwoShapesNet(maxBatch: MaxBatch, seed: 89),
        ["input_skip"] = () => new InputSkipNet(maxBatch: MaxBatch, seed: 90),
        ["growth"] = () => new GrowthNet(maxBatch: MaxBatch, seed: 91),
        ["onnx_concatenate"] = () => new OnnxConcatenateNet(maxBatch: MaxBatch, seed: 92),
        ["onnx_branch"] = () => new OnnxBranchNet(maxBatch: MaxBatch, seed: 93),
        ["onnx_residual"] = () => new OnnxResidualNet(maxBatch: MaxBatch, seed: 94),
        ["keyword_names"] = () => new KeywordNamesNet(maxBatch: MaxBatch, seed: 95),
    };
}
