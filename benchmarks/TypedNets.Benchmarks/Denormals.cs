using System;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TypedNets.Kernels;
using TypedNets.Optimizers;
using TypedNets.Training;

namespace TypedNets.Benchmarks;

/// <summary>
/// What subnormal floats cost (<c>--denormals</c>): the same operation timed on ordinary values and on values that are
/// subnormal (nonzero and below 1.17549435e-38 in magnitude, the smallest normal float: the range that flush-to-zero turns into 0), first for
/// single instructions, then for the kernels at the shapes of the MLP 784-256-128-10, then for its training step.
/// </summary>
/// <remarks>
/// .NET has no switch for the processor's flush-to-zero and denormals-are-zero modes, so the library flushes in code
/// where subnormals arise (Adam's moments, see <c>AdamKernel</c>); the uncured path stays measurable here by feeding the
/// kernels subnormals directly and by <see cref="PlainAdamUpdate"/>, the moment update without the flush.
/// Normal and subnormal runs alternate round by round and each keeps its fastest round, so a burst of other work on a
/// shared machine rarely favours one side.
/// </remarks>
internal static class Denormals
{
    /// <summary>A subnormal scale: values are ±[0.5, 1.5) of it, all subnormal.</summary>
    private const float SubnormalScale = 4e-39f;

    private const int Batch = 64;

    public static void Run(bool full)
    {
        var timer = new PairTimer(rounds: full ? 15 : 7, roundSeconds: full ? 0.05 : 0.02);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Subnormal operands against normal ones, {Environment.ProcessorCount} cores; best of {timer.Rounds} alternating rounds each:"));
        Console.WriteLine();
        Instructions(timer);
        Kernels(timer);
        Training(timer);
    }

    /// <summary>
    /// Vector512 instructions over 4,096 floats (L1-resident), per element: where the processor itself is slow. One
    /// input subnormal (the others normal), and normal inputs whose results are subnormal.
    /// </summary>
    private static void Instructions(PairTimer timer)
    {
        const int count = 4096;
        float[] normalA = Constant(count, 0.5f), normalB = Constant(count, 0.75f), normalC = Constant(count, 0.25f);
        float[] subnormalA = Constant(count, 1e-39f), tinyA = Constant(count, 1e-20f), tinyB = Constant(count, 3e-20f);
        float[] zero = new float[count], result = new float[count];
        Console.WriteLine("Instructions, Vector512 over 4,096 floats in L1 (ns per element):");
        Console.WriteLine($"  {"",-34} {"normal",10} {"subnormal",10} {"ratio",7}");
        Row("a * b, a subnormal", count, timer.Compare(() => Multiply(normalA, normalB, result), () => Multiply(subnormalA, normalB, result)));
        Row("a * b + c (fused), a subnormal", count, timer.Compare(() => MultiplyAdd(normalA, normalB, normalC, result), () => MultiplyAdd(subnormalA, normalB, normalC, result)));
        Row("a + b, a subnormal", count, timer.Compare(() => Add(normalA, normalB, result), () => Add(subnormalA, normalB, result)));
        Row("a / b, a subnormal", count, timer.Compare(() => Divide(normalA, normalB, result), () => Divide(subnormalA, normalB, result)));
        Row("sqrt(a), a subnormal", count, timer.Compare(() => SquareRoot(normalA, result), () => SquareRoot(subnormalA, result)));
        Row("a * b, result subnormal", count, timer.Compare(() => Multiply(normalA, normalB, result), () => Multiply(tinyA, tinyB, result)));
        Row("a * b + 0 (fused), result subnormal", count, timer.Compare(() => MultiplyAdd(normalA, normalB, zero, result), () => MultiplyAdd(tinyA, tinyB, zero, result)));
        Console.WriteLine();
    }

