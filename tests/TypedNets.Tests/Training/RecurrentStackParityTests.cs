using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;
using TypedNets.Tests.Reference;
using TypedNets.Tests.Serialization;

namespace TypedNets.Tests.Training;

/// <summary>
/// Stacked (<c>NumLayers</c>) and bidirectional LSTM and GRU layers against PyTorch's <c>num_layers</c> and
/// <c>bidirectional</c> (fixtures from reference/pytorch/make_sequence_fixtures.py): outputs, input gradients and every
/// parameter gradient of L = sum(output * R), in double and in float; padded sequences against PyTorch's packed ones.
/// </summary>
public sealed class RecurrentStackParityTests
{
    public static TheoryData<string> Fixtures => new()
    {
        "lstm_two_layers", "lstm_bidirectional", "lstm_two_layers_bidirectional",
        "gru_two_layers", "gru_bidirectional", "gru_two_layers_bidirectional",
        "lstm_masked_bidirectional", "gru_masked_bidirectional",
    };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Layer_matches_pytorch_in_double(string name)
    {
        (INetwork network, IEngine<double> engine) = Create(name);
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name);
        Parity.StateDict(network, fixture, prefix: "").CopyTo(engine.Parameters, 0);

        double[] input = fixture.Tensor("input");
        Assert.Null(Parity.Mismatch(fixture.Tensor("output"), engine.Forward(input, training: true).ToArray(), 1e-12, $"{name} output"));
        engine.ZeroGradients();
        bool tokens = name.Contains("masked", StringComparison.Ordinal);
        double[] inputGradient = new double[tokens ? 0 : input.Length];
        engine.Backward(fixture.Tensor("output_weights"), inputGradient);
        Assert.Null(Parity.Mismatch(Parity.StateDict(network, fixture, prefix: "grad."), engine.Gradients, 1e-10, $"{name} parameter gradients"));
        if (!tokens)
        {
            Assert.Null(Parity.Mismatch(fixture.Tensor("grad.input"), inputGradient, 1e-10, $"{name} input gradient"));
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Layer_matches_pytorch_in_float(string name)
    {
        (INetwork network, _) = Create(name);
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name);
        double[] stateDict = Parity.StateDict(network, fixture, prefix: "");
        for (int i = 0; i < stateDict.Length; i++)
        {
            network.Parameters[i] = (float)stateDict[i];
        }

        float[] input = fixture.TensorAsFloat("input");
        Assert.Null(Parity.AbsoluteMismatch(fixture.Tensor("output"), network.Forward(input, training: true).ToArray(), 1e-5, $"{name} output"));
        network.ZeroGradients();
        bool tokens = name.Contains("masked", StringComparison.Ordinal);
        float[] inputGradient = new float[tokens ? 0 : input.Length];
        network.Backward(fixture.TensorAsFloat("output_weights"), inputGradient);
        Assert.Null(Parity.AbsoluteMismatch(Parity.StateDict(network, fixture, prefix: "grad."), network.Gradients.ToArray(), 1e-4, $"{name} parameter gradients"));
        if (!tokens)
        {
            Assert.Null(Parity.AbsoluteMismatch(fixture.Tensor("grad.input"), inputGradient, 1e-4, $"{name} input gradient"));
        }
    }

    [Theory]
    [InlineData("lstm_two_layers_bidirectional", 2, true, 4)]
    [InlineData("gru_two_layers", 2, false, 3)]
    [InlineData("lstm_bidirectional", 1, true, 4)]
    public void Parameters_are_named_shaped_and_ordered_as_pytorchs_state_dict(string name, int layers, bool bidirectional, int gates)
    {
        (INetwork network, _) = Create(name);
        var expected = new List<(string Name, int[] Shape)>();
        for (int k = 0; k < layers; k++)
        {
            foreach (string suffix in bidirectional ? new[] { "", "_reverse" } : [""])
            {
                int inputs = k == 0 ? 4 : (bidirectional ? 12 : 6);
                expected.Add(($"encoder.weight_ih_l{k}{suffix}", [gates * 6, inputs]));
                expected.Add(($"encoder.weight_hh_l{k}{suffix}", [gates * 6, 6]));
                expected.Add(($"encoder.bias_ih_l{k}{suffix}", [gates * 6]));
                expected.Add(($"encoder.bias_hh_l{k}{suffix}", [gates * 6]));
            }
        }

        RecurrentLayer layer = Assert.IsAssignableFrom<RecurrentLayer>(Assert.Single(network.Layers));
        Assert.Equal(expected.Select(tensor => tensor.Name), layer.Parameters.Select(tensor => tensor.Name));
        Assert.Equal(expected.Select(tensor => tensor.Shape), layer.Parameters.Select(tensor => tensor.Shape.ToArray()));
        Assert.Equal(layers, layer.NumLayers);
        Assert.Equal(bidirectional, layer.Bidirectional);
        Assert.Equal(bidirectional ? 12 : 6, layer.OutputShape[^1]);

        // Each direction's tensors by layer: the last layer's reverse direction reads both directions of the one below.
        RecurrentWeights last = layer.Weights(layers - 1, reverse: bidirectional);
        Assert.Equal($"encoder.weight_ih_l{layers - 1}{(bidirectional ? "_reverse" : "")}", last.WeightIh.Name);
        Assert.Equal($"encoder.bias_hh_l{layers - 1}{(bidirectional ? "_reverse" : "")}", last.BiasHh.Name);
        Assert.Same(layer.WeightIh, layer.Weights(0).WeightIh);
    }

