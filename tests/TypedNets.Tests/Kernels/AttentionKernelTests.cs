using System;
using TypedNets.Kernels;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Kernels;

/// <summary>
/// Multi-head self-attention over a fused query/key/value projection: the forward pass against the textbook formula
/// computed here in double, one score at a time; the backward pass against central differences in double, with and
/// without the causal mask and dropout; the dropout mask's rate and its determinism; and the argument checks.
/// </summary>
public sealed class AttentionKernelTests
{
    public static TheoryData<int, int, int, int, bool> Shapes() => new()
    {
        { 1, 1, 4, 1, false },
        { 2, 5, 8, 2, true },
        { 2, 6, 12, 3, false },
        { 1, 7, 16, 4, true },
        { 2, 37, 16, 2, true },
        { 1, 32, 8, 1, false },
    };

    /// <summary>
    /// Steps of whole 16-float vectors, of vectors and a tail, and of a tail only (the float rows' three cases); from 16
    /// steps the causal products are split into halves (33: halves of 16 and 17).
    /// </summary>
    public static TheoryData<int, int, int, int, bool> VectorShapes() => new()
    {
        { 2, 16, 8, 2, true },
        { 2, 40, 16, 4, true },
        { 1, 40, 16, 4, false },
        { 3, 33, 12, 3, true },
        { 1, 9, 8, 2, false },
        { 1, 64, 64, 2, true },  // the baby GPT's heads: 64 steps of 32 values, the causal products split in halves
        { 1, 64, 64, 2, false },
    };

    [Theory]
    [MemberData(nameof(VectorShapes))]
    public void Float_forward_and_backward_match_double_precision(int batch, int steps, int width, int heads, bool causal)
    {
        float[] qkv = Random(batch * steps * 3 * width, 17, scale: 2);
        float[] outputGradient = Random(batch * steps * width, 19, scale: 1);
        float[] output = new float[batch * steps * width];
        float[] logSumExp = new float[batch * heads * steps];
        float[] gradient = new float[qkv.Length];
        float[] scratch = new float[AttentionKernel.ScratchLength(steps, width, heads)];
        AttentionKernel.Forward<float>(qkv, output, logSumExp, scratch, batch, steps, width, heads, causal);
        AttentionKernel.Backward<float>(qkv, output, logSumExp, outputGradient, gradient, scratch, batch, steps, width, heads, causal);

        double[] qkvD = Array.ConvertAll(qkv, value => (double)value);
        double[] outputD = new double[output.Length];
        double[] logSumExpD = new double[logSumExp.Length];
        double[] gradientD = new double[gradient.Length];
        double[] scratchD = new double[scratch.Length];
        AttentionKernel.Forward<double>(qkvD, outputD, logSumExpD, scratchD, batch, steps, width, heads, causal);
        AttentionKernel.Backward<double>(qkvD, outputD, logSumExpD, Array.ConvertAll(outputGradient, value => (double)value), gradientD, scratchD, batch, steps, width, heads, causal);

        AssertClose(outputD, output, "output");
        AssertClose(logSumExpD, logSumExp, "logSumExp");
        AssertClose(gradientD, gradient, "d qkv");
    }

