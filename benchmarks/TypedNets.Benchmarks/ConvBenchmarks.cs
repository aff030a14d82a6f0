using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using BenchmarkDotNet.Attributes;
using FashionMnist;
using TypedNets.Data;
using TypedNets.Optimizers;
using TypedNets.Training;

namespace TypedNets.Benchmarks;

/// <summary>(h) examples/FashionMnist's convnet, <see cref="FashionConvnet"/> as the example declares it: predictions.</summary>
public class ConvnetBenchmarks
{
    private FashionConvnet _predictor = null!;
    private FashionConvnet.Sample _sample;
    private FashionConvnet.Sample[] _samples = [];
    private FashionConvnet.Prediction[] _predictions = [];

    [GlobalSetup]
    public void Setup()
    {
        _predictor = new FashionConvnet(maxBatch: 256, seed: 1);
        (_samples, _predictions) = Batch<FashionConvnet.Sample, FashionConvnet.Prediction>(FashionConvnet.Sample.From);
        _sample = _samples[0];
    }

    [Benchmark, Case("convnet_predict1", Library.TypedNets)]
    public float Predict1() => _predictor.Predict(in _sample)[0];

    [Benchmark, Case("convnet_predict256", Library.TypedNets)]
    public float Predict256()
    {
        _predictor.Predict(_samples, _predictions);
        return _predictions[255][0];
    }

    /// <summary>256 uniform images of 1 x 28 x 28 (the same seed as ONNX Runtime's input) and room for their predictions.</summary>
    internal static (TSample[] Samples, TPrediction[] Predictions) Batch<TSample, TPrediction>(Func<ReadOnlySpan<float>, TSample> from)
    {
        const int Pixels = 28 * 28;
        float[] images = Data.Uniform(256 * Pixels, 2);
        var samples = new TSample[256];
        for (int i = 0; i < samples.Length; i++)
        {
            samples[i] = from(images.AsSpan(i * Pixels, Pixels));
        }

        return (samples, new TPrediction[256]);
    }
}

/// <summary>
/// (h) One epoch of the convnet with <c>Trainer.Fit</c> (Adam 0.001, batch 64, as the example trains it) on Fashion-MNIST's
/// 60,000 training images, or synthetic data of their size. Each run starts from a fresh network (seed 0), so its first
/// epoch is the one whose test accuracy the table shows (<see cref="TestAccuracyAfterOneEpoch"/>): a third epoch of half
/// a minute only to score it would double the row's cost.
/// </summary>
public class ConvnetEpochBenchmarks
{
    private static readonly Dictionary<int, float[]> AfterFirstEpoch = [];
    private static readonly Dictionary<string, double> Allocated = [];

    private Dataset _data = null!;
    private FashionConvnet _network = null!;
    private Adam _adam = null!;
    private int _epoch;

    /// <summary>
    /// Bytes the last timed epoch allocated on every thread, by key: measured around <c>Trainer.Fit</c> in the timed call,
    /// since measuring apart (as <see cref="Allocations"/> does for the short cases) would cost two more epochs.
    /// </summary>
    public static IReadOnlyDictionary<string, double> AllocatedPerEpoch => Allocated;

    [GlobalSetup]
    public void Setup()
    {
        _data = Settings.HasFashionMnist
            ? Idx.LoadFashionMnist(Settings.FashionMnistDirectory).Train
            : new Dataset(Data.Uniform(Cases.EpochRows * FashionConvnet.InputSize, 1), FashionConvnet.InputSize, Data.Labels(Cases.EpochRows, 10, 2), 1);
        _network = new FashionConvnet(maxBatch: 64, seed: 0);
        _adam = new Adam(0.001);
        _epoch = 0;
    }

    [Benchmark, Case("convnet_epoch", Library.TypedNets)]
    public double Epoch() => Run("convnet_epoch", 1);

    [Benchmark, Case("convnet_epoch" + Cases.TwoThreads, Library.TypedNets, Threads = 2)]
    public double EpochTwoThreads() => Run("convnet_epoch" + Cases.TwoThreads, 2);

    /// <summary>
    /// The test accuracy of the one-thread run's network after its first epoch; <see langword="null"/> without
    /// Fashion-MNIST or before that run.
    /// </summary>
    public static double? TestAccuracyAfterOneEpoch()
    {
        if (!Settings.HasFashionMnist || !AfterFirstEpoch.TryGetValue(1, out float[]? weights))
        {
            return null;
        }

        var network = new FashionConvnet(maxBatch: 256, seed: 0);
        weights.CopyTo(network.Parameters);
        return Trainer.Evaluate(network, Idx.LoadFashionMnist(Settings.FashionMnistDirectory).Test).Accuracy;
    }

