using Microsoft.CodeAnalysis;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The diagnostics of GPT's layers, <c>[PositionEmbedding]</c> and <c>[SelfAttention]</c>; part of
/// <see cref="DiagnosticTests"/>, so that <see cref="OneErrorTests"/> compiles their invalid declarations too.
/// </summary>
public partial class DiagnosticTests
{
    [Theory]
    [InlineData(18, 4, 6, 3)]
    [InlineData(30, 4, 10, 2)]
    [InlineData(21, 2, 7, 1)]
    public void TN0056_HeadsDoNotDivideTheAttentionWidth(int features, int heads, int width, int suggested)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(5, {{features}})]
            public partial class Net
            {
                [SelfAttention({{heads}})] public partial SelfAttentionLayer Attention { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0056", Error, 6, $"SelfAttention({heads})",
            $"Layer 'Attention' (SelfAttention) declares {heads} heads, but its width {width} ({features} input features / 3 for query, key and value) is not divisible by {heads}; use a head count that divides {width}, such as {suggested}");
    }

    [Fact]
    public void TN0057_SequenceLongerThanThePositionTable()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, TokenInput(12)]
            public partial class Net
            {
                [Embedding(50, 8)] public partial EmbeddingLayer Tokens { get; }
                [PositionEmbedding(10)] public partial PositionEmbeddingLayer Positions { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0057", Error, 7, "PositionEmbedding(10)",
            "Layer 'Positions' (PositionEmbedding) has a table of 10 positions, but receives a sequence of 12 steps from 'Tokens'; declare at least 12 positions (GPT's block size), or shorten the sequence to at most 10 steps");
    }

    [Fact]
    public void TN0057_NotReportedForASequenceShorterThanTheTable()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, TokenInput(12)]
            public partial class Net
            {
                [Embedding(50, 8)] public partial EmbeddingLayer Tokens { get; }
                [PositionEmbedding(12)] public partial PositionEmbeddingLayer Positions { get; }
                [Dense(24)] public partial DenseLayer Qkv { get; }
                [SelfAttention(2)] public partial SelfAttentionLayer Attention { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
    }

    [Theory]
    [InlineData("1.0", "1")]
    [InlineData("-0.1", "-0.1")]
    [InlineData("double.NaN", "NaN")]
    public void TN0058_AttentionDropoutOutsideTheUnitInterval(string rate, string shown)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(5, 12)]
            public partial class Net
            {
                [SelfAttention(2, Dropout = {{rate}})] public partial SelfAttentionLayer Attention { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0058", Error, 6, rate,
            $"Layer 'Attention' (SelfAttention) declares Dropout = {shown}, but the dropout on the attention weights is a probability in [0, 1), such as 0.1");
    }

    [Theory]
    [InlineData("SelfAttention(0)", "SelfAttentionLayer", "0", "Attention", "SelfAttention", "heads 0")]
    [InlineData("SelfAttention(-2, Causal = false)", "SelfAttentionLayer", "-2", "Attention", "SelfAttention", "heads -2")]
    [InlineData("PositionEmbedding(0)", "PositionEmbeddingLayer", "0", "Attention", "PositionEmbedding", "positions 0")]
    public void TN0023_AttentionSizeBelowItsMinimum(string attribute, string type, string span, string layer, string kind, string message)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(5, 12)]
            public partial class Net
            {
                [{{attribute}}] public partial {{type}} {{layer}} { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0023", Error, 6, span, $"Layer '{layer}' ({kind}) declares {message}; it must be at least 1");
    }

    [Theory]
    [InlineData("Input(18)", "SelfAttention(2)", "SelfAttentionLayer",
        "Layer 'Layer' (SelfAttention) needs a sequence [steps, 3 x width] (query, key and value side by side) but receives [18] from the input; feed it a sequence [steps, features] through a [Dense] of 3 x width units, as GPT-2's c_attn")]
    [InlineData("Input(5, 16)", "SelfAttention(2)", "SelfAttentionLayer",
        "Layer 'Layer' (SelfAttention) needs a sequence [steps, 3 x width] (query, key and value side by side) but receives [5, 16] from the input; project it with a [Dense(48)] before it, 3 x the width 16, as GPT-2's c_attn")]
    [InlineData("Input(3, 6, 6)", "SelfAttention(2)", "SelfAttentionLayer",
        "Layer 'Layer' (SelfAttention) needs a sequence [steps, 3 x width] (query, key and value side by side) but receives [3, 6, 6] from the input; feed it a sequence [steps, features] through a [Dense] of 3 x width units, as GPT-2's c_attn")]
    [InlineData("Input(10)", "PositionEmbedding(8)", "PositionEmbeddingLayer",
        "Layer 'Layer' (PositionEmbedding) needs a sequence [steps, features] but receives [10] from the input; feed it from an Embedding, a recurrent layer with ReturnSequences = true, or an [Input(steps, features)]")]
    public void TN0009_AttentionAndPositionsOnSomethingElseThanASequence(string input, string attribute, string type, string message)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, {{input}}]
            public partial class Net
            {
                [{{attribute}}] public partial {{type}} Layer { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0009", Error, 6, attribute, message);
    }

    [Fact]
    public void TN0023_NotReportedForAValidGptBlock()
    {
        // A position embedding passes a padding mask on (the Dense after it keeps it); attention drops it without a
        // warning: it attends to every position, as nanoGPT's, whose sequences are never padded.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, TokenInput(16)]
            public partial class Net
            {
                [Embedding(100, 8, MaskZero = true)] public partial EmbeddingLayer Tokens { get; }
                [PositionEmbedding(16)] public partial PositionEmbeddingLayer Positions { get; }
                [Dense(24)] public partial DenseLayer Qkv { get; }
                [SelfAttention(4, Causal = false, Dropout = 0.1)] public partial SelfAttentionLayer Attention { get; }
                [GlobalAveragePooling1D] public partial GlobalAveragePooling1DLayer Pool { get; }
                [Dense(2)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
    }
}
