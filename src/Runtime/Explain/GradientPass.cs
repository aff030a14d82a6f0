using System;

namespace TypedNets.Explain;

/// <summary>
/// Gradients of one output of a network with respect to many points at once, in batches of the network's
/// <c>MaxBatch</c>, through its generated backward pass. A point is an input sample for a float input, and the
/// embedding vectors of the sample's tokens (<c>[steps, dimension]</c>) for token ids: Captum patches the embedding
/// layer's output the same way for its layer attributions, since ids themselves have no gradient.
/// </summary>
/// <remarks>
/// Runs on the network's training workspace, whose <c>Backward</c> adds into the shared gradient buffer, so the
/// caller holds exclusive use; the gradients the network had before are put back when the pass is disposed, so an
/// explanation between two training steps changes nothing.
/// </remarks>
internal sealed class GradientPass : IDisposable
{
    private readonly NetworkEngine<float> _engine;
    private readonly float[] _savedGradients;
    private readonly float[] _outputGradient;
    private readonly int[]? _tokens;
    private readonly float[]? _embeddings;
    private readonly int _outputSize;
    private readonly int _target;
    private readonly int _steps;

    public GradientPass(NetworkCore core, ReadOnlySpan<int> tokens, int target)
    {
        if (core.Engine.Int8Weights is not null)
        {
            // The backward pass reads the float weights, which a quantised network no longer computes with.
            throw new InvalidOperationException(
                $"{core.Name} is quantised to int8, and gradient attributions run through the float backward pass; explain the float " +
                "network Quantize() was called on, or use Attribution.Occlusion, which only predicts.");
        }

        _engine = core.Engine;
        _outputSize = core.OutputSize;
        _target = target;
        _steps = tokens.Length;
        PointSize = core.TokenInput ? tokens.Length * EmbeddingDimension(core) : core.InputSize;
        int batch = _engine.MaxBatch;
        _outputGradient = new float[batch * _outputSize];
        for (int row = 0; row < batch; row++)
        {
            _outputGradient[(row * _outputSize) + target] = 1f;
        }

        if (core.TokenInput)
        {
            // Every point of a batch runs on the sample's own ids: they still give the padding mask.
            _tokens = new int[batch * tokens.Length];
            for (int row = 0; row < batch; row++)
            {
                tokens.CopyTo(_tokens.AsSpan(row * tokens.Length));
            }

            _embeddings = new float[batch * PointSize];
        }

        _savedGradients = (float[])_engine.Gradients.Clone();
    }

    /// <summary>The number of values in one point.</summary>
    public int PointSize { get; }

    /// <summary>
    /// Writes the gradient of the target output at each of the <c>points.Length / PointSize</c> points to
    /// <paramref name="gradients"/> and the target output itself to <paramref name="outputs"/>.
    /// </summary>
    public void Run(ReadOnlySpan<float> points, Span<float> gradients, Span<float> outputs)
    {
        int count = points.Length / PointSize;
        for (int start = 0; start < count; start += _engine.MaxBatch)
        {
            int rows = Math.Min(_engine.MaxBatch, count - start);
            ReadOnlySpan<float> chunk = points.Slice(start * PointSize, rows * PointSize);
            Span<float> chunkGradient = gradients.Slice(start * PointSize, rows * PointSize);
            ReadOnlySpan<float> output;
            if (_tokens is null)
            {
                output = _engine.Forward(chunk, training: false);
            }
            else
            {
                chunk.CopyTo(_embeddings);
                output = _engine.ForwardEmbedded(_tokens.AsSpan(0, rows * _steps), _embeddings!, training: false);
            }

            for (int row = 0; row < rows; row++)
            {
                outputs[start + row] = output[(row * _outputSize) + _target];
            }

            ReadOnlySpan<float> outputGradient = _outputGradient.AsSpan(0, rows * _outputSize);
            if (_tokens is null)
            {
                _engine.Backward(outputGradient, chunkGradient);
            }
            else
            {
                _engine.BackwardToEmbeddings(outputGradient, chunkGradient);
            }
        }
    }

    /// <summary>Puts back the gradients the network had before.</summary>
    public void Dispose() => _savedGradients.CopyTo(_engine.Gradients, 0);

    /// <summary>The dimension of the token embedding that starts a network over token ids.</summary>
    internal static int EmbeddingDimension(NetworkCore core)
        => core.Layers[0] is EmbeddingLayer embedding
            ? embedding.Dimension
            : throw new InvalidOperationException($"{core.Name} takes token ids but does not start with an Embedding layer, whose vectors the attributions are computed on.");
}
