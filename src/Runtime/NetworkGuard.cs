using System;
using System.ComponentModel;

namespace TypedNets;

/// <summary>Argument checks shared by generated networks, so that every network words its errors alike. For generated code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class NetworkGuard
{
    /// <summary>
    /// Returns the batch size of a flattened input of <paramref name="length"/> floats, or throws when it is not
    /// a whole number of samples, is empty, or exceeds the workspace.
    /// </summary>
    public static int BatchOf(string network, int length, int sampleSize, int maxBatch)
    {
        if (length == 0 || length % sampleSize != 0)
        {
            throw new ArgumentException(
                $"{network} takes whole samples of {sampleSize} floats, but the input has {length} floats; " +
                $"pass batch * {sampleSize} values.",
                "input");
        }

        int batch = length / sampleSize;
        if (batch > maxBatch)
        {
            throw new ArgumentException(
                $"A batch of {batch} samples exceeds this {network}'s workspace of {maxBatch}; " +
                $"construct it with maxBatch: {batch} or more, or split the batch.",
                "input");
        }

        return batch;
    }

    /// <summary>Throws unless a forward pass has run and the gradient covers its output exactly.</summary>
    public static void OutputGradient(string network, int length, int batch, int outputSize)
    {
        if (batch == 0)
        {
            throw new InvalidOperationException($"{network}.Backward needs a forward pass first; call Forward with training: true.");
        }

        if (length != batch * outputSize)
        {
            throw new ArgumentException(
                $"{network}.Backward expects the gradient of the last output, {batch} x {outputSize} = {batch * outputSize} floats, " +
                $"but got {length}.",
                "outputGradient");
        }
    }

    /// <summary>Throws unless a forward pass has run.</summary>
    public static void ForwardDone(string network, int batch)
    {
        if (batch == 0)
        {
            throw new InvalidOperationException($"{network} computes a loss on the output of a forward pass; call Forward first.");
        }
    }

    /// <summary>The loss given, else the declared one, else an exception saying how to choose one.</summary>
    public static LossFunction LossToUse(string network, LossFunction? given, LossFunction? declared)
        => given ?? declared ?? throw new InvalidOperationException(
            $"{network} declares no loss; pass one (for example LossKind.CrossEntropy) or declare [Loss(LossKind.CrossEntropy)] on the class.");

    /// <summary>Throws unless <paramref name="length"/> is zero (no input gradient wanted) or exactly <paramref name="expected"/>.</summary>
    public static void InputGradient(string network, int length, int expected)
    {
        if (length != 0 && length != expected)
        {
            throw new ArgumentException(
                $"{network}.Backward writes the input gradient of {expected} floats, but the span has {length}; " +
                "pass a span of that length, or an empty one to skip it.",
                "inputGradient");
        }
    }

    /// <summary>Throws when an input gradient is asked of a network whose input is token ids, which have none.</summary>
    public static void NoTokenGradient(string network, int length)
    {
        if (length != 0)
        {
            throw new ArgumentException(
                $"{network} takes token ids, which have no gradient; pass an empty span for the input gradient.",
                "inputGradient");
        }
    }

    /// <summary>
    /// Throws unless <paramref name="maxBatch"/> is positive and a workspace of <paramref name="maxBatch"/> samples of
    /// the widest activation (<paramref name="widestSample"/> elements) fits one array.
    /// </summary>
    public static void MaxBatch(string network, int maxBatch, int widestSample)
    {
        if (maxBatch <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, $"{network} needs a positive maxBatch, the largest batch it will be given.");
        }

        if ((long)maxBatch * widestSample > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(
                nameof(maxBatch),
                maxBatch,
                $"{network}'s widest activation holds {widestSample} elements per sample, so a batch of {maxBatch} does not fit one array; " +
                $"use maxBatch of at most {Array.MaxLength / widestSample}.");
        }
    }

    /// <summary>Throws unless a destination span has room for the predictions of every sample.</summary>
    public static void Predictions(string network, int samples, int predictions)
    {
        if (predictions != samples)
        {
            throw new ArgumentException(
                $"{network}.Predict was given {samples} samples but room for {predictions} predictions; the two spans must have one length.",
                "predictions");
        }
    }

    /// <summary>
    /// Returns the number of rows of a flattened prediction, or throws unless <paramref name="inputLength"/> is whole
    /// samples and <paramref name="outputLength"/> holds exactly one output per sample.
    /// </summary>
    public static int PredictionRows(string network, int inputLength, int inputSize, int outputLength, int outputSize)
    {
        if (inputLength % inputSize != 0)
        {
            throw new ArgumentException(
                $"{network}.Predict takes whole samples of {inputSize} values, but the input has {inputLength}; pass rows * {inputSize} values.",
                "input");
        }

        int rows = inputLength / inputSize;
        if (outputLength != rows * outputSize)
        {
            throw new ArgumentException(
                $"{network}.Predict was given {rows} samples, whose outputs take {rows} x {outputSize} = {rows * outputSize} floats, " +
                $"but the output span holds {outputLength}; pass a span of that length.",
                "output");
        }

        return rows;
    }
}
