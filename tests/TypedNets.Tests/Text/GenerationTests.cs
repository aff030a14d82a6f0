using System;
using System.Collections.Generic;
using System.Linq;
using TypedNets.Compression;
using TypedNets.Tests.Networks;
using TypedNets.Text;
using Xunit;

namespace TypedNets.Tests.Text;

/// <summary>
/// Generation from causal language models: the one-position decode path over the key/value caches against the full
/// forward pass at every position, greedy generation against the argmax of repeated full forward passes (past the
/// context too, under the window rule), sampling's seeding, no allocation per token, and the argument checks.
/// </summary>
public sealed class GenerationTests
{
    private const float Tolerance = 1e-4f;

    [Fact]
    public void Decode_logits_equal_the_forward_pass_at_every_position_for_a_single_attention_layer()
    {
        var net = new CausalLanguageNet(seed: 3);
        int[] tokens = [4, 1, 8, 8, 0, 5];
        float[] full = Forward(tokens, CausalLanguageNet.InputSize, 9, sample => Values(net.Predict(CausalLanguageNet.Sample.From(sample))));
        AssertDecodeMatches(net.CreateGenerator(), tokens, full, 9, softmax: false);
    }

    [Fact]
    public void Decode_logits_equal_the_forward_pass_at_every_position_for_a_two_block_gpt()
    {
        var net = new TinyGptLm(seed: 7);
        int[] tokens = [3, 10, 0, 7, 7, 2, 9, 1];
        float[] full = Forward(tokens, TinyGptLm.InputSize, 11, sample => Values(net.Predict(TinyGptLm.Sample.From(sample))));
        AssertDecodeMatches(net.CreateGenerator(), tokens, full, 11, softmax: false);
    }

    [Fact]
    public void Decode_logits_of_a_quantised_network_equal_its_forward_pass()
    {
        CausalLanguageNet float32 = new(seed: 3);
        CausalLanguageNet net = float32.Quantize();
        int[] tokens = [4, 1, 8, 8, 0, 5];
        float[] full = Forward(tokens, CausalLanguageNet.InputSize, 9, sample => Values(net.Predict(CausalLanguageNet.Sample.From(sample))));
        AssertDecodeMatches(net.CreateGenerator(), tokens, full, 9, softmax: false);

        // The decoder runs the int8 products: the float network's logits are further away than the tolerance.
        float[] floatLogits = Forward(tokens, CausalLanguageNet.InputSize, 9, sample => Values(float32.Predict(CausalLanguageNet.Sample.From(sample))));
        Assert.True(full.Zip(floatLogits, (a, b) => Math.Abs(a - b)).Max() > 10 * Tolerance);
    }

    [Fact]
    public void Decode_logits_are_those_before_the_heads_softmax()
    {
        var net = new SoftmaxHeadLanguageNet(seed: 2);
        int[] tokens = [1, 4, 4, 0];
        float[] probabilities = Forward(tokens, SoftmaxHeadLanguageNet.InputSize, 5, sample => Values(net.Predict(SoftmaxHeadLanguageNet.Sample.From(sample))));
        AssertDecodeMatches(net.CreateGenerator(), tokens, probabilities, 5, softmax: true);
    }

    [Fact]
    public void Decode_reads_the_current_weights()
    {
        var net = new CausalLanguageNet(seed: 3);
        TextGenerator generator = net.CreateGenerator();
        net.Parameters.Fill(0.01f);
        int[] tokens = [2, 3, 4, 5, 6, 7];
        float[] full = Forward(tokens, CausalLanguageNet.InputSize, 9, sample => Values(net.Predict(CausalLanguageNet.Sample.From(sample))));
        AssertDecodeMatches(generator, tokens, full, 9, softmax: false);
    }

    [Theory]
    [InlineData(3, 4)]
    [InlineData(1, 25)]
    [InlineData(8, 13)]
    public void Greedy_generation_is_the_argmax_of_repeated_full_forward_passes(int promptLength, int newTokens)
    {
        var net = new TinyGptLm(seed: 11);
        int[] prompt = [.. Enumerable.Range(0, promptLength).Select(i => (i * 5 + 3) % 11)];
        int[] generated = net.Generate(prompt, newTokens, temperature: 0);

        // The window rule, restated: when the context (8) is full, the last half of the tokens stay, at positions 0...
        var window = new List<int>(prompt);
        var expected = new List<int>(prompt);
        for (int step = 0; step < newTokens; step++)
        {
            int[] padded = new int[TinyGptLm.InputSize];
            window.CopyTo(padded);
            float[] logits = Values(net.Predict(TinyGptLm.Sample.From(padded)));
            int next = Array.IndexOf(logits, logits.Skip((window.Count - 1) * 11).Take(11).Max(), (window.Count - 1) * 11, 11) - ((window.Count - 1) * 11);
            expected.Add(next);
            if (window.Count == TinyGptLm.InputSize)
            {
                window.RemoveRange(0, TinyGptLm.InputSize - (TinyGptLm.InputSize / 2));
            }

            window.Add(next);
        }

        Assert.Equal(expected, generated);

        // A session left where Generate ends holds the same window.
        TextGenerator session = net.CreateGenerator(temperature: 0);
        session.Prefill(prompt);
        session.Generate(new int[newTokens]);
        Assert.Equal(window, session.Window.ToArray());
    }

