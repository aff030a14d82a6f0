using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using BenchmarkDotNet.Attributes;
using TypedNets.Kernels;
using TypedNets.Optimizers;
using TypedNets.Training;

namespace TypedNets.Benchmarks;

/// <summary>
/// (f) A training step of nanoGPT's baby GPT (<see cref="BabyGpt"/>) on 12 sequences of 64 characters, as
/// <c>reference/pytorch/tiny_gpt.py</c> trains it: forward in training mode, cross-entropy over every position from the
/// logits, backward, the gradient clipped to a global norm of 1, AdamW (betas 0.9, 0.99; weight decay 0.1 on the
/// matrices and embeddings, none on biases and LayerNorm weights).
/// </summary>
public class GptTrainingBenchmarks
{
    private BabyGpt _network = null!;
    private AdamW _adamw = null!;
    private float[] _tokens = [];
    private float[] _targets = [];
    private float[] _logitGradient = [];

    [GlobalSetup]
    public void Setup()
    {
        _network = new BabyGpt(maxBatch: Gpt.Batch, seed: 3);
        Gpt.InitializeAsGpt2(_network, Gpt.Baby.Layers, seed: 3);
        _adamw = new AdamW(learningRate: 1e-3, beta1: 0.9, beta2: 0.99, weightDecay: 0.1);
        _adamw.ExcludeFromWeightDecay(_network.Layers.SelectMany(layer => layer.Parameters).Where(tensor => tensor.Shape.Length < 2).Distinct());
        _tokens = Array.ConvertAll(Data.Tokens(Gpt.Batch * Gpt.Baby.Context, Gpt.Baby.Vocabulary, 4), token => (float)token);
        _targets = Data.Labels(Gpt.Batch * Gpt.Baby.Context, Gpt.Baby.Vocabulary, 5);
        _logitGradient = new float[Gpt.Batch * Gpt.Baby.Context * Gpt.Baby.Vocabulary];
    }

    /// <summary>The network, optimizer and batch, for <see cref="GptBreakdown"/>.</summary>
    internal (BabyGpt Network, AdamW AdamW, float[] Tokens, float[] Targets, float[] LogitGradient) State => (_network, _adamw, _tokens, _targets, _logitGradient);

    /// <summary>
    /// One step through <c>Trainer.Step</c>: the declared cross-entropy at every position of every sequence (the mean over
    /// 768 positions), clipping to norm 1 before AdamW, and the library's check that the loss and gradients are finite.
    /// </summary>
    [Benchmark, Case("gpt_baby_train12", Library.TypedNets)]
    public double TrainStep() => Trainer.Step(_network, _adamw, _tokens, _targets, LossFunction.CrossEntropy, clipGradientNorm: 1.0);

    [Benchmark, Case("gpt_baby_train12" + Cases.TwoThreads, Library.TypedNets, Threads = 2)]
    public double TrainStepTwoThreads() => TrainStep();
}

/// <summary>
/// The single-core memory bandwidth: one pass of <c>Vector512</c> loads over 512 MiB, far beyond any cache, the same
/// loop as the (b) memory-floor row. A generation step at batch 1 must read every weight once, so weight bytes over
/// this bandwidth is the fastest a token can come (the memory floor of (g)).
/// </summary>
public class MemoryBandwidthBenchmarks
{
    public const int Floats = 512 * 1024 * 1024 / sizeof(float);

    private float[] _buffer = [];

    [GlobalSetup]
    public void Setup()
    {
        // Written once, so that every page is mapped before the timing and no read finds a shared zero page.
        _buffer = GC.AllocateUninitializedArray<float>(Floats, pinned: true);
        _buffer.AsSpan().Fill(1f);
    }

    [GlobalCleanup]
    public void Cleanup() => _buffer = [];

    [Benchmark, Case("memory_bandwidth", Library.TypedNets)]
    public float Read512MiB() => MnistMlpBenchmarks.ReadAll(_buffer);
}

/// <summary>The GPT shapes of (f) and (g), and the figures the table turns times into rates with.</summary>
public static class Gpt
{
    public const int Batch = 12;

    /// <summary>One GPT's shape in GPT-2's layout, with its tied head.</summary>
    public sealed record Shape(int Vocabulary, int Context, int Layers, int Heads, int Width, int Hidden)
    {
        /// <summary>Parameters, the tied head counted once (as <c>nn.Module.parameters()</c> and TypedNets list them).</summary>
        public long Parameters
        {
            get
            {
                long c = Width;
                long block = (2 * 2 * c) + ((c * 3 * c) + (3 * c)) + ((c * c) + c) + ((c * Hidden) + Hidden) + ((Hidden * c) + c);
                return ((long)Vocabulary * c) + ((long)Context * c) + (Layers * block) + (2 * c);
            }
        }

