using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using TypedNets.Compression;
using TypedNets.Data;
using TypedNets.Kernels;
using TypedNets.Optimizers;
using TypedNets.Training;

namespace TypedNets.Benchmarks;

/// <summary>
/// The machine's single-core FMA peak: sixteen independent chains of Vector512 fused multiply-adds held in registers
/// (enough to cover the FMA latency on both FMA pipes), no memory traffic. Reported as time per invoke; the table turns it
/// into GFLOP/s with <see cref="FlopsPerInvoke"/>.
/// </summary>
public class PeakBenchmarks
{
    public const int Loops = 4096;
    public const int Chains = 16;
    public static double FlopsPerInvoke => 2.0 * Loops * Chains * Vector512<float>.Count;

    /// <summary>Flops of one <see cref="FmaVector256"/> call.</summary>
    public static double FlopsPerInvoke256 => 2.0 * Loops * Chains * Vector256<float>.Count;

    [Benchmark, Case("fma_peak", Library.TypedNets)]
    public float FmaVector512()
    {
        Vector512<float> m = Vector512.Create(0.999999f);
        Vector512<float> add = Vector512.Create(1e-7f);
        Vector512<float> a0 = Vector512.Create(1.00f), a1 = Vector512.Create(1.01f), a2 = Vector512.Create(1.02f), a3 = Vector512.Create(1.03f);
        Vector512<float> a4 = Vector512.Create(1.04f), a5 = Vector512.Create(1.05f), a6 = Vector512.Create(1.06f), a7 = Vector512.Create(1.07f);
        Vector512<float> a8 = Vector512.Create(1.08f), a9 = Vector512.Create(1.09f), a10 = Vector512.Create(1.10f), a11 = Vector512.Create(1.11f);
        Vector512<float> a12 = Vector512.Create(1.12f), a13 = Vector512.Create(1.13f), a14 = Vector512.Create(1.14f), a15 = Vector512.Create(1.15f);
        for (int i = 0; i < Loops; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, add);
            a1 = Vector512.FusedMultiplyAdd(a1, m, add);
            a2 = Vector512.FusedMultiplyAdd(a2, m, add);
            a3 = Vector512.FusedMultiplyAdd(a3, m, add);
            a4 = Vector512.FusedMultiplyAdd(a4, m, add);
            a5 = Vector512.FusedMultiplyAdd(a5, m, add);
            a6 = Vector512.FusedMultiplyAdd(a6, m, add);
            a7 = Vector512.FusedMultiplyAdd(a7, m, add);
            a8 = Vector512.FusedMultiplyAdd(a8, m, add);
            a9 = Vector512.FusedMultiplyAdd(a9, m, add);
            a10 = Vector512.FusedMultiplyAdd(a10, m, add);
            a11 = Vector512.FusedMultiplyAdd(a11, m, add);
            a12 = Vector512.FusedMultiplyAdd(a12, m, add);
            a13 = Vector512.FusedMultiplyAdd(a13, m, add);
            a14 = Vector512.FusedMultiplyAdd(a14, m, add);
            a15 = Vector512.FusedMultiplyAdd(a15, m, add);
        }

