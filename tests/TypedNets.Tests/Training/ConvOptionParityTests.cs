using System.Linq;
using TypedNets.Tests.Networks;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Training;

/// <summary>
/// PyTorch's <c>nn.Conv2d</c> options against PyTorch (fixtures from reference/pytorch/make_option_fixtures.py): the
/// state_dict layout, output shapes, outputs and every gradient of L = sum(output * R), in double and in float.
/// </summary>
public sealed class ConvOptionParityTests
{
    [Fact]
    public void Dilated_convolutions_have_pytorchs_output_sizes_and_state_dict()
    {
        var network = new DilationFixtureNet(2);

        // (9 + 2 - 2 (3 - 1) - 1) / 1 + 1 = 7 by 6, then (7 - 3 (2 - 1) - 1) / 2 + 1 = 2 by 2.
        Assert.Equal([3, 7, 6], network.Conv1.OutputShape.ToArray());
        Assert.Equal([2, 2, 2], network.Conv2.OutputShape.ToArray());
        Assert.Equal(2, network.Conv1.Dilation);
        Assert.Equal(3, network.Conv2.Dilation);
        Assert.Equal(
            ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "output.weight", "output.bias"],
            network.Layers.SelectMany(layer => layer.Parameters).Select(tensor => tensor.Name));
        Assert.Equal([3, 2, 3, 3], network.Conv1.Weight.Shape.ToArray());
    }

    [Fact]
    public void Dilated_convolutions_match_pytorch_in_double()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("conv_dilation");
        var network = new DilationFixtureNet(2);
        var engine = new DilationFixtureNet.Engine<double>(2, 0);
        Parity.MatchesInDouble(network, engine, fixture);
    }

    [Fact]
    public void Dilated_convolutions_match_pytorch_in_float()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("conv_dilation");
        var network = new DilationFixtureNet(2);
        Parity.MatchesInFloat(network, fixture);
    }

    [Fact]
    public void Rectangular_convolutions_have_pytorchs_output_sizes_and_weight_shapes()
    {
        var network = new RectangularFixtureNet(2);

        Assert.Equal([3, 8, 4], network.Conv1.OutputShape.ToArray());
        Assert.Equal([2, 2, 6], network.Conv2.OutputShape.ToArray());
        Assert.Equal([3, 2, 3, 5], network.Conv1.Weight.Shape.ToArray());
        Assert.Equal([2, 3, 2, 1], network.Conv2.Weight.Shape.ToArray());
        Assert.Equal((1, 2, 2, 1), (network.Conv1.Stride, network.Conv1.StrideWidth, network.Conv1.Padding, network.Conv1.PaddingWidth));
        Assert.Equal((3, 1, 0, 1), (network.Conv2.Stride, network.Conv2.StrideWidth, network.Conv2.Padding, network.Conv2.PaddingWidth));
        Assert.Equal((2, 1), (network.Conv2.KernelHeight, network.Conv2.KernelWidth));
    }

    [Fact]
    public void Rectangular_convolutions_match_pytorch_in_double()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("conv_rectangular");
        var network = new RectangularFixtureNet(2);
        var engine = new RectangularFixtureNet.Engine<double>(2, 0);
        Parity.MatchesInDouble(network, engine, fixture);
    }

    [Fact]
    public void Rectangular_convolutions_match_pytorch_in_float()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("conv_rectangular");
        var network = new RectangularFixtureNet(2);
        Parity.MatchesInFloat(network, fixture);
    }

    [Fact]
    public void Grouped_convolutions_have_pytorchs_weight_shapes_and_state_dict()
    {
        var network = new GroupsFixtureNet(2);

        Assert.Equal([6, 2, 3, 3], network.Grouped.Weight.Shape.ToArray());
        Assert.Equal([6, 1, 3, 3], network.Depthwise.Weight.Shape.ToArray());
        Assert.Equal([12, 2, 1, 1], network.Multiplier.Weight.Shape.ToArray());
        Assert.Equal((2, 6, 3), (network.Grouped.Groups, network.Depthwise.Groups, network.Multiplier.Groups));
        Assert.Equal([12, 3, 3], network.Multiplier.OutputShape.ToArray());
        Assert.Equal(
            ["grouped.weight", "grouped.bias", "depthwise.weight", "multiplier.weight", "multiplier.bias", "output.weight", "output.bias"],
            network.Layers.SelectMany(layer => layer.Parameters).Select(tensor => tensor.Name));
    }

    [Fact]
    public void Grouped_convolutions_match_pytorch_in_double()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("conv_groups");
        var network = new GroupsFixtureNet(2);
        var engine = new GroupsFixtureNet.Engine<double>(2, 0);
        Parity.MatchesInDouble(network, engine, fixture);
    }

    [Fact]
    public void Grouped_convolutions_match_pytorch_in_float()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("conv_groups");
        var network = new GroupsFixtureNet(2);
        Parity.MatchesInFloat(network, fixture);
    }
}
