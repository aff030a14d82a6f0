using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using TypedNets.Kernels;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;
using TypedNets.Tests.Reference;
using Xunit;

namespace TypedNets.Tests.Serialization;

/// <summary>
/// Loading a state_dict whose names are not the network's (<c>SafeTensors.Load</c> with a rename), and the ready-made
/// rename for <c>nn.MultiheadAttention</c>: reference/pytorch/make_mha_fixtures.py's TinyMha, an embedding, an
/// <c>nn.MultiheadAttention(8, 2, batch_first=True)</c> (causal and not) and a linear head, saved by PyTorch under its
/// own names, loads into <see cref="TinyMhaCausal"/> and <see cref="TinyMhaFull"/> (GPT-2's fused layout) and gives
/// PyTorch's outputs, loss and gradients.
/// </summary>
public sealed class RenamedLoadTests
{
    // PyTorch's state_dict name of each of TinyMha's network tensors, in the network's order.
    private static readonly (string Network, string PyTorch)[] Names =
    [
        ("tokens.weight", "tokens.weight"),
        ("qkv.weight", "attn.in_proj_weight"),
        ("qkv.bias", "attn.in_proj_bias"),
        ("projection.weight", "attn.out_proj.weight"),
        ("projection.bias", "attn.out_proj.bias"),
        ("head.weight", "head.weight"),
        ("head.bias", "head.bias"),
    ];

    private static readonly Func<string, string?> MhaNames = AttentionNames.FromMultiheadAttention("attn", "qkv", "projection");

