using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;
using TypedNets.Kernels;
using TypedNets.Optimizers;
using TypedNets.Training;

namespace TypedNets.Benchmarks;

/// <summary>
/// Where the time of a training step of examples/FashionMnist's convnet goes (<c>--breakdown-convnet</c>): every kernel
/// the generated code calls, at the network's shapes for batches of 64 and 128, each with its matrix-product flops as a
/// share of the one-core FMA peak (measured here, in the same run, with the suite's peak loop); then whole training
/// steps of the network and their phases.
/// </summary>
/// <remarks>
/// The convnet: Conv 1 → 32 3 × 3 + ReLU at 28 × 28 (26 × 26 out), MaxPool 2, Conv 32 → 64 3 × 3 + ReLU at 13 × 13
/// (11 × 11 out), MaxPool 2, Dense 1,600 → 128 + ReLU, Dropout, Dense 128 → 10. A convolution's backward is timed
/// twice, with and without the input gradient, so that the weight gradient and the input gradient (the difference)
/// each get a row. Before them, depthwise and grouped convolutions at MobileNet-like sizes (not in the convnet) are
/// timed the same way, each pass with its multiply-add flops.
/// </remarks>
internal static class ConvnetBreakdown
{
    private static readonly ImageGeometry Conv1 = new(1, 28, 28, 3, 1, 0);
    private static readonly ImageGeometry Pool1 = new(32, 26, 26, 2, 2, 0);
    private static readonly ImageGeometry Conv2 = new(32, 13, 13, 3, 1, 0);
    private static readonly ImageGeometry Pool2 = new(64, 11, 11, 2, 2, 0);