    /// <summary>The library's kernels at the MLP's shapes, with one operand either ordinary or entirely subnormal.</summary>
    private static void Kernels(PairTimer timer)
    {
        Console.WriteLine("Kernels at the shapes of MLP 784-256-128-10, batch 64 (time per call):");
        Console.WriteLine($"  {"",-62} {"normal",10} {"subnormal",10} {"ratio",7}");
        float[] x = Data.Uniform(Batch * 784, 1, -1, 1), z = new float[Batch * 256];
        float[] weight = Data.Uniform(256 * 784, 2, -0.05f, 0.05f), subnormalWeight = Subnormal(256 * 784, 2);
        Row("GEMM forward x W^T, 64x256x784, W subnormal", timer.Compare(
            () => Gemm.MultiplyTransposedB<float>(x, weight, z, Batch, 256, 784, accumulate: false),
            () => Gemm.MultiplyTransposedB<float>(x, subnormalWeight, z, Batch, 256, 784, accumulate: false)));

        float[] dz = Data.Uniform(Batch * 256, 3, -0.01f, 0.01f), subnormalDz = Subnormal(Batch * 256, 3), dW = new float[256 * 784];
        Row("GEMM weight gradient dz^T x, 256x784 over 64, dz subnormal", timer.Compare(
            () => Gemm.MultiplyTransposedA<float>(dz, x, dW, 256, 784, Batch, accumulate: true),
            () => Gemm.MultiplyTransposedA<float>(subnormalDz, x, dW, 256, 784, Batch, accumulate: true)));

        float[] dz2 = Data.Uniform(Batch * 128, 4, -0.01f, 0.01f), subnormalDz2 = Subnormal(Batch * 128, 4);
        float[] weight2 = Data.Uniform(128 * 256, 5, -0.05f, 0.05f), dx = new float[Batch * 256];
        Row("GEMM input gradient dz W, 64x256x128, dz subnormal", timer.Compare(
            () => Gemm.Multiply<float>(dz2, weight2, dx, Batch, 256, 128, accumulate: false),
            () => Gemm.Multiply<float>(subnormalDz2, weight2, dx, Batch, 256, 128, accumulate: false)));

        // The activations work in place, so every call first copies its input (both sides alike).
        int length = Batch * 256;
        float[] activation = Data.Uniform(length, 6, -1, 1), subnormalActivation = Subnormal(length, 6), work = new float[length];
        float[] output = Data.Uniform(length, 7, 0, 1);
        (string Name, Action<float[]> Run)[] forward =
        [
            ("ReLU", values => Activations.ReLU<float>(values)),
            ("Sigmoid", values => Activations.Sigmoid<float>(values)),
            ("Tanh", values => Activations.Tanh<float>(values)),
        ];
        foreach ((string name, Action<float[]> run) in forward)
        {
            Row($"{name}, 64x256, input subnormal", timer.Compare(
                () => { activation.CopyTo(work, 0); run(work); },
                () => { subnormalActivation.CopyTo(work, 0); run(work); }));
        }

        (string Name, Action<float[], float[]> Run)[] backward =
        [
            ("ReLU backward", (y, dy) => Activations.ReLUBackward<float>(y, dy)),
            ("Sigmoid backward", (y, dy) => Activations.SigmoidBackward<float>(y, dy)),
            ("Tanh backward", (y, dy) => Activations.TanhBackward<float>(y, dy)),
        ];
        foreach ((string name, Action<float[], float[]> run) in backward)
        {
            Row($"{name}, 64x256, dy subnormal", timer.Compare(
                () => { activation.CopyTo(work, 0); run(output, work); },
                () => { subnormalActivation.CopyTo(work, 0); run(output, work); }));
        }

        Adam(timer);
        Console.WriteLine();
    }

