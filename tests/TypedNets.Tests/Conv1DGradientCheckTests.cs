using TypedNets.Tests.Networks;
using Xunit.Abstractions;

namespace TypedNets.Tests;

/// <summary><c>[Conv1D]</c> (padding, dilation, groups, stride, no bias, a GELU), <c>[MaxPool1D]</c> and <c>[AvgPool1D]</c> with padding, in double precision against central differences.</summary>
public sealed class Conv1DGradientCheckTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Backward_matches_central_differences(bool training)
    {
        var engine = new Conv1DGradientNet.Engine<double>(3, 5);
        GradientCheck.Report report = GradientCheck.Run(engine, batch: 3, training, seed: 17);
        output.WriteLine($"training {training}: {report.Checked} gradients, worst relative error {report.WorstRelativeError:E2} at {report.Where}");
        Assert.True(report.WorstRelativeError <= 1e-6, $"worst relative error {report.WorstRelativeError:E2} at {report.Where}");
    }
}
