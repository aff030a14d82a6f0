using System;
using System.Collections.Generic;
using System.Linq;

namespace TypedNets.Benchmarks;

/// <summary>Who runs a benchmark: the columns of the table.</summary>
public enum Library
{
    TypedNets,
    OnnxRuntime,
}

/// <summary>Ties a benchmark method to a row of the table (the same key the PyTorch script writes).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CaseAttribute(string key, Library library) : Attribute
{
    public string Key { get; } = key;

    public Library Library { get; } = library;

    /// <summary>
    /// 2 for a training row's two-thread twin (key suffix <see cref="Cases.TwoThreads"/>): the suite runs it with
    /// <see cref="Threading.Use"/>(2), and every other case on one thread.
    /// </summary>
    public int Threads { get; set; } = 1;
}

/// <summary>
/// One row of the table. <see cref="Flops"/> counts the multiply-adds of the matrix products (2 flops each) that the
/// case must do at least; elementwise work (activations, Adam) is not counted, so "% of FMA peak" is an upper bound
/// on how well the matrix work is done, and a low figure on a training step can also mean elementwise overhead.
/// </summary>
/// <remarks>
/// A generation case also has <see cref="Tokens"/>, the tokens one call produces, and <see cref="WeightBytesPerToken"/>,
/// what each of them must read at least; the GPT table turns them into tokens per second and a memory floor.
/// </remarks>
public sealed record CaseInfo(string Key, string Label, double? Flops, int? Tokens = null, long? WeightBytesPerToken = null);

public static class Cases
{
    public const int TextSteps = 100;
    public const int TextEmbedding = 128;
    public const int TextUnits = 64;

    public const int EpochRows = 60_000;

    /// <summary>The key suffix of a training row's run on two threads.</summary>
    public const string TwoThreads = "_two_threads";

    /// <summary>The training rows, each measured on one thread and on two (key + <see cref="TwoThreads"/>).</summary>
    public static readonly IReadOnlyList<string> ThreadedTraining =
        ["mlp10_train32", "mlp784_train64", "text_train32", "mlp784_epoch", "convnet_epoch", "resnet_train128", "gpt_baby_train12"];

    /// <summary>Whether <paramref name="key"/> is the two-thread run of one of <see cref="ThreadedTraining"/>.</summary>
    public static bool IsTwoThreadTraining(string key)
        => key.EndsWith(TwoThreads, StringComparison.Ordinal) && ThreadedTraining.Contains(key[..^TwoThreads.Length]);

