using System;
using TypedNets.Text;

namespace TypedNets.Tests.Text;

/// <summary>
/// The next-token sampler: its draws follow softmax(logits / temperature) restricted by top-k and top-p, counted over
/// many draws against the probabilities computed here in double; greedy at temperature 0; the same seed, the same
/// tokens; no allocation per draw; and every bad argument refused by name.
/// </summary>
public sealed class TokenSamplerTests
{
    private const int Draws = 200_000;

    // Probabilities 0.5, 0.3, 0.15, 0.05, written as logits shifted by 3 (a softmax does not see the shift).
    private static readonly float[] Logits = [(float)Math.Log(0.5) + 3, (float)Math.Log(0.3) + 3, (float)Math.Log(0.15) + 3, (float)Math.Log(0.05) + 3];

    [Fact]
    public void Draws_follow_the_softmax_of_the_logits()
        => AssertFrequencies(new TokenSampler(4, seed: 1), Logits, [0.5, 0.3, 0.15, 0.05]);

    [Fact]
    public void A_temperature_of_two_draws_from_the_square_roots_of_the_probabilities_renormalised()
    {
        double[] roots = [Math.Sqrt(0.5), Math.Sqrt(0.3), Math.Sqrt(0.15), Math.Sqrt(0.05)];
        double sum = roots[0] + roots[1] + roots[2] + roots[3];
        AssertFrequencies(new TokenSampler(4, temperature: 2, seed: 2), Logits, Array.ConvertAll(roots, root => root / sum));
    }

    [Fact]
    public void Top_k_keeps_the_k_most_likely_tokens_in_their_proportions()
        => AssertFrequencies(new TokenSampler(4, topK: 2, seed: 3), Logits, [0.5 / 0.8, 0.3 / 0.8, 0, 0]);

    [Fact]
    public void Top_k_keeps_every_token_tied_with_the_kth()
        => AssertFrequencies(new TokenSampler(4, topK: 1, seed: 4), [1f, 2f, 2f, 0f], [0, 0.5, 0.5, 0]);

    [Theory]
    [InlineData(0.7, new[] { 0.5 / 0.8, 0.3 / 0.8, 0, 0 })]
    [InlineData(0.5, new[] { 1.0, 0, 0, 0 })]
    [InlineData(0.9, new[] { 0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0 })]
    public void Top_p_keeps_the_fewest_most_likely_tokens_that_reach_the_mass(double topP, double[] expected)
        => AssertFrequencies(new TokenSampler(4, topP: topP, seed: 5), Logits, expected);

    [Fact]
    public void Top_k_and_top_p_together_cut_by_both()
        => AssertFrequencies(new TokenSampler(4, topK: 3, topP: 0.99, seed: 6), Logits, [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0]);

    [Fact]
    public void A_temperature_of_zero_is_greedy_and_takes_the_first_of_equal_maxima()
    {
        var sampler = new TokenSampler(4, temperature: 0);
        Assert.Equal(0, sampler.Next(Logits));
        Assert.Equal(1, sampler.Next([0f, 5f, 5f, 1f]));
    }

    [Fact]
    public void A_token_at_minus_infinity_is_never_drawn()
    {
        var sampler = new TokenSampler(3, seed: 8);
        for (int i = 0; i < 10_000; i++)
        {
            Assert.NotEqual(1, sampler.Next([0f, float.NegativeInfinity, 0f]));
        }
    }

    [Fact]
    public void The_same_seed_draws_the_same_tokens_and_another_seed_others()
    {
        int[] Tokens(ulong seed)
        {
            var sampler = new TokenSampler(4, topK: 3, seed: seed);
            int[] tokens = new int[64];
            for (int i = 0; i < tokens.Length; i++)
            {
                tokens[i] = sampler.Next(Logits);
            }

            return tokens;
        }

        Assert.Equal(Tokens(9), Tokens(9));
        Assert.NotEqual(Tokens(9), Tokens(10));
    }

    [Fact]
    public void Drawing_allocates_nothing()
    {
        var sampler = new TokenSampler(4, topK: 3, topP: 0.9, seed: 11);
        sampler.Next(Logits);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            sampler.Next(Logits);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void Bad_arguments_are_refused_by_name()
    {
        Assert.Equal("vocabulary", Assert.Throws<ArgumentOutOfRangeException>(() => new TokenSampler(0)).ParamName);
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => new TokenSampler(4, temperature: -1)).ParamName);
        Assert.Equal("topK", Assert.Throws<ArgumentOutOfRangeException>(() => new TokenSampler(4, topK: -1)).ParamName);
        Assert.Equal("topP", Assert.Throws<ArgumentOutOfRangeException>(() => new TokenSampler(4, topP: 0)).ParamName);

        var sampler = new TokenSampler(4);
        var length = Assert.Throws<ArgumentException>(() => sampler.Next(new float[3]));
        Assert.Equal("logits", length.ParamName);
        Assert.Contains("draws from 4 logits, but 3 were given", length.Message, StringComparison.Ordinal);
        Assert.Contains("Logit 2 is NaN", Assert.Throws<ArgumentException>(() => sampler.Next([0f, 1f, float.NaN, 2f])).Message, StringComparison.Ordinal);
        Assert.Contains("Every logit is -infinity", Assert.Throws<ArgumentException>(() => sampler.Next([float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity])).Message, StringComparison.Ordinal);
    }

    private static void AssertFrequencies(TokenSampler sampler, float[] logits, double[] expected)
    {
        int[] counts = new int[expected.Length];
        for (int i = 0; i < Draws; i++)
        {
            counts[sampler.Next(logits)]++;
        }

        for (int token = 0; token < expected.Length; token++)
        {
            double frequency = counts[token] / (double)Draws;

            // Five standard deviations of a frequency over 200,000 draws; a token of probability 0 is never drawn.
            double tolerance = 5 * Math.Sqrt(expected[token] * (1 - expected[token]) / Draws);
            Assert.True(Math.Abs(frequency - expected[token]) <= tolerance, $"token {token}: drawn {frequency:F4} of the time, expected {expected[token]:F4}");
        }
    }
}
