using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;

namespace TypedNets.Tests.Serialization;

/// <summary>
/// Weights moving between PyTorch and TypedNets in both directions. PyTorch to TypedNets: files written by
/// <c>reference/pytorch/make_safetensors_fixtures.py</c> from trained modules (F32, F16, BF16, tensors in state_dict or
/// name order; a BatchNorm network with its running statistics and PyTorch's <c>num_batches_tracked</c>) load into the
/// generated networks, which then compute PyTorch's eval-mode outputs. TypedNets to PyTorch: a saved file carries its
/// input and TypedNets' output in <c>__metadata__</c>, so that <c>reference/pytorch/check_safetensors.py</c> can load it
/// into PyTorch and compare; one such file per network is committed (<c>written_by_typednets*.safetensors</c>, rewritten
/// when <c>TYPEDNETS_WRITE_SAFETENSORS_FIXTURES=1</c>).
/// </summary>
public sealed class PyTorchSafeTensorsTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string> PyTorchFiles => new()
    {
        "tiny_mlp", "tiny_mlp_f16", "tiny_mlp_bf16", "tiny_text_classifier", "tiny_text_classifier_bf16", "tiny_batchnorm_convnet", "tiny_batchnorm_convnet_f16",
    };

    public static TheoryData<string> BatchNormFiles => new() { "tiny_batchnorm_convnet", "tiny_batchnorm_convnet_f16" };

    public static TheoryData<string> WrittenNetworks => new() { nameof(TinyMlp), nameof(TinyTextClassifier), nameof(TinyBatchNormConvNet) };

    private static string FixtureDirectory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "safetensors");

    [Theory]
    [MemberData(nameof(PyTorchFiles))]
    public void PyTorch_weights_load_exactly_and_give_pytorchs_outputs(string name)
    {
        using JsonDocument fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, name + ".json")));
        JsonElement root = fixture.RootElement;
        JsonElement config = root.GetProperty("config");
        string path = Path.Combine(FixtureDirectory, config.GetProperty("file").GetString()!);
        INetwork network = SafeTensorsTests.Create(config.GetProperty("network").GetString()!, 99);

        SafeTensors.Load(network, path);

        Assert.Equal("pt", SafeTensors.ReadMetadata(path)["format"]);
        foreach (NamedTensor tensor in SafeTensorsTesting.StateTensors(network))
        {
            // The fixture records what the file stores, rounded to its dtype: the conversion must be exact, for the
            // parameters and for the buffers (the running statistics) alike.
            Assert.True(SafeTensorsTesting.SameBits(Floats(root, tensor.Name), tensor.Values(network)), $"{name}: {tensor.Name} differs from the stored values");
        }

        float[] output = network.Forward(Floats(root, "input"), training: false).ToArray();
        AssertClose(Floats(root, "output"), output, $"{name} output");
    }

    [Theory]
    [MemberData(nameof(BatchNormFiles))]
    public void PyTorchs_batchnorm_file_holds_trained_running_statistics_and_the_counter_that_the_load_ignores(string name)
    {
        using JsonDocument fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, name + ".json")));
        JsonElement root = fixture.RootElement;
        byte[] file = File.ReadAllBytes(Path.Combine(FixtureDirectory, root.GetProperty("config").GetProperty("file").GetString()!));

        // PyTorch wrote its whole state_dict, counter included: an I64 scalar holding the number of training steps.
        long steps = root.GetProperty("scalars").GetProperty("norm.num_batches_tracked").GetInt64();
        Assert.True(steps > 0);
        (string header, byte[] data) = SafeTensorsTesting.Split(file);
        Match counter = Regex.Match(header, "\"norm\\.num_batches_tracked\":\\{\"dtype\":\"I64\",\"shape\":\\[\\],\"data_offsets\":\\[(\\d+),(\\d+)\\]\\}");
        Assert.True(counter.Success, header);
        int begin = int.Parse(counter.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(begin + 8, int.Parse(counter.Groups[2].Value, CultureInfo.InvariantCulture));
        Assert.Equal(steps, BitConverter.ToInt64(data, begin));

        // Training in train mode moved the running statistics off their initial 0 and 1, and they load exactly.
        var network = new TinyBatchNormConvNet(maxBatch: 6, seed: 3);
        SafeTensors.Load(network, file);
        Assert.DoesNotContain(0f, network.Norm.RunningMean.Values.ToArray());
        Assert.DoesNotContain(1f, network.Norm.RunningVariance.Values.ToArray());
        Assert.Equal(Floats(root, "norm.running_mean"), network.Norm.RunningMean.Values.ToArray());
        Assert.Equal(Floats(root, "norm.running_var"), network.Norm.RunningVariance.Values.ToArray());
        AssertClose(Floats(root, "output"), network.Forward(Floats(root, "input"), training: false).ToArray(), $"{name} output");
    }

    [Theory]
    [MemberData(nameof(WrittenNetworks))]
    public void A_saved_file_carries_what_pytorch_needs_to_check_it(string networkName)
    {
        INetwork network = SafeTensorsTests.Trained(networkName, 2024);
        IReadOnlyDictionary<string, string> metadata = CheckMetadata(network, networkName);
        string path = Path.Combine(Path.GetTempPath(), $"typednets-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(network, path, metadata);
            INetwork loaded = SafeTensorsTests.Create(networkName, 5);
            SafeTensors.Load(loaded, path);
            Assert.True(SafeTensorsTesting.SameBits(network.Parameters, loaded.Parameters));
            Assert.True(SafeTensorsTesting.SameBits(network.Buffers, loaded.Buffers));
            Assert.Equal(metadata.OrderBy(pair => pair.Key), SafeTensors.ReadMetadata(path).OrderBy(pair => pair.Key));
            Assert.Equal(Parse(metadata["typednets.output"]), loaded.Forward(Parse(metadata["typednets.input"]), training: false).ToArray());
        }
        finally
        {
            File.Delete(path);
        }

        if (Environment.GetEnvironmentVariable("TYPEDNETS_WRITE_SAFETENSORS_FIXTURES") == "1")
        {
            SafeTensors.Save(network, Path.Combine(SafeTensorsTesting.RepositoryRoot(), "tests", "Fixtures", "safetensors", WrittenName(networkName) + ".safetensors"), metadata);
        }
    }

    [Theory]
    [MemberData(nameof(WrittenNetworks))]
    public void The_committed_typednets_file_loads_gives_its_recorded_output_and_is_what_save_writes_today(string networkName)
    {
        string path = Path.Combine(FixtureDirectory, WrittenName(networkName) + ".safetensors");
        IReadOnlyDictionary<string, string> metadata = SafeTensors.ReadMetadata(path);
        Assert.Equal(networkName, metadata["typednets.network"]);
        INetwork network = SafeTensorsTests.Create(networkName, 5);

        SafeTensors.Load(network, path);

        AssertClose(Parse(metadata["typednets.output"]), network.Forward(Parse(metadata["typednets.input"]), training: false).ToArray(), $"{networkName} output");
        Assert.Equal(File.ReadAllBytes(path), SafeTensorsTesting.SaveToBytes(network, metadata));
    }

    /// <summary>The metadata <c>check_safetensors.py</c> reads: the network, an input and TypedNets' output on it.</summary>
    private static Dictionary<string, string> CheckMetadata(INetwork network, string networkName)
    {
        var random = new Xoshiro256(77);
        bool tokens = networkName == nameof(TinyTextClassifier);
        int batch = tokens ? 3 : 5;
        float[] input = new float[batch * network.InputSize];
        for (int i = 0; i < input.Length; i++)
        {
            // Token rows start with padding (id 0), as the tutorial's pre-padded sequences do.
            input[i] = tokens ? (i % network.InputSize < i / network.InputSize ? 0 : 1 + random.NextInt(19)) : (float)random.NextDouble(-2, 2);
        }

        float[] output = network.Forward(input, training: false).ToArray();
        return new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["typednets.network"] = networkName,
            ["typednets.input"] = Format(input),
            ["typednets.input_shape"] = $"[{batch}, {network.InputSize}]",
            ["typednets.output"] = Format(output),
            ["typednets.output_shape"] = $"[{batch}, {network.OutputSize}]",
        };
    }

    private static string WrittenName(string networkName) => networkName switch
    {
        nameof(TinyTextClassifier) => "written_by_typednets",
        nameof(TinyBatchNormConvNet) => "written_by_typednets_batchnorm",
        _ => "written_by_typednets_mlp",
    };

    private static string Format(float[] values) => "[" + string.Join(", ", values.Select(value => value.ToString("R", CultureInfo.InvariantCulture))) + "]";

    private static float[] Parse(string json) => JsonSerializer.Deserialize<float[]>(json)!;

    private static float[] Floats(JsonElement root, string name)
        => root.GetProperty("tensors").GetProperty(name).GetProperty("data").EnumerateArray().Select(value =>
        {
            double number = value.GetDouble();
            Assert.Equal(number, (double)(float)number);
            return (float)number;
        }).ToArray();

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance, $"{what}[{i}]: {actual[i]:R}, expected {expected[i]:R}");
        }
    }
}
