using System;
using System.Numerics.Tensors;
using TypedNets.Optimizers;

namespace TypedNets.Tests.Optimizers;

/// <summary>
/// The optimizers flush their running averages to zero where they would be subnormal, and change nothing else: the
/// steps are compared bit for bit with the separate TensorPrimitives passes they replace, and the flush is seen
/// through the parameters (reset to 0 before each step, so that a step writes <c>-stepSize m / denom</c> into them).
/// </summary>
public sealed class SubnormalFlushTests
{
    private const float MinNormal = 1.17549435e-38f;

    // 2,500 elements: two whole chunks of 1,024 and a part one whose length is not a multiple of any vector width.
    private const int Length = 2500;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Adam_on_normal_values_matches_the_unflushed_passes_bit_for_bit(bool amsgrad)
    {
        var random = new Random(7);
        float[] parameters = Values(random, Length, 1f), expected = (float[])parameters.Clone();
        var adam = new Adam(0.01, amsgrad: amsgrad);
        var reference = new ReferenceAdam(Length, 0.01, amsgrad, flush: false);
        for (int step = 1; step <= 10; step++)
        {
            // Gradients from 1e-4 to 1: moments stay well inside the normal range.
            float[] gradient = Values(random, Length, 1f);
            for (int i = 0; i < gradient.Length; i += 3)
            {
                gradient[i] *= 1e-4f;
            }

            adam.Step(parameters, gradient);
            reference.Step(expected, gradient, step);
            AssertBitwiseEqual(expected, parameters, $"step {step}");
        }
    }

    [Fact]
    public void Double_adam_on_normal_values_matches_the_unflushed_passes_bit_for_bit()
    {
        var random = new Random(8);
        double[] parameters = new double[Length], expected = new double[Length];
        double[] m = new double[Length], v = new double[Length], scratch = new double[Length];
        var adam = new Adam<double>(0.01);
        for (int step = 1; step <= 5; step++)
        {
            double[] gradient = Array.ConvertAll(Values(random, Length, 1f), value => (double)value);
            adam.Step(parameters, gradient);

            TensorPrimitives.Multiply(m, 0.9, m);
            TensorPrimitives.MultiplyAdd(gradient, 1 - 0.9, m, m);
            TensorPrimitives.Multiply(v, 0.999, v);
            TensorPrimitives.Multiply(gradient, 1 - 0.999, scratch);
            TensorPrimitives.MultiplyAdd(scratch, gradient, v, v);
            TensorPrimitives.Sqrt(v, scratch);
            TensorPrimitives.Divide(scratch, Math.Sqrt(1 - Math.Pow(0.999, step)), scratch);
            TensorPrimitives.Add(scratch, 1e-8, scratch);
            TensorPrimitives.Divide(m, scratch, scratch);
            TensorPrimitives.MultiplyAdd(scratch, -(0.01 / (1 - Math.Pow(0.9, step))), expected, expected);
            for (int i = 0; i < Length; i++)
            {
                Assert.True(
                    BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(parameters[i]),
                    $"Step {step}, parameter {i}: expected {expected[i]:R}, got {parameters[i]:R}.");
            }
        }
    }

    [Fact]
    public void Adam_flushes_a_first_moment_that_decays_below_the_normal_range()
    {
        // One gradient of 1e-30 and then none: m = 1e-31 0.9^t reaches the subnormals after about 150 steps, and v,
        // 1e-63, is 0 in float from the start, so each step writes -stepSize m / eps into the zeroed parameters.
        float[] parameters = new float[Length], gradient = new float[Length], expected = new float[Length];
        var adam = new Adam(0.001);
        var reference = new ReferenceAdam(Length, 0.001, amsgrad: false, flush: true);
        int lastNonzeroStep = 0;
        for (int step = 1; step <= 200; step++)
        {
            Array.Fill(gradient, step == 1 ? 1e-30f : 0f);
            Array.Clear(parameters);
            Array.Clear(expected);
            adam.Step(parameters, gradient);
            reference.Step(expected, gradient, step);
            AssertBitwiseEqual(expected, parameters, $"step {step}");
            lastNonzeroStep = parameters[0] != 0 ? step : lastNonzeroStep;
        }

        // m = 1e-31 0.9^152 is the first subnormal one. Unflushed, m would still be about 8e-41 at step 200 and move
        // the parameters by about 8e-36.
        Assert.Equal(152, lastNonzeroStep);
    }

    [Fact]
    public void Double_adam_flushes_below_the_double_normal_range()
    {
        // m = 0.1 x 1e-307 = 1e-308 is below double's smallest normal, 2.2250738585072014e-308; v underflows to 0.
        // Flushed, m is 0 and so is the step; unflushed, the parameters would move by 1e-308 / 1e-8 x 0.01 = 1e-302.
        double[] parameters = new double[Length], gradient = new double[Length];
        Array.Fill(gradient, 1e-307);
        new Adam<double>(0.001).Step(parameters, gradient);
        Assert.All(parameters, p => Assert.Equal(0.0, p));

        // 1e-306 gives m = 1e-307, a normal double: the step is made.
        Array.Fill(gradient, 1e-306);
        new Adam<double>(0.001).Step(parameters, gradient);
        Assert.All(parameters, p => Assert.True(p < 0, $"Expected a step below 0, got {p:R}."));
    }