    private static void AssertClose(double[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 2e-5 * (1 + Math.Abs(expected[i])), $"{what}[{i}] = {actual[i]:R}, expected {expected[i]:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_forward_pass_is_softmax_of_scaled_scores_times_values(int batch, int steps, int width, int heads, bool causal)
    {
        float[] qkv = Random(batch * steps * 3 * width, 11, scale: 2);
        float[] output = new float[batch * steps * width];
        float[] logSumExp = new float[batch * heads * steps];
        AttentionKernel.Forward<float>(qkv, output, logSumExp, new float[AttentionKernel.ScratchLength(steps, width, heads)], batch, steps, width, heads, causal);

        double[] expected = Reference(Array.ConvertAll(qkv, value => (double)value), batch, steps, width, heads, causal, out double[] expectedLse);
        for (int i = 0; i < output.Length; i++)
        {
            Assert.True(Math.Abs(output[i] - expected[i]) <= 1e-5 * (1 + Math.Abs(expected[i])), $"output[{i}] = {output[i]:R}, expected {expected[i]:R}");
        }

        for (int i = 0; i < logSumExp.Length; i++)
        {
            Assert.True(Math.Abs(logSumExp[i] - expectedLse[i]) <= 1e-5 * (1 + Math.Abs(expectedLse[i])), $"logSumExp[{i}] = {logSumExp[i]:R}, expected {expectedLse[i]:R}");
        }
    }

    [Theory]
    [InlineData("attention_causal")]
    [InlineData("attention_full")]
    public void Output_and_gradient_match_nanogpt_attention_in_pytorch(string name)
    {
        // reference/pytorch/make_transformer_fixtures.py: nanoGPT's attention core on the fused c_attn output, in float64.
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name);
        int batch = (int)fixture.ConfigNumber("batch"), steps = (int)fixture.ConfigNumber("steps");
        int width = (int)fixture.ConfigNumber("width"), heads = (int)fixture.ConfigNumber("heads");
        bool causal = name == "attention_causal";
        double[] qkv = fixture.Tensor("input");
        double[] output = new double[batch * steps * width];
        double[] logSumExp = new double[batch * heads * steps];
        double[] scratch = new double[AttentionKernel.ScratchLength(steps, width, heads)];
        AttentionKernel.Forward<double>(qkv, output, logSumExp, scratch, batch, steps, width, heads, causal);
        double[] gradient = new double[qkv.Length];
        AttentionKernel.Backward<double>(qkv, output, logSumExp, fixture.Tensor("output_weights"), gradient, scratch, batch, steps, width, heads, causal);

        double[] expectedOutput = fixture.Tensor("output");
        double[] expectedGradient = fixture.Tensor("grad.input");
        for (int i = 0; i < output.Length; i++)
        {
            Assert.True(Math.Abs(output[i] - expectedOutput[i]) <= 1e-12 * (1 + Math.Abs(expectedOutput[i])), $"output[{i}] = {output[i]:R}, PyTorch {expectedOutput[i]:R}");
        }

        for (int i = 0; i < gradient.Length; i++)
        {
            Assert.True(Math.Abs(gradient[i] - expectedGradient[i]) <= 1e-11 * (1 + Math.Abs(expectedGradient[i])), $"d qkv[{i}] = {gradient[i]:R}, PyTorch {expectedGradient[i]:R}");
        }
    }

    [Fact]
    public void A_causal_first_position_sees_only_its_own_value()
    {
        const int Steps = 3, Width = 4, Heads = 2;
        double[] qkv = Array.ConvertAll(Random(Steps * 3 * Width, 5, scale: 3), value => (double)value);
        double[] output = new double[Steps * Width];
        AttentionKernel.Forward<double>(qkv, output, new double[Heads * Steps], new double[AttentionKernel.ScratchLength(Steps, Width, Heads)], 1, Steps, Width, Heads, causal: true);

        // Row 0's value block is columns 2·width .. 3·width of row 0.
        Assert.Equal(qkv.AsSpan(2 * Width, Width).ToArray(), output.AsSpan(0, Width).ToArray());
    }

    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(true, 0.0)]
    [InlineData(true, 0.3)]
    [InlineData(false, 0.5)]
    public void The_backward_pass_matches_central_differences_in_double(bool causal, double dropout)
    {
        const int Batch = 2, Steps = 5, Width = 6, Heads = 2;
        const ulong Seed = 42;
        double[] qkv = Array.ConvertAll(Random(Batch * Steps * 3 * Width, 3, scale: 1.5), value => (double)value);
        double[] weights = Array.ConvertAll(Random(Batch * Steps * Width, 4, scale: 1), value => (double)value);
        double[] scratch = new double[AttentionKernel.ScratchLength(Steps, Width, Heads)];
        double[] output = new double[Batch * Steps * Width];
        double[] logSumExp = new double[Batch * Heads * Steps];

        // The loss is sum(output ⊙ weights), so its gradient with respect to the output is the weights.
        double Loss(double[] input)
        {
            AttentionKernel.Forward<double>(input, output, logSumExp, scratch, Batch, Steps, Width, Heads, causal, dropout, Seed);
            double sum = 0;
            for (int i = 0; i < output.Length; i++)
            {
                sum += output[i] * weights[i];
            }

            return sum;
        }

        Loss(qkv);
        double[] gradient = new double[qkv.Length];
        AttentionKernel.Backward<double>(qkv, output, logSumExp, weights, gradient, scratch, Batch, Steps, Width, Heads, causal, dropout, Seed);

        const double H = 1e-6;
        for (int i = 0; i < qkv.Length; i++)
        {
            double saved = qkv[i];
            qkv[i] = saved + H;
            double up = Loss(qkv);
            qkv[i] = saved - H;
            double down = Loss(qkv);
            qkv[i] = saved;
            double numeric = (up - down) / (2 * H);
            Assert.True(Math.Abs(gradient[i] - numeric) <= 1e-7 + (1e-6 * Math.Abs(numeric)), $"d qkv[{i}] = {gradient[i]:R}, central difference {numeric:R}");
        }
    }

