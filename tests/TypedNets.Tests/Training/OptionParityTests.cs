using System;
using System.Linq;
using TypedNets.Optimizers;
using TypedNets.Tests.Networks;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Training;

/// <summary>
/// The layer options PyTorch users reach for, against PyTorch (fixtures from reference/pytorch/make_option_fixtures.py):
/// the state_dict layout, outputs and every gradient of L = sum(output * R), in double and in float.
/// </summary>
public sealed class OptionParityTests
{
    [Fact]
    public void Layers_without_bias_have_pytorchs_state_dict_keys()
    {
        var network = new NoBiasFixtureNet(2);

        Assert.Equal(["conv.weight", "hidden.weight", "output.weight"], network.Layers.SelectMany(layer => layer.Parameters).Select(tensor => tensor.Name));
        Assert.Equal((3 * 2 * 3 * 3) + (4 * 90) + (3 * 4), network.Parameters.Length);
        Assert.Null(network.Conv.Bias);
        Assert.Null(network.Hidden.Bias);
        Assert.Null(network.Output.Bias);
    }

    [Fact]
    public void Layers_without_bias_match_pytorch_in_double()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("no_bias");
        var network = new NoBiasFixtureNet(2);
        var engine = new NoBiasFixtureNet.Engine<double>(2, 0);
        Parity.MatchesInDouble(network, engine, fixture);
    }

    [Fact]
    public void Layers_without_bias_match_pytorch_in_float()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("no_bias");
        var network = new NoBiasFixtureNet(2);
        Parity.MatchesInFloat(network, fixture);
    }

    [Fact]
    public void Gelu_tanh_matches_pytorch_in_double()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("gelu_tanh");
        var network = new GeluTanhFixtureNet(3);
        var engine = new GeluTanhFixtureNet.Engine<double>(3, 0);
        Parity.MatchesInDouble(network, engine, fixture);
    }

    [Fact]
    public void Gelu_tanh_matches_pytorch_in_float()
    {
        // The fixture's outputs reach about 7, so float's rounding allows a few 1e-6 there; the exact GELU misses by 4.7e-4.
        ReferenceFixture fixture = ReferenceFixture.PyTorch("gelu_tanh");
        Assert.True(fixture.Scalar("max_exact_gelu_difference") > 1e-4);
        var network = new GeluTanhFixtureNet(3);
        Parity.MatchesInFloat(network, fixture, outputTolerance: 2e-5);
    }

    [Fact]
    public void Gelu_tanh_layers_start_he_uniform_as_gelu_and_relu_do()
    {
        // Same seed, same shapes, same initializer: the draws are identical to the ReLU twin's, and differ from
        // a Glorot-uniform start (the identity output layer) in scale.
        var gelu = new GeluTanhFixtureNet(1, seed: 5);
        var relu = new GeluTanhReluTwinNet(1, seed: 5);

        Assert.Equal(relu.Parameters.ToArray(), gelu.Parameters.ToArray());
        float bound = (float)Math.Sqrt(6.0 / 18);
        Assert.All(gelu.Hidden.Weight.Values.ToArray(), value => Assert.InRange(Math.Abs(value), 0f, bound));
        Assert.True(gelu.Hidden.Weight.Values.ToArray().Max(Math.Abs) > (float)Math.Sqrt(6.0 / (18 + 6)), "the hidden weights stay inside Glorot's bound: not He-uniform");
    }

    [Theory]
    [InlineData("layer_norm")]
    [InlineData("layer_norm_sequence")]
    public void Layer_norm_matches_pytorch_in_double(string name)
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name);
        (INetwork network, IEngine<double> engine) = name == "layer_norm"
            ? ((INetwork)new LayerNormFixtureNet(4), (IEngine<double>)new LayerNormFixtureNet.Engine<double>(4, 0))
            : (new LayerNormSequenceFixtureNet(3), new LayerNormSequenceFixtureNet.Engine<double>(3, 0));
        Parity.StateDict(network, fixture, "").CopyTo(engine.Parameters, 0);

        // LayerNorm has no training mode: both passes must give PyTorch's output.
        double[] input = fixture.Tensor("input");
        Assert.Null(Parity.Mismatch(fixture.Tensor("output"), engine.Forward(input, training: false).ToArray(), 1e-12, $"{name} inference output"));
        Assert.Null(Parity.Mismatch(fixture.Tensor("output"), engine.Forward(input, training: true).ToArray(), 1e-12, $"{name} output"));
        engine.ZeroGradients();
        double[] inputGradient = new double[input.Length];
        engine.Backward(fixture.Tensor("output_weights"), inputGradient);
        Assert.Null(Parity.Mismatch(Parity.StateDict(network, fixture, "grad."), engine.Gradients, 1e-10, $"{name} parameter gradients"));
        Assert.Null(Parity.Mismatch(fixture.Tensor("grad.input"), inputGradient, 1e-10, $"{name} input gradient"));
    }

    [Theory]
    [InlineData("layer_norm")]
    [InlineData("layer_norm_sequence")]
    public void Layer_norm_matches_pytorch_in_float(string name)
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name);
        INetwork network = name == "layer_norm" ? new LayerNormFixtureNet(4) : new LayerNormSequenceFixtureNet(3);
        double[] parameters = Parity.StateDict(network, fixture, "");
        for (int i = 0; i < parameters.Length; i++)
        {
            network.Parameters[i] = (float)parameters[i];
        }

        float[] input = fixture.TensorAsFloat("input");
        Assert.Null(Parity.AbsoluteMismatch(fixture.Tensor("output"), network.Forward(input, training: true).ToArray(), 1e-5, $"{name} output"));
        network.ZeroGradients();
        float[] inputGradient = new float[input.Length];
        network.Backward(fixture.TensorAsFloat("output_weights"), inputGradient);
        Assert.Null(Parity.AbsoluteMismatch(Parity.StateDict(network, fixture, "grad."), network.Gradients.ToArray(), 1e-4, $"{name} parameter gradients"));
        Assert.Null(Parity.AbsoluteMismatch(fixture.Tensor("grad.input"), inputGradient, 1e-4, $"{name} input gradient"));
    }

    [Fact]
    public void Layer_norm_starts_at_pytorchs_ones_and_zeros_under_its_state_dict_names()
    {
        var network = new LayerNormSequenceFixtureNet(1, seed: 9);

        Assert.Equal(["proj.weight", "proj.bias", "norm.weight", "norm.bias"], network.Layers.SelectMany(layer => layer.Parameters).Select(tensor => tensor.Name));
        Assert.Equal([6], network.Norm.Weight.Shape.ToArray());
        Assert.All(network.Norm.Weight.Values.ToArray(), value => Assert.Equal(1f, value));
        Assert.All(network.Norm.Bias.Values.ToArray(), value => Assert.Equal(0f, value));
        Assert.Equal(1e-3, network.Norm.Epsilon);
        Assert.Equal([4, 6], network.Norm.OutputShape.ToArray());
    }

    [Fact]
    public void Padding_index_matches_pytorch_and_its_row_stays_as_loaded_through_adam()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("embedding_padding_idx");
        var network = new PaddingIndexFixtureNet(3);
        var engine = new PaddingIndexFixtureNet.Engine<double>(3, 0);
        Parity.StateDict(network, fixture, "").CopyTo(engine.Parameters, 0);
        double[] loadedPaddingRow = engine.Parameters[8..12];

        double[] input = fixture.Tensor("input");
        double[] outputWeights = fixture.Tensor("output_weights");
        Assert.Null(Parity.Mismatch(fixture.Tensor("output"), engine.Forward(input, training: true).ToArray(), 1e-12, "output"));
        engine.ZeroGradients();
        engine.Backward(outputWeights, default);
        Assert.Null(Parity.Mismatch(fixture.Tensor("grad.embedding.weight"), engine.Gradients, 1e-12, "gradient"));

        var adam = new Adam<double>(learningRate: 0.1);
        double[] losses = new double[3];
        for (int step = 0; step < 3; step++)
        {
            engine.ZeroGradients();
            ReadOnlySpan<double> output = engine.Forward(input, training: true);
            for (int i = 0; i < output.Length; i++)
            {
                losses[step] += output[i] * outputWeights[i];
            }

            engine.Backward(outputWeights, default);
            adam.Step(engine.Parameters, engine.Gradients);
        }

        Assert.Null(Parity.Mismatch(fixture.Tensor("adam_losses"), losses, 1e-12, "Adam losses"));
        Assert.Null(Parity.Mismatch(Parity.StateDict(network, fixture, "final."), engine.Parameters, 1e-10, "weights after three Adam steps"));
        Assert.Equal(loadedPaddingRow, engine.Parameters[8..12]);
    }

    [Fact]
    public void Padding_row_starts_at_zeros_and_the_layer_reports_its_index()
    {
        var network = new PaddingIndexFixtureNet(1, seed: 4);

        Assert.Equal(2, network.Embedding.PaddingIndex);
        Assert.Equal(new float[4], network.Embedding.Weight.Values.Slice(2 * 4, 4).ToArray());
        Assert.All(network.Embedding.Weight.Values.Slice(3 * 4, 4).ToArray(), value => Assert.NotEqual(0f, value));
        Assert.Null(new EmbeddingFixtureNet(1).Embedding.PaddingIndex);
    }
}
