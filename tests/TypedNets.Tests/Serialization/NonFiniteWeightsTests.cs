using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;

namespace TypedNets.Tests.Serialization;

/// <summary>
/// A file holding NaN or an infinity in a parameter or a buffer is refused by every load, whatever the dtype, with an
/// exception that names the tensor, the element and the value, and the network is left as it was.
/// </summary>
public sealed class NonFiniteWeightsTests : IDisposable
{
    private readonly string _directory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "typednets-nonfinite-" + Guid.NewGuid().ToString("N"))).FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string, string, string, int, string, float> Cases()
    {
        var cases = new TheoryData<string, string, string, int, string, float>();
        foreach (string dtype in new[] { "F32", "F16", "BF16" })
        {
            foreach (float value in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
            {
                // A parameter (element 7 of [5, 4] is row 1, column 3), and a buffer: BatchNorm's running variance.
                cases.Add(dtype, nameof(TinyMlp), "hidden.weight", 7, "[1, 3] in shape [5, 4]", value);
                cases.Add(dtype, nameof(TinyBatchNormConvNet), "norm.running_var", 2, "[2] in shape [4]", value);
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_load_refuses_a_non_finite_value_naming_the_tensor_the_element_and_the_value_and_changes_nothing(
        string dtype, string networkName, string tensorName, int element, string index, float value)
    {
        INetwork source = SafeTensorsTests.Trained(networkName, 5);
        NamedTensor tensor = SafeTensorsTesting.StateTensors(source).Single(candidate => candidate.Name == tensorName);
        Span<float> values = (tensor.IsBuffer ? source.Buffers : source.Parameters).Slice(tensor.Offset, tensor.Length);
        values[element] = value;

        // A second non-finite value further on in the file: the first one in the file is the one reported.
        NamedTensor last = SafeTensorsTesting.StateTensors(source)[^1];
        (last.IsBuffer ? source.Buffers : source.Parameters)[last.Offset + last.Length - 1] = float.NegativeInfinity;
        Assert.NotEqual(tensorName, last.Name);

        byte[] file = SafeTensorsTesting.BuildState(source, dtype);
        string expected = $"'{tensorName}' holds {value.ToString(CultureInfo.InvariantCulture)} at element {element} (index {index})";
        foreach ((string how, Action<INetwork> load) in Loads(file))
        {
            INetwork network = SafeTensorsTests.Trained(networkName, 9);
            float[] before = SafeTensorsTesting.State(network);
            SafeTensorsFormatException exception = Assert.Throws<SafeTensorsFormatException>(() => load(network));
            Assert.True(exception.TensorName == tensorName, $"{dtype} via {how}: the exception names tensor '{exception.TensorName}': {exception.Message}");
            Assert.True(exception.Message.Contains(expected, StringComparison.Ordinal), $"{dtype} via {how}: '{exception.Message}' does not say {expected}");
            Assert.True(SafeTensorsTesting.SameBits(before, SafeTensorsTesting.State(network)), $"{dtype} via {how}: the refused load changed the network");
        }
    }

    [Theory]
    [InlineData("F32")]
    [InlineData("F16")]
    [InlineData("BF16")]
    public void Every_load_takes_non_finite_values_as_they_are_when_allowed(string dtype)
    {
        INetwork source = SafeTensorsTests.Trained(nameof(TinyBatchNormConvNet), 5);
        float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        special.CopyTo(source.Parameters[10..]);
        special.CopyTo(source.Buffers[^3..]);
        byte[] file = SafeTensorsTesting.BuildState(source, dtype);

        // What the file holds once converted (F16 and BF16 round the finite values; NaN and the infinities stay).
        INetwork expected = SafeTensorsTests.Create(nameof(TinyBatchNormConvNet), 1);
        SafeTensors.Load(expected, SafeTensorsTesting.BuildState(source, dtype), allowNonFinite: true);
        Assert.True(float.IsNaN(expected.Parameters[10]) && float.IsPositiveInfinity(expected.Parameters[11]) && float.IsNegativeInfinity(expected.Parameters[12]));
        Assert.True(float.IsNaN(expected.Buffers[^3]) && float.IsPositiveInfinity(expected.Buffers[^2]) && float.IsNegativeInfinity(expected.Buffers[^1]));

        foreach ((string how, Action<INetwork> load) in Loads(file, allowNonFinite: true))
        {
            INetwork network = SafeTensorsTests.Create(nameof(TinyBatchNormConvNet), 9);
            load(network);
            Assert.True(SafeTensorsTesting.SameBits(SafeTensorsTesting.State(expected), SafeTensorsTesting.State(network)), $"{dtype} via {how}");
        }
    }

    [Theory]
    [InlineData("F32")]
    [InlineData("F16")]
    [InlineData("BF16")]
    public void The_element_is_counted_across_the_chunks_a_large_tensor_is_read_in(string dtype)
    {
        // hidden.weight is [200, 256]: 200 KB as F32, 100 KB as F16, so a stream load reads it in several 64 KB chunks.
        var source = new WideNet(maxBatch: 1, seed: 1);
        source.Parameters[51_000] = float.NaN;
        byte[] file = SafeTensorsTesting.BuildState(source, dtype);
        foreach ((string how, Action<INetwork> load) in Loads(file))
        {
            var network = new WideNet(maxBatch: 1, seed: 2);
            float[] before = SafeTensorsTesting.State(network);
            SafeTensorsFormatException exception = Assert.Throws<SafeTensorsFormatException>(() => load(network));
            Assert.True(exception.Message.Contains("'hidden.weight' holds NaN at element 51000 (index [199, 56] in shape [200, 256])", StringComparison.Ordinal), $"{dtype} via {how}: {exception.Message}");
            Assert.True(SafeTensorsTesting.SameBits(before, SafeTensorsTesting.State(network)), $"{dtype} via {how}: the refused load changed the network");
        }
    }

    [Theory]
    [InlineData("F32")]
    [InlineData("F16")]
    [InlineData("BF16")]
    public void Finite_extremes_load(string dtype)
    {
        // The largest finite values of each format, the smallest subnormals and negative zero are not refused.
        INetwork source = SafeTensorsTests.Trained(nameof(TinyMlp), 4);
        float largest = dtype switch { "F16" => 65504f, "BF16" => SafeTensorsTesting.FromBFloat16Bits(0x7F7F), _ => float.MaxValue };
        float smallest = dtype switch { "F16" => 6e-8f, "BF16" => SafeTensorsTesting.FromBFloat16Bits(0x0001), _ => float.Epsilon };
        float[] extremes = [largest, -largest, smallest, -smallest, -0f];
        extremes.CopyTo(source.Parameters);
        byte[] file = SafeTensorsTesting.BuildState(source, dtype);
        foreach ((string how, Action<INetwork> load) in Loads(file))
        {
            INetwork network = SafeTensorsTests.Create(nameof(TinyMlp), 1);
            load(network);
            Assert.True(network.Parameters[..5].ToArray().All(float.IsFinite), $"{dtype} via {how}");
            Assert.Equal(largest, network.Parameters[0]);
        }
    }

    /// <summary>Every way to load a file: a span, a path, a seekable stream, a forward-only stream, and its base64 text.</summary>
    private IEnumerable<(string How, Action<INetwork> Load)> Loads(byte[] file, bool allowNonFinite = false)
    {
        string path = Path.Combine(_directory, "weights.safetensors");
        File.WriteAllBytes(path, file);
        string base64 = Path.Combine(_directory, "weights.safetensors.b64");
        File.WriteAllText(base64, Convert.ToBase64String(file));
        if (allowNonFinite)
        {
            yield return ("span", network => SafeTensors.Load(network, file, allowNonFinite: true));
            yield return ("path", network => SafeTensors.Load(network, path, allowNonFinite: true));
            yield return ("seekable stream", network => SafeTensors.Load(network, new MemoryStream(file), allowNonFinite: true));
            yield return ("forward-only stream", network => SafeTensors.Load(network, new ForwardOnlyStream(new MemoryStream(file), chunk: 4096), allowNonFinite: true));
            yield return ("base64 file", network => SafeTensors.LoadBase64(network, base64, allowNonFinite: true));
            yield break;
        }

        // The default: non-finite values refused.
        yield return ("span", network => SafeTensors.Load(network, file));
        yield return ("path", network => SafeTensors.Load(network, path));
        yield return ("seekable stream", network => SafeTensors.Load(network, new MemoryStream(file)));
        yield return ("forward-only stream", network => SafeTensors.Load(network, new ForwardOnlyStream(new MemoryStream(file), chunk: 4096)));
        yield return ("base64 file", network => SafeTensors.LoadBase64(network, base64));
    }
}

/// <summary>A network with one tensor larger than the 64 KB chunks a stream is read in.</summary>
[Network, Input(256)]
public partial class WideNet
{
    [Dense(200)] public partial DenseLayer Hidden { get; }
}