    /// <summary>
    /// Whether the first epoch on two threads ended with the same weights, bit for bit, as on one (the same network, seed
    /// and order); <see langword="null"/> unless both ran.
    /// </summary>
    public static bool? SameWeightsOnTwoThreads()
        => AfterFirstEpoch.TryGetValue(1, out float[]? one) && AfterFirstEpoch.TryGetValue(2, out float[]? two) ? one.AsSpan().SequenceEqual(two) : null;

    private double Run(string key, int threads)
    {
        long before = GC.GetTotalAllocatedBytes(precise: true);
        History history = Trainer.Fit(_network, _adam, _data, new FitOptions { Epochs = 1, BatchSize = 64, Seed = (ulong)_epoch++ });
        Allocated[key] = GC.GetTotalAllocatedBytes(precise: true) - before;
        if (_epoch == 1)
        {
            AfterFirstEpoch[threads] = _network.Parameters.ToArray();
        }

        return history.Epochs[0].Loss;
    }
}

/// <summary>
/// (i) examples/FashionMnist's ResNet, <see cref="FashionResNet"/>: predict 256 (BatchNorm on its running statistics) and a
/// training step at batch 128 with the optimizer the example and <c>reference/pytorch/fashion_resnet.py</c> train it with,
/// SGD at 0.1 with Nesterov momentum 0.9 and weight decay 0.0005 (no augmentation: the step takes a prepared batch).
/// </summary>
public class ResNetBenchmarks
{
    public const int Batch = 128;

    private FashionResNet _predictor = null!;
    private FashionResNet.Sample[] _samples = [];
    private FashionResNet.Prediction[] _predictions = [];
    private FashionResNet _trainee = null!;
    private Sgd _sgd = null!;
    private float[] _features = [];
    private float[] _labels = [];

    [GlobalSetup]
    public void Setup()
    {
        _predictor = new FashionResNet(maxBatch: 256, seed: 1);
        (_samples, _predictions) = ConvnetBenchmarks.Batch<FashionResNet.Sample, FashionResNet.Prediction>(FashionResNet.Sample.From);
        _trainee = new FashionResNet(maxBatch: Batch, seed: 3);
        _sgd = new Sgd(0.1, momentum: 0.9, nesterov: true, weightDecay: 0.0005);
        _features = Data.Uniform(Batch * FashionResNet.InputSize, 4);
        _labels = Data.Labels(Batch, 10, 5);
    }

    [Benchmark, Case("resnet_predict256", Library.TypedNets)]
    public float Predict256()
    {
        _predictor.Predict(_samples, _predictions);
        return _predictions[255][0];
    }

    [Benchmark, Case("resnet_train128", Library.TypedNets)]
    public double TrainStep128() => Trainer.Step(_trainee, _sgd, _features, _labels, LossFunction.CrossEntropy);

    [Benchmark, Case("resnet_train128" + Cases.TwoThreads, Library.TypedNets, Threads = 2)]
    public double TrainStep128TwoThreads() => TrainStep128();
}

/// <summary>
/// Holds the suite's convnet and ResNet figures to PyTorch's: the declared networks' parameter counts and the flops of
/// <see cref="Cases.ConvnetProducts"/> and <see cref="Cases.ResNetProducts"/> against what <c>pytorch_bench.py</c> counted
/// from its modules as they ran, so that both sides time the same network and "% peak" counts its work.
/// </summary>
internal static class ConvFigures
{
    public static List<string> Check(PyTorchResults? pytorch)
    {
        var problems = new List<string>();
        if (pytorch is null)
        {
            return problems;
        }

        foreach ((string name, int parameters, double[] products) in new[]
        {
            ("convnet", new FashionConvnet(maxBatch: 1, seed: 0).Parameters.Length, Cases.ConvnetProducts()),
            ("resnet", new FashionResNet(maxBatch: 1, seed: 0).Parameters.Length, Cases.ResNetProducts()),
        })
        {
            if (!pytorch.Figures.TryGetValue(name, out IReadOnlyDictionary<string, double>? theirs))
            {
                continue;
            }

            Expect(problems, name + " parameters", theirs.GetValueOrDefault("parameters", double.NaN), parameters);
            Expect(problems, name + " forward_flops", theirs.GetValueOrDefault("forward_flops", double.NaN), Cases.ForwardFlops(products));
            Expect(problems, name + " training_flops", theirs.GetValueOrDefault("training_flops", double.NaN), Cases.TrainingFlops(products));
        }

        return problems;
    }

    private static void Expect(List<string> problems, string what, double pytorch, double ours)
    {
        if (pytorch != ours)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{what}: {pytorch} in PyTorch, {ours} in the suite"));
        }
    }
}
