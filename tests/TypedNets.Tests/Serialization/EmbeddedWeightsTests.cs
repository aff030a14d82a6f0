using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;

namespace TypedNets.Tests.Serialization;

// The networks of the PyTorch fixtures tiny_mlp and tiny_text_classifier, with the fixtures' weights compiled in: the
// .safetensors files PyTorch wrote, as base64 (base64 -w 76), listed as AdditionalFiles by the test project.
[Network, Input(4), EmbeddedWeights("tiny_mlp.safetensors.b64")]
public partial class EmbeddedTinyMlp
{
    [Dense(5, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dense(3)] public partial DenseLayer Output { get; }
}

[Network, TokenInput(7), EmbeddedWeights("safetensors/tiny_text_classifier.safetensors.b64")]
public partial class EmbeddedTinyTextClassifier
{
    [Embedding(20, 8)] public partial EmbeddingLayer Embedding { get; }
    [Lstm(6)] public partial LstmLayer Encoder { get; }
    [Dropout(0.5)] public partial DropoutLayer Drop1 { get; }
    [Dense(5, Activation.ReLU)] public partial DenseLayer Hidden { get; }
    [Dropout(0.5)] public partial DropoutLayer Drop2 { get; }
    [Dense(2, Activation.Softmax)] public partial DenseLayer Output { get; }
}

// The network of the PyTorch fixture tiny_batchnorm_convnet, with its parameters and BatchNorm's running statistics
// compiled in (PyTorch's num_batches_tracked is in the file too, and checked and left out).
[Network, Input(1, 8, 8), EmbeddedWeights("tiny_batchnorm_convnet.safetensors.b64")]
public partial class EmbeddedTinyBatchNormConvNet
{
    [Conv2D(4, 3, Activation = Activation.ReLU)] public partial Conv2DLayer Conv { get; }
    [BatchNorm] public partial BatchNormLayer Norm { get; }
    [MaxPool2D(2)] public partial Pool2DLayer Pool { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
}

/// <summary>
/// Weights compiled in with <see cref="EmbeddedWeightsAttribute"/>: a network constructed with them holds exactly what
/// <see cref="SafeTensors.Load(INetwork, string, bool)"/> reads from the same file and computes PyTorch's outputs, loading them
/// allocates nothing, and <see cref="SafeTensors.SaveBase64"/> writes the file they come from.
/// </summary>
public sealed class EmbeddedWeightsTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "typednets-embedded-" + Guid.NewGuid().ToString("N"));

