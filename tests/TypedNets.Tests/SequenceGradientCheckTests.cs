using System;
using TypedNets.Tests.Networks;
using Xunit.Abstractions;

namespace TypedNets.Tests;

public sealed class SequenceGradientCheckTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-6;

    // Three samples of six tokens: pre-padding, post-padding and none, so masking changes which steps run.
    private static readonly double[] Tokens =
    [
        0, 0, 3, 7, 1, 8,
        5, 2, 6, 0, 0, 0,
        4, 1, 1, 8, 2, 3,
    ];

    [Theory]
    [InlineData(nameof(EmbeddingLstmNet), false)]
    [InlineData(nameof(MaskedGruNet), false)]
    [InlineData(nameof(MaskedLstmNet), false)]
    [InlineData(nameof(SequenceNet), false)]
    [InlineData(nameof(GruLastNet), false)]
    [InlineData(nameof(TinyTextClassifier), false)]
    [InlineData(nameof(TinyTextClassifier), true)]
    public void Backward_through_time_matches_central_differences(string network, bool training)
    {
        (IEngine<double> engine, double[]? tokens) = network switch
        {
            nameof(EmbeddingLstmNet) => ((IEngine<double>)new EmbeddingLstmNet.Engine<double>(3, 5), Tokens),
            nameof(MaskedGruNet) => (new MaskedGruNet.Engine<double>(3, 5), Tokens),
            nameof(MaskedLstmNet) => (new MaskedLstmNet.Engine<double>(3, 5), Tokens),
            nameof(SequenceNet) => (new SequenceNet.Engine<double>(3, 5), null),
            nameof(GruLastNet) => (new GruLastNet.Engine<double>(3, 5), null),
            nameof(TinyTextClassifier) => (new TinyTextClassifier.Engine<double>(3, 5), TinyTokens()),
            _ => throw new ArgumentOutOfRangeException(nameof(network), network, "No such test network."),
        };

        GradientCheck.Report report = GradientCheck.Run(engine, batch: 3, training, seed: 13, tokens);
        output.WriteLine($"{network} (training: {training}): {report.Checked} gradients, worst relative error {report.WorstRelativeError:E2} at {report.Where}");
        Assert.True(report.WorstRelativeError <= Tolerance, $"{network}: worst relative error {report.WorstRelativeError:E2} at {report.Where}");
    }

    [Fact]
    public void Masked_steps_leave_the_state_and_the_output_as_if_they_were_absent()
    {
        // With MaskZero, [0, 0, a, b, c, d] must encode exactly like the unpadded [a, b, c, d] would after two
        // skipped steps: the LSTM's last state may not depend on how many pads precede the tokens.
        var engine = new MaskedLstmNet.Engine<double>(2, 3);
        double[] padded = [0, 0, 3, 7, 1, 8, 0, 0, 0, 0, 3, 7];
        double[] output = engine.Forward(padded, training: false).ToArray();
        double[] again = engine.Forward((double[])[0, 0, 0, 0, 3, 7, 0, 0, 0, 0, 3, 7], training: false).ToArray();
        Assert.NotEqual(output[..3], output[3..]);
        Assert.Equal(again[..3], output[3..]);

        var unmasked = new EmbeddingLstmNet.Engine<double>(1, 3);
        double[] first = unmasked.Forward((double[])[0, 0, 3, 7, 1, 8], training: false).ToArray();
        double[] second = unmasked.Forward((double[])[0, 3, 7, 1, 8, 0], training: false).ToArray();
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void A_token_outside_the_vocabulary_is_refused_by_position()
    {
        var network = new EmbeddingLstmNet(maxBatch: 2);
        var error = Assert.Throws<ArgumentException>(() => network.Forward(new float[] { 1, 2, 3, 9, 0, 0 }));
        Assert.Contains("Token 9 at position 3 is outside the embedding's vocabulary of 9", error.Message);

        var typed = EmbeddingLstmNet.Sample.From([1, 2, 3, 4, 5, 6]);
        Assert.Equal(1f, network.Predict(typed)[0] + network.Predict(typed)[1] + network.Predict(typed)[2], 5);
        Assert.Throws<ArgumentException>(() => EmbeddingLstmNet.Sample.From([1, 2, 3]));
    }

    private static double[] TinyTokens()
    {
        double[] tokens = new double[21];
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = i < 2 ? 0 : 1 + (i * 7 % 19);
        }

        return tokens;
    }
}
