using System;
using System.Runtime.InteropServices;
using EmbeddedInference;
using TextClassifier;

namespace Server;

/// <summary>
/// Predicts class probabilities for a batch of inputs laid out row after row. One instance serves every request at
/// once, so <see cref="Predict"/> must be safe to call from many threads at the same time.
/// </summary>
/// <typeparam name="TInput">The element of an input row: raw floats for the tumour model, token ids for the text one.</typeparam>
internal interface IClassifierEngine<TInput>
    where TInput : unmanaged
{
    /// <summary>The name in routes and tables: "typednets" or "onnxruntime".</summary>
    string Name { get; }

    /// <summary>Writes <c>classes</c> probabilities per row of <paramref name="inputs"/> into <paramref name="probabilities"/>.</summary>
    void Predict(ReadOnlySpan<TInput> inputs, Span<float> probabilities);
}

/// <summary>
/// The Quickstart's classifier, one network for all requests. Its weights are compiled in; what it sees are the
/// scaled features.
/// </summary>
internal sealed class TypedNetsTumorEngine : IClassifierEngine<float>
{
    // One network shared by every request, as an endpoint gets it: Predict is what must be thread-safe. The workspace
    // is sized for one request's largest batch; Predict splits a larger one itself.
    private readonly BinaryClassifier _network = new(maxBatch: Limits.MaxBatch);

    public string Name => Engines.TypedNets;

    public void Predict(ReadOnlySpan<float> inputs, Span<float> probabilities)
    {
        ReadOnlySpan<BinaryClassifier.Sample> samples = MemoryMarshal.Cast<float, BinaryClassifier.Sample>(inputs);
        Span<BinaryClassifier.Prediction> predictions = MemoryMarshal.Cast<float, BinaryClassifier.Prediction>(probabilities);
        if (samples.Length == 1)
        {
            predictions[0] = _network.Predict(in samples[0]);
        }
        else
        {
            _network.Predict(samples, predictions);
        }
    }
}

/// <summary>The text classifier with the weights <c>examples/TextClassifier --export</c> wrote, one network for all requests.</summary>
internal sealed class TypedNetsFortuneEngine(FortuneClassifier network) : IClassifierEngine<int>
{
    public string Name => Engines.TypedNets;

    public void Predict(ReadOnlySpan<int> inputs, Span<float> probabilities)
    {
        ReadOnlySpan<FortuneClassifier.Sample> samples = MemoryMarshal.Cast<int, FortuneClassifier.Sample>(inputs);
        Span<FortuneClassifier.Prediction> predictions = MemoryMarshal.Cast<float, FortuneClassifier.Prediction>(probabilities);
        if (samples.Length == 1)
        {
            predictions[0] = network.Predict(in samples[0]);
        }
        else
        {
            network.Predict(samples, predictions);
        }
    }
}

/// <summary>Engine names as routes and reports show them.</summary>
internal static class Engines
{
    public const string TypedNets = "typednets";
    public const string OnnxRuntime = "onnxruntime";
}

/// <summary>What one request may ask for.</summary>
internal static class Limits
{
    /// <summary>The most samples one request may hold.</summary>
    public const int MaxBatch = 256;

    /// <summary>The largest request body, in bytes.</summary>
    public const int MaxBodyBytes = 1 << 20;
}