    [Fact]
    public void Dropout_keeps_weights_at_one_minus_the_rate_and_the_same_seed_draws_the_same_mask()
    {
        const int Steps = 64, Heads = 4, Batch = 8;
        const double Rate = 0.25;
        int kept = 0, total = 0, agreeWithOtherSeed = 0;
        for (int sample = 0; sample < Batch; sample++)
        {
            for (int head = 0; head < Heads; head++)
            {
                for (int i = 0; i < Steps; i++)
                {
                    for (int j = 0; j < Steps; j++)
                    {
                        bool first = AttentionKernel.Kept(Rate, 7, sample, head, Heads, i, j, Steps);
                        Assert.Equal(first, AttentionKernel.Kept(Rate, 7, sample, head, Heads, i, j, Steps));
                        kept += first ? 1 : 0;
                        agreeWithOtherSeed += first == AttentionKernel.Kept(Rate, 8, sample, head, Heads, i, j, Steps) ? 1 : 0;
                        total++;
                    }
                }
            }
        }

        // 131,072 draws: the kept fraction's standard deviation is 0.0012, so 0.01 is eight of them.
        Assert.InRange(kept / (double)total, 0.74, 0.76);

        // Independent masks agree where both keep or both drop: 0.75² + 0.25² = 0.625.
        Assert.InRange(agreeWithOtherSeed / (double)total, 0.61, 0.64);
    }

    [Fact]
    public void Dropout_scales_the_kept_weights_so_the_output_is_unbiased()
    {
        // With all values equal to 1 in one column, each output is the sum of the kept weights / (1 - rate): its mean over
        // many rows is 1, as without dropout.
        const int Steps = 128, Width = 2, Heads = 1;
        double[] qkv = new double[Steps * 3 * Width];
        var random = new Xoshiro256(9);
        for (int i = 0; i < Steps; i++)
        {
            qkv[(i * 3 * Width) + 0] = random.NextDouble();
            qkv[(i * 3 * Width) + Width] = random.NextDouble();
            qkv[(i * 3 * Width) + (2 * Width)] = 1;
        }

        double[] output = new double[Steps * Width];
        AttentionKernel.Forward<double>(qkv, output, new double[Steps], new double[AttentionKernel.ScratchLength(Steps, Width, Heads)], 1, Steps, Width, Heads, false, dropout: 0.5, seed: 1);
        double mean = 0;
        for (int i = 0; i < Steps; i++)
        {
            mean += output[i * Width] / Steps;
        }

        Assert.InRange(mean, 0.95, 1.05);
    }

