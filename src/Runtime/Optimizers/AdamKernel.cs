using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Optimizers;

/// <summary>The moment updates and parameter step shared by <see cref="Adam{T}"/> and <see cref="AdamW{T}"/>.</summary>
internal static class AdamKernel
{
    /// <summary>The per-step scalars, converted to <typeparamref name="T"/> once per step.</summary>
    internal readonly struct Coefficients<T>(double beta1, double beta2, double epsilon, double learningRate, int step)
        where T : IFloatingPointIeee754<T>
    {
        internal readonly T Beta1 = T.CreateTruncating(beta1);
        internal readonly T OneMinusBeta1 = T.CreateTruncating(1 - beta1);
        internal readonly T Beta2 = T.CreateTruncating(beta2);
        internal readonly T OneMinusBeta2 = T.CreateTruncating(1 - beta2);
        internal readonly T Epsilon = T.CreateTruncating(epsilon);

        // In double, as PyTorch computes them in Python floats: step_size = lr / (1 - b1^t), sqrt(1 - b2^t).
        internal readonly T NegativeStepSize = T.CreateTruncating(-(learningRate / (1 - Math.Pow(beta1, step))));
        internal readonly T BiasCorrection2Sqrt = T.CreateTruncating(Math.Sqrt(1 - Math.Pow(beta2, step)));
    }

    /// <summary>
    /// One chunk: <c>m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; vMax = max(vMax, v)</c> (when <paramref name="maxSecondMoment"/>
    /// is not empty); <c>p = p - stepSize * m / (sqrt(v or vMax) / sqrt(1 - b2^t) + eps)</c>. <c>m</c> and <c>v</c> are
    /// flushed to zero where they would be subnormal (<see cref="Moments"/>); <c>vMax</c> holds values of <c>v</c>, so it
    /// is too. <paramref name="scratch"/> must not overlap the other spans.
    /// </summary>
    internal static void Update<T>(
        Span<T> parameters,
        ReadOnlySpan<T> gradients,
        Span<T> firstMoment,
        Span<T> secondMoment,
        Span<T> maxSecondMoment,
        Span<T> scratch,
        in Coefficients<T> c)
        where T : IFloatingPointIeee754<T>
    {
        // Flushed to zero where they fall below the normal range (see Moments): a weight whose gradient stops would
        // otherwise carry a subnormal first moment for about 150 steps.
        Moments.Decay(firstMoment, c.Beta1, gradients, c.OneMinusBeta1);
        Moments.DecaySquares(secondMoment, c.Beta2, gradients, c.OneMinusBeta2);

        ReadOnlySpan<T> denominatorMoment = secondMoment;
        if (!maxSecondMoment.IsEmpty)
        {
            TensorPrimitives.Max(maxSecondMoment, secondMoment, maxSecondMoment);
            denominatorMoment = maxSecondMoment;
        }

        TensorPrimitives.Sqrt(denominatorMoment, scratch);
        TensorPrimitives.Divide(scratch, c.BiasCorrection2Sqrt, scratch);
        TensorPrimitives.Add(scratch, c.Epsilon, scratch);
        TensorPrimitives.Divide(firstMoment, scratch, scratch);
        TensorPrimitives.MultiplyAdd(scratch, c.NegativeStepSize, parameters, parameters);
    }
}