    public static TheoryData<string> Fixtures => new() { "mha_causal", "mha_full" };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void PyTorchs_multihead_attention_loads_through_the_mapping_and_gives_pytorchs_outputs_in_float(string name)
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name);
        INetwork network = Create(name);
        Assert.Equal(Names.Select(pair => pair.Network), SafeTensorsTesting.Tensors(network).Select(tensor => tensor.Name));

        SafeTensors.Load(network, FilePath(name), MhaNames);

        foreach ((string networkName, string torchName) in Names)
        {
            ParameterTensor tensor = SafeTensorsTesting.Tensors(network).Single(tensor => tensor.Name == networkName);
            Assert.Equal(fixture.TensorWithShape(torchName).Shape, tensor.Shape.ToArray());
            Assert.True(SafeTensorsTesting.SameBits(fixture.TensorAsFloat(torchName), tensor.Values), $"{networkName} is not PyTorch's {torchName}");
        }

        float[] output = network.Forward(fixture.TensorAsFloat("input"), training: false).ToArray();
        float[] expected = fixture.TensorAsFloat("output");
        Assert.Equal(expected.Length, output.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - output[i]) <= 1e-5, $"{name} output[{i}] = {output[i]:R}, PyTorch {expected[i]:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void In_double_the_outputs_loss_and_every_gradient_are_pytorchs(string name)
    {
        // The fixture's weights are float32 values, so the F32 file holds them exactly and double is held to 1e-12.
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name);
        INetwork network = Create(name);
        SafeTensors.Load(network, FilePath(name), MhaNames);
        IEngine<double> engine = name == "mha_causal" ? new TinyMhaCausal.Engine<double>(3, 1) : new TinyMhaFull.Engine<double>(3, 1);
        for (int i = 0; i < network.Parameters.Length; i++)
        {
            engine.Parameters[i] = network.Parameters[i];
        }

        double[] output = engine.Forward(fixture.Tensor("input"), training: true).ToArray();
        AssertClose(fixture.Tensor("output"), output, 1e-12, "output");

        double[] dOutput = new double[output.Length];
        double loss = LossKernel.CrossEntropyFromLogits<double>(output, fixture.Tensor("target"), dOutput, 4, ignoreIndex: -1);
        Assert.Equal(fixture.Scalar("loss"), loss, 1e-12);

        engine.ZeroGradients();
        engine.Backward(dOutput, []);
        foreach ((string networkName, string torchName) in Names)
        {
            ParameterTensor tensor = SafeTensorsTesting.Tensors(network).Single(tensor => tensor.Name == networkName);
            AssertClose(fixture.Tensor("grad." + torchName), engine.Gradients.AsSpan(tensor.Offset, tensor.Length).ToArray(), 1e-10, $"{networkName}'s gradient (PyTorch's {torchName})");
        }
    }

    [Fact]
    public void Every_form_of_load_takes_the_rename_and_loads_the_same_values()
    {
        byte[] file = File.ReadAllBytes(FilePath("mha_causal"));
        var fromPath = new TinyMhaCausal(maxBatch: 1, seed: 1);
        SafeTensors.Load(fromPath, FilePath("mha_causal"), MhaNames);

        var fromSpan = new TinyMhaCausal(maxBatch: 1, seed: 2);
        SafeTensors.Load(fromSpan, (ReadOnlySpan<byte>)file, MhaNames);
        var fromStream = new TinyMhaCausal(maxBatch: 1, seed: 3);
        SafeTensors.Load(fromStream, new MemoryStream(file), MhaNames);
        var fromForwardOnly = new TinyMhaCausal(maxBatch: 1, seed: 4);
        SafeTensors.Load(fromForwardOnly, new ForwardOnlyStream(new MemoryStream(file)), MhaNames);
        var fromBase64 = new TinyMhaCausal(maxBatch: 1, seed: 5);
        string base64 = Path.Combine(Path.GetTempPath(), $"typednets-mha-{Guid.NewGuid():N}.safetensors.b64");
        try
        {
            File.WriteAllText(base64, Convert.ToBase64String(file, Base64FormattingOptions.InsertLineBreaks));
            SafeTensors.LoadBase64(fromBase64, base64, MhaNames);
        }
        finally
        {
            File.Delete(base64);
        }

        Assert.Equal(fromPath.Parameters.ToArray(), fromSpan.Parameters.ToArray());
        Assert.Equal(fromPath.Parameters.ToArray(), fromStream.Parameters.ToArray());
        Assert.Equal(fromPath.Parameters.ToArray(), fromForwardOnly.Parameters.ToArray());
        Assert.Equal(fromPath.Parameters.ToArray(), fromBase64.Parameters.ToArray());
    }

    [Fact]
    public void Without_the_rename_pytorchs_names_are_refused_and_the_message_names_them()
    {
        var network = new TinyMhaCausal(maxBatch: 1, seed: 1);
        float[] before = network.Parameters.ToArray();

        SafeTensorsFormatException exception = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(network, FilePath("mha_causal")));

        Assert.Contains("'attn.in_proj_weight'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("'qkv.weight'", exception.Message, StringComparison.Ordinal);
        Assert.Equal(before, network.Parameters.ToArray());
    }

    [Fact]
    public void The_multihead_attention_mapping_renames_its_four_tensors_and_passes_other_names_on()
    {
        Func<string, string?> rename = AttentionNames.FromMultiheadAttention("blocks.0.attn", "h.0.qkv", "h.0.proj");

        Assert.Equal("h.0.qkv.weight", rename("blocks.0.attn.in_proj_weight"));
        Assert.Equal("h.0.qkv.bias", rename("blocks.0.attn.in_proj_bias"));
        Assert.Equal("h.0.proj.weight", rename("blocks.0.attn.out_proj.weight"));
        Assert.Equal("h.0.proj.bias", rename("blocks.0.attn.out_proj.bias"));
        Assert.Equal("blocks.0.ln.weight", rename("blocks.0.ln.weight"));
        Assert.Equal("blocks.1.attn.in_proj_weight", rename("blocks.1.attn.in_proj_weight"));

        // A module at the root of the state_dict has no prefix; other names go to the next rename, which may skip them.
        Func<string, string?> root = AttentionNames.FromMultiheadAttention("", "qkv", "proj", name => name == "extra" ? null : "x." + name);
        Assert.Equal("qkv.weight", root("in_proj_weight"));
        Assert.Equal("proj.bias", root("out_proj.bias"));
        Assert.Equal("x.other", root("other"));
        Assert.Null(root("extra"));

        // Two layers: one mapping after the other.
        Func<string, string?> two = AttentionNames.FromMultiheadAttention(
            "layers.0.attn", "h.0.qkv", "h.0.proj", AttentionNames.FromMultiheadAttention("layers.1.attn", "h.1.qkv", "h.1.proj"));
        Assert.Equal("h.0.qkv.weight", two("layers.0.attn.in_proj_weight"));
        Assert.Equal("h.1.proj.weight", two("layers.1.attn.out_proj.weight"));
    }

    [Fact]
    public void The_multihead_attention_mapping_refuses_bad_names_naming_the_parameter()
    {
        Assert.Equal("torchPrefix", Assert.Throws<ArgumentNullException>(() => AttentionNames.FromMultiheadAttention(null!, "qkv", "proj")).ParamName);
        Assert.Equal("typedNetsQkv", Assert.Throws<ArgumentException>(() => AttentionNames.FromMultiheadAttention("attn", "", "proj")).ParamName);
        Assert.Equal("typedNetsProjection", Assert.Throws<ArgumentNullException>(() => AttentionNames.FromMultiheadAttention("attn", "qkv", null!)).ParamName);

        ArgumentException dotted = Assert.Throws<ArgumentException>(() => AttentionNames.FromMultiheadAttention("attn.", "qkv", "proj"));
        Assert.Equal("torchPrefix", dotted.ParamName);
        Assert.Contains("'attn.'", dotted.Message, StringComparison.Ordinal);
        Assert.Contains("'attn'", dotted.Message, StringComparison.Ordinal);

        ArgumentException suffixed = Assert.Throws<ArgumentException>(() => AttentionNames.FromMultiheadAttention("attn", "qkv.weight", "proj"));
        Assert.Equal("typedNetsQkv", suffixed.ParamName);
        Assert.Contains("'qkv.weight'", suffixed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tensor_missing_after_renaming_is_refused_naming_it_and_the_network_is_unchanged()
    {
        var network = new TinyMlp(maxBatch: 1, seed: 1);
        float[] before = network.Parameters.ToArray();
        byte[] file = FileOf(("fc1.weight", "F32", [5, 4]), ("fc1.bias", "F32", [5]), ("fc2.weight", "F32", [3, 5]), ("fc2.bias", "F32", [3]));

        // fc1.bias is skipped, so nothing becomes hidden.bias.
        SafeTensorsFormatException exception = Assert.Throws<SafeTensorsFormatException>(
            () => SafeTensors.Load(network, file, name => name == "fc1.bias" ? null : TorchToMlp(name)));

        Assert.Contains("'hidden.bias' [5]", exception.Message, StringComparison.Ordinal);
        Assert.Contains("renam", exception.Message, StringComparison.Ordinal);
        Assert.Equal("hidden.bias", exception.TensorName);
        Assert.Equal(before, network.Parameters.ToArray());

        // The same file with the whole rename loads.
        SafeTensors.Load(network, file, TorchToMlp);
        Assert.Equal(Values(5 * 4 + 5 + 3 * 5 + 3), network.Parameters.ToArray());
    }

    [Fact]
    public void A_name_the_network_does_not_have_after_renaming_is_refused_naming_both_names()
    {
        var network = new TinyMlp(maxBatch: 1, seed: 1);
        float[] before = network.Parameters.ToArray();
        byte[] file = FileOf(("fc1.weight", "F32", [5, 4]), ("fc1.bias", "F32", [5]), ("fc2.weight", "F32", [3, 5]), ("fc2.bias", "F32", [3]));

        SafeTensorsFormatException exception = Assert.Throws<SafeTensorsFormatException>(
            () => SafeTensors.Load(network, file, name => name == "fc2.bias" ? "out.bias" : TorchToMlp(name)));

        Assert.Contains("'fc2.bias'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("'out.bias'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("'output.bias' [3]", exception.Message, StringComparison.Ordinal);
        Assert.Equal("output.bias", exception.TensorName); // the missing tensor comes first, as without a rename
        Assert.Equal(before, network.Parameters.ToArray());

        // One more tensor than the network has is refused as soon as it is read, still by the file's name.
        byte[] longer = FileOf(("fc1.weight", "F32", [5, 4]), ("fc1.bias", "F32", [5]), ("fc2.weight", "F32", [3, 5]), ("fc2.bias", "F32", [3]), ("fc3.bias", "F32", [3]));
        SafeTensorsFormatException extra = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(network, longer, name => name == "fc3.bias" ? "out.bias" : TorchToMlp(name)));
        Assert.Contains("'fc3.bias' (renamed 'out.bias')", extra.Message, StringComparison.Ordinal);
        Assert.Equal("fc3.bias", extra.TensorName);
        Assert.Equal(before, network.Parameters.ToArray());
    }

    [Fact]
    public void A_shape_mismatch_after_renaming_names_the_files_name_and_the_networks()
    {
        var network = new TinyMhaNarrow(maxBatch: 1, seed: 1);
        float[] before = network.Parameters.ToArray();

        SafeTensorsFormatException exception = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(network, FilePath("mha_causal"), MhaNames));

        Assert.Contains("'attn.in_proj_weight'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("'qkv.weight'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("[24, 8]", exception.Message, StringComparison.Ordinal);
        Assert.Contains("[12, 8]", exception.Message, StringComparison.Ordinal);
        Assert.Equal("attn.in_proj_weight", exception.TensorName);
        Assert.Equal(before, network.Parameters.ToArray());

        // The stream form reports the same, without the file's path.
        SafeTensorsFormatException streamed = Assert.Throws<SafeTensorsFormatException>(
            () => SafeTensors.Load(network, new ForwardOnlyStream(new MemoryStream(File.ReadAllBytes(FilePath("mha_causal")))), MhaNames));
        Assert.EndsWith(streamed.Message, exception.Message, StringComparison.Ordinal);
        Assert.Equal("attn.in_proj_weight", streamed.TensorName);
        Assert.Equal(before, network.Parameters.ToArray());
    }

    [Fact]
    public void Two_file_tensors_renamed_to_one_network_tensor_are_an_argument_exception_naming_all_three()
    {
        var network = new TinyMlp(maxBatch: 1, seed: 1);
        float[] before = network.Parameters.ToArray();
        byte[] file = FileOf(("fc1.weight", "F32", [5, 4]), ("fc1.bias", "F32", [5]), ("fc2.weight", "F32", [3, 5]), ("fc2.bias", "F32", [3]), ("fc1.bias_copy", "F32", [5]));

        ArgumentException exception = Assert.Throws<ArgumentException>(
            () => SafeTensors.Load(network, file, name => name == "fc1.bias_copy" ? "hidden.bias" : TorchToMlp(name)));

        Assert.Equal("rename", exception.ParamName);
        Assert.Contains("'fc1.bias'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("'fc1.bias_copy'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("'hidden.bias'", exception.Message, StringComparison.Ordinal);
        Assert.Equal(before, network.Parameters.ToArray());

        ArgumentException streamed = Assert.Throws<ArgumentException>(
            () => SafeTensors.Load(network, new MemoryStream(file), name => name == "fc1.bias_copy" ? "hidden.bias" : TorchToMlp(name)));
        Assert.Equal("rename", streamed.ParamName);
        Assert.Equal(before, network.Parameters.ToArray());
    }

    [Fact]
    public void Tensors_renamed_to_null_are_skipped_whatever_their_shape_and_an_int64_one_too()
    {
        var network = new TinyMlp(maxBatch: 1, seed: 1);
        byte[] file = FileOf(
            ("fc1.weight", "F32", [5, 4]), ("position_ids", "I64", [1, 5]), ("fc1.bias", "F32", [5]), ("fc2.weight", "F32", [3, 5]), ("fc2.bias", "F32", [3]), ("extra.scale", "F32", [2, 2]));
        Func<string, string?> rename = name => name is "position_ids" or "extra.scale" ? null : TorchToMlp(name);

        SafeTensors.Load(network, file, rename);

        // The skipped tensors' values are not read into the network: the four that are come from their own offsets.
        float[] expected = [.. Values(20, 0), .. Values(5, 20), .. Values(15, 25), .. Values(3, 40)];
        Assert.Equal(expected, network.Parameters.ToArray());
        var streamed = new TinyMlp(maxBatch: 1, seed: 2);
        SafeTensors.Load(streamed, new ForwardOnlyStream(new MemoryStream(file)), rename);
        Assert.Equal(expected, streamed.Parameters.ToArray());

        // Without the rename the extra tensors are refused.
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(new TinyMlp(maxBatch: 1, seed: 1), file, TorchToMlp));
    }

    [Fact]
    public void A_file_key_twice_is_refused_even_when_the_rename_skips_it()
    {
        var network = new TinyMlp(maxBatch: 1, seed: 1);
        string header = "{\"fc1.weight\":{\"dtype\":\"F32\",\"shape\":[5,4],\"data_offsets\":[0,80]},\"fc1.bias\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[80,100]}," +
            "\"fc2.weight\":{\"dtype\":\"F32\",\"shape\":[3,5],\"data_offsets\":[100,160]},\"fc2.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[160,172]}," +
            "\"skip\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[172,176]},\"skip\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[176,180]}}";
        byte[] file = SafeTensorsTesting.Assemble(header, new byte[180]);

        SafeTensorsFormatException exception = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(network, file, name => name == "skip" ? null : TorchToMlp(name)));

        Assert.Contains("'skip' twice", exception.Message, StringComparison.Ordinal);
        Assert.Equal("skip", exception.TensorName);
    }

    [Fact]
    public void A_null_rename_is_an_argument_null_exception()
    {
        var network = new TinyMlp(maxBatch: 1, seed: 1);
        byte[] file = FileOf(("hidden.weight", "F32", [5, 4]), ("hidden.bias", "F32", [5]), ("output.weight", "F32", [3, 5]), ("output.bias", "F32", [3]));

        Assert.Equal("rename", Assert.Throws<ArgumentNullException>(() => SafeTensors.Load(network, file, (Func<string, string?>)null!)).ParamName);
        Assert.Equal("rename", Assert.Throws<ArgumentNullException>(() => SafeTensors.Load(network, new MemoryStream(file), (Func<string, string?>)null!)).ParamName);
        Assert.Equal("rename", Assert.Throws<ArgumentNullException>(() => SafeTensors.Load(network, FilePath("mha_causal"), (Func<string, string?>)null!)).ParamName);
    }

    private static INetwork Create(string name) => name == "mha_causal" ? new TinyMhaCausal(maxBatch: 3, seed: 1) : new TinyMhaFull(maxBatch: 3, seed: 1);

    private static string FilePath(string name) => Path.Combine(ReferenceFixture.PyTorchDirectory, name + ".safetensors");

    private static string? TorchToMlp(string name) => name.Replace("fc1.", "hidden.", StringComparison.Ordinal).Replace("fc2.", "output.", StringComparison.Ordinal);

    /// <summary>count values 0.25 (start + 1), 0.25 (start + 2), ...: the F32 elements a <see cref="FileOf"/> tensor holds.</summary>
    private static float[] Values(int count, int start = 0) => [.. Enumerable.Range(start + 1, count).Select(i => 0.25f * i)];

    /// <summary>A file of the tensors in order; element i of the F32 ones (counted across them) is 0.25 (i + 1), an I64 one holds 7s.</summary>
    private static byte[] FileOf(params (string Name, string Dtype, int[] Shape)[] tensors)
    {
        var header = new StringBuilder("{");
        var data = new List<byte>();
        int element = 0;
        foreach ((string name, string dtype, int[] shape) in tensors)
        {
            int count = shape.Aggregate(1, (a, b) => a * b);
            int begin = data.Count;
            for (int i = 0; i < count; i++)
            {
                data.AddRange(dtype == "I64" ? BitConverter.GetBytes(7L) : BitConverter.GetBytes(0.25f * ++element));
            }

            header.Append(header.Length > 1 ? "," : "").Append(CultureInfo.InvariantCulture,
                $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{begin},{data.Count}]}}");
        }

        return SafeTensorsTesting.Assemble(header.Append('}').ToString(), data.ToArray());
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"{what}[{i}] = {actual[i]:R}, PyTorch {expected[i]:R}");
        }
    }
}
