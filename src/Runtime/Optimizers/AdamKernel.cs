using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TypedNets.Kernels;

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
    /// flushed to zero where they would be subnormal (<see cref="Moments"/>): a weight whose gradient stops would
    /// otherwise carry a subnormal first moment for about 150 steps. <c>vMax</c> holds values of <c>v</c>, so it is too.
    /// </summary>
    /// <remarks>
    /// One pass with every intermediate in registers. It rounds exactly as the sequence of TensorPrimitives calls it
    /// replaced (separate multiplies and adds in the same order, no fused multiply-add), which read and wrote each
    /// buffer five to ten times; the optimizer's tests compare the two bit for bit.
    /// </remarks>
    internal static void Update<T>(
        Span<T> parameters,
        ReadOnlySpan<T> gradients,
        Span<T> firstMoment,
        Span<T> secondMoment,
        Span<T> maxSecondMoment,
        in Coefficients<T> c)
        where T : IFloatingPointIeee754<T>
    {
        int length = parameters.Length;
        gradients = gradients.Slice(0, length);
        firstMoment = firstMoment.Slice(0, length);
        secondMoment = secondMoment.Slice(0, length);
        bool amsgrad = !maxSecondMoment.IsEmpty;
        if (amsgrad)
        {
            maxSecondMoment = maxSecondMoment.Slice(0, length);
        }

        T minNormal = Moments.MinNormal<T>();
        int i = 0;
        if (typeof(T) == typeof(float))
        {
            i = UpdateVectorized(
                FloatSpans.AsFloat(parameters), FloatSpans.AsFloat(gradients), FloatSpans.AsFloat(firstMoment),
                FloatSpans.AsFloat(secondMoment), FloatSpans.AsFloat(maxSecondMoment), Unsafe.As<Coefficients<T>, Coefficients<float>>(ref Unsafe.AsRef(in c)));
        }

        for (; i < length; i++)
        {
            T g = gradients[i];
            T m = Moments.Flush((firstMoment[i] * c.Beta1) + (g * c.OneMinusBeta1), minNormal);
            T v = Moments.Flush((secondMoment[i] * c.Beta2) + ((g * c.OneMinusBeta2) * g), minNormal);
            firstMoment[i] = m;
            secondMoment[i] = v;
            if (amsgrad)
            {
                v = maxSecondMoment[i] = T.Max(maxSecondMoment[i], v);
            }

            parameters[i] += (m / ((T.Sqrt(v) / c.BiasCorrection2Sqrt) + c.Epsilon)) * c.NegativeStepSize;
        }
    }

    /// <summary>Whether every element is zero (of either sign); a NaN is not.</summary>
    /// <remarks>
    /// For the lazy rows of <see cref="Adam{T}.UpdateRowsLazily(int, int, int)"/>, which ask this of every row of an
    /// embedding table each step: a TensorPrimitives reduction per 128-element row cost about as much as dense Adam
    /// saved. Float ORs the bits below the sign across the row and tests once.
    /// </remarks>
    internal static bool IsZero<T>(ReadOnlySpan<T> values)
        where T : IFloatingPointIeee754<T>
    {
        int i = 0;
        if (typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated)
        {
            ReadOnlySpan<uint> bits = MemoryMarshal.Cast<float, uint>(FloatSpans.AsFloat(values));
            ref uint first = ref MemoryMarshal.GetReference(bits);
            Vector512<uint> any = Vector512<uint>.Zero;
            for (; i <= values.Length - Vector512<uint>.Count; i += Vector512<uint>.Count)
            {
                any |= Vector512.LoadUnsafe(ref first, (nuint)i);
            }

            if ((any & Vector512.Create(0x7FFF_FFFFu)) != Vector512<uint>.Zero)
            {
                return false;
            }
        }

        for (; i < values.Length; i++)
        {
            if (values[i] != T.Zero)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The update over whole vectors; returns how many elements it did.</summary>
    private static int UpdateVectorized(
        Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> firstMoment, Span<float> secondMoment, Span<float> maxSecondMoment,
        in Coefficients<float> c)
    {
        // Update sliced every span to the parameters' length, so the unchecked loads below stay inside them.
        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float gRef = ref MemoryMarshal.GetReference(gradients);
        ref float mRef = ref MemoryMarshal.GetReference(firstMoment);
        ref float vRef = ref MemoryMarshal.GetReference(secondMoment);
        ref float vMaxRef = ref MemoryMarshal.GetReference(maxSecondMoment);
        bool amsgrad = !maxSecondMoment.IsEmpty;
        int length = parameters.Length;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> beta1 = Vector512.Create(c.Beta1), oneMinusBeta1 = Vector512.Create(c.OneMinusBeta1);
            Vector512<float> beta2 = Vector512.Create(c.Beta2), oneMinusBeta2 = Vector512.Create(c.OneMinusBeta2);
            Vector512<float> correction = Vector512.Create(c.BiasCorrection2Sqrt), epsilon = Vector512.Create(c.Epsilon);
            Vector512<float> negativeStepSize = Vector512.Create(c.NegativeStepSize);
            Vector512<float> limit = Vector512.Create(Moments.MinNormal<float>()), sign = Vector512.Create(-0f);
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                nuint n = (nuint)i;
                Vector512<float> g = Vector512.LoadUnsafe(ref gRef, n);
                Vector512<float> m = Moments.Flush((Vector512.LoadUnsafe(ref mRef, n) * beta1) + (g * oneMinusBeta1), limit, sign);
                Vector512<float> v = Moments.Flush((Vector512.LoadUnsafe(ref vRef, n) * beta2) + ((g * oneMinusBeta2) * g), limit, sign);
                m.StoreUnsafe(ref mRef, n);
                v.StoreUnsafe(ref vRef, n);
                if (amsgrad)
                {
                    v = Vector512.Max(Vector512.LoadUnsafe(ref vMaxRef, n), v);
                    v.StoreUnsafe(ref vMaxRef, n);
                }

                Vector512<float> step = (m / ((Vector512.Sqrt(v) / correction) + epsilon)) * negativeStepSize;
                (step + Vector512.LoadUnsafe(ref p, n)).StoreUnsafe(ref p, n);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> beta1 = Vector256.Create(c.Beta1), oneMinusBeta1 = Vector256.Create(c.OneMinusBeta1);
            Vector256<float> beta2 = Vector256.Create(c.Beta2), oneMinusBeta2 = Vector256.Create(c.OneMinusBeta2);
            Vector256<float> correction = Vector256.Create(c.BiasCorrection2Sqrt), epsilon = Vector256.Create(c.Epsilon);
            Vector256<float> negativeStepSize = Vector256.Create(c.NegativeStepSize);
            Vector256<float> limit = Vector256.Create(Moments.MinNormal<float>()), sign = Vector256.Create(-0f);
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                nuint n = (nuint)i;
                Vector256<float> g = Vector256.LoadUnsafe(ref gRef, n);
                Vector256<float> m = Moments.Flush((Vector256.LoadUnsafe(ref mRef, n) * beta1) + (g * oneMinusBeta1), limit, sign);
                Vector256<float> v = Moments.Flush((Vector256.LoadUnsafe(ref vRef, n) * beta2) + ((g * oneMinusBeta2) * g), limit, sign);
                m.StoreUnsafe(ref mRef, n);
                v.StoreUnsafe(ref vRef, n);
                if (amsgrad)
                {
                    v = Vector256.Max(Vector256.LoadUnsafe(ref vMaxRef, n), v);
                    v.StoreUnsafe(ref vMaxRef, n);
                }

                Vector256<float> step = (m / ((Vector256.Sqrt(v) / correction) + epsilon)) * negativeStepSize;
                (step + Vector256.LoadUnsafe(ref p, n)).StoreUnsafe(ref p, n);
            }
        }

        return i;
    }
}
