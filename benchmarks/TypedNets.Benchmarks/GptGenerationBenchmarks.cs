using BenchmarkDotNet.Attributes;
using TypedNets.Compression;
using TypedNets.Text;

namespace TypedNets.Benchmarks;

/// <summary>
/// (g) Greedy generation with the key/value caches, batch 1: from a one-token prompt until the context is full
/// (<see cref="Gpt.NewTokens"/>), as <c>gpt_bench.py</c>'s loop in PyTorch, from GPT-2's random start: only the shapes
/// matter for speed. One call is one whole generation; the table divides by its tokens.
/// </summary>
/// <remarks>
/// A session from <c>CreateGenerator</c>, greedy: each call's <c>Prefill</c> empties the caches and runs the prompt,
/// then <c>Generate</c> fills the token buffer, allocating nothing.
/// </remarks>
public class GptGenerationBenchmarks
{
    private TextGenerator _baby = null!;
    private TextGenerator _stories15M = null!;
    private TextGenerator _babyInt8 = null!;
    private TextGenerator _stories15MInt8 = null!;
    private readonly int[] _prompt = [1];
    private int[] _babyTokens = [];
    private int[] _stories15MTokens = [];

    [GlobalSetup]
    public void Setup()
    {
        var baby = new BabyGpt(maxBatch: 1, seed: 1);
        Gpt.InitializeAsGpt2(baby, Gpt.Baby.Layers, seed: 1);
        _baby = baby.CreateGenerator(temperature: 0);
        var stories15M = new Stories15MGpt(maxBatch: 1, seed: 1);
        Gpt.InitializeAsGpt2(stories15M, Gpt.Stories15M.Layers, seed: 1);
        _stories15M = stories15M.CreateGenerator(temperature: 0);
        _babyInt8 = baby.Quantize().CreateGenerator(temperature: 0);
        _stories15MInt8 = stories15M.Quantize().CreateGenerator(temperature: 0);
        _babyTokens = new int[Gpt.NewTokens(Gpt.Baby)];
        _stories15MTokens = new int[Gpt.NewTokens(Gpt.Stories15M)];
    }

    [Benchmark, Case("gpt_baby_generate", Library.TypedNets)]
    public int GenerateBaby() => Generate(_baby, _prompt, _babyTokens);

    [Benchmark, Case("gpt15m_generate", Library.TypedNets)]
    public int GenerateStories15M() => Generate(_stories15M, _prompt, _stories15MTokens);

    [Benchmark, Case("gpt_baby_int8_generate", Library.TypedNets)]
    public int GenerateBabyInt8() => Generate(_babyInt8, _prompt, _babyTokens);

    [Benchmark, Case("gpt15m_int8_generate", Library.TypedNets)]
    public int GenerateStories15MInt8() => Generate(_stories15MInt8, _prompt, _stories15MTokens);

    /// <summary>A new prompt empties the caches, so every call generates from position 0, as PyTorch's does.</summary>
    private static int Generate(TextGenerator generator, int[] prompt, int[] tokens)
    {
        generator.Prefill(prompt);
        generator.Generate(tokens);
        return tokens[^1];
    }
}
