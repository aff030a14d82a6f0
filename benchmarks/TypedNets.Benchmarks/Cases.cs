using System;
using System.Collections.Generic;

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

    public static readonly IReadOnlyList<CaseInfo> All =
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
        new("gpt_baby_train12", "(f) baby GPT (nanoGPT's CPU model): train step, batch 12 x 64, AdamW, clip 1.0", Gpt.Baby.TrainingFlops(Gpt.Batch, Gpt.Baby.Context)),
        new("gpt_baby_generate", $"(g) baby GPT: generate {Gpt.NewTokens(Gpt.Baby)} tokens, key/value cache, greedy", null, Gpt.NewTokens(Gpt.Baby), Gpt.Baby.WeightBytesPerToken),
        new("gpt15m_generate", $"(g) stories15M-shaped GPT: generate {Gpt.NewTokens(Gpt.Stories15M)} tokens, key/value cache, greedy", null, Gpt.NewTokens(Gpt.Stories15M), Gpt.Stories15M.WeightBytesPerToken),
        new("gpt_baby_int8_generate", $"(g) baby GPT, int8 projections: generate {Gpt.NewTokens(Gpt.Baby)} tokens, key/value cache, greedy", null, Gpt.NewTokens(Gpt.Baby), Gpt.Baby.Int8WeightBytesPerToken),
        new("gpt15m_int8_generate", $"(g) stories15M-shaped GPT, int8 projections: generate {Gpt.NewTokens(Gpt.Stories15M)} tokens, key/value cache, greedy", null, Gpt.NewTokens(Gpt.Stories15M), Gpt.Stories15M.Int8WeightBytesPerToken),
    ];

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
