using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Numerics.Tensors;
using TypedNets.Kernels;
using TypedNets.Optimizers;
using TypedNets.Training;

namespace TypedNets.Benchmarks;

/// <summary>
/// Where the time of a training step of examples/FashionMnist's small ResNet goes (<c>--breakdown-resnet</c>): every
/// kernel the generated code calls, at the network's shapes for a batch of 128, forward and backward, summed over the
/// layers of each kind; then whole training steps (forward, backward and Adam) of the same network for comparison.
/// </summary>
internal static class ResNetBreakdown
{
    private const int Batch = 128;

    public static void Run(bool full)
    {
        int rounds = full ? 9 : 5;
        Console.WriteLine($"Kernels of one training step of the small ResNet, batch {Batch} (fastest of {rounds} rounds in this thread's CPU time; one thread):");
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"layer kind (count)",-52} {"forward",10} {"backward",10} {"sum",10}"));
        double forwardTotal = 0, backwardTotal = 0;
        foreach (Kind kind in Kinds())
        {
            double forward = Median(rounds, kind.Forward) * kind.Count;
            double backward = Median(rounds, kind.Backward) * kind.Count;
            forwardTotal += forward;
            backwardTotal += backward;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {kind.Name + " (" + kind.Count + ")",-52} {Report.Time(forward),10} {Report.Time(backward),10} {Report.Time(forward + backward),10}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {"sum of kernels",-52} {Report.Time(forwardTotal),10} {Report.Time(backwardTotal),10} {Report.Time(forwardTotal + backwardTotal),10}"));
        Console.WriteLine();

        Console.WriteLine($"The parts of one Conv2D layer, batch {Batch}, one sample a product (forward: unfold, product; backward: unfold, two products, fold):");
        Parts("3x3 pad 1, 16->16 @28x28", new ImageGeometry(16, 28, 28, 3, 1, 1), 16, rounds);
        Parts("3x3 pad 1, 64->64 @7x7", new ImageGeometry(64, 7, 7, 3, 1, 1), 64, rounds);
        Console.WriteLine();

        var network = new FashionMnist.FashionResNet(maxBatch: Batch, seed: 3);
        var adam = new Adam(0.001);
        float[] features = Data.Uniform(Batch * 784, 4), labels = Data.Labels(Batch, 10, 5);
        Trainer.Step(network, adam, features, labels, LossFunction.CrossEntropy);
        double step = Median(rounds, () => Trainer.Step(network, adam, features, labels, LossFunction.CrossEntropy));
        double forwardOnly = Median(rounds, () => network.Forward(features, training: true));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Whole training step (forward, backward, Adam), batch {Batch}: {Report.Time(step)}, {Report.Time(step / Batch)} per image; training forward alone {Report.Time(forwardOnly)}"));
        Console.WriteLine();
        Breakdown.Phases($"Phases of the same step, batch {Batch}", network, features, labels, rounds, 2);
    }

    private sealed record Kind(string Name, int Count, Action Forward, Action Backward);

    private static IEnumerable<Kind> Kinds()
    {
        yield return Convolution("Conv2D 3x3 pad 1, 1->16 @28x28 (stem)", 1, new ImageGeometry(1, 28, 28, 3, 1, 1), 16, inputGradient: false);
        yield return Convolution("Conv2D 3x3 pad 1, 16->16 @28x28", 4, new ImageGeometry(16, 28, 28, 3, 1, 1), 16);
        yield return Convolution("Conv2D 3x3 pad 1, 32->32 @14x14", 3, new ImageGeometry(32, 14, 14, 3, 1, 1), 32);
        yield return Convolution("Conv2D 3x3 pad 1, 64->64 @7x7", 3, new ImageGeometry(64, 7, 7, 3, 1, 1), 64);
        yield return Convolution("Conv2D 3x3 stride 2, 16->32 @28x28", 1, new ImageGeometry(16, 28, 28, 3, 2, 1), 32);
        yield return Convolution("Conv2D 3x3 stride 2, 32->64 @14x14", 1, new ImageGeometry(32, 14, 14, 3, 2, 1), 64);
        yield return Convolution("Conv2D 1x1 stride 2, 16->32 @28x28", 1, new ImageGeometry(16, 28, 28, 1, 2, 0), 32);
        yield return Convolution("Conv2D 1x1 stride 2, 32->64 @14x14", 1, new ImageGeometry(32, 14, 14, 1, 2, 0), 64);
        yield return BatchNorm("BatchNorm + ReLU, 16 @28x28", 5, 16, 784, relu: true);
        yield return BatchNorm("BatchNorm, 16 @28x28", 2, 16, 784, relu: false);
        yield return BatchNorm("BatchNorm + ReLU, 32 @14x14", 2, 32, 196, relu: true);
        yield return BatchNorm("BatchNorm, 32 @14x14", 3, 32, 196, relu: false);
        yield return BatchNorm("BatchNorm + ReLU, 64 @7x7", 2, 64, 49, relu: true);
        yield return BatchNorm("BatchNorm, 64 @7x7", 3, 64, 49, relu: false);
        yield return ResidualAdd("Residual add + ReLU, 16x28x28", 2, 16 * 784);
        yield return ResidualAdd("Residual add + ReLU, 32x14x14", 2, 32 * 196);
        yield return ResidualAdd("Residual add + ReLU, 64x7x7", 2, 64 * 49);
        float[] pooled = new float[Batch * 64], map = Data.Uniform(Batch * 64 * 49, 1), mapGradient = new float[Batch * 64 * 49];
        yield return new Kind("Global average pooling, 64 @7x7", 1,
            () => Pool2DKernel.GlobalAverageForward<float>(map, pooled, Batch, 64, 49),
            () => Pool2DKernel.GlobalAverageBackward<float>(pooled, mapGradient, Batch, 64, 49));
    }