    /// <summary>
    /// Adam on the MLP's 235,146 parameters with zero gradients, the case of a weight whose input stays 0 (a blank
    /// pixel, a dead ReLU unit): its first moment decays by beta1 every step and spends about 150 steps subnormal
    /// before it reaches 0. One step with gradients of 1e-37 (1e-3 for the normal side) sets the moments to 1e-38
    /// (1e-4); the 100 steps after it are timed with it.
    /// </summary>
    private static void Adam(PairTimer timer)
    {
        int length = 235_146;
        const int steps = 100;
        float[] parameters = Data.Uniform(length, 8, -0.05f, 0.05f), zero = new float[length];
        float[] normalGradient = Constant(length, 1e-3f), tinyGradient = Constant(length, 1e-37f);
        var adam = new Adam(0.001);
        void Run(float[] first)
        {
            adam.Reset();
            adam.Step(parameters, first);
            for (int step = 0; step < steps; step++)
            {
                adam.Step(parameters, zero);
            }
        }

        Row("Adam, 235,146 parameters, moments set subnormal", timer.Compare(() => Run(normalGradient), () => Run(tinyGradient)), steps);

        // The same update without the flush, for comparison only.
        float[] normalMoment = Data.Uniform(length, 9, 1e-5f, 1e-4f), subnormalMoment = Subnormal(length, 9);
        float[] initialSecondMoment = Data.Uniform(length, 10, 1e-9f, 1e-8f);
        float[] firstMoment = new float[length], secondMoment = new float[length], scratch = new float[1024];
        void RunPlain(float[] moment)
        {
            moment.CopyTo(firstMoment, 0);
            initialSecondMoment.CopyTo(secondMoment, 0);
            for (int step = 0; step < steps; step++)
            {
                PlainAdamUpdate(parameters, zero, firstMoment, secondMoment, scratch);
            }
        }

        Row($"  the same update unflushed (TensorPrimitives only)", timer.Compare(() => RunPlain(normalMoment), () => RunPlain(subnormalMoment)), steps);
    }

    /// <summary>
    /// Training steps of the MLP 784-256-128-10 on a batch whose left half of every image is blank (Fashion-MNIST's
    /// images have blank borders), right after Adam's moments were set by one step with gradients of 1e-37 (subnormal
    /// side) or 1e-3: the weights of the blank pixels get zero gradients and keep their decaying moments.
    /// </summary>
    private static void Training(PairTimer timer)
    {
        const int steps = 100;
        Console.WriteLine($"Training MLP 784-256-128-10, batch 64, half of each image blank ({steps} steps after Adam's moments were set):");
        Console.WriteLine($"  {"",-62} {"normal",10} {"subnormal",10} {"ratio",7}");
        var network = new MnistMlp(maxBatch: Batch, seed: 3);
        float[] features = Data.Uniform(Batch * 784, 4);
        for (int row = 0; row < Batch; row++)
        {
            Array.Clear(features, row * 784, 392);
        }

        float[] labels = Data.Labels(Batch, 10, 5);
        float[] initial = network.Parameters.ToArray();
        float[] normalGradient = Constant(initial.Length, 1e-3f), tinyGradient = Constant(initial.Length, 1e-37f);
        var adam = new Adam(0.001);
        void Run(float[] first)
        {
            initial.CopyTo(network.Parameters);
            adam.Reset();
            adam.Step(network.Parameters, first);
            for (int step = 0; step < steps; step++)
            {
                Trainer.Step(network, adam, features, labels, LossFunction.CrossEntropy);
            }
        }

        Row("training step, moments subnormal where pixels are blank", timer.Compare(() => Run(normalGradient), () => Run(tinyGradient)), steps);
        Console.WriteLine();
    }

    /// <summary>
    /// Adam's moment update and step as a chain of <see cref="TensorPrimitives"/> calls without flushing (beta1 0.9,
    /// beta2 0.999, the bias corrections of step 10), over chunks of 1,024 that stay in L1 between the passes as the
    /// optimizer's do: what Adam did before it flushed its moments.
    /// </summary>
    private static void PlainAdamUpdate(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> firstMoment, Span<float> secondMoment, Span<float> scratch)
    {
        const int chunk = 1024;
        for (int start = 0; start < parameters.Length; start += chunk)
        {
            int length = Math.Min(chunk, parameters.Length - start);
            Span<float> p = parameters.Slice(start, length), m = firstMoment.Slice(start, length), v = secondMoment.Slice(start, length);
            ReadOnlySpan<float> g = gradients.Slice(start, length);
            Span<float> s = scratch[..length];
            TensorPrimitives.Multiply(m, 0.9f, m);
            TensorPrimitives.MultiplyAdd(g, 0.1f, m, m);
            TensorPrimitives.Multiply(v, 0.999f, v);
            TensorPrimitives.Multiply(g, 0.001f, s);
            TensorPrimitives.MultiplyAdd(s, g, v, v);
            TensorPrimitives.Sqrt(v, s);
            TensorPrimitives.Divide(s, 0.0998f, s);
            TensorPrimitives.Add(s, 1e-8f, s);
            TensorPrimitives.Divide(m, s, s);
            TensorPrimitives.MultiplyAdd(s, -0.0015f, p, p);
        }
    }

