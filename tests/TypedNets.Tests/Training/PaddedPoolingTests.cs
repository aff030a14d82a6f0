using System.Linq;
using TypedNets.Tests.Networks;
using TypedNets.Tests.Reference;
using Xunit.Abstractions;

namespace TypedNets.Tests.Training;

/// <summary>
/// Padding on <c>[MaxPool2D]</c> and <c>[AvgPool2D]</c>: against PyTorch's <c>nn.MaxPool2d</c> and <c>nn.AvgPool2d</c>
/// (-infinity padding for max, counted zeros for average; fixtures from reference/pytorch/make_option_fixtures.py), in
/// double and in float, and every gradient of a network with both against central differences.
/// </summary>
public sealed class PaddedPoolingTests(ITestOutputHelper output)
{
    public static TheoryData<string> Fixtures => new()
    {
        "max_pool_padding", "avg_pool_padding", "max_pool_padding_stride1", "avg_pool_padding_stride1",
    };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Padded_pooling_matches_pytorch_in_double(string name)
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name);
        IEngine<double> engine = CreateEngine(name);

        double[] input = fixture.Tensor("input");
        Assert.Null(Parity.Mismatch(fixture.Tensor("output"), engine.Forward(input, training: true).ToArray(), 1e-12, $"{name} output"));
        engine.ZeroGradients();
        double[] inputGradient = new double[input.Length];
        engine.Backward(fixture.Tensor("output_weights"), inputGradient);
        Assert.Null(Parity.Mismatch(fixture.Tensor("grad.input"), inputGradient, 1e-12, $"{name} input gradient"));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Padded_pooling_matches_pytorch_in_float(string name)
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name);
        INetwork network = CreateNetwork(name);

        float[] input = fixture.TensorAsFloat("input");
        Assert.Null(Parity.AbsoluteMismatch(fixture.Tensor("output"), network.Forward(input, training: false).ToArray(), 1e-5, $"{name} output"));
        float[] inputGradient = new float[input.Length];
        network.Backward(fixture.TensorAsFloat("output_weights"), inputGradient);
        Assert.Null(Parity.AbsoluteMismatch(fixture.Tensor("grad.input"), inputGradient, 1e-5, $"{name} input gradient"));
    }

    [Fact]
    public void Pool_layers_report_their_padding_and_pytorchs_output_shapes()
    {
        var max = new MaxPoolPaddingFixtureNet(1);
        var average = new AvgPoolPaddingStrideOneFixtureNet(1);

        Assert.Equal((3, 2, 1), (max.Pool.Size, max.Pool.Stride, max.Pool.Padding));
        Assert.Equal([2, 3, 3], max.Pool.OutputShape.ToArray());
        Assert.Equal((2, 1, 1), (average.Pool.Size, average.Pool.Stride, average.Pool.Padding));
        Assert.Equal([2, 6, 7], average.Pool.OutputShape.ToArray());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Backward_matches_central_differences(bool training)
    {
        var engine = new PaddedPoolGradientNet.Engine<double>(3, 5);
        GradientCheck.Report report = GradientCheck.Run(engine, batch: 3, training, seed: 31);
        output.WriteLine($"training {training}: {report.Checked} gradients, worst relative error {report.WorstRelativeError:E2} at {report.Where}");
        Assert.True(report.WorstRelativeError <= 1e-6, $"worst relative error {report.WorstRelativeError:E2} at {report.Where}");
    }

    private static IEngine<double> CreateEngine(string name) => name switch
    {
        "max_pool_padding" => new MaxPoolPaddingFixtureNet.Engine<double>(2, 0),
        "avg_pool_padding" => new AvgPoolPaddingFixtureNet.Engine<double>(2, 0),
        "max_pool_padding_stride1" => new MaxPoolPaddingStrideOneFixtureNet.Engine<double>(2, 0),
        _ => new AvgPoolPaddingStrideOneFixtureNet.Engine<double>(2, 0),
    };

    private static INetwork CreateNetwork(string name) => name switch
    {
        "max_pool_padding" => new MaxPoolPaddingFixtureNet(2),
        "avg_pool_padding" => new AvgPoolPaddingFixtureNet(2),
        "max_pool_padding_stride1" => new MaxPoolPaddingStrideOneFixtureNet(2),
        _ => new AvgPoolPaddingStrideOneFixtureNet(2),
    };
}
