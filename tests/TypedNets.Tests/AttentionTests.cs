using System;
using System.Linq;
using TypedNets.Tests.Networks;
using Xunit;
using Xunit.Abstractions;

namespace TypedNets.Tests;

/// <summary>
/// <c>[PositionEmbedding]</c> and <c>[SelfAttention]</c> as declared layers: their generated backward passes against
/// central differences (causal, bidirectional, with dropout on the attention weights), their forward passes against a
/// direct computation, causality, dropout's seeding, the padding mask and the layer descriptions.
/// </summary>
public sealed class AttentionTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-6;

    // Three samples of five tokens, with repeats, so that one token meets itself at two positions.
    private static readonly double[] Tokens =
    [
        1, 4, 4, 6, 0,
        3, 3, 3, 3, 3,
        6, 2, 5, 1, 2,
    ];

    [Theory]
    [InlineData(nameof(CausalAttentionNet), false)]
    [InlineData(nameof(CausalAttentionNet), true)]
    [InlineData(nameof(BidirectionalAttentionNet), false)]
    [InlineData(nameof(DropoutAttentionNet), false)]
    [InlineData(nameof(DropoutAttentionNet), true)]
    public void Backward_matches_central_differences(string network, bool training)
    {
        // GradientCheck reseeds the dropout stream before every forward pass, so each pass draws the same attention
        // seed and the same mask: the function is smooth in the parameters, as for [Dropout].
        IEngine<double> engine = Create(network, seed: 5);
        GradientCheck.Report report = GradientCheck.Run(engine, batch: 3, training, seed: 13, Tokens);
        output.WriteLine($"{network} (training: {training}): {report.Checked} gradients, worst relative error {report.WorstRelativeError:E2} at {report.Where}");
        Assert.Equal(engine.Parameters.Length, report.Checked);
        Assert.True(report.WorstRelativeError <= Tolerance, $"{network}: worst relative error {report.WorstRelativeError:E2} at {report.Where}");
    }

    [Fact]
    public void Attention_on_the_input_matches_a_direct_computation()
    {
        // [Input(4, 12)]: four steps of query, key and value for width 4, in 2 heads of 2; no parameters.
        var engine = new BareAttentionNet.Engine<double>(2, 1);
        const int batch = 2, steps = 4, width = 4, heads = 2;
        var random = new Xoshiro256(21);
        double[] qkv = Enumerable.Range(0, batch * steps * 3 * width).Select(_ => random.NextDouble(-2, 2)).ToArray();

        double[] actual = engine.Forward(qkv, training: false).ToArray();

        double[] expected = DirectAttention(qkv, batch, steps, width, heads, causal: false);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-12);
        }
    }

    [Fact]
    public void A_causal_position_sees_no_later_token_and_a_bidirectional_one_does()
    {
        double[] first = [1, 2, 3, 4, 5, 6];
        double[] changed = [1, 2, 3, 4, 8, 6];
        var causal = new CausalSequenceNet.Engine<double>(1, 3);
        double[] before = causal.Forward(first, training: false).ToArray();
        double[] after = causal.Forward(changed, training: false).ToArray();

        // Rows 0..3 of [6, 16] are the same, row 4 (the changed token) and row 5 (which sees it) are not.
        Assert.Equal(before[..(4 * 16)], after[..(4 * 16)]);
        Assert.NotEqual(before[(4 * 16)..(5 * 16)], after[(4 * 16)..(5 * 16)]);
        Assert.NotEqual(before[(5 * 16)..], after[(5 * 16)..]);

        var bidirectional = new BidirectionalAttentionNet.Engine<double>(1, 3);
        double[] a = bidirectional.Forward((double[])[1, 2, 3, 4, 5], training: false).ToArray();
        double[] b = bidirectional.Forward((double[])[1, 2, 3, 4, 6], training: false).ToArray();
        var causalTwin = new CausalAttentionNet.Engine<double>(1, 3);
        Array.Copy(bidirectional.Parameters, causalTwin.Parameters, causalTwin.Parameters.Length);
        double[] c = causalTwin.Forward((double[])[1, 2, 3, 4, 5], training: false).ToArray();
        Assert.NotEqual(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Dropout_on_the_attention_weights_follows_the_seed_and_only_in_training()
    {
        var dropout = new DropoutAttentionNet.Engine<double>(3, 7);
        var plain = new CausalAttentionNet.Engine<double>(3, 7);
        Assert.Equal(plain.Parameters, dropout.Parameters);

        // Inference ignores the rate: the output is that of the same weights without dropout, and draws nothing.
        double[] inference = dropout.Forward(Tokens, training: false).ToArray();
        Assert.Equal(plain.Forward(Tokens, training: false).ToArray(), inference);
        Assert.Equal(plain.Forward(Tokens, training: true).ToArray(), inference);

        dropout.ReseedDropout(11);
        double[] training = dropout.Forward(Tokens, training: true).ToArray();
        double[] next = dropout.Forward(Tokens, training: true).ToArray();
        dropout.ReseedDropout(11);
        double[] replayed = dropout.Forward(Tokens, training: true).ToArray();
        Assert.NotEqual(inference, training);
        Assert.NotEqual(training, next);
        Assert.Equal(training, replayed);
    }

    [Fact]
    public void Dropout_in_training_takes_its_seed_from_the_networks_dropout_stream()
    {
        var engine = new DropoutAttentionNet.Engine<double>(3, 7);
        engine.ReseedDropout(11);
        Xoshiro256 start = engine.DropoutRandom;
        engine.Forward(Tokens, training: false);
        Assert.Equal(start.State, engine.DropoutRandom.State);
        engine.Forward(Tokens, training: true);
        Assert.NotEqual(start.State, engine.DropoutRandom.State);
    }

    [Fact]
    public void A_position_embedding_adds_its_rows_and_passes_the_padding_mask_on()
    {
        var engine = new MaskedPositionNet.Engine<double>(2, 9);
        double[] tokens = [3, 5, 1, 0, 0, 0, 6, 0, 2, 0];
        double[] pooled = engine.Forward(tokens, training: false).ToArray();

        // Embedding weight [7, 4] then the position table [6, 4]; the pooling averages the unpadded steps of
        // embedding[token] + position[step].
        double[] embedding = engine.Parameters[..28];
        double[] positions = engine.Parameters[28..52];
        Assert.Equal(52, engine.Parameters.Length);
        for (int sample = 0; sample < 2; sample++)
        {
            for (int feature = 0; feature < 4; feature++)
            {
                double sum = 0;
                int kept = 0;
                for (int step = 0; step < 5; step++)
                {
                    int token = (int)tokens[(sample * 5) + step];
                    if (token != 0)
                    {
                        sum += embedding[(token * 4) + feature] + positions[(step * 4) + feature];
                        kept++;
                    }
                }

                Assert.Equal(sum / kept, pooled[(sample * 4) + feature], 1e-12);
            }
        }
    }

    [Fact]
    public void The_position_table_starts_standard_normal_as_PyTorchs_nn_Embedding()
    {
        var engine = new CausalSequenceNet.Engine<double>(1, 17);

        // Embedding [9, 16] first, then the table [64, 16].
        double[] table = engine.Parameters[144..(144 + 1024)];
        double mean = table.Average();
        double deviation = Math.Sqrt(table.Select(value => (value - mean) * (value - mean)).Average());
        Assert.InRange(mean, -0.15, 0.15);
        Assert.InRange(deviation, 0.9, 1.1);
    }

    [Fact]
    public void The_layers_describe_themselves()
    {
        var network = new DropoutAttentionNet(maxBatch: 2, seed: 3);
        Assert.Equal("PositionEmbedding", network.Positions.Kind);
        Assert.Equal("positions.weight", network.Positions.Weight.Name);
        Assert.Equal([8, 6], network.Positions.Weight.Shape.ToArray());
        Assert.Equal(8, network.Positions.Positions);
        Assert.Equal([5, 6], network.Positions.OutputShape.ToArray());

        Assert.Equal("SelfAttention", network.Attention.Kind);
        Assert.Equal(2, network.Attention.Heads);
        Assert.True(network.Attention.Causal);
        Assert.Equal(0.4, network.Attention.Dropout);
        Assert.Empty(network.Attention.Parameters);
        Assert.Equal([5, 18], network.Attention.InputShape.ToArray());
        Assert.Equal([5, 6], network.Attention.OutputShape.ToArray());
        Assert.False(new BidirectionalAttentionNet().Attention.Causal);
    }

    private static IEngine<double> Create(string network, ulong seed) => network switch
    {
        nameof(CausalAttentionNet) => new CausalAttentionNet.Engine<double>(3, seed),
        nameof(BidirectionalAttentionNet) => new BidirectionalAttentionNet.Engine<double>(3, seed),
        nameof(DropoutAttentionNet) => new DropoutAttentionNet.Engine<double>(3, seed),
        _ => throw new ArgumentOutOfRangeException(nameof(network), network, "No such test network."),
    };

    /// <summary>Scaled dot-product attention written out, one score at a time, from the definition.</summary>
    private static double[] DirectAttention(double[] qkv, int batch, int steps, int width, int heads, bool causal)
    {
        int d = width / heads;
        double[] result = new double[batch * steps * width];
        for (int b = 0; b < batch; b++)
        {
            for (int h = 0; h < heads; h++)
            {
                for (int i = 0; i < steps; i++)
                {
                    double[] scores = new double[steps];
                    for (int j = 0; j < steps; j++)
                    {
                        double dot = 0;
                        for (int k = 0; k < d; k++)
                        {
                            dot += qkv[(((b * steps) + i) * 3 * width) + (h * d) + k] * qkv[(((b * steps) + j) * 3 * width) + width + (h * d) + k];
                        }

                        scores[j] = causal && j > i ? double.NegativeInfinity : dot / Math.Sqrt(d);
                    }

                    double max = scores.Max();
                    double[] weights = scores.Select(score => Math.Exp(score - max)).ToArray();
                    double total = weights.Sum();
                    for (int k = 0; k < d; k++)
                    {
                        double value = 0;
                        for (int j = 0; j < steps; j++)
                        {
                            value += weights[j] / total * qkv[(((b * steps) + j) * 3 * width) + (2 * width) + (h * d) + k];
                        }

                        result[(((b * steps) + i) * width) + (h * d) + k] = value;
                    }
                }
            }
        }

        return result;
    }
}