    private static void Row(string name, int elements, (double Normal, double Subnormal) times)
        => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {name,-34} {times.Normal / elements * 1e9,10:F3} {times.Subnormal / elements * 1e9,10:F3} {times.Subnormal / times.Normal,6:F2}x"));

    private static void Row(string name, (double Normal, double Subnormal) times, int calls = 1)
        => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {name,-62} {Report.Time(times.Normal / calls),10} {Report.Time(times.Subnormal / calls),10} {times.Subnormal / times.Normal,6:F2}x"));

    private static float[] Constant(int count, float value)
    {
        float[] values = new float[count];
        Array.Fill(values, value);
        return values;
    }

    /// <summary>Values of either sign in [0.5, 1.5) x <see cref="SubnormalScale"/>: every one subnormal.</summary>
    private static float[] Subnormal(int count, int seed)
    {
        float[] values = Data.Uniform(count, seed, 0.5f, 1.5f);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] *= (i % 2 == 0 ? 1 : -1) * SubnormalScale;
        }

        return values;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Multiply(float[] a, float[] b, float[] result)
    {
        for (int i = 0; i + 16 <= a.Length; i += 16)
        {
            (Vector512.LoadUnsafe(ref a[i]) * Vector512.LoadUnsafe(ref b[i])).StoreUnsafe(ref result[i]);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MultiplyAdd(float[] a, float[] b, float[] c, float[] result)
    {
        for (int i = 0; i + 16 <= a.Length; i += 16)
        {
            Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref a[i]), Vector512.LoadUnsafe(ref b[i]), Vector512.LoadUnsafe(ref c[i])).StoreUnsafe(ref result[i]);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Add(float[] a, float[] b, float[] result)
    {
        for (int i = 0; i + 16 <= a.Length; i += 16)
        {
            (Vector512.LoadUnsafe(ref a[i]) + Vector512.LoadUnsafe(ref b[i])).StoreUnsafe(ref result[i]);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Divide(float[] a, float[] b, float[] result)
    {
        for (int i = 0; i + 16 <= a.Length; i += 16)
        {
            (Vector512.LoadUnsafe(ref a[i]) / Vector512.LoadUnsafe(ref b[i])).StoreUnsafe(ref result[i]);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SquareRoot(float[] a, float[] result)
    {
        for (int i = 0; i + 16 <= a.Length; i += 16)
        {
            Vector512.Sqrt(Vector512.LoadUnsafe(ref a[i])).StoreUnsafe(ref result[i]);
        }
    }

    /// <summary>Times two versions of an operation in alternating rounds, keeping each one's fastest round.</summary>
    private sealed class PairTimer(int rounds, double roundSeconds)
    {
        public int Rounds => rounds;

        public (double Normal, double Subnormal) Compare(Action normal, Action subnormal)
        {
            normal();
            subnormal();
            double bestNormal = double.MaxValue, bestSubnormal = double.MaxValue;
            for (int round = 0; round < rounds; round++)
            {
                // Each side goes first every other round, after a collection, so that neither pays for the other's
                // garbage (the Adam cases allocate the optimizer's state on every call).
                bool normalFirst = round % 2 == 0;
                double first = SecondsPerCall(normalFirst ? normal : subnormal);
                double second = SecondsPerCall(normalFirst ? subnormal : normal);
                bestNormal = Math.Min(bestNormal, normalFirst ? first : second);
                bestSubnormal = Math.Min(bestSubnormal, normalFirst ? second : first);
            }

            return (bestNormal, bestSubnormal);
        }

        private double SecondsPerCall(Action action)
        {
            GC.Collect();
            long start = Stopwatch.GetTimestamp(), deadline = start + (long)(roundSeconds * Stopwatch.Frequency);
            int calls = 0;
            long now;
            do
            {
                action();
                calls++;
                now = Stopwatch.GetTimestamp();
            }
            while (now < deadline);
            return (now - start) / (double)Stopwatch.Frequency / calls;
        }
    }
}
