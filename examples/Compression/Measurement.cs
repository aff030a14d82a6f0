using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using TypedNets;
using TypedNets.Data;
using TypedNets.Kernels;
using TypedNets.Metrics;

namespace Compression;

/// <summary>
/// Predicts a batch laid out flat: <c>features</c> holds whole samples one after another, and <c>outputs</c> receives
/// their predictions the same way. Every variant offers this (<c>INetwork.Predict(ReadOnlySpan&lt;float&gt;, Span&lt;float&gt;)</c>
/// for a network), so one delegate measures them all.
/// </summary>
internal delegate void BatchPredictor(ReadOnlySpan<float> features, Span<float> outputs);

/// <summary>One line of the table.</summary>
/// <param name="Model">The network compressed, such as "MLP 784-256-128-10".</param>
/// <param name="Variant">What was done to it, such as "pruned 80%".</param>
/// <param name="Accuracy">Test accuracy; the mean when <paramref name="Runs"/> holds several.</param>
/// <param name="Bytes">The size of the file that would ship.</param>
/// <param name="Batch1Microseconds">Mean time of one prediction of one sample.</param>
/// <param name="Batch256Milliseconds">Mean time of one prediction of a batch of 256 samples.</param>
/// <param name="Notes">What else the reader needs: sparsity reached, seeds, how the bytes were counted.</param>
/// <param name="Runs">The test accuracy of each seed, for a row that is a mean.</param>
internal sealed record Row(
    string Model, string Variant, double Accuracy, long Bytes, double Batch1Microseconds, double Batch256Milliseconds, string Notes, IReadOnlyList<double>? Runs = null)
{
    /// <summary>The accuracy, with the spread and every seed's figure for a mean of several runs.</summary>
    public string AccuracyText => Runs is not { Count: > 1 } runs
        ? Format($"{Accuracy:F4}")
        : Format($"{Accuracy:F4} ± {StandardDeviation(runs):F4} ({string.Join(", ", runs.Select(r => r.ToString("F4", CultureInfo.InvariantCulture)))})");

    /// <summary>The sample standard deviation (n - 1), as numpy's <c>std(ddof=1)</c>.</summary>
    public static double StandardDeviation(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Measures a variant: its accuracy on the test set, and its latency on one thread (<see cref="Gemm.MaxThreads"/> = 1,
/// as PyTorch's side runs with <c>torch.set_num_threads(1)</c>), for one sample and for a batch of 256.
/// </summary>
/// <remarks>
/// Each latency is measured after a warm-up of at least half a second in several rounds of many calls; a round's
/// figure is the mean time per call, and the figure reported is the median round, so that a burst of other work on a
/// shared machine moves one round, not the result.
/// </remarks>
internal sealed class Bench(Dataset test, int classes, TimeSpan roundTime, int rounds)
{
    private const int LargeBatch = 256;

    // Fills the caches and the network's pool of prediction workspaces before the clock starts. (The JIT needs no
    // warm-up: the project turns tiered compilation off, so every method is optimised from its first call.)
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(0.5);

    /// <summary>The test set every variant is scored on.</summary>
    public Dataset Test { get; } = test;

    /// <summary>Measures a network as loaded from the file that would ship; the bytes are that file's size.</summary>
    public Row Measure(string model, string variant, INetwork network, string weightsFile, string notes = "")
        => Measure(model, variant, network.Predict, network.InputSize, network.OutputSize, new FileInfo(weightsFile).Length, notes);

    /// <summary>Measures any predictor of <paramref name="inputSize"/> features to <paramref name="outputSize"/> outputs.</summary>
    public Row Measure(string model, string variant, BatchPredictor predict, int inputSize, int outputSize, long bytes, string notes = "")
    {
        if (inputSize != Test.FeatureWidth || outputSize != classes)
        {
            throw new ArgumentException(
                $"{model} ({variant}) maps {inputSize} features to {outputSize} outputs; the test set has {Test.FeatureWidth} features and {classes} classes.",
                nameof(inputSize));
        }

        double accuracy = Accuracy(predict, outputSize);
        int threads = Gemm.MaxThreads;
        Gemm.MaxThreads = 1;
        try
        {
            double batch1 = Latency(predict, inputSize, outputSize, 1);
            double batch256 = Latency(predict, inputSize, outputSize, LargeBatch);
            var row = new Row(model, variant, accuracy, bytes, batch1 * 1e6, batch256 * 1e3, notes);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {model}, {variant}: accuracy {accuracy:F4}, {bytes:N0} bytes, batch 1 {row.Batch1Microseconds:F1} µs, batch 256 {row.Batch256Milliseconds:F2} ms"));
            return row;
        }
        finally
        {
            Gemm.MaxThreads = threads;
        }
    }

    /// <summary>The test accuracy of a predictor, in batches of 256.</summary>
    public double Accuracy(BatchPredictor predict, int outputSize)
    {
        int width = Test.FeatureWidth;
        float[] outputs = new float[Test.Count * outputSize];
        for (int start = 0; start < Test.Count; start += LargeBatch)
        {
            int count = Math.Min(LargeBatch, Test.Count - start);
            predict(Test.Features.Slice(start * width, count * width), outputs.AsSpan(start * outputSize, count * outputSize));
        }

        int[] predicted = Predictions.ArgMax(outputs, outputSize);
        int[] actual = Predictions.ClassIndices(Test.Targets, Test.TargetWidth);
        return (double)predicted.Where((label, row) => label == actual[row]).Count() / Test.Count;
    }

    // Seconds per call of a batch of `batch` test samples; consecutive calls take consecutive batches (wrapping round
    // the test set), so the timing is not of one input held in the cache.
    private double Latency(BatchPredictor predict, int inputSize, int outputSize, int batch)
    {
        int batches = Test.Count / batch;
        float[] features = Test.Features[..(batches * batch * inputSize)].ToArray();
        float[] outputs = new float[batch * outputSize];
        int next = 0;
        void Call()
        {
            predict(features.AsSpan(next * batch * inputSize, batch * inputSize), outputs);
            next = next + 1 == batches ? 0 : next + 1;
        }

        RunFor(Call, roundTime > WarmUp ? roundTime : WarmUp, minimumCalls: 3);
        double[] perCall = new double[rounds];
        for (int round = 0; round < rounds; round++)
        {
            (long calls, double seconds) = RunFor(Call, roundTime, minimumCalls: 3);
            perCall[round] = seconds / calls;
        }

        Array.Sort(perCall);
        return perCall[rounds / 2];
    }

    private static (long Calls, double Seconds) RunFor(Action call, TimeSpan time, int minimumCalls)
    {
        long calls = 0;
        var clock = Stopwatch.StartNew();
        while (calls < minimumCalls || clock.Elapsed < time)
        {
            call();
            calls++;
        }

        return (calls, clock.Elapsed.TotalSeconds);
    }
}
