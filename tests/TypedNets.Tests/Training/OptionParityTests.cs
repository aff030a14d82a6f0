using System.Linq;
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
        Parity.StateDict(network, fixture, "").CopyTo(engine.Parameters, 0);

        double[] input = fixture.Tensor("input");
        Assert.Null(Parity.Mismatch(fixture.Tensor("output"), engine.Forward(input, training: true).ToArray(), 1e-12, "output"));
        engine.ZeroGradients();
        double[] inputGradient = new double[input.Length];
        engine.Backward(fixture.Tensor("output_weights"), inputGradient);
        Assert.Null(Parity.Mismatch(Parity.StateDict(network, fixture, "grad."), engine.Gradients, 1e-10, "parameter gradients"));
        Assert.Null(Parity.Mismatch(fixture.Tensor("grad.input"), inputGradient, 1e-10, "input gradient"));
    }

    [Fact]
    public void Layers_without_bias_match_pytorch_in_float()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("no_bias");
        var network = new NoBiasFixtureNet(2);
        double[] parameters = Parity.StateDict(network, fixture, "");
        for (int i = 0; i < parameters.Length; i++)
        {
            network.Parameters[i] = (float)parameters[i];
        }

        float[] input = fixture.TensorAsFloat("input");
        Assert.Null(Parity.AbsoluteMismatch(fixture.Tensor("output"), network.Forward(input, training: true).ToArray(), 1e-5, "output"));
        network.ZeroGradients();
        float[] inputGradient = new float[input.Length];
        network.Backward(fixture.TensorAsFloat("output_weights"), inputGradient);
        Assert.Null(Parity.AbsoluteMismatch(Parity.StateDict(network, fixture, "grad."), network.Gradients.ToArray(), 1e-4, "parameter gradients"));
        Assert.Null(Parity.AbsoluteMismatch(fixture.Tensor("grad.input"), inputGradient, 1e-4, "input gradient"));
    }
}