        Vector512<float> sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)) + ((a12 + a13) + (a14 + a15));
        return Vector512.Sum(sum);
    }

    /// <summary>The same chains on <c>Vector256</c>: half the flops per instruction, for machines and kernels without AVX-512.</summary>
    [Benchmark, Case("fma_peak_256", Library.TypedNets)]
    public float FmaVector256()
    {
        Vector256<float> m = Vector256.Create(0.999999f);
        Vector256<float> add = Vector256.Create(1e-7f);
        Vector256<float> a0 = Vector256.Create(1.00f), a1 = Vector256.Create(1.01f), a2 = Vector256.Create(1.02f), a3 = Vector256.Create(1.03f);
        Vector256<float> a4 = Vector256.Create(1.04f), a5 = Vector256.Create(1.05f), a6 = Vector256.Create(1.06f), a7 = Vector256.Create(1.07f);
        Vector256<float> a8 = Vector256.Create(1.08f), a9 = Vector256.Create(1.09f), a10 = Vector256.Create(1.10f), a11 = Vector256.Create(1.11f);
        Vector256<float> a12 = Vector256.Create(1.12f), a13 = Vector256.Create(1.13f), a14 = Vector256.Create(1.14f), a15 = Vector256.Create(1.15f);
        for (int i = 0; i < Loops; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, add);
            a1 = Vector256.FusedMultiplyAdd(a1, m, add);
            a2 = Vector256.FusedMultiplyAdd(a2, m, add);
            a3 = Vector256.FusedMultiplyAdd(a3, m, add);
            a4 = Vector256.FusedMultiplyAdd(a4, m, add);
            a5 = Vector256.FusedMultiplyAdd(a5, m, add);
            a6 = Vector256.FusedMultiplyAdd(a6, m, add);
            a7 = Vector256.FusedMultiplyAdd(a7, m, add);
            a8 = Vector256.FusedMultiplyAdd(a8, m, add);
            a9 = Vector256.FusedMultiplyAdd(a9, m, add);
            a10 = Vector256.FusedMultiplyAdd(a10, m, add);
            a11 = Vector256.FusedMultiplyAdd(a11, m, add);
            a12 = Vector256.FusedMultiplyAdd(a12, m, add);
            a13 = Vector256.FusedMultiplyAdd(a13, m, add);
            a14 = Vector256.FusedMultiplyAdd(a14, m, add);
            a15 = Vector256.FusedMultiplyAdd(a15, m, add);
        }

        Vector256<float> sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)) + ((a12 + a13) + (a14 + a15));
        return Vector256.Sum(sum);
    }
}

/// <summary>(a) The tutorial's MLP.</summary>
public class TutorialMlpBenchmarks
{
    private TutorialMlp _predictor = null!;
    private TutorialMlp _trainee = null!;
    private Adam _adam = null!;
    private TutorialMlp.Sample _sample;
    private float[] _features = [];
    private float[] _labels = [];

    [GlobalSetup]
    public void Setup()
    {
        _predictor = new TutorialMlp(maxBatch: 1, seed: 1);
        _sample = TutorialMlp.Sample.From(Data.Uniform(TutorialMlp.InputSize, 2));
        _trainee = new TutorialMlp(maxBatch: 32, seed: 3);
        _adam = new Adam(0.001);
        _features = Data.Uniform(32 * TutorialMlp.InputSize, 4);
        _labels = Data.Labels(32, 2, 5);
    }

    [Benchmark, Case("mlp10_predict1", Library.TypedNets)]
    public float Predict1() => _predictor.Predict(in _sample)[0];

    [Benchmark, Case("mlp10_train32", Library.TypedNets)]
    public double TrainStep32() => Trainer.Step(_trainee, _adam, _features, _labels, LossFunction.CrossEntropy);

    [Benchmark, Case("mlp10_train32" + Cases.TwoThreads, Library.TypedNets, Threads = 2)]
    public double TrainStep32TwoThreads() => TrainStep32();
}

/// <summary>(b) The 784-256-128-10 MLP.</summary>
public class MnistMlpBenchmarks
{
    private MnistMlp _predictor = null!;
    private MnistMlp _quantized = null!;
    private MnistMlp _trainee = null!;
    private Adam _adam = null!;
    private MnistMlp.Sample _sample;
    private MnistMlp.Sample[] _samples = [];
    private MnistMlp.Prediction[] _predictions = [];
    private float[] _features = [];
    private float[] _labels = [];

    [GlobalSetup]
    public void Setup()
    {
        _predictor = new MnistMlp(maxBatch: 256, seed: 1);
        float[] images = Data.Uniform(256 * MnistMlp.InputSize, 2);
        _samples = new MnistMlp.Sample[256];
        for (int i = 0; i < _samples.Length; i++)
        {
            _samples[i] = MnistMlp.Sample.From(images.AsSpan(i * MnistMlp.InputSize, MnistMlp.InputSize));
        }

        _sample = _samples[0];
        _predictions = new MnistMlp.Prediction[256];
        _quantized = _predictor.Quantize();
        _trainee = new MnistMlp(maxBatch: 64, seed: 3);
        _adam = new Adam(0.001);
        _features = Data.Uniform(64 * MnistMlp.InputSize, 4);
        _labels = Data.Labels(64, 10, 5);
    }