    public static readonly IReadOnlyList<CaseInfo> All = WithTwoThreadRows(
    [
        new("fma_peak", "FMA peak: Vector512 FMAs, registers only (GFLOP/s)", null),
        new("fma_peak_256", "FMA peak: Vector256 FMAs, registers only (GFLOP/s; for reference, ratios use the Vector512 row)", null),
        new("memory_bandwidth", "memory bandwidth: one core streaming 512 MiB of Vector512 loads (GB/s)", null),
        new("mlp10_predict1", "(a) MLP 10-50-2: predict 1", null),
        new("mlp10_train32", "(a) MLP 10-50-2: train step, batch 32", DenseTrainingFlops(32, 10, 50, 2)),
        new("mlp784_predict1", "(b) MLP 784-256-128-10: predict 1", null),
        new("mlp784_read_weights", "(b) MLP 784-256-128-10: read its weights once (the memory floor of predict 1)", null),
        new("mlp784_predict256", "(b) MLP 784-256-128-10: predict 256", null),
        new("mlp784_int8_predict1", "(b) MLP 784-256-128-10, int8 (dynamic quantisation; PyTorch: quantize_dynamic): predict 1", null),
        new("mlp784_int8_predict256", "(b) MLP 784-256-128-10, int8 (dynamic quantisation; PyTorch: quantize_dynamic): predict 256", null),
        new("mlp784_train64", "(b) MLP 784-256-128-10: train step, batch 64", DenseTrainingFlops(64, 784, 256, 128, 10)),
        new("text_predict1", "(c) text LSTM classifier: predict 1", null),
        new("text_train32", "(c) text LSTM classifier: train step, batch 32", TextTrainingFlops(32)),
        new("gemm256", "(d) SGEMM 256 x 256 x 256", 2.0 * 256 * 256 * 256),
        new("gemm1024", "(d) SGEMM 1024 x 1024 x 1024", 2.0 * 1024 * 1024 * 1024),
        new("gemm1024_two_threads", "(d) SGEMM 1024 x 1024 x 1024, two threads (TypedNets only; % of the one-core peak)", 2.0 * 1024 * 1024 * 1024),
        new("mlp784_epoch", "(e) MLP 784-256-128-10: 1 epoch, 60,000 x 784, batch 64", EpochFlops()),
        new("convnet_predict1", "(h) Fashion-MNIST convnet (Conv 32, pool, Conv 64, pool, Dense 128): predict 1", null),
        new("convnet_predict256", "(h) Fashion-MNIST convnet: predict 256", 256 * ForwardFlops(ConvnetProducts())),
        new("convnet_epoch", "(h) Fashion-MNIST convnet: 1 epoch, 60,000 x 1 x 28 x 28, batch 64, Adam", EpochRows * TrainingFlops(ConvnetProducts())),
        new("resnet_predict256", "(i) Fashion-MNIST ResNet (16, 32, 64 channels, 2 blocks a stage): predict 256", 256 * ForwardFlops(ResNetProducts())),
        new("resnet_train128", "(i) Fashion-MNIST ResNet: train step, batch 128, SGD with Nesterov momentum", 128 * TrainingFlops(ResNetProducts())),
        new("gpt_baby_train12", "(f) baby GPT (nanoGPT's CPU model): train step, batch 12 x 64, AdamW, clip 1.0", Gpt.Baby.TrainingFlops(Gpt.Batch, Gpt.Baby.Context)),
        new("gpt_baby_generate", $"(g) baby GPT: generate {Gpt.NewTokens(Gpt.Baby)} tokens, key/value cache, greedy", null, Gpt.NewTokens(Gpt.Baby), Gpt.Baby.WeightBytesPerToken),
        new("gpt15m_generate", $"(g) stories15M-shaped GPT: generate {Gpt.NewTokens(Gpt.Stories15M)} tokens, key/value cache, greedy", null, Gpt.NewTokens(Gpt.Stories15M), Gpt.Stories15M.WeightBytesPerToken),
        new("gpt_baby_int8_generate", $"(g) baby GPT, int8 projections: generate {Gpt.NewTokens(Gpt.Baby)} tokens, key/value cache, greedy", null, Gpt.NewTokens(Gpt.Baby), Gpt.Baby.Int8WeightBytesPerToken),
        new("gpt15m_int8_generate", $"(g) stories15M-shaped GPT, int8 projections: generate {Gpt.NewTokens(Gpt.Stories15M)} tokens, key/value cache, greedy", null, Gpt.NewTokens(Gpt.Stories15M), Gpt.Stories15M.Int8WeightBytesPerToken),
    ]);

    private static List<CaseInfo> WithTwoThreadRows(List<CaseInfo> rows)
    {
        foreach (string key in ThreadedTraining)
        {
            CaseInfo one = rows.Single(row => row.Key == key);
            rows.Add(one with { Key = key + TwoThreads, Label = one.Label + ", two threads" });
        }

        return rows;
    }

    /// <summary>Multiply-adds per sample of a convolution: every output (channels x height x width) sums inputs x kernel².</summary>
    private static double Convolution(int outputs, int size, int inputs, int kernel) => (double)outputs * size * size * inputs * kernel * kernel;