        /// <summary>
        /// Matrix-product flops of a training step on <paramref name="batch"/> sequences of <paramref name="steps"/>
        /// tokens, 2 per multiply-add, what a step must do at least: <c>6 N tokens</c> for the weights' products
        /// (<c>N = layers (4 c² + 2 c hidden) + vocabulary c</c>, the tied head included; forward, weight gradient and input
        /// gradient of each) plus <c>6 layers batch c steps (steps + 1)</c> for causal attention (<c>Q Kᵀ</c> and
        /// <c>P V</c> over the <c>steps (steps + 1) / 2</c> visible pairs, twice as much again backward).
        /// The same formula as <c>gpt_bench.py</c>'s <c>training_flops</c>.
        /// </summary>
        public double TrainingFlops(int batch, int steps)
        {
            double c = Width;
            double n = (Layers * ((4 * c * c) + (2 * c * Hidden))) + (Vocabulary * c);
            return (6.0 * n * batch * steps) + (6.0 * Layers * batch * c * steps * (steps + 1.0));
        }

        /// <summary>Float32 bytes a decode step must read at least: every parameter but the other rows of the position table.</summary>
        public long WeightBytesPerToken => 4 * (Parameters - ((Context - 1L) * Width));

        /// <summary>
        /// The same once quantised: the blocks' four projection matrices (<c>4 c² + 2 c hidden</c> per layer) one byte
        /// each, everything else (the tied head and embeddings, biases, norms) still float32.
        /// </summary>
        public long Int8WeightBytesPerToken => WeightBytesPerToken - (3L * Layers * ((4L * Width * Width) + (2L * Width * Hidden)));
    }

    /// <summary>nanoGPT's CPU "baby" model, <see cref="BabyGpt"/>.</summary>
    public static readonly Shape Baby = new(Vocabulary: 113, Context: 64, Layers: 4, Heads: 4, Width: 128, Hidden: 512);

    /// <summary>llama2.c's "stories15M" shape in GPT-2's layout, <see cref="Stories15MGpt"/>.</summary>
    public static readonly Shape Stories15M = new(Vocabulary: 32000, Context: 256, Layers: 6, Heads: 6, Width: 288, Hidden: 768);

    /// <summary>
    /// GPT-2's start, as <c>tiny_gpt.py</c> and <c>gpt_bench.py</c> draw it: matrices and embeddings from N(0, 0.02²), the
    /// residual projections (<c>c_proj</c>) from N(0, (0.02 / sqrt(2 layers))²), biases zero, LayerNorm weights one.
    /// The DSL's defaults (PyTorch's per-layer ones, the embedding's N(0, 1)) would start the tied head's logits at a
    /// spread of about sqrt(width), a loss near 45 instead of ln(vocabulary).
    /// </summary>
    /// <returns>How many <c>c_proj</c> weights it found: two a layer.</returns>
    public static int InitializeAsGpt2(INetwork network, int layers, ulong seed)
    {
        var random = new Xoshiro256(seed);
        int projections = 0;
        foreach (ParameterTensor tensor in network.Layers.SelectMany(layer => layer.Parameters).Distinct())
        {
            if (tensor.Name.EndsWith("c_proj.weight", StringComparison.Ordinal))
            {
                Initializers.Normal<float>(tensor.Values, 0.02 / Math.Sqrt(2.0 * layers), ref random);
                projections++;
            }
            else if (tensor.Shape.Length == 2)
            {
                Initializers.Normal<float>(tensor.Values, 0.02, ref random);
            }
            else if (tensor.Name.EndsWith(".bias", StringComparison.Ordinal))
            {
                tensor.Values.Clear();
            }
        }

        return projections;
    }

    /// <summary>Tokens each generation case produces from a one-token prompt: until the context is full.</summary>
    public static int NewTokens(Shape shape) => shape.Context - 1;
}