    [Benchmark, Case("mlp784_predict1", Library.TypedNets)]
    public float Predict1() => _predictor.Predict(in _sample)[0];

    /// <summary>
    /// The memory floor of <see cref="Predict1"/>: one pass of <c>Vector512</c> loads over the predictor's parameters (the
    /// three weight matrices and their biases, 919 KiB), summed in eight independent chains so that the adds never wait.
    /// Predicting one sample must read every weight once and does a multiply-add per weight, so it cannot beat this.
    /// </summary>
    [Benchmark, Case("mlp784_read_weights", Library.TypedNets)]
    public float ReadWeights() => ReadAll(_predictor.Parameters);

    [Benchmark, Case("mlp784_predict256", Library.TypedNets)]
    public float Predict256()
    {
        _predictor.Predict(_samples, _predictions);
        return _predictions[255][0];
    }

    [Benchmark, Case("mlp784_int8_predict1", Library.TypedNets)]
    public float Int8Predict1() => _quantized.Predict(in _sample)[0];

    [Benchmark, Case("mlp784_int8_predict256", Library.TypedNets)]
    public float Int8Predict256()
    {
        _quantized.Predict(_samples, _predictions);
        return _predictions[255][0];
    }

    [Benchmark, Case("mlp784_train64", Library.TypedNets)]
    public double TrainStep64() => Trainer.Step(_trainee, _adam, _features, _labels, LossFunction.CrossEntropy);

    [Benchmark, Case("mlp784_train64" + Cases.TwoThreads, Library.TypedNets, Threads = 2)]
    public double TrainStep64TwoThreads() => TrainStep64();

    internal static unsafe float ReadAll(ReadOnlySpan<float> values)
    {
        const int Width = 8 * 16;
        fixed (float* start = values)
        {
            // From the first cache-line boundary on, as the few-rows GEMM reads: a load across two lines costs two.
            int i = (int)(64 - ((nuint)start % 64)) % 64 / sizeof(float);
            float rest = 0;
            for (int j = 0; j < i && j < values.Length; j++)
            {
                rest += start[j];
            }

            Vector512<float> s0 = Vector512<float>.Zero, s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
            for (; i + Width <= values.Length; i += Width)
            {
                s0 += Vector512.Load(start + i);
                s1 += Vector512.Load(start + i + 16);
                s2 += Vector512.Load(start + i + 32);
                s3 += Vector512.Load(start + i + 48);
                s4 += Vector512.Load(start + i + 64);
                s5 += Vector512.Load(start + i + 80);
                s6 += Vector512.Load(start + i + 96);
                s7 += Vector512.Load(start + i + 112);
            }

            for (; i < values.Length; i++)
            {
                rest += start[i];
            }

            return Vector512.Sum(((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))) + rest;
        }
    }
}

/// <summary>(c) The text classifier: Embedding(10000, 128), LSTM(64), Dense(64, ReLU), Dense(2, Softmax).</summary>
public class TextLstmBenchmarks
{
    private TextLstm _predictor = null!;
    private TextLstm _trainee = null!;
    private Adam _adam = null!;
    private TextLstm.Sample _sample;
    private float[] _features = [];
    private float[] _labels = [];

    [GlobalSetup]
    public void Setup()
    {
        _predictor = new TextLstm(maxBatch: 1, seed: 1);
        _sample = TextLstm.Sample.From(Data.Tokens(Cases.TextSteps, 10000, 2));
        _trainee = new TextLstm(maxBatch: 32, seed: 3);
        _adam = new Adam(0.001);
        _features = Array.ConvertAll(Data.Tokens(32 * Cases.TextSteps, 10000, 4), token => (float)token);
        _labels = Data.Labels(32, 2, 5);
    }

    [Benchmark, Case("text_predict1", Library.TypedNets)]
    public float Predict1() => _predictor.Predict(in _sample)[0];

    [Benchmark, Case("text_train32", Library.TypedNets)]
    public double TrainStep32() => Trainer.Step(_trainee, _adam, _features, _labels, LossFunction.CrossEntropy);

