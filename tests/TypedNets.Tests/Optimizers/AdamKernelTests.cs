using System;
using System.Numerics.Tensors;
using TypedNets.Optimizers;

namespace TypedNets.Tests.Optimizers;

/// <summary>
/// Adam's single-pass update against the same formulas written as one TensorPrimitives call per operation (Adam's
/// earlier implementation), bit for bit: the fused pass must round exactly as the separate passes did, so that
/// PyTorch parity carries over. 2,077 parameters cover two whole chunks, whole vectors and a scalar tail.
/// </summary>
public sealed class AdamKernelTests
{
    private const int Length = 2077;
    private const double LearningRate = 0.003;
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double Epsilon = 1e-8;

    [Theory]
    [InlineData(false, 0.0, false)]
    [InlineData(true, 0.0, false)]
    [InlineData(false, 0.01, false)]
    [InlineData(false, 0.01, true)]
    [InlineData(true, 0.05, true)]
    public void Float_steps_match_separate_passes_bit_for_bit(bool amsgrad, double weightDecay, bool decoupled)
    {
        var random = new Xoshiro256(11);
        float[] parameters = new float[Length];
        for (int i = 0; i < Length; i++)
        {
            parameters[i] = (float)random.NextDouble(-1, 1);
        }

        float[] expected = (float[])parameters.Clone();
        float[] m = new float[Length], v = new float[Length], vMax = new float[Length];
        Adam<float> adam = decoupled
            ? new AdamW<float>(LearningRate, Beta1, Beta2, Epsilon, weightDecay, amsgrad)
            : new Adam<float>(LearningRate, Beta1, Beta2, Epsilon, weightDecay, amsgrad);
        float[] gradient = new float[Length];
        for (int step = 1; step <= 6; step++)
        {
            for (int i = 0; i < Length; i++)
            {
                // Some gradients zero, as an embedding's untouched rows are, and a wide range of magnitudes.
                gradient[i] = i % 7 == 0 ? 0f : (float)(random.NextDouble(-1, 1) * Math.Pow(10, random.NextInt(6) - 3));
            }

            adam.Step(parameters, gradient);
            SeparatePasses(expected, gradient, m, v, amsgrad ? vMax : null, step, weightDecay, decoupled);
            for (int i = 0; i < Length; i++)
            {
                Assert.True(
                    BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(parameters[i]),
                    $"step {step}, parameter {i}: {parameters[i]:R}, separate passes {expected[i]:R}");
            }
        }
    }

    /// <summary>Adam as it was written before the fused pass: one TensorPrimitives call per operation.</summary>
    private static void SeparatePasses(float[] p, float[] gradient, float[] m, float[] v, float[]? vMax, int step, double weightDecay, bool decoupled)
    {
        float[] g = (float[])gradient.Clone();
        float[] scratch = new float[p.Length];
        if (decoupled)
        {
            TensorPrimitives.Multiply(p, (float)(1 - (LearningRate * weightDecay)), p);
        }
        else if (weightDecay != 0)
        {
            TensorPrimitives.MultiplyAdd(p, (float)weightDecay, gradient, g);
        }

        TensorPrimitives.Multiply(m, (float)Beta1, m);
        TensorPrimitives.MultiplyAdd(g, (float)(1 - Beta1), m, m);
        TensorPrimitives.Multiply(v, (float)Beta2, v);
        TensorPrimitives.Multiply(g, (float)(1 - Beta2), scratch);
        TensorPrimitives.MultiplyAdd(scratch, g, v, v);
        float[] denominatorMoment = v;
        if (vMax is not null)
        {
            TensorPrimitives.Max(vMax, v, vMax);
            denominatorMoment = vMax;
        }

        TensorPrimitives.Sqrt(denominatorMoment, scratch);
        TensorPrimitives.Divide(scratch, (float)Math.Sqrt(1 - Math.Pow(Beta2, step)), scratch);
        TensorPrimitives.Add(scratch, (float)Epsilon, scratch);
        TensorPrimitives.Divide(m, scratch, scratch);
        TensorPrimitives.MultiplyAdd(scratch, (float)-(LearningRate / (1 - Math.Pow(Beta1, step))), p, p);
    }
}