    [Fact]
    public void Top_k_of_one_is_greedy()
    {
        var net = new TinyGptLm(seed: 11);
        Assert.Equal(net.Generate([1, 2], 20, temperature: 0), net.Generate([1, 2], 20, temperature: 1.5, topK: 1, seed: 9));
    }

    [Fact]
    public void Sampling_is_fixed_by_the_seed_and_differs_across_seeds()
    {
        var net = new TinyGptLm(seed: 4);
        int[] first = net.Generate([5], 40, temperature: 1.5, seed: 1);
        int[] again = net.Generate([5], 40, temperature: 1.5, seed: 1);
        int[] other = net.Generate([5], 40, temperature: 1.5, seed: 2);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.Equal(41, first.Length);
        Assert.Equal(5, first[0]);
        Assert.All(first, token => Assert.InRange(token, 0, 10));
    }

    [Fact]
    public void A_session_continues_as_generate_does_and_restarts_on_a_new_prompt()
    {
        var net = new TinyGptLm(seed: 4);
        int[] expected = net.Generate([5, 6, 7], 30, temperature: 0.8, topK: 5, topP: 0.9, seed: 3);
        TextGenerator generator = net.CreateGenerator(temperature: 0.8, topK: 5, topP: 0.9, seed: 3);
        generator.Prefill([5, 6, 7]);
        int[] tokens = new int[30];
        generator.Generate(tokens.AsSpan(0, 10));
        for (int i = 10; i < 30; i++)
        {
            tokens[i] = generator.Next();
        }

        Assert.Equal(expected.Skip(3), tokens);

        // A new prompt empties the caches; only the sampler's stream goes on.
        generator.Prefill([1, 2, 3, 4, 5, 6, 7, 8]);
        Assert.Equal(8, generator.Length);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], generator.Window.ToArray());
        TextGenerator fresh = net.CreateGenerator();
        fresh.Prefill([1, 2, 3, 4, 5, 6, 7, 8]);
        Assert.Equal(fresh.Logits.ToArray(), generator.Logits.ToArray());
    }

    [Fact]
    public void Next_allocates_nothing_per_token()
    {
        var net = new TinyGptLm(seed: 4);
        TextGenerator generator = net.CreateGenerator(temperature: 0.9, topK: 6, topP: 0.95, seed: 5);
        generator.Prefill([1, 2, 3]);
        for (int i = 0; i < 40; i++)
        {
            generator.Next();
        }

        // Measured up to three times: a one-off allocation by the runtime on this thread (tiering, a static's
        // initialisation) does not fail it, an allocation per token (or per window slide, every 4 tokens) does.
        long allocated = Allocations.Fewest(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                generator.Next();
            }
        });

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Bad_prompts_are_rejected_with_the_value_and_the_fix()
    {
        var net = new TinyGptLm();
        ArgumentException empty = Assert.Throws<ArgumentException>(() => net.Generate([], 3));
        Assert.Equal("prompt", empty.ParamName);
        Assert.Contains("at least one token", empty.Message);

        ArgumentException tooLong = Assert.Throws<ArgumentException>(() => net.Generate(new int[9], 3));
        Assert.Equal("prompt", tooLong.ParamName);
        Assert.Contains("9", tooLong.Message);
        Assert.Contains("8", tooLong.Message);

        ArgumentOutOfRangeException outOfRange = Assert.Throws<ArgumentOutOfRangeException>(() => net.Generate([1, 11, 2], 3));
        Assert.Equal("prompt", outOfRange.ParamName);
        Assert.Contains("prompt[1]", outOfRange.Message);
        Assert.Contains("[0, 10]", outOfRange.Message);

        ArgumentOutOfRangeException negative = Assert.Throws<ArgumentOutOfRangeException>(() => net.Generate([-1], 3));
        Assert.Equal("prompt", negative.ParamName);
    }

    [Fact]
    public void Bad_options_are_rejected_with_their_names()
    {
        var net = new TinyGptLm();
        Assert.Equal("maxNewTokens", Assert.Throws<ArgumentOutOfRangeException>(() => net.Generate([1], -1)).ParamName);
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => net.Generate([1], 3, temperature: -0.5)).ParamName);
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => net.CreateGenerator(temperature: double.NaN)).ParamName);
        Assert.Equal("topK", Assert.Throws<ArgumentOutOfRangeException>(() => net.Generate([1], 3, topK: -1)).ParamName);
        Assert.Equal("topP", Assert.Throws<ArgumentOutOfRangeException>(() => net.Generate([1], 3, topP: 0)).ParamName);
        Assert.Equal("topP", Assert.Throws<ArgumentOutOfRangeException>(() => net.CreateGenerator(topP: 1.5)).ParamName);
    }

    [Fact]
    public void A_session_checks_its_state_and_tokens()
    {
        var net = new TinyGptLm();
        TextGenerator generator = net.CreateGenerator();
        InvalidOperationException noPrompt = Assert.Throws<InvalidOperationException>(() => generator.Next());
        Assert.Contains("Prefill", noPrompt.Message);
        Assert.Equal("token", Assert.Throws<ArgumentOutOfRangeException>(() => generator.Append(11)).ParamName);

        // A rejected prompt leaves the session as it was.
        generator.Prefill([1, 2]);
        float[] logits = generator.Logits.ToArray();
        Assert.Throws<ArgumentOutOfRangeException>(() => generator.Prefill([3, 99]));
        Assert.Equal([1, 2], generator.Window.ToArray());
        Assert.Equal(logits, generator.Logits.ToArray());
        Assert.Equal(8, generator.Context);
        Assert.Equal(11, generator.Vocabulary);
    }

    [Fact]
    public void Generation_is_refused_while_another_thread_trains_and_resumes_after()
    {
        var net = new TinyGptLm();
        TextGenerator generator = net.CreateGenerator();
        generator.Prefill([1]);
        ((INetwork)net).Core.Access.EnterExclusive("Trainer.Fit");
        try
        {
            InvalidOperationException error = null!;
            var thread = new System.Threading.Thread(() => error = Assert.Throws<InvalidOperationException>(() => generator.Next()));
            thread.Start();
            thread.Join();
            Assert.Contains("Generate", error.Message);
        }
        finally
        {
            ((INetwork)net).Core.Access.ExitExclusive();
        }

        generator.Next();
        Assert.Equal(2, generator.Length);
    }

    [Theory]
    [InlineData(typeof(CausalAttentionNet))]
    [InlineData(typeof(BidirectionalAttentionNet))]
    [InlineData(typeof(CausalSequenceNet))]
    [InlineData(typeof(MaskedPositionNet))]
    public void A_network_that_cannot_decode_one_position_at_a_time_has_no_generate(Type network)
    {
        Assert.Null(network.GetMethod("Generate"));
        Assert.Null(network.GetMethod("CreateGenerator"));
    }

    [Theory]
    [InlineData(typeof(CausalLanguageNet))]
    [InlineData(typeof(TinyGptLm))]
    public void A_causal_language_model_has_generate(Type network)
    {
        Assert.NotNull(network.GetMethod("Generate"));
        Assert.NotNull(network.GetMethod("CreateGenerator"));
    }

    private static float[] Values<TPrediction>(TPrediction prediction)
        where TPrediction : struct
        => System.Runtime.InteropServices.MemoryMarshal.Cast<TPrediction, float>(System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref prediction, 1)).ToArray();

    // The full forward pass's output for every prefix's length is its rows; the network is causal, so padding after
    // the tokens changes none of them.
    private static float[] Forward(int[] tokens, int steps, int vocabulary, Func<int[], float[]> predict)
    {
        Assert.Equal(steps, tokens.Length);
        float[] output = predict(tokens);
        Assert.Equal(steps * vocabulary, output.Length);
        return output;
    }

    private static void AssertDecodeMatches(TextGenerator generator, int[] tokens, float[] full, int vocabulary, bool softmax)
    {
        Assert.Equal(0, generator.Length);
        for (int position = 0; position < tokens.Length; position++)
        {
            generator.Append(tokens[position]);
            Assert.Equal(position + 1, generator.Length);
            float[] logits = generator.Logits.ToArray();
            if (softmax)
            {
                float max = logits.Max();
                float sum = logits.Sum(z => MathF.Exp(z - max));
                logits = [.. logits.Select(z => MathF.Exp(z - max) / sum)];
            }

            for (int j = 0; j < vocabulary; j++)
            {
                float expected = full[(position * vocabulary) + j];
                Assert.True(
                    MathF.Abs(logits[j] - expected) <= Tolerance * (1 + MathF.Abs(expected)),
                    $"position {position}, logit {j}: decoded {logits[j]}, forward {expected}");
            }
        }
    }
}