    [Fact]
    public void Weights_refuses_a_layer_or_direction_the_recurrent_layer_does_not_have()
    {
        var network = new LstmTwoLayersFixtureNet(1);
        RecurrentLayer layer = network.Encoder;
        Assert.Equal("layer", Assert.Throws<ArgumentOutOfRangeException>(() => layer.Weights(2)).ParamName);
        Assert.Equal("layer", Assert.Throws<ArgumentOutOfRangeException>(() => layer.Weights(-1)).ParamName);
        var error = Assert.Throws<ArgumentException>(() => layer.Weights(0, reverse: true));
        Assert.Equal("reverse", error.ParamName);
        Assert.Contains("Bidirectional", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lstm_two_layers_bidirectional", false)]
    [InlineData("lstm_two_layers_bidirectional", true)]
    [InlineData("gru_masked_bidirectional", false)]
    [InlineData("gru_masked_bidirectional", true)]
    public void A_pytorch_state_dict_loads_one_to_one_through_safetensors(string name, bool sortedByName)
    {
        // The file is written by hand from the fixture's tensors under PyTorch's keys, in state_dict order or sorted by
        // name (as the safetensors package's save_file lays them out, bias_hh_l0_reverse before bias_hh_l1):
        // SafeTensors.Load must put each where the forward pass reads it.
        (INetwork network, _) = Create(name);
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name);
        var header = new StringBuilder("{");
        var data = new MemoryStream();
        IEnumerable<ParameterTensor> tensors = network.Layers.SelectMany(layer => layer.Parameters);
        foreach (ParameterTensor tensor in sortedByName ? tensors.OrderBy(tensor => tensor.Name, StringComparer.Ordinal) : tensors)
        {
            (double[] values, int[] shape) = fixture.TensorWithShape(tensor.Name);
            long start = data.Length;
            foreach (double value in values)
            {
                data.Write(BitConverter.GetBytes((float)value));
            }

            header.Append(CultureInfo.InvariantCulture, $"{(start == 0 ? "" : ",")}\"{tensor.Name}\":{{\"dtype\":\"F32\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{start},{data.Length}]}}");
        }

        header.Append('}');
        SafeTensors.Load(network, SafeTensorsTesting.Assemble(header.ToString(), data.ToArray()));

        float[] input = fixture.TensorAsFloat("input");
        Assert.Null(Parity.AbsoluteMismatch(fixture.Tensor("output"), network.Forward(input, training: false).ToArray(), 1e-5, $"{name} output after loading"));
    }

    [Fact]
    public void Pre_padding_gives_what_post_padding_gives_for_the_last_states()
    {
        // The forward direction skips leading pads and the reverse one trailing pads, so where the padding goes does
        // not change PyTorch's h_n of either direction (packed sequences hold only the real tokens).
        var engine = new LstmMaskedBidirectionalFixtureNet.Engine<double>(2, 1);
        double[] post = engine.Forward((double[])[5, 2, 6, 0, 0, 9, 4, 0, 0, 0], training: false).ToArray();
        double[] pre = engine.Forward((double[])[0, 0, 5, 2, 6, 0, 0, 0, 9, 4], training: false).ToArray();
        Assert.Null(Parity.Mismatch(post, pre, 1e-14, "pre-padded last states"));
        Assert.NotEqual(post[..12], post[12..]);

        // Without the mask the pads would be read: the reverse direction would start on a pad.
        double[] unpaddedStart = engine.Forward((double[])[5, 2, 6, 1, 1, 9, 4, 1, 1, 1], training: false).ToArray();
        Assert.NotEqual(post[6..12], unpaddedStart[6..12]);
    }

    private static (INetwork Network, IEngine<double> Engine) Create(string name) => name switch
    {
        "lstm_two_layers" => (new LstmTwoLayersFixtureNet(3), new LstmTwoLayersFixtureNet.Engine<double>(3, 0)),
        "lstm_bidirectional" => (new LstmBidirectionalFixtureNet(3), new LstmBidirectionalFixtureNet.Engine<double>(3, 0)),
        "lstm_two_layers_bidirectional" => (new LstmTwoLayersBidirectionalFixtureNet(3), new LstmTwoLayersBidirectionalFixtureNet.Engine<double>(3, 0)),
        "gru_two_layers" => (new GruTwoLayersFixtureNet(3), new GruTwoLayersFixtureNet.Engine<double>(3, 0)),
        "gru_bidirectional" => (new GruBidirectionalFixtureNet(3), new GruBidirectionalFixtureNet.Engine<double>(3, 0)),
        "gru_two_layers_bidirectional" => (new GruTwoLayersBidirectionalFixtureNet(3), new GruTwoLayersBidirectionalFixtureNet.Engine<double>(3, 0)),
        "lstm_masked_bidirectional" => (new LstmMaskedBidirectionalFixtureNet(3), new LstmMaskedBidirectionalFixtureNet.Engine<double>(3, 0)),
        "gru_masked_bidirectional" => (new GruMaskedBidirectionalFixtureNet(3), new GruMaskedBidirectionalFixtureNet.Engine<double>(3, 0)),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such fixture."),
    };
}
