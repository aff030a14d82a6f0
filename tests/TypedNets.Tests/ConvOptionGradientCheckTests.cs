using TypedNets.Tests.Networks;
using Xunit.Abstractions;

namespace TypedNets.Tests;

/// <summary>PyTorch's <c>nn.Conv2d</c> options (dilation, rectangular kernels, groups), in double precision against central differences.</summary>
public sealed class ConvOptionGradientCheckTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-6;

    [Theory]
    [InlineData(nameof(DilationGradientNet))]
    [InlineData(nameof(RectangularGradientNet))]
    [InlineData(nameof(GroupsGradientNet))]
    public void Backward_matches_central_differences(string network)
    {
        IEngine<double> engine = network switch
        {
            nameof(RectangularGradientNet) => new RectangularGradientNet.Engine<double>(3, 5),
            nameof(GroupsGradientNet) => new GroupsGradientNet.Engine<double>(3, 5),
            _ => new DilationGradientNet.Engine<double>(3, 5),
        };

        GradientCheck.Report report = GradientCheck.Run(engine, batch: 3, training: true, seed: 13);
        output.WriteLine($"{network}: {report.Checked} gradients, worst relative error {report.WorstRelativeError:E2} at {report.Where}");
        Assert.True(report.WorstRelativeError <= Tolerance, $"{network}: worst relative error {report.WorstRelativeError:E2} at {report.Where}");
    }
}
