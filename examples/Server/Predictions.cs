using System;
using System.Collections.Generic;
using System.Numerics.Tensors;

namespace Server;

/// <summary>
/// A request that passed validation: its samples row after row, and whether it was one sample (answered with one
/// prediction) or a batch (answered with a list).
/// </summary>
internal readonly record struct Samples<TInput>(TInput[] Rows, int Count, bool IsBatch)
    where TInput : unmanaged;

/// <summary>Validation errors by field, as RFC 7807's validation problem lists them.</summary>
internal sealed class RequestErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out List<string>? messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
    }

    public Dictionary<string, string[]> ToDictionary()
    {
        var result = new Dictionary<string, string[]>(_errors.Count, StringComparer.Ordinal);
        foreach (KeyValuePair<string, List<string>> entry in _errors)
        {
            result[entry.Key] = entry.Value.ToArray();
        }

        return result;
    }
}

/// <summary>Runs an engine on validated samples and shapes its probabilities into the response.</summary>
internal static class Predictor
{
    public static object Predict<TInput>(IClassifierEngine<TInput> engine, Samples<TInput> samples, string[] classNames)
        where TInput : unmanaged
    {
        int classes = classNames.Length;
        float[] probabilities = new float[samples.Count * classes];
        engine.Predict(samples.Rows, probabilities);
        if (!samples.IsBatch)
        {
            return Response(probabilities, classNames);
        }

        var predictions = new PredictionResponse[samples.Count];
        for (int i = 0; i < predictions.Length; i++)
        {
            predictions[i] = Response(probabilities.AsSpan(i * classes, classes), classNames);
        }

        return new BatchResponse { Predictions = predictions };
    }

    private static PredictionResponse Response(ReadOnlySpan<float> probabilities, string[] classNames)
    {
        int predicted = TensorPrimitives.IndexOfMax(probabilities);
        return new PredictionResponse { Class = predicted, Label = classNames[predicted], Probabilities = probabilities.ToArray() };
    }
}
