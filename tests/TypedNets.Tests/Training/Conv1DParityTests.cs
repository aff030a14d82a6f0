using System.Linq;
using TypedNets.Tests.Networks;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Training;

/// <summary>
/// <c>[Conv1D]</c>, <c>[MaxPool1D]</c> and <c>[AvgPool1D]</c> over sequences <c>[steps, features]</c> against PyTorch's
/// <c>nn.Conv1d</c>, <c>nn.MaxPool1d</c> and <c>nn.AvgPool1d</c> on the transposed input (fixtures from
/// reference/pytorch/make_option_fixtures.py): the state_dict layout, output shapes, outputs and every gradient of
/// L = sum(output * R), in double and in float.
/// </summary>
public sealed class Conv1DParityTests
{
    public static TheoryData<string> PoolingFixtures => new()
    {
        "max_pool1d", "max_pool1d_padding", "avg_pool1d_padding", "avg_pool1d_padding_stride1",
    };

    [Fact]
    public void Convolutions_have_pytorchs_output_sizes_weight_shapes_and_state_dict()
    {
        var network = new Conv1DFixtureNet(2);

        // [10, 4] -> [10, 6] (padding 1 keeps the steps) -> [5, 6] -> (5 - 2 (2 - 1) - 1) / 2 + 1 = 2 steps of 4.
        Assert.Equal([10, 6], network.Conv1.OutputShape.ToArray());
        Assert.Equal([5, 6], network.Pool.OutputShape.ToArray());
        Assert.Equal([2, 4], network.Conv2.OutputShape.ToArray());
        Assert.Equal([6, 2, 3], network.Conv1.Weight.Shape.ToArray());
        Assert.Equal([4, 6, 2], network.Conv2.Weight.Shape.ToArray());
        Assert.Null(network.Conv2.Bias);
        Assert.Equal((3, 1, 1, 1, 2), (network.Conv1.Kernel, network.Conv1.Stride, network.Conv1.Padding, network.Conv1.Dilation, network.Conv1.Groups));
        Assert.Equal((2, 2, 0, 2, 1), (network.Conv2.Kernel, network.Conv2.Stride, network.Conv2.Padding, network.Conv2.Dilation, network.Conv2.Groups));
        Assert.Equal(Activation.Tanh, network.Conv1.Activation);
        Assert.Equal(("Conv1D", "MaxPool1D"), (network.Conv1.Kind, network.Pool.Kind));
        Assert.Equal((2, 2, 0), (network.Pool.Size, network.Pool.Stride, network.Pool.Padding));
        Assert.Equal(
            ["conv1.weight", "conv1.bias", "conv2.weight", "output.weight", "output.bias"],
            network.Layers.SelectMany(layer => layer.Parameters).Select(tensor => tensor.Name));
    }

    [Fact]
    public void Convolutions_match_pytorch_in_double()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("conv1d");
        var network = new Conv1DFixtureNet(2);
        var engine = new Conv1DFixtureNet.Engine<double>(2, 0);
        Parity.MatchesInDouble(network, engine, fixture);
    }

    [Fact]
    public void Convolutions_match_pytorch_in_float()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("conv1d");
        var network = new Conv1DFixtureNet(2);
        Parity.MatchesInFloat(network, fixture);
    }

    [Theory]
    [MemberData(nameof(PoolingFixtures))]
    public void Pooling_matches_pytorch_in_double(string name)
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name);
        IEngine<double> engine = name switch
        {
            "max_pool1d" => new MaxPool1DFixtureNet.Engine<double>(2, 0),
            "max_pool1d_padding" => new MaxPool1DPaddingFixtureNet.Engine<double>(2, 0),
            "avg_pool1d_padding" => new AvgPool1DPaddingFixtureNet.Engine<double>(2, 0),
            _ => new AvgPool1DPaddingStrideOneFixtureNet.Engine<double>(2, 0),
        };

        double[] input = fixture.Tensor("input");
        Assert.Null(Parity.Mismatch(fixture.Tensor("output"), engine.Forward(input, training: true).ToArray(), 1e-12, $"{name} output"));
        engine.ZeroGradients();
        double[] inputGradient = new double[input.Length];
        engine.Backward(fixture.Tensor("output_weights"), inputGradient);
        Assert.Null(Parity.Mismatch(fixture.Tensor("grad.input"), inputGradient, 1e-12, $"{name} input gradient"));
    }

    [Theory]
    [MemberData(nameof(PoolingFixtures))]
    public void Pooling_matches_pytorch_in_float(string name)
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name);
        INetwork network = CreatePoolingNetwork(name);

        float[] input = fixture.TensorAsFloat("input");
        Assert.Null(Parity.AbsoluteMismatch(fixture.Tensor("output"), network.Forward(input, training: false).ToArray(), 1e-5, $"{name} output"));
        float[] inputGradient = new float[input.Length];
        network.Backward(fixture.TensorAsFloat("output_weights"), inputGradient);
        Assert.Null(Parity.AbsoluteMismatch(fixture.Tensor("grad.input"), inputGradient, 1e-5, $"{name} input gradient"));
    }

    [Fact]
    public void Pool_layers_have_pytorchs_output_shapes_and_report_their_window()
    {
        var max = new MaxPool1DPaddingFixtureNet(1);
        var average = new AvgPool1DPaddingStrideOneFixtureNet(1);

        // (7 + 2 - 3) / 2 + 1 = 4 and (7 + 2 - 2) / 1 + 1 = 8 steps; the features stay.
        Assert.Equal([4, 3], max.Pool.OutputShape.ToArray());
        Assert.Equal([8, 3], average.Pool.OutputShape.ToArray());
        Assert.Equal((3, 2, 1), (max.Pool.Size, max.Pool.Stride, max.Pool.Padding));
        Assert.Equal((2, 1, 1), (average.Pool.Size, average.Pool.Stride, average.Pool.Padding));
        Assert.Equal("AvgPool1D", average.Pool.Kind);
    }

    [Fact]
    public void A_padding_mask_stops_at_a_convolution_as_in_keras()
    {
        // Keras 3 drops the mask at a layer that does not support masking (Conv1D), with a warning (TN0050 here): the
        // pooling after it then averages every step, padded ones included, as without MaskZero.
        var masked = new MaskedConv1DNet(3, seed: 4);
        var unmasked = new UnmaskedConv1DNet(3, seed: 4);
        Assert.Equal(masked.Parameters.ToArray(), unmasked.Parameters.ToArray());

        float[] tokens = [1, 2, 3, 0, 0, 0, 4, 4, 0, 0, 0, 0, 2, 1, 4, 3, 2, 1];
        float[] expected = unmasked.Forward(tokens, training: false).ToArray();
        Assert.Equal(expected, masked.Forward(tokens, training: false).ToArray());

    }

    private static INetwork CreatePoolingNetwork(string name) => name switch
    {
        "max_pool1d" => new MaxPool1DFixtureNet(2),
        "max_pool1d_padding" => new MaxPool1DPaddingFixtureNet(2),
        "avg_pool1d_padding" => new AvgPool1DPaddingFixtureNet(2),
        _ => new AvgPool1DPaddingStrideOneFixtureNet(2),
    };
}