    [Fact]
    public void Adam_flushes_a_subnormal_second_moment()
    {
        // g = 3e-18: v = (0.001 g) g = 9e-39 is subnormal, m = 3e-19 is not. With epsilon 1e-30 the flushed v leaves
        // denom = 1e-30, where the unflushed one would be sqrt(9e-39) / sqrt(0.001) = 3e-18.
        float[] parameters = new float[Length], gradient = new float[Length];
        Array.Fill(gradient, 3e-18f);
        var adam = new Adam(0.001, epsilon: 1e-30);
        adam.Step(parameters, gradient);

        float m = 3e-18f * (float)(1 - 0.9);
        float expected = m / 1e-30f * -(float)(0.001 / (1 - 0.9));
        Assert.All(parameters, p => Assert.Equal(expected, p));
    }

    [Fact]
    public void Sgd_momentum_buffer_is_flushed_below_the_normal_range()
    {
        // A buffer of 1e-37 decays by 0.5 a step and is subnormal from the fifth step on (1.25e-38 0.5 < MinNormal).
        float[] parameters = new float[Length], gradient = new float[Length];
        var sgd = new Sgd(1, momentum: 0.5);
        float buffer = 1e-37f;
        for (int step = 1; step <= 8; step++)
        {
            Array.Fill(gradient, step == 1 ? 1e-37f : 0f);
            Array.Clear(parameters);
            sgd.Step(parameters, gradient);
            buffer = step == 1 ? buffer : buffer * 0.5f;
            float expected = MathF.Abs(buffer) < MinNormal ? 0f : -buffer;
            Assert.All(parameters, p => Assert.True(p == expected, $"Step {step}: expected {expected:R}, got {p:R}."));
        }
    }

    [Fact]
    public void Centered_RmsProp_flushes_its_averages_without_a_NaN()
    {
        // One gradient of 1e-20, then none. The square average, 0.5 (1e-20)^2, is subnormal from the start and the
        // gradient average's square too: both flush to 0, where flushing only the first would leave sqrt(0 - 2.5e-41),
        // NaN. The momentum buffer, 1e10 at step 1, halves every step and is subnormal from step 161 on (1e10 0.5^160): unflushed it
        // would still move the parameters at step 170.
        float[] parameters = new float[Length], gradient = new float[Length];
        var rmsProp = new RmsProp(0.01, alpha: 0.5, epsilon: 1e-30, momentum: 0.5, centered: true);
        for (int step = 1; step <= 170; step++)
        {
            Array.Fill(gradient, step == 1 ? 1e-20f : 0f);
            Array.Clear(parameters);
            rmsProp.Step(parameters, gradient);
            Assert.All(parameters, p => Assert.False(float.IsNaN(p), $"Step {step} gave NaN."));
            if (step == 1)
            {
                // Both averages 0, so the denominator is epsilon; unflushed it would be sqrt(5e-41 - 2.5e-41).
                float expected = 1e-20f / 1e-30f * (float)-0.01;
                Assert.All(parameters, p => Assert.True(p == expected, $"Step 1: expected {expected:R}, got {p:R}."));
            }

            if (step >= 161)
            {
                Assert.All(parameters, p => Assert.True(p == 0, $"Step {step}: expected 0, got {p:R}."));
            }
        }
    }

    private static float[] Values(Random random, int count, float scale)
    {
        float[] values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = scale * ((2 * random.NextSingle()) - 1);
        }

        return values;
    }

    private static void AssertBitwiseEqual(float[] expected, float[] actual, string where)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(
                BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{where}, parameter {i}: expected {expected[i]:R}, got {actual[i]:R}.");
        }
    }

    /// <summary>
    /// PyTorch's Adam in element-by-element float arithmetic, each product rounded before a sum as TensorPrimitives
    /// does, with the moments optionally flushed as the optimizer does.
    /// </summary>
    private sealed class ReferenceAdam(int length, double learningRate, bool amsgrad, bool flush)
    {
        private readonly float[] _firstMoment = new float[length];
        private readonly float[] _secondMoment = new float[length];
        private readonly float[] _maxSecondMoment = new float[length];

        public void Step(float[] parameters, float[] gradient, int step)
        {
            float beta1 = 0.9f, beta2 = 0.999f, oneMinusBeta1 = (float)(1 - 0.9), oneMinusBeta2 = (float)(1 - 0.999);
            float negativeStepSize = (float)-(learningRate / (1 - Math.Pow(0.9, step)));
            float correction = (float)Math.Sqrt(1 - Math.Pow(0.999, step));
            for (int i = 0; i < parameters.Length; i++)
            {
                float m = (gradient[i] * oneMinusBeta1) + (_firstMoment[i] * beta1);
                float v = (gradient[i] * oneMinusBeta2 * gradient[i]) + (_secondMoment[i] * beta2);
                _firstMoment[i] = m = flush ? Flush(m) : m;
                _secondMoment[i] = v = flush ? Flush(v) : v;
                if (amsgrad)
                {
                    _maxSecondMoment[i] = v = MathF.Max(_maxSecondMoment[i], v);
                }

                float denominator = (MathF.Sqrt(v) / correction) + 1e-8f;
                parameters[i] = (m / denominator * negativeStepSize) + parameters[i];
            }
        }

        private static float Flush(float value) => MathF.Abs(value) < MinNormal ? MathF.CopySign(0f, value) : value;
    }
}
