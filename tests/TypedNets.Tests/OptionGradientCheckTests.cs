using System;
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

    [Fact]
    public void Padding_row_gets_no_gradient_though_the_loss_depends_on_it_and_every_other_row_matches_central_differences()
    {
        // PyTorch's padding_idx masks the gradient of a row the output does read: central differences see the row
        // (so it is not merely unused), the backward pass must not.
        const int PaddingRow = 2, Dimension = 3;
        var engine = new PaddingIndexGradientNet.Engine<double>(3, 5);
        var random = new Xoshiro256(17);
        for (int i = PaddingRow * Dimension; i < (PaddingRow + 1) * Dimension; i++)
        {
            engine.Parameters[i] = random.NextDouble(-1, 1);
        }

        double[] tokens = [2, 0, 2, 5, 1, 6, 2, 3, 2, 4, 1, 1, 0, 2, 6];
        double[] weights = GradientCheck.Fill(3 * 2, ref random, 1.0);
        double Loss()
        {
            ReadOnlySpan<double> output = engine.Forward(tokens, training: true);
            double loss = 0;
            for (int i = 0; i < output.Length; i++)
            {
                loss += output[i] * weights[i];
            }

            return loss;
        }

        Loss();
        engine.ZeroGradients();
        engine.Backward(weights, default);
        double[] analytic = (double[])engine.Gradients.Clone();

        double worst = 0;
        for (int i = 0; i < analytic.Length; i++)
        {
            double saved = engine.Parameters[i];
            const double Step = 1e-5;
            engine.Parameters[i] = saved + Step;
            double plus = Loss();
            engine.Parameters[i] = saved - Step;
            double minus = Loss();
            engine.Parameters[i] = saved;
            double numeric = (plus - minus) / (2 * Step);
            if (i / Dimension == PaddingRow)
            {
                Assert.Equal(0.0, analytic[i]);
                Assert.True(Math.Abs(numeric) > 1e-3, $"parameter {i}: the loss does not depend on the padding row ({numeric:R}), so the test proves nothing");
                continue;
            }

            worst = Math.Max(worst, Math.Abs(analytic[i] - numeric) / Math.Max(Math.Max(Math.Abs(analytic[i]), Math.Abs(numeric)), 1e-5));
        }

        output.WriteLine($"worst relative error outside the padding row {worst:E2}");
        Assert.True(worst <= Tolerance, $"worst relative error {worst:E2}");
    }
}