    /// <summary>
    /// examples/FashionMnist's <c>FashionConvnet</c>, its products in the order they run, as multiply-adds per sample:
    /// Conv2D 1 -> 32 (3 x 3, 28 -> 26), Conv2D 32 -> 64 (13 -> 11, after pooling), Dense 1,600 -> 128, Dense 128 -> 10.
    /// </summary>
    public static double[] ConvnetProducts() =>
        [Convolution(32, 26, 1, 3), Convolution(64, 11, 32, 3), 64 * 5 * 5 * 128.0, 128 * 10.0];

    /// <summary>
    /// examples/FashionMnist's <c>FashionResNet</c>, as multiply-adds per sample in the order they run: the stem
    /// (1 -> 16, 3 x 3 at 28 x 28), four 16 -> 16 convolutions, the second stage (a 3 x 3 stride-2 16 -> 32 to 14 x 14,
    /// a 32 -> 32, the 1 x 1 stride-2 downsample, two more 32 -> 32), the third likewise at 64 and 7 x 7, and the 64 -> 10
    /// dense layer after global average pooling.
    /// </summary>
    public static double[] ResNetProducts() =>
    [
        Convolution(16, 28, 1, 3),
        .. Enumerable.Repeat(Convolution(16, 28, 16, 3), 4),
        Convolution(32, 14, 16, 3), Convolution(32, 14, 32, 3), Convolution(32, 14, 16, 1),
        .. Enumerable.Repeat(Convolution(32, 14, 32, 3), 2),
        Convolution(64, 7, 32, 3), Convolution(64, 7, 64, 3), Convolution(64, 7, 32, 1),
        .. Enumerable.Repeat(Convolution(64, 7, 64, 3), 2),
        64 * 10.0,
    ];

    /// <summary>Forward flops per sample of a network's products (2 per multiply-add).</summary>
    public static double ForwardFlops(double[] products) => 2 * products.Sum();

    /// <summary>
    /// Training flops per sample: each product forward and for its weight gradient, and for its input gradient except the
    /// first (it gets the input, which needs no gradient), as <see cref="DenseTrainingFlops"/> counts the MLPs'.
    /// </summary>
    public static double TrainingFlops(double[] products) => 2 * ((2 * products[0]) + (3 * products.Skip(1).Sum()));

    /// <summary>
    /// Forward <c>x W^T</c>, backward <c>dW = dz^T x</c> for every layer, and <c>dx = dz W</c> for every layer but the
    /// first (the input needs no gradient): <c>2 B in out</c> flops each.
    /// </summary>
    public static double DenseTrainingFlops(int batch, params int[] sizes)
    {
        double flops = 0;
        for (int layer = 0; layer + 1 < sizes.Length; layer++)
        {
            double product = 2.0 * batch * sizes[layer] * sizes[layer + 1];
            flops += layer == 0 ? 2 * product : 3 * product;
        }

        return flops;
    }

    /// <summary>
    /// The LSTM: the input projection over all steps and the recurrent product over steps 1..T-1, each done three times
    /// (forward, weight gradient, input gradient: the embedding needs the LSTM's input gradient); then the two dense layers.
    /// </summary>
    public static double TextTrainingFlops(int batch)
    {
        double gates = 4.0 * TextUnits;
        double projection = 2.0 * batch * TextSteps * TextEmbedding * gates;
        double recurrent = 2.0 * batch * (TextSteps - 1) * TextUnits * gates;
        double dense = (3 * 2.0 * batch * TextUnits * TextUnits) + (3 * 2.0 * batch * TextUnits * 2);
        return (3 * projection) + (3 * recurrent) + dense;
    }

    public static double EpochFlops()
    {
        int fullBatches = EpochRows / 64;
        int rest = EpochRows % 64;
        return (fullBatches * DenseTrainingFlops(64, 784, 256, 128, 10)) + (rest > 0 ? DenseTrainingFlops(rest, 784, 256, 128, 10) : 0);
    }
}
