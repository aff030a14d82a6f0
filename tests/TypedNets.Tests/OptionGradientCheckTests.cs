using TypedNets.Tests.Networks;
using Xunit.Abstractions;

namespace TypedNets.Tests;

/// <summary>The layer options PyTorch users reach for, in double precision against central differences.</summary>
public sealed class OptionGradientCheckTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-6;

    [Theory]
    [InlineData(nameof(NoBiasGradientNet))]
    [InlineData(nameof(NoBiasReluNet))]
    [InlineData(nameof(GeluTanhGradientNet))]
    [InlineData(nameof(LayerNormGradientNet))]
    public void Backward_matches_central_differences(string network)
    {
        IEngine<double> engine = network switch
        {
            nameof(NoBiasGradientNet) => new NoBiasGradientNet.Engine<double>(3, 5),
            nameof(GeluTanhGradientNet) => new GeluTanhGradientNet.Engine<double>(3, 5),
            nameof(LayerNormGradientNet) => new LayerNormGradientNet.Engine<double>(3, 5),
            _ => new NoBiasReluNet.Engine<double>(3, 5),
        };

        GradientCheck.Report report = GradientCheck.Run(engine, batch: 3, training: true, seed: 13);
        output.WriteLine($"{network}: {report.Checked} gradients, worst relative error {report.WorstRelativeError:E2} at {report.Where}");
        Assert.True(report.WorstRelativeError <= Tolerance, $"{network}: worst relative error {report.WorstRelativeError:E2} at {report.Where}");
    }
}