    public static void Run(bool full)
    {
        int rounds = full ? 15 : 7;
        double peak = PeakFlops();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"FMA peak of this core (the suite's Vector512 loop, fastest of many runs): {peak / 1e9:F0} GFLOP/s"));
        Console.WriteLine();
        Grouped(64, rounds, peak);
        foreach (int batch in (int[])[64, 128])
        {
            Kernels(batch, rounds, peak);
            Parts("conv1", Conv1, 32, batch, rounds, peak);
            Parts("conv2", Conv2, 64, batch, rounds, peak);
            Console.WriteLine();
            Steps(batch, rounds, peak);
        }
    }

    /// <summary>A kernel call of the step: its name, its matrix-product flops and the call.</summary>
    private sealed record Row(string Name, double Flops, Action Run);

    private static void Kernels(int batch, int rounds, double peak)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Kernels of one training step of the convnet, batch {batch} (fastest of {rounds} rounds in this thread's CPU time; one thread):"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"kernel",-58} {"time",10} {"GFLOP/s",8} {"% peak",7} {"% time",7}"));
        List<Row> rows = Rows(batch);
        var times = new double[rows.Count];
        double total = 0, flops = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            times[i] = Fastest(rounds, rows[i].Run);
        }

        // The input-gradient rows were timed together with the weight gradient: their own time is the difference.
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i].Name.Contains("input gradient", StringComparison.Ordinal))
            {
                times[i] = Math.Max(0, times[i] - times[i - 1]);
            }

            total += times[i];
            flops += rows[i].Flops;
        }

        for (int i = 0; i < rows.Count; i++)
        {
            Console.WriteLine(Line(rows[i].Name, times[i], rows[i].Flops, peak, total));
        }

        Console.WriteLine(Line("sum of the kernels", total, flops, peak, total));
        Console.WriteLine();
    }

    /// <summary>
    /// The parts of one convolution over the batch, as the unfold-then-multiply path runs them: the unfolding of every
    /// sample, then the three products at the batched width the kernel uses (several samples side by side), the fold.
    /// </summary>
    private static void Parts(string name, ImageGeometry g, int filters, int batch, int rounds, double peak)
    {
        int rows = g.ColumnRows, positions = g.ColumnCount;
        int chunk = Math.Clamp(1024 / positions, 1, batch), width = chunk * positions, products = (batch + chunk - 1) / chunk;
        float[] x = Data.Uniform(batch * g.InputSize, 1, -1, 1), weight = Data.Uniform(filters * rows, 2, -0.1f, 0.1f);
        float[] columns = new float[rows * positions], wide = new float[rows * width], output = new float[filters * width], dy = Data.Uniform(filters * width, 3, -1, 1);
        float[] weightGradient = new float[weight.Length], image = new float[g.InputSize];
        double flops = 2.0 * filters * rows * width * products;
        (string Part, double Flops, Action Run)[] parts =
        [
            ("unfold every sample", 0, () => { for (int b = 0; b < batch; b++) { Conv2DKernel.Unfold<float>(x.AsSpan(b * g.InputSize, g.InputSize), columns, g); } }),
            ($"forward product {filters}x{width}x{rows} (x{products})", flops, () => { for (int p = 0; p < products; p++) { Gemm.Multiply<float>(weight, wide, output, filters, width, rows, accumulate: false); } }),
            ($"weight-gradient product {filters}x{rows}x{width} (x{products})", flops, () => { for (int p = 0; p < products; p++) { Gemm.MultiplyTransposedB<float>(dy, wide, weightGradient, filters, rows, width, accumulate: true); } }),
            ($"column-gradient product {rows}x{width}x{filters} (x{products})", flops, () => { for (int p = 0; p < products; p++) { Gemm.MultiplyTransposedA<float>(weight, dy, wide, rows, width, filters, accumulate: false); } }),
            ("fold every sample", 0, () => { for (int b = 0; b < batch; b++) { Conv2DKernel.Fold<float>(columns, image, g); } }),
        ];
        foreach ((string part, double partFlops, Action run) in parts)
        {
            Console.WriteLine(Line(name + ": " + part, Fastest(rounds, run), partFlops, peak, double.NaN));
        }
    }

    /// <summary>
    /// Depthwise convolutions (one group per channel) and a grouped one with four channels a group, batch
    /// <paramref name="batch"/>: the forward pass with bias and ReLU, the weight and bias gradients, and the input gradient
    /// (timed with the weight gradient; its row is the difference).
    /// </summary>
    private static void Grouped(int batch, int rounds, double peak)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Depthwise and grouped convolutions, batch {batch} (fastest of {rounds} rounds in this thread's CPU time; one thread):"));
        (string Name, ImageGeometry Geometry, int Filters)[] layers =
        [
            ("depthwise 32 3x3 pad 1 @28x28", new ImageGeometry(32, 28, 28, 3, 1, 1, Groups: 32), 32),
            ("depthwise 64 3x3 pad 1 @14x14", new ImageGeometry(64, 14, 14, 3, 1, 1, Groups: 64), 64),
            ("depthwise 128 3x3 pad 1 @7x7", new ImageGeometry(128, 7, 7, 3, 1, 1, Groups: 128), 128),
            ("depthwise 32 x2 3x3 stride 2 pad 1 @28x28", new ImageGeometry(32, 28, 28, 3, 2, 1, Groups: 32), 64),
            ("grouped 32->32 8 groups 3x3 pad 1 @14x14", new ImageGeometry(32, 14, 14, 3, 1, 1, Groups: 8), 32),
        ];
        foreach ((string name, ImageGeometry g, int filters) in layers)
        {
            int rows = g.GroupColumnRows;
            float[] x = Data.Uniform(batch * g.InputSize, 1, -1, 1), weight = Data.Uniform(filters * rows, 2, -0.3f, 0.3f), bias = Data.Uniform(filters, 3, -0.1f, 0.1f);
            float[] y = new float[batch * filters * g.ColumnCount], dy = Data.Uniform(y.Length, 4, -1, 1), dx = new float[x.Length];
            float[] columns = new float[g.ColumnRows * g.ColumnCount], columnGradient = new float[columns.Length];
            float[] weightGradient = new float[weight.Length], biasGradient = new float[filters];
            double flops = 2.0 * batch * filters * g.ColumnCount * rows;
            double forward = Fastest(rounds, () => Conv2DKernel.Forward<float>(x, weight, bias, y, columns, batch, filters, g, relu: true));
            double parameters = Fastest(rounds, () => Conv2DKernel.Backward<float>(x, weight, dy, weightGradient, biasGradient, [], columns, columnGradient, batch, filters, g));
            double both = Fastest(rounds, () => Conv2DKernel.Backward<float>(x, weight, dy, weightGradient, biasGradient, dx, columns, columnGradient, batch, filters, g));
            Console.WriteLine(Line(name + ": forward (+ bias, ReLU)", forward, flops, peak, double.NaN));
            Console.WriteLine(Line(name + ": weight gradient (+ bias)", parameters, flops, peak, double.NaN));
            Console.WriteLine(Line(name + ": input gradient", Math.Max(0, both - parameters), flops, peak, double.NaN));
        }

        Console.WriteLine();
    }

    private static string Line(string name, double seconds, double flops, double peak, double total)
    {
        string rate = flops > 0 ? string.Create(CultureInfo.InvariantCulture, $"{flops / seconds / 1e9,8:F1} {100 * flops / seconds / peak,6:F1}%") : $"{"",8} {"",7}";
        string share = double.IsNaN(total) ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"{100 * seconds / total,6:F1}%");
        return string.Create(CultureInfo.InvariantCulture, $"  {name,-58} {Report.Time(seconds),10} {rate} {share}");
    }

    private static List<Row> Rows(int batch)
    {
        const int filters1 = 32, filters2 = 64, hidden = 128, classes = 10;
        int out1 = filters1 * Conv1.ColumnCount, pooled1 = filters1 * 13 * 13, out2 = filters2 * Conv2.ColumnCount, pooled2 = filters2 * 5 * 5;
        float[] image = Data.Uniform(batch * Conv1.InputSize, 1);
        float[] weight1 = Data.Uniform(filters1 * Conv1.ColumnRows, 2, -0.3f, 0.3f), bias1 = Data.Uniform(filters1, 3, -0.1f, 0.1f);
        float[] weight2 = Data.Uniform(filters2 * Conv2.ColumnRows, 4, -0.1f, 0.1f), bias2 = Data.Uniform(filters2, 5, -0.1f, 0.1f);
        float[] weight3 = Data.Uniform(hidden * pooled2, 6, -0.05f, 0.05f), bias3 = new float[hidden];
        float[] weight4 = Data.Uniform(classes * hidden, 7, -0.1f, 0.1f), bias4 = new float[classes];
        float[] y1 = new float[batch * out1], p1 = new float[batch * pooled1], y2 = new float[batch * out2], p2 = new float[batch * pooled2];
        float[] h = new float[batch * hidden], logits = new float[batch * classes];
        int[] argMax1 = new int[p1.Length], argMax2 = new int[p2.Length];
        float[] columns1 = new float[Conv1.ColumnRows * Conv1.ColumnCount], gradient1 = new float[columns1.Length];
        float[] columns2 = new float[Conv2.ColumnRows * Conv2.ColumnCount], gradient2 = new float[columns2.Length];
        float[] dLogits = Data.Uniform(logits.Length, 8, -0.1f, 0.1f), dh = new float[h.Length], dp2 = new float[p2.Length];
        float[] dy2 = new float[y2.Length], dp1 = new float[p1.Length], dy1 = new float[y1.Length];
        float[] dWeight1 = new float[weight1.Length], dBias1 = new float[filters1], dWeight2 = new float[weight2.Length], dBias2 = new float[filters2];
        float[] dWeight3 = new float[weight3.Length], dBias3 = new float[hidden], dWeight4 = new float[weight4.Length], dBias4 = new float[classes];

        // Run once in order so that every input holds what the step would give it (ReLU masks, pooling's winners).
        List<Row> rows =
        [
            new("conv1 1->32 @28x28 forward (+ bias, ReLU)", 2.0 * batch * out1 * Conv1.ColumnRows,
                () => Conv2DKernel.Forward<float>(image, weight1, bias1, y1, columns1, batch, filters1, Conv1, relu: true)),
            new("pool1 max 2 forward", 0, () => Pool2DKernel.MaxForward<float>(y1, p1, argMax1, batch, Pool1)),
            new("conv2 32->64 @13x13 forward (+ bias, ReLU)", 2.0 * batch * out2 * Conv2.ColumnRows,
                () => Conv2DKernel.Forward<float>(p1, weight2, bias2, y2, columns2, batch, filters2, Conv2, relu: true)),
            new("pool2 max 2 forward", 0, () => Pool2DKernel.MaxForward<float>(y2, p2, argMax2, batch, Pool2)),
            new("dense 1600->128 + ReLU forward", 2.0 * batch * hidden * pooled2,
                () => DenseKernel.Forward<float>(p2, weight3, bias3, h, batch, pooled2, hidden, relu: true)),
            new("dense 128->10 forward", 2.0 * batch * classes * hidden,
                () => DenseKernel.Forward<float>(h, weight4, bias4, logits, batch, hidden, classes)),
            new("dense 128->10 backward", 4.0 * batch * classes * hidden,
                () => DenseKernel.Backward<float>(h, weight4, dLogits, dWeight4, dBias4, dh, batch, hidden, classes)),
            new("dense 1600->128 backward (ReLU, weight, input)", 4.0 * batch * hidden * pooled2,
                () =>
                {
                    Activations.ReLUBackward<float>(h, dh);
                    DenseKernel.Backward<float>(p2, weight3, dh, dWeight3, dBias3, dp2, batch, pooled2, hidden);
                }),
            new("pool2 backward", 0, () => Pool2DKernel.MaxBackward<float>(dp2, argMax2, dy2, batch, Pool2)),
            new("conv2 ReLU backward", 0, () => Activations.ReLUBackward<float>(y2, dy2)),
            new("conv2 weight gradient (+ bias gradient)", 2.0 * batch * out2 * Conv2.ColumnRows,
                () => Conv2DKernel.Backward<float>(p1, weight2, dy2, dWeight2, dBias2, [], columns2, gradient2, batch, filters2, Conv2)),
            new("conv2 input gradient", 2.0 * batch * out2 * Conv2.ColumnRows,
                () => Conv2DKernel.Backward<float>(p1, weight2, dy2, dWeight2, dBias2, dp1, columns2, gradient2, batch, filters2, Conv2)),
            new("pool1 backward", 0, () => Pool2DKernel.MaxBackward<float>(dp1, argMax1, dy1, batch, Pool1)),
            new("conv1 ReLU backward", 0, () => Activations.ReLUBackward<float>(y1, dy1)),
            new("conv1 weight gradient (+ bias gradient)", 2.0 * batch * out1 * Conv1.ColumnRows,
                () => Conv2DKernel.Backward<float>(image, weight1, dy1, dWeight1, dBias1, [], columns1, gradient1, batch, filters1, Conv1)),
        ];
        foreach (Row row in rows)
        {
            row.Run();
        }

        return rows;
    }

    private static void Steps(int batch, int rounds, double peak)
    {
        var network = new FashionMnist.FashionConvnet(maxBatch: batch, seed: 3);
        var adam = new Adam(0.001);
        float[] features = Data.Uniform(batch * 784, 4), labels = Data.Labels(batch, 10, 5);
        Trainer.Step(network, adam, features, labels, LossFunction.CrossEntropy);
        double step = Fastest(rounds, () => Trainer.Step(network, adam, features, labels, LossFunction.CrossEntropy));

        // Forward, weight gradients everywhere and input gradients of every layer but the first, as in Cases.cs.
        double flops = batch * ((2.0 * 32 * 9 * 676 * 2) + (2.0 * 64 * 288 * 121 * 3) + (2.0 * 1600 * 128 * 3) + (2.0 * 128 * 10 * 3));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Whole training step (forward, backward, Adam), batch {batch}: {Report.Time(step)}, {Report.Time(step / batch)} per image, "
            + $"{flops / step / 1e9:F1} GFLOP/s = {100 * flops / step / peak:F1}% of peak; an epoch of 60,000 at this rate: {60000 / batch * step:F2} s"));
        Console.WriteLine();
        Breakdown.Phases($"Phases of the same step, batch {batch}", network, features, labels, rounds, 2);
        Console.WriteLine();
    }

    /// <summary>The FMA peak in flops per second: the fastest of many runs of the suite's register-only loop.</summary>
    private static double PeakFlops()
    {
        var loop = new PeakBenchmarks();
        double best = double.MaxValue;
        for (int run = 0; run < 200; run++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < 20; i++)
            {
                loop.FmaVector512();
            }

            best = Math.Min(best, (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency / 20);
        }

        return PeakBenchmarks.FlopsPerInvoke / best;
    }

    /// <summary>
    /// The fastest of <paramref name="rounds"/> runs, in this thread's CPU time: on a machine shared with other jobs the
    /// wall clock also counts the time slices other processes took while the kernel waited, and a run of a few
    /// milliseconds was seen to take from 1 to 4 times its quiet time; the thread's CPU time does not move with them.
    /// </summary>
    internal static double Fastest(int rounds, Action action)
    {
        action();
        double best = double.MaxValue;
        for (int round = 0; round < rounds; round++)
        {
            double start = ThreadSeconds();
            action();
            best = Math.Min(best, ThreadSeconds() - start);
        }

        return best;
    }

    /// <summary>This thread's CPU time, <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>, or the wall clock where there is none (Windows).</summary>
    private static double ThreadSeconds()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ThreadCpuClock, out TimeSpec time) == 0)
        {
            return time.Seconds + (time.Nanoseconds * 1e-9);
        }

        return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
    }

    private const int ThreadCpuClock = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);
}
