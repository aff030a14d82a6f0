using System;
using System.Linq;
using TypedNets.Tests.Networks;
using Xunit.Abstractions;

namespace TypedNets.Tests;

/// <summary>Stacked and bidirectional LSTM and GRU layers: back-propagation against central differences, and dropout between layers.</summary>
public sealed class RecurrentStackGradientCheckTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-6;

    // Pre-padding, post-padding, none, and padding on both sides, so that masking changes where each direction starts.
    private static readonly double[] Tokens =
    [
        0, 0, 3, 7, 1, 8,
        5, 2, 6, 0, 0, 0,
        4, 1, 1, 8, 2, 3,
        0, 6, 2, 5, 0, 0,
    ];

    [Theory]
    [InlineData(nameof(StackedSequenceNet), false)]
    [InlineData(nameof(StackedSequenceNet), true)]
    [InlineData(nameof(MaskedBidirectionalNet), false)]
    [InlineData(nameof(MaskedBidirectionalNet), true)]
    [InlineData(nameof(MaskedBidirectionalPoolNet), false)]
    [InlineData(nameof(LstmTwoLayersBidirectionalFixtureNet), false)]
    [InlineData(nameof(GruTwoLayersBidirectionalFixtureNet), false)]
    public void Backward_through_stacked_and_reversed_time_matches_central_differences(string network, bool training)
    {
        (IEngine<double> engine, double[]? tokens) = network switch
        {
            nameof(StackedSequenceNet) => ((IEngine<double>)new StackedSequenceNet.Engine<double>(4, 5), (double[]?)null),
            nameof(MaskedBidirectionalNet) => (new MaskedBidirectionalNet.Engine<double>(4, 5), Tokens),
            nameof(MaskedBidirectionalPoolNet) => (new MaskedBidirectionalPoolNet.Engine<double>(4, 5), Tokens),
            nameof(LstmTwoLayersBidirectionalFixtureNet) => (new LstmTwoLayersBidirectionalFixtureNet.Engine<double>(4, 5), null),
            nameof(GruTwoLayersBidirectionalFixtureNet) => (new GruTwoLayersBidirectionalFixtureNet.Engine<double>(4, 5), null),
            _ => throw new ArgumentOutOfRangeException(nameof(network), network, "No such test network."),
        };

        GradientCheck.Report report = GradientCheck.Run(engine, batch: 4, training, seed: 17, tokens);
        output.WriteLine($"{network} (training: {training}): {report.Checked} gradients, worst relative error {report.WorstRelativeError:E2} at {report.Where}");
        Assert.True(report.WorstRelativeError <= Tolerance, $"{network}: worst relative error {report.WorstRelativeError:E2} at {report.Where}");
    }

    [Fact]
    public void Dropout_between_layers_acts_in_training_only_and_follows_the_dropout_stream()
    {
        var network = new StackedSequenceNet(4);
        Assert.Equal((3, true, 0.3), (network.Encoder.NumLayers, network.Encoder.Bidirectional, network.Encoder.Dropout));
        Assert.Equal((2, true, 0.5), (network.Reader.NumLayers, network.Reader.Bidirectional, network.Reader.Dropout));

        var engine = new StackedSequenceNet.Engine<double>(4, 3);
        var random = new Xoshiro256(5);
        double[] input = Enumerable.Range(0, 4 * 12).Select(_ => random.NextDouble() - 0.5).ToArray();

        double[] inference = engine.Forward(input, training: false).ToArray();
        Assert.Equal(inference, engine.Forward(input, training: false).ToArray());

        engine.ReseedDropout(9);
        double[] trained = engine.Forward(input, training: true).ToArray();
        engine.ReseedDropout(9);
        Assert.Equal(trained, engine.Forward(input, training: true).ToArray());
        Assert.NotEqual(inference, trained);
        double[] another = engine.Forward(input, training: true).ToArray();
        Assert.NotEqual(trained, another);

        // With the rates at zero the same layers are the identity between layers in training too.
        var plain = new LstmTwoLayersFixtureNet.Engine<double>(2, 3);
        double[] x = input[..(2 * 20)];
        Assert.Equal(plain.Forward(x, training: false).ToArray(), plain.Forward(x, training: true).ToArray());
    }

    [Fact]
    public void Prediction_and_training_steps_through_stacks_allocate_nothing()
    {
        // Every buffer of the stacks (per layer and direction, reversed copies, dropout masks) is made once.
        var network = new MaskedBidirectionalNet(maxBatch: 4, seed: 3);
        float[] tokens = Array.ConvertAll(Tokens, token => (float)token);
        float[] gradient = new float[4 * MaskedBidirectionalNet.OutputSize];
        float[] predicted = new float[MaskedBidirectionalNet.OutputSize];

        void Step()
        {
            network.Predict(tokens.AsSpan(0, 6), predicted);
            network.ZeroGradients();
            network.Forward(tokens, training: true);
            network.Backward(gradient);
        }

        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++)
        {
            Step();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