    [Fact]
    public void Decoding_position_by_position_against_the_cache_gives_the_causal_forward_rows()
    {
        const int Steps = 9, Width = 12, Heads = 3, Capacity = 16;
        float[] qkv = Random(Steps * 3 * Width, 21, scale: 2);
        float[] expected = new float[Steps * Width];
        AttentionKernel.Forward<float>(qkv, expected, new float[Heads * Steps], new float[AttentionKernel.ScratchLength(Steps, Width, Heads)], 1, Steps, Width, Heads, causal: true);

        float[] keys = new float[Capacity * Width];
        float[] values = new float[Capacity * Width];
        float[] scores = new float[Capacity];
        float[] row = new float[Width];
        for (int position = 0; position < Steps; position++)
        {
            AttentionKernel.Decode<float>(qkv.AsSpan(position * 3 * Width, 3 * Width), keys, values, row, scores, position, Capacity, Width, Heads);
            for (int c = 0; c < Width; c++)
            {
                float want = expected[(position * Width) + c];
                Assert.True(Math.Abs(row[c] - want) <= 1e-5f * (1 + Math.Abs(want)), $"position {position}, column {c}: {row[c]:R}, forward {want:R}");
            }
        }

        var full = Assert.Throws<ArgumentOutOfRangeException>(() => AttentionKernel.Decode<float>(qkv.AsSpan(0, 3 * Width), keys, values, row, scores, Capacity, Capacity, Width, Heads));
        Assert.Equal("position", full.ParamName);
        Assert.Contains("holds 16 positions", full.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Heads_that_do_not_divide_the_width_are_refused_with_a_head_count_that_does()
    {
        var exception = Assert.Throws<ArgumentException>(() => AttentionKernel.ScratchLength(4, 10, 4));
        Assert.Equal("heads", exception.ParamName);
        Assert.Contains("steps was 4, width 10 and heads 4", exception.Message, StringComparison.Ordinal);
        Assert.Contains("such as 5", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Short_spans_and_a_dropout_of_one_are_refused_by_name()
    {
        float[] scratch = new float[AttentionKernel.ScratchLength(2, 4, 2)];
        var shortQkv = Assert.Throws<ArgumentException>(() => AttentionKernel.Forward<float>(new float[23], new float[8], new float[4], scratch, 1, 2, 4, 2, false));
        Assert.Equal("qkv", shortQkv.ParamName);
        Assert.Contains("holds 23 elements, but these sizes need at least 24", shortQkv.Message, StringComparison.Ordinal);

        var rate = Assert.Throws<ArgumentOutOfRangeException>(() => AttentionKernel.Forward<float>(new float[24], new float[8], new float[4], scratch, 1, 2, 4, 2, false, dropout: 1));
        Assert.Equal("dropout", rate.ParamName);
    }

    /// <summary>The textbook formula, score by score, in double.</summary>
    private static double[] Reference(double[] qkv, int batch, int steps, int width, int heads, bool causal, out double[] logSumExp)
    {
        int d = width / heads;
        double[] output = new double[batch * steps * width];
        logSumExp = new double[batch * heads * steps];
        for (int b = 0; b < batch; b++)
        {
            for (int h = 0; h < heads; h++)
            {
                for (int i = 0; i < steps; i++)
                {
                    int seen = causal ? i + 1 : steps;
                    double[] scores = new double[seen];
                    for (int j = 0; j < seen; j++)
                    {
                        for (int c = 0; c < d; c++)
                        {
                            scores[j] += qkv[(((b * steps) + i) * 3 * width) + (h * d) + c] * qkv[(((b * steps) + j) * 3 * width) + width + (h * d) + c];
                        }

                        scores[j] /= Math.Sqrt(d);
                    }

                    double max = double.NegativeInfinity;
                    foreach (double score in scores)
                    {
                        max = Math.Max(max, score);
                    }

                    double sum = 0;
                    foreach (double score in scores)
                    {
                        sum += Math.Exp(score - max);
                    }

                    logSumExp[(((b * heads) + h) * steps) + i] = max + Math.Log(sum);
                    for (int j = 0; j < seen; j++)
                    {
                        double p = Math.Exp(scores[j] - max) / sum;
                        for (int c = 0; c < d; c++)
                        {
                            output[(((b * steps) + i) * width) + (h * d) + c] += p * qkv[(((b * steps) + j) * 3 * width) + (2 * width) + (h * d) + c];
                        }
                    }
                }
            }
        }

        return output;
    }

    private static float[] Random(int length, ulong seed, double scale)
    {
        var random = new Xoshiro256(seed);
        float[] values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)(scale * ((2 * random.NextDouble()) - 1));
        }

        return values;
    }
}