    public EmbeddedWeightsTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string FixtureDirectory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "safetensors");

    [Theory]
    [InlineData("tiny_mlp")]
    [InlineData("tiny_text_classifier")]
    [InlineData("tiny_batchnorm_convnet")]
    public void A_new_network_holds_the_embedded_pytorch_weights_and_gives_pytorchs_outputs(string name)
    {
        (INetwork embedded, INetwork loaded) = name switch
        {
            "tiny_mlp" => ((INetwork)new EmbeddedTinyMlp(maxBatch: 8, seed: 42), (INetwork)new TinyMlp(maxBatch: 8, seed: 1)),
            "tiny_text_classifier" => (new EmbeddedTinyTextClassifier(maxBatch: 8, seed: 42), new TinyTextClassifier(maxBatch: 8, seed: 1)),
            _ => (new EmbeddedTinyBatchNormConvNet(maxBatch: 8, seed: 42), new TinyBatchNormConvNet(maxBatch: 8, seed: 1)),
        };
        SafeTensors.Load(loaded, Path.Combine(FixtureDirectory, name + ".safetensors"));

        Assert.True(SafeTensorsTesting.SameBits(loaded.Parameters, embedded.Parameters), $"{name}: the embedded parameters differ from the file's");
        Assert.True(SafeTensorsTesting.SameBits(loaded.Buffers, embedded.Buffers), $"{name}: the embedded buffers differ from the file's");

        using JsonDocument fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, name + ".json")));
        JsonElement tensors = fixture.RootElement.GetProperty("tensors");
        float[] input = Floats(tensors, "input");
        float[] expected = Floats(tensors, "output");
        float[] output = embedded.Forward(input, training: false).ToArray();
        Assert.Equal(expected.Length, output.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - output[i]) <= 1e-5, $"{name} output[{i}]: {output[i]:R}, expected {expected[i]:R}");
        }
    }

    [Fact]
    public void The_embedded_bytes_are_the_parameters_and_reloading_them_allocates_nothing()
    {
        var network = new EmbeddedTinyMlp(maxBatch: 4);
        Assert.Equal(4 * EmbeddedTinyMlp.ParameterCount, EmbeddedTinyMlp.EmbeddedWeightBytes.Length);
        float[] embedded = network.Parameters.ToArray();

        network.Initialize(7);
        Assert.False(SafeTensorsTesting.SameBits(embedded, network.Parameters));

        network.LoadEmbeddedWeights();
        long before = GC.GetAllocatedBytesForCurrentThread();
        network.LoadEmbeddedWeights();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(SafeTensorsTesting.SameBits(embedded, network.Parameters));
    }

    [Fact]
    public void Reloading_restores_the_running_statistics_too()
    {
        var network = new EmbeddedTinyBatchNormConvNet(maxBatch: 4);
        Assert.Equal(4 * network.Buffers.Length, EmbeddedTinyBatchNormConvNet.EmbeddedBufferBytes.Length);
        float[] statistics = network.Buffers.ToArray();
        Assert.Contains(statistics, value => value != 0 && value != 1);   // moved by PyTorch's 20 training steps

        // Training moves the running statistics; loading the embedded weights brings them back.
        float[] images = new float[4 * 64];
        for (int i = 0; i < images.Length; i++)
        {
            images[i] = (i % 7) - 3;
        }

        network.Forward(images, training: true);
        Assert.False(SafeTensorsTesting.SameBits(statistics, network.Buffers));
        network.LoadEmbeddedWeights();
        Assert.True(SafeTensorsTesting.SameBits(statistics, network.Buffers));
    }

    [Fact]
    public void The_generated_words_are_viewed_as_little_endian_bytes_and_checked_against_the_parameter_count()
    {
        ulong[] words = [0x4000000040400000, 0x00000000BF800000];   // 3, 2, -1 and the padding

        Assert.Equal(
            [0x00, 0x00, 0x40, 0x40, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x80, 0xBF],
            EmbeddedParameters.LittleEndianBytes(words, 3).ToArray());

        float[] parameters = new float[3];
        EmbeddedParameters.CopyTo("Net", EmbeddedParameters.LittleEndianBytes(words, 3), parameters);
        Assert.Equal([3f, 2f, -1f], parameters);

        ArgumentException words5 = Assert.Throws<ArgumentException>(() => EmbeddedParameters.LittleEndianBytes(words, 5));
        Assert.StartsWith("2 words of embedded weights cannot hold 5 parameters, which take 3; rebuild the project", words5.Message);
        ArgumentException bytes = Assert.Throws<ArgumentException>(() => EmbeddedParameters.CopyTo("Net", new byte[8], parameters));
        Assert.StartsWith("Net has 3 parameters (12 bytes as float32), but its embedded weights hold 8 bytes; rebuild the project", bytes.Message);
    }

    [Fact]
    public void SaveBase64_writes_the_safetensors_bytes_as_base64_lines_and_LoadBase64_reads_them()
    {
        INetwork network = SafeTensorsTests.Trained(nameof(TinyTextClassifier), 11);
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        string path = Path.Combine(_directory, "model.safetensors.b64");
        File.WriteAllText(path, "an older file");

        SafeTensors.SaveBase64(network, path, metadata);

        string text = File.ReadAllText(path);
        string[] lines = text.Split('\n');
        Assert.Equal("", lines[^1]);
        Assert.All(lines[..^2], line => Assert.Equal(76, line.Length));
        Assert.InRange(lines[^2].Length, 1, 76);
        Assert.Equal(SafeTensorsTesting.SaveToBytes(network, metadata), Convert.FromBase64String(text));
        Assert.Equal([path], Directory.GetFiles(_directory));

        INetwork loaded = SafeTensorsTests.Create(nameof(TinyTextClassifier), 3);
        SafeTensors.LoadBase64(loaded, path);
        Assert.True(SafeTensorsTesting.SameBits(network.Parameters, loaded.Parameters));
    }

    [Theory]
    [InlineData("tiny_mlp")]
    [InlineData("tiny_text_classifier")]
    public void The_embedded_fixtures_are_the_pytorch_files_in_base64(string name)
    {
        // So the tests above compare the embedded weights with the very bytes PyTorch wrote.
        byte[] pytorch = File.ReadAllBytes(Path.Combine(FixtureDirectory, name + ".safetensors"));
        Assert.Equal(pytorch, Convert.FromBase64String(File.ReadAllText(Path.Combine(FixtureDirectory, name + ".safetensors.b64"))));
    }

    [Fact]
    public void LoadBase64_names_the_file_when_the_text_is_not_base64()
    {
        string path = Path.Combine(_directory, "broken.safetensors.b64");
        File.WriteAllText(path, "not base64!", Encoding.ASCII);

        SafeTensorsFormatException exception = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.LoadBase64(new TinyMlp(), path));

        Assert.Equal(path, exception.FilePath);
        Assert.StartsWith($"Safetensors file '{path}': The text is not base64", exception.Message);
    }

    private static float[] Floats(JsonElement tensors, string name)
        => tensors.GetProperty(name).GetProperty("data").EnumerateArray().Select(value => (float)value.GetDouble()).ToArray();
}
