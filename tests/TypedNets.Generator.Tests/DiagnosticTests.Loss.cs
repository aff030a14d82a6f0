using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The loss checks of sequence outputs, cross-entropy at every position as a GPT is trained, and of
/// <c>[Loss(..., IgnoreIndex = ...)]</c>; part of <see cref="DiagnosticTests"/>, so that <see cref="OneErrorTests"/>
/// compiles their invalid declarations too.
/// </summary>
public partial class DiagnosticTests
{
    [Theory]
    [InlineData("LossKind.CrossEntropy", "[Dense(9)]")]
    [InlineData("LossKind.CrossEntropy, IgnoreIndex = -1", "[Dense(9)]")]
    [InlineData("LossKind.CrossEntropy, IgnoreIndex = 0", "[Dense(9, Activation.Softmax)]")]
    public void Cross_entropy_at_every_position_of_a_sequence_compiles_cleanly(string loss, string head)
    {
        // A GPT in miniature: the head is a Dense applied at each of the 4 positions, [4, 9].
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, TokenInput(4), Loss({{loss}})]
            public partial class Net
            {
                [Embedding(9, 6)] public partial EmbeddingLayer Tokens { get; }
                [PositionEmbedding(8)] public partial PositionEmbeddingLayer Positions { get; }
                [Dense(18)] public partial DenseLayer Qkv { get; }
                [SelfAttention(2)] public partial SelfAttentionLayer Attention { get; }
                {{head}} public partial DenseLayer Head { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
    }

    [Fact]
    public void The_declared_ignore_index_reaches_the_declared_loss()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, TokenInput(4), Loss(LossKind.CrossEntropy, IgnoreIndex = -100)]
            public partial class Net
            {
                [Embedding(9, 6)] public partial EmbeddingLayer Tokens { get; }
                [Dense(9)] public partial DenseLayer Head { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Assert.Contains(
            "DeclaredLoss => new global::TypedNets.LossFunction(global::TypedNets.LossKind.CrossEntropy, 1d, ignoreIndex: -100);",
            run.GeneratedSource("Net.g.cs"));
    }

    [Fact]
    public void A_recurrent_sequence_with_a_dense_at_every_step_takes_cross_entropy()
    {
        // A tagger: the LSTM keeps every state and the Dense gives each step its classes, [100, 2]. Before sequence
        // targets this was refused as a classifier that forgot to pool; the run time now names that mistake instead,
        // when the targets hold one class per sample.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, TokenInput(100), Loss(LossKind.CrossEntropy)]
            public partial class Net
            {
                [Embedding(10000, 128)] public partial EmbeddingLayer Embedding { get; }
                [Lstm(64, ReturnSequences = true)] public partial LstmLayer Encoder { get; }
                [Dense(2, Activation.Softmax)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
    }

    [Fact]
    public void TN0018_SequenceThatDoesNotEndInADense()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, TokenInput(6), Loss(LossKind.CrossEntropy)]
            public partial class Net
            {
                [Embedding(9, 16)] public partial EmbeddingLayer Tokens { get; }
                [PositionEmbedding(64)] public partial PositionEmbeddingLayer Positions { get; }
                [Dense(48)] public partial DenseLayer Qkv { get; }
                [SelfAttention(4)] public partial SelfAttentionLayer Attention { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0018", Error, 3, "Loss(LossKind.CrossEntropy)",
            "Loss CrossEntropy needs one prediction per sample, or a Dense layer that gives the classes at every position, but the output is a sequence [6, 16] from 'Attention' (SelfAttention); " +
            "end the network with a [Dense] of one unit per class for a prediction at every position, or add a [GlobalAveragePooling1D] or [Flatten] layer and a [Dense] for one per sample");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0018_RecurrentSequenceWithoutADense()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, TokenInput(100), Loss(LossKind.CrossEntropy)]
            public partial class Net
            {
                [Embedding(10000, 128)] public partial EmbeddingLayer Embedding { get; }
                [Lstm(64, ReturnSequences = true)] public partial LstmLayer Encoder { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0018", Error, 3, "Loss(LossKind.CrossEntropy)",
            "Loss CrossEntropy needs one prediction per sample, or a Dense layer that gives the classes at every position, but the output is a sequence [100, 64] from 'Encoder' (LSTM); " +
            "add a [Dense] of one unit per class after 'Encoder' for a prediction at every step, or set ReturnSequences = false on it and end with a [Dense] for one per sample");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0018_BinaryCrossEntropyOnASequenceKeepsItsMessage()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(50, 3), Loss(LossKind.BinaryCrossEntropy)]
            public partial class Net
            {
                [Dense(1)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0018", Error, 3, "Loss(LossKind.BinaryCrossEntropy)",
            "Loss BinaryCrossEntropy needs one prediction per sample, but the output is still a sequence [50, 1]; add a [GlobalAveragePooling1D] or [Flatten] layer before the output layer");
    }

    [Theory]
    [InlineData("LossKind.MeanSquaredError", "MeanSquaredError")]
    [InlineData("LossKind.BinaryCrossEntropy", "BinaryCrossEntropy")]
    public void TN0061_IgnoreIndexOnALossWithoutClassTargets(string loss, string name)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(10), Loss({{loss}}, IgnoreIndex = -1)]
            public partial class Net
            {
                [Dense(1)] public partial DenseLayer Output { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0061", Error, 3, "IgnoreIndex = -1",
            $"Loss {name} declares IgnoreIndex = -1, but only CrossEntropy has class-id targets to ignore; drop IgnoreIndex, or use LossKind.CrossEntropy");
        Expect.NothingInGeneratedCode(run);
    }
}
