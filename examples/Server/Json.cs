using System.Collections.Generic;
using System.Text.Json.Serialization;

namespace Server;

/// <summary>A request to the breast-cancer classifier: one sample (<c>features</c>) or several (<c>batch</c>).</summary>
internal sealed class TumorRequest
{
    /// <summary>The ten raw "mean" measurements of one tumour, in the order of scikit-learn's breast_cancer.csv.</summary>
    public float[]? Features { get; init; }

    /// <summary>Several tumours, each ten raw measurements.</summary>
    public float[]?[]? Batch { get; init; }
}

/// <summary>
/// A request to the fortune classifier: one quote as <c>text</c> or as <c>tokens</c>, or several as <c>texts</c> or
/// <c>token_batch</c>.
/// </summary>
internal sealed class FortuneRequest
{
    /// <summary>One quote, tokenized as the training quotes were.</summary>
    public string? Text { get; init; }

    /// <summary>Several quotes.</summary>
    public string?[]? Texts { get; init; }

    /// <summary>One quote's token ids, padded in front with 0 to the model's 100 steps as the training quotes were.</summary>
    public int[]? Tokens { get; init; }

    /// <summary>Several quotes' token ids.</summary>
    public int[]?[]? TokenBatch { get; init; }
}

/// <summary>One prediction: the most probable class and every class's probability.</summary>
internal sealed class PredictionResponse
{
    /// <summary>The index of the most probable class.</summary>
    public required int Class { get; init; }

    /// <summary>The name of the most probable class.</summary>
    public required string Label { get; init; }

    /// <summary>The probability of each class, in class order.</summary>
    public required float[] Probabilities { get; init; }
}

/// <summary>The predictions for a batch, in the order of its samples.</summary>
internal sealed class BatchResponse
{
    /// <summary>One prediction per sample.</summary>
    public required PredictionResponse[] Predictions { get; init; }
}

/// <summary>What <c>GET /health</c> answers.</summary>
internal sealed class HealthResponse
{
    /// <summary>"ok" once the server answers.</summary>
    public required string Status { get; init; }

    /// <summary>Each model, with the engines that can answer for it now.</summary>
    public required ModelHealth[] Models { get; init; }
}

/// <summary>One model in <see cref="HealthResponse"/>.</summary>
internal sealed class ModelHealth
{
    /// <summary>The name in the model's routes.</summary>
    public required string Name { get; init; }

    /// <summary>The route that predicts with it.</summary>
    public required string Route { get; init; }

    /// <summary>The engines loaded for it ("typednets", "onnxruntime").</summary>
    public required string[] Engines { get; init; }

    /// <summary>Why an engine is missing, and how to provide it; absent when none is.</summary>
    public string[]? Missing { get; init; }
}

/// <summary>The fitted tokenizer as <c>examples/TextClassifier --export</c> writes it (Keras' names).</summary>
internal sealed class TokenizerFile
{
    public string? WrittenBy { get; init; }

    public int? NumWords { get; init; }

    public required string Filters { get; init; }

    public required bool Lower { get; init; }

    public required string Split { get; init; }

    public string? OovToken { get; init; }

    public required int SequenceLength { get; init; }

    public required string Padding { get; init; }

    public required string Truncating { get; init; }

    public required string[] ClassNames { get; init; }

    public required Dictionary<string, int> WordIndex { get; init; }
}

/// <summary>A held-out quote with the text classifier's own prediction, one line of <c>heldout.jsonl</c>.</summary>
internal sealed class HeldOutQuote
{
    public required string Text { get; init; }

    public required int Label { get; init; }

    public required int[] Tokens { get; init; }

    public required float[] Probabilities { get; init; }
}

/// <summary>
/// Compile-time JSON for every type the server reads or writes: no reflection, so the server publishes with
/// NativeAOT. Names are snake_case; a property the type does not have is an error (a misspelt <c>feature</c> is a 400
/// naming it, not an empty request).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TumorRequest))]
[JsonSerializable(typeof(FortuneRequest))]
[JsonSerializable(typeof(PredictionResponse))]
[JsonSerializable(typeof(BatchResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(TokenizerFile))]
[JsonSerializable(typeof(HeldOutQuote))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