    [Benchmark, Case("text_train32" + Cases.TwoThreads, Library.TypedNets, Threads = 2)]
    public double TrainStep32TwoThreads() => TrainStep32();
}

/// <summary>(d) <c>Gemm.Multiply&lt;float&gt;</c>, C = A B on square row-major matrices.</summary>
public class GemmBenchmarks
{
    private float[] _a256 = [], _b256 = [], _c256 = [];
    private float[] _a1024 = [], _b1024 = [], _c1024 = [];

    [GlobalSetup]
    public void Setup()
    {
        _a256 = Data.Uniform(256 * 256, 1, -1, 1);
        _b256 = Data.Uniform(256 * 256, 2, -1, 1);
        _c256 = new float[256 * 256];
        _a1024 = Data.Uniform(1024 * 1024, 3, -1, 1);
        _b1024 = Data.Uniform(1024 * 1024, 4, -1, 1);
        _c1024 = new float[1024 * 1024];
    }

    [Benchmark, Case("gemm256", Library.TypedNets)]
    public float Gemm256()
    {
        Gemm.Multiply<float>(_a256, _b256, _c256, 256, 256, 256, accumulate: false);
        return _c256[0];
    }

    [Benchmark, Case("gemm1024", Library.TypedNets)]
    public float Gemm1024()
    {
        Gemm.Multiply<float>(_a1024, _b1024, _c1024, 1024, 1024, 1024, accumulate: false);
        return _c1024[0];
    }

    /// <summary>The same product with the GEMM's helper thread: the suite's one row on two cores.</summary>
    [Benchmark, Case("gemm1024_two_threads", Library.TypedNets)]
    public float Gemm1024TwoThreads()
    {
        Gemm.MaxThreads = 2;
        try
        {
            Gemm.Multiply<float>(_a1024, _b1024, _c1024, 1024, 1024, 1024, accumulate: false);
        }
        finally
        {
            Gemm.MaxThreads = 1;
        }

        return _c1024[0];
    }
}

/// <summary>
/// (e) One epoch of (b) with <c>Trainer.Fit</c>: shuffling, batch gathering, 938 steps of batch 64, on Fashion-MNIST's
/// 60,000 training images (synthetic data of their size when the files are not there).
/// </summary>
public class EpochBenchmarks
{
    private Dataset _data = null!;
    private MnistMlp _network = null!;
    private Adam _adam = null!;
    private int _epoch;

    [GlobalSetup]
    public void Setup()
    {
        _data = Settings.HasFashionMnist
            ? Idx.LoadFashionMnist(Settings.FashionMnistDirectory).Train
            : new Dataset(Data.Uniform(Cases.EpochRows * MnistMlp.InputSize, 1), MnistMlp.InputSize, Data.Labels(Cases.EpochRows, 10, 2), 1);
        _network = new MnistMlp(maxBatch: 64, seed: 3);
        _adam = new Adam(0.001);
    }

    /// <summary>
    /// The test accuracy of a fresh network after one epoch (Adam 0.001, batch 64), as <c>pytorch_bench.py</c> measures
    /// PyTorch's; <see langword="null"/> without Fashion-MNIST.
    /// </summary>
    public static double? TestAccuracyAfterOneEpoch()
    {
        if (!Settings.HasFashionMnist)
        {
            return null;
        }

        (Dataset train, Dataset test) = Idx.LoadFashionMnist(Settings.FashionMnistDirectory);
        var network = new MnistMlp(maxBatch: 64, seed: 0);
        Trainer.Fit(network, new Adam(0.001), train, new FitOptions { Epochs = 1, BatchSize = 64, Seed = 0 });
        return Trainer.Evaluate(network, test).Accuracy;
    }

    [Benchmark, Case("mlp784_epoch", Library.TypedNets)]
    public double Epoch()
    {
        History history = Trainer.Fit(_network, _adam, _data, new FitOptions { Epochs = 1, BatchSize = 64, Seed = (ulong)_epoch++ });
        return history.Epochs[0].Loss;
    }

    [Benchmark, Case("mlp784_epoch" + Cases.TwoThreads, Library.TypedNets, Threads = 2)]
    public double EpochTwoThreads() => Epoch();
}