/// <summary>
/// Holds the suite's GPT figures to the declared networks and to PyTorch's: a table whose flops, weight bytes or
/// networks differ from the peer's would compare different work.
/// </summary>
internal static class GptFigures
{
    /// <summary>
    /// The mismatches, empty when all agree: the declared networks' parameter counts against <see cref="Gpt.Shape.Parameters"/>,
    /// and each case's parameters, flops, tokens and weight bytes against what <c>gpt_bench.py</c> wrote.
    /// </summary>
    public static List<string> Check(PyTorchResults? pytorch)
    {
        var problems = new List<string>();
        Expect(problems, "BabyGpt's parameters", new BabyGpt(maxBatch: 1, seed: 0).Parameters.Length, Gpt.Baby.Parameters);
        Expect(problems, "Stories15MGpt's parameters", new Stories15MGpt(maxBatch: 1, seed: 0).Parameters.Length, Gpt.Stories15M.Parameters);
        Expect(problems, "BabyGpt's c_proj weights", Gpt.InitializeAsGpt2(new BabyGpt(maxBatch: 1, seed: 0), Gpt.Baby.Layers, seed: 0), 2 * Gpt.Baby.Layers);
        if (pytorch is null)
        {
            return problems;
        }

        foreach (CaseInfo info in Cases.All.Where(info => info.Key.StartsWith("gpt", StringComparison.Ordinal)))
        {
            if (!pytorch.Gpt.TryGetValue(info.Key, out IReadOnlyDictionary<string, double>? theirs))
            {
                continue;
            }

            Gpt.Shape shape = info.Key.StartsWith("gpt15m", StringComparison.Ordinal) ? Gpt.Stories15M : Gpt.Baby;
            Expect(problems, info.Key + " parameters", theirs.GetValueOrDefault("parameters", double.NaN), shape.Parameters);
            if (info.Tokens is int tokens)
            {
                Expect(problems, info.Key + " tokens", theirs.GetValueOrDefault("tokens", double.NaN), tokens);
                Expect(problems, info.Key + " weight_bytes_per_token", theirs.GetValueOrDefault("weight_bytes_per_token", double.NaN), info.WeightBytesPerToken ?? double.NaN);
            }
            else
            {
                Expect(problems, info.Key + " flops", theirs.GetValueOrDefault("flops", double.NaN), info.Flops ?? double.NaN);
            }
        }

        return problems;
    }

    private static void Expect(List<string> problems, string what, double pytorchOrDeclared, double ours)
    {
        if (pytorchOrDeclared != ours)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{what}: {pytorchOrDeclared} there, {ours} in the suite's formula"));
        }
    }
}

/// <summary>
/// Where the time of the (f) training step goes (<c>--breakdown-gpt</c>): the phases of <c>Trainer.Step</c> written out
/// with the public kernels (the loss from the logits, the clipping, AdamW) and each timed on its own.
/// </summary>
internal static class GptBreakdown
{
    public static void Run(bool full)
    {
        int rounds = full ? 9 : 5;
        var bench = new GptTrainingBenchmarks();
        bench.Setup();
        (BabyGpt network, AdamW adamw, float[] tokens, float[] targets, float[] gradient) = bench.State;
        string[] phases = ["ZeroGradients", "Forward (training)", "cross-entropy from logits", "Backward", "clip to norm 1", "AdamW step"];
        var samples = phases.Select(_ => new List<double>()).ToArray();
        var losses = new List<float>();
        for (int round = -2; round < rounds; round++)
        {
            long t0 = Stopwatch.GetTimestamp();
            network.ZeroGradients();
            long t1 = Stopwatch.GetTimestamp();
            ReadOnlySpan<float> logits = network.Forward(tokens, training: true);
            long t2 = Stopwatch.GetTimestamp();
            losses.Add(LossKernel.CrossEntropyFromLogits<float>(logits, targets, gradient, Gpt.Baby.Vocabulary));
            long t3 = Stopwatch.GetTimestamp();
            network.Backward(gradient);
            long t4 = Stopwatch.GetTimestamp();
            GradientClipping.ClipByGlobalNorm<float>(network.Gradients, 1.0);
            long t5 = Stopwatch.GetTimestamp();
            adamw.Step(network.Parameters, network.Gradients);
            long t6 = Stopwatch.GetTimestamp();
            if (round >= 0)
            {
                long[] marks = [t0, t1, t2, t3, t4, t5, t6];
                for (int phase = 0; phase < phases.Length; phase++)
                {
                    samples[phase].Add(Stopwatch.GetElapsedTime(marks[phase], marks[phase + 1]).TotalSeconds);
                }
            }
        }

        Console.WriteLine($"(f) baby GPT training step, batch {Gpt.Batch} x {Gpt.Baby.Context}: phases, median of {rounds} rounds");
        double total = 0;
        for (int phase = 0; phase < phases.Length; phase++)
        {
            double median = samples[phase].Order().ElementAt(samples[phase].Count / 2);
            total += median;
            Console.WriteLine($"  {phases[phase],-28} {Report.Time(median),10}");
        }

        Console.WriteLine($"  {"sum",-28} {Report.Time(total),10}");
        // The same batch every step: the loss starts near ln(113) = 4.73 and falls, a sign that the step trains.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  loss of the same batch, step by step: {string.Join(", ", losses.Select(loss => loss.ToString("F3", CultureInfo.InvariantCulture)))}"));
    }
}