    private static Kind Convolution(string name, int count, ImageGeometry g, int filters, bool inputGradient = true)
    {
        float[] x = Data.Uniform(Batch * g.InputSize, 1, -1, 1), weight = Data.Uniform(filters * g.ColumnRows, 2, -0.1f, 0.1f);
        float[] y = new float[Batch * filters * g.ColumnCount], dy = Data.Uniform(y.Length, 3, -1, 1);
        float[] columns = new float[g.ColumnRows * g.ColumnCount], columnGradient = new float[columns.Length];
        float[] weightGradient = new float[weight.Length], dx = inputGradient ? new float[x.Length] : [];
        return new Kind(name, count,
            () => Conv2DKernel.Forward<float>(x, weight, default, y, columns, Batch, filters, g),
            () => Conv2DKernel.Backward<float>(x, weight, dy, weightGradient, default, dx, columns, columnGradient, Batch, filters, g));
    }

    private static void Parts(string name, ImageGeometry g, int filters, int rounds)
    {
        int rows = g.ColumnRows, positions = g.ColumnCount;
        float[] x = Data.Uniform(Batch * g.InputSize, 1, -1, 1), weight = Data.Uniform(filters * rows, 2, -0.1f, 0.1f);
        float[] columns = new float[rows * positions], output = new float[filters * positions], dy = Data.Uniform(filters * positions, 3, -1, 1);
        float[] weightGradient = new float[weight.Length], image = new float[g.InputSize];
        (string Part, Action Run)[] parts =
        [
            ("unfold", () => { for (int b = 0; b < Batch; b++) { Conv2DKernel.Unfold<float>(x.AsSpan(b * g.InputSize, g.InputSize), columns, g); } }),
            ($"forward product, Multiply {filters}x{positions}x{rows}", () => { for (int b = 0; b < Batch; b++) { Gemm.Multiply<float>(weight, columns, output, filters, positions, rows, accumulate: false); } }),
            ($"weight gradient, MultiplyTransposedB {filters}x{rows}x{positions}", () => { for (int b = 0; b < Batch; b++) { Gemm.MultiplyTransposedB<float>(dy, columns, weightGradient, filters, rows, positions, accumulate: true); } }),
            ($"column gradient, MultiplyTransposedA {rows}x{positions}x{filters}", () => { for (int b = 0; b < Batch; b++) { Gemm.MultiplyTransposedA<float>(weight, dy, columns, rows, positions, filters, accumulate: false); } }),
            ("fold", () => { for (int b = 0; b < Batch; b++) { Conv2DKernel.Fold<float>(columns, image, g); } }),
        ];
        foreach ((string part, Action run) in parts)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name + ": " + part,-72} {Report.Time(Median(rounds, run)),10}"));
        }
    }

    private static Kind BatchNorm(string name, int count, int channels, int area, bool relu)
    {
        int size = Batch * channels * area;
        float[] x = Data.Uniform(size, 1, -1, 1), y = new float[size], normalized = new float[size], dy = Data.Uniform(size, 2, -1, 1), dx = new float[size];
        float[] weight = Data.Uniform(channels, 3, 0.5f, 1.5f), bias = Data.Uniform(channels, 4, -0.1f, 0.1f);
        float[] mean = new float[channels], variance = new float[channels], inverse = new float[channels], weightGradient = new float[channels], biasGradient = new float[channels];
        return new Kind(name, count,
            () =>
            {
                BatchNormKernel.TrainForward<float>(x, weight, bias, mean, variance, y, normalized, inverse, Batch, channels, area, 0.1, 1e-5);
                if (relu)
                {
                    Activations.ReLU<float>(y);
                }
            },
            () =>
            {
                if (relu)
                {
                    Activations.ReLUBackward<float>(y, dy);
                }

                BatchNormKernel.Backward<float>(dy, weight, normalized, inverse, weightGradient, biasGradient, dx, Batch, channels, area, training: true);
            });
    }

    private static Kind ResidualAdd(string name, int count, int sampleSize)
    {
        int size = Batch * sampleSize;
        float[] a = Data.Uniform(size, 1, -1, 1), b = Data.Uniform(size, 2, -1, 1), y = new float[size], dy = Data.Uniform(size, 3, -1, 1), shortcut = new float[size];
        return new Kind(name, count,
            () =>
            {
                TensorPrimitives.Add<float>(a, b, y);
                Activations.ReLU<float>(y);
            },
            () =>
            {
                Activations.ReLUBackward<float>(y, dy);
                TensorPrimitives.Add<float>(shortcut, dy, shortcut);
            });
    }

    /// <summary>The fastest of the rounds in this thread's CPU time, which the other jobs on a shared machine do not inflate (see <see cref="ConvnetBreakdown.Fastest"/>).</summary>
    private static double Median(int rounds, Action action) => ConvnetBreakdown.Fastest(rounds, action);
}
