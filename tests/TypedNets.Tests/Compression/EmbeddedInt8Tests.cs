using System;
using System.IO;
using System.Linq;
using TypedNets.Compression;
using TypedNets.Kernels;
using TypedNets.Serialization;
using TypedNets.Tests.Serialization;
using TypedNets.Tests.Networks;

namespace TypedNets.Tests.Compression;

// The fixtures' networks with their float files compiled in as int8 (the generator quantises them at build time), and
// a Dense-heavy MLP embedded both ways, to measure what int8 saves.
[Network, Input(4), EmbeddedWeights("tiny_mlp.safetensors.b64", Quantization = EmbeddedQuantization.Int8)]
public partial class EmbeddedInt8TinyMlp
{
    [Dense(5, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

[Network, TokenInput(7), EmbeddedWeights("tiny_text_classifier.safetensors.b64", Quantization = EmbeddedQuantization.Int8)]
public partial class EmbeddedInt8TinyTextClassifier
{
    [Embedding(20, 8)] public partial EmbeddingLayer Embedding { get; }
    [Lstm(6)] public partial LstmLayer Encoder { get; }
    [Dropout(0.5)] public partial DropoutLayer Drop1 { get; }
    [Dense(5, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dropout(0.5)] public partial DropoutLayer Drop2 { get; }
    [Dense(2, Activation.Softmax)] public partial DenseLayer Output { get; }
}

[Network, Input(1, 8, 8), EmbeddedWeights("tiny_batchnorm_convnet.safetensors.b64", Quantization = EmbeddedQuantization.Int8)]
public partial class EmbeddedInt8TinyBatchNormConvNet
{
    [Conv2D(4, 3, Activation = Activation.ReLU)] public partial Conv2DLayer Conv { get; }
    [BatchNorm] public partial BatchNormLayer Norm { get; }
    [MaxPool2D(2)] public partial Pool2DLayer Pool { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}

// dense_mlp.safetensors.b64 (written by make_dense_mlp.py beside it): every layer reads 64 or more inputs.
[Network, Input(128), EmbeddedWeights("dense_mlp.safetensors.b64")]
public partial class EmbeddedDenseMlp
{
    [Dense(64, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dense(10)] public partial DenseLayer Output { get; }
}

[Network, Input(128), EmbeddedWeights("dense_mlp.safetensors.b64", Quantization = EmbeddedQuantization.Int8)]
public partial class EmbeddedInt8DenseMlp
{
    [Dense(64, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dense(10)] public partial DenseLayer Output { get; }
}

/// <summary>
/// Weights quantised to int8 by the generator (<c>Quantization = EmbeddedQuantization.Int8</c>): the constructed network
/// is, bit for bit, <c>Quantize()</c> of the float network with the same weights (int8 weights, parameters, running
/// statistics, predictions), it takes about a quarter of the float weights' bytes, it is an inference network, and the
/// runtime refuses embedded data that does not fit the network without changing it.
/// </summary>
public sealed class EmbeddedInt8Tests
{
    private static string FixtureDirectory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "safetensors");

    [Theory]
    [InlineData("tiny_mlp")]
    [InlineData("tiny_text_classifier")]
    [InlineData("tiny_batchnorm_convnet")]
    [InlineData("dense_mlp")]
    public void The_embedded_int8_network_predicts_exactly_as_the_float_network_quantised(string name)
    {
        (INetwork embedded, INetwork floats) = name switch
        {
            "tiny_mlp" => ((INetwork)new EmbeddedInt8TinyMlp(maxBatch: 16), (INetwork)Loaded(new TinyMlp(maxBatch: 16), name).Quantize()),
            "tiny_text_classifier" => (new EmbeddedInt8TinyTextClassifier(maxBatch: 16), Loaded(new TinyTextClassifier(maxBatch: 16), name).Quantize()),
            "tiny_batchnorm_convnet" => (new EmbeddedInt8TinyBatchNormConvNet(maxBatch: 16), Loaded(new TinyBatchNormConvNet(maxBatch: 16), name).Quantize()),
            _ => (new EmbeddedInt8DenseMlp(maxBatch: 16), new EmbeddedDenseMlp(maxBatch: 16).Quantize()),
        };

        Assert.True(embedded.IsQuantized);
        Int8Weights expected = floats.Core.Engine.Int8Weights!;
        Int8Weights actual = embedded.Core.Engine.Int8Weights!;
        Assert.Equal(expected.Weights.Select(w => (w.Name, w.Offset, w.Rows, w.Columns)), actual.Weights.Select(w => (w.Name, w.Offset, w.Rows, w.Columns)));
        for (int i = 0; i < expected.Weights.Count; i++)
        {
            Assert.Equal(Codes(expected.Weights[i]), Codes(actual.Weights[i]));
            Assert.True(SafeTensorsTesting.SameBits(expected.Weights[i].Scales, actual.Weights[i].Scales), $"{name}: the scales of {expected.Weights[i].Name} differ");
        }

        Assert.True(SafeTensorsTesting.SameBits(floats.Parameters, embedded.Parameters), $"{name}: the parameters differ");
        Assert.True(SafeTensorsTesting.SameBits(floats.Buffers, embedded.Buffers), $"{name}: the running statistics differ");

        // Sixteen samples of values in [-2, 2] (token ids for the text classifier), through both networks.
        var random = new Random(5);
        bool tokens = name == "tiny_text_classifier";
        float[] input = Enumerable.Range(0, 16 * embedded.Core.InputSize).Select(_ => tokens ? random.Next(20) : (float)((random.NextDouble() * 4) - 2)).ToArray();
        float[] want = floats.Forward(input).ToArray();
        float[] got = embedded.Forward(input).ToArray();
        Assert.True(SafeTensorsTesting.SameBits(want, got), $"{name}: the predictions differ");
    }

    [Fact]
    public void The_int8_weights_take_at_most_0_27_of_the_float_bytes_of_a_dense_heavy_network()
    {
        // 128 -> 64 -> 10: 8,832 weights become one byte each with a float scale per row (74 rows), the 74 biases stay
        // float: 8,832 + 4 * 74 + 4 * 74 = 9,424 bytes where the floats take 4 * 8,906 = 35,624, a ratio of 0.2645.
        int floatBytes = EmbeddedDenseMlp.EmbeddedWeightBytes.Length;
        int int8Bytes = EmbeddedInt8DenseMlp.EmbeddedWeightBytes.Length;
        Assert.Equal(4 * EmbeddedDenseMlp.ParameterCount, floatBytes);
        Assert.Equal(9_424, int8Bytes);

        // The same count from the runtime's side: each int8 weight's stored bytes, and four per parameter left float.
        INetwork network = new EmbeddedInt8DenseMlp();
        Int8Weights weights = network.Core.Engine.Int8Weights!;
        long floatParameters = EmbeddedInt8DenseMlp.ParameterCount - weights.Weights.Sum(w => w.Rows * w.Columns);
        Assert.Equal(weights.Weights.Sum(w => w.StoredBytes) + (4 * floatParameters), int8Bytes);

        double ratio = (double)int8Bytes / floatBytes;
        Assert.InRange(ratio, 0.2645, 0.2646);
        Assert.True(ratio <= 0.27, $"int8 takes {ratio:F4} of the float bytes");
    }

    [Fact]
    public void An_embedded_int8_network_is_for_inference_and_reloads_its_int8_weights()
    {
        var network = new EmbeddedInt8TinyMlp(maxBatch: 4);
        float[] parameters = network.Parameters.ToArray();

        InvalidOperationException again = Assert.Throws<InvalidOperationException>(() => network.Quantize());
        Assert.Contains("quantised to int8 already", again.Message, StringComparison.Ordinal);
        network.Forward(new float[4]);
        Assert.Throws<InvalidOperationException>(() => network.Backward(new float[3]));

        network.Initialize(9);
        Assert.False(SafeTensorsTesting.SameBits(parameters, network.Parameters));
        network.LoadEmbeddedWeights();
        Assert.True(SafeTensorsTesting.SameBits(parameters, network.Parameters));
        Assert.True(network.IsQuantized);
    }

    [Fact]
    public void Embedded_int8_data_that_does_not_fit_the_network_is_refused_and_changes_nothing()
    {
        var network = new EmbeddedInt8TinyMlp(maxBatch: 4);
        float[] parameters = network.Parameters.ToArray();
        Int8Weights weights = ((INetwork)network).Core.Engine.Int8Weights!;
        byte[] bytes = EmbeddedInt8TinyMlp.EmbeddedWeightBytes.ToArray();

        // hidden.weight at 0, output.weight at 5 * 4 + 5 = 25.
        ArgumentException offsets = Assert.Throws<ArgumentException>(() => EmbeddedParameters.LoadInt8(network, bytes, [0, 24]));
        Assert.Equal("offsets", offsets.ParamName);
        Assert.StartsWith("EmbeddedInt8TinyMlp's embedded int8 weights start at offsets [0, 24], but its quantisable weights at [0, 25]; rebuild the project", offsets.Message, StringComparison.Ordinal);

        ArgumentException length = Assert.Throws<ArgumentException>(() => EmbeddedParameters.LoadInt8(network, bytes.AsSpan(1), [0, 25]));
        Assert.Equal("bytes", length.ParamName);
        Assert.StartsWith("EmbeddedInt8TinyMlp's embedded int8 weights hold 98 bytes, not the 99 of its 8 float parameters, 8 scales and 35 codes; rebuild the project", length.Message, StringComparison.Ordinal);

        Assert.True(SafeTensorsTesting.SameBits(parameters, network.Parameters));
        Assert.Same(weights, ((INetwork)network).Core.Engine.Int8Weights);
    }

    [Fact]
    public void The_generated_words_are_viewed_as_bytes_of_any_length()
    {
        ulong[] words = [0x0807060504030201, 0x000000000000000B];

        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 11], EmbeddedParameters.WordBytes(words, 9).ToArray());
        ArgumentException wrong = Assert.Throws<ArgumentException>(() => EmbeddedParameters.WordBytes(words, 17));
        Assert.Equal("words", wrong.ParamName);
        Assert.StartsWith("2 words of embedded weights cannot hold 17 bytes, which take 3; rebuild the project", wrong.Message, StringComparison.Ordinal);
    }

    private static TNetwork Loaded<TNetwork>(TNetwork network, string name)
        where TNetwork : INetwork
    {
        SafeTensors.Load(network, Path.Combine(FixtureDirectory, name + ".safetensors"));
        return network;
    }

    private static sbyte[] Codes(Int8Weight weight)
    {
        var codes = new sbyte[weight.Rows * weight.Columns];
        weight.CopyCodes(codes);
        return codes;
    }
}
