using System;

namespace TypedNets.Explain;

/// <summary>
/// What an attribution method gives back: one score per input value (per token for a network over token ids), for one
/// output of the network.
/// </summary>
public sealed class AttributionResult
{
    internal AttributionResult(float[] values, int[] shape, int target, double? delta, float[]? embeddingValues, int[]? embeddingShape)
    {
        Values = values;
        Shape = shape;
        Target = target;
        Delta = delta;
        EmbeddingValues = embeddingValues;
        EmbeddingShape = embeddingShape;
    }

    /// <summary>
    /// The attributions, row-major in <see cref="Shape"/>: as the input sample for a float input; one per token for
    /// token ids (the attributions of the token's embedding vector summed over its dimensions, as Captum's
    /// <c>LayerIntegratedGradients(model, model.embedding)</c> followed by <c>.sum(-1)</c>).
    /// </summary>
    public float[] Values { get; }

    /// <summary>The shape of <see cref="Values"/>: the network's input shape, such as <c>[1, 28, 28]</c>, or <c>[steps]</c> for token ids.</summary>
    public int[] Shape { get; }

    /// <summary>The flattened index of the output that was explained: the one asked for, or the predicted class.</summary>
    public int Target { get; }

    /// <summary>
    /// Integrated Gradients' convergence delta, as Captum's <c>return_convergence_delta=True</c>: the sum of the
    /// attributions minus <c>f(input) - f(baseline)</c>, which completeness says is 0; more steps shrink it. Null for
    /// the other methods.
    /// </summary>
    public double? Delta { get; }

    /// <summary>
    /// For a network over token ids, the attributions of every dimension of every token's embedding vector,
    /// <c>[steps, dimension]</c> (<see cref="EmbeddingShape"/>), before the per-token sum; null for a float input.
    /// </summary>
    public float[]? EmbeddingValues { get; }

    /// <summary>The shape of <see cref="EmbeddingValues"/>, <c>[steps, dimension]</c>; null for a float input.</summary>
    public int[]? EmbeddingShape { get; }

    /// <summary>The sum of <see cref="Values"/>, in double precision: for Integrated Gradients, close to <c>f(input) - f(baseline)</c>.</summary>
    public double Sum()
    {
        double sum = 0;
        foreach (float value in Values)
        {
            sum += value;
        }

        return sum;
    }

    /// <inheritdoc/>
    public override string ToString()
        => $"Attributions [{string.Join(", ", Shape)}] for output {Target}" + (Delta is double d ? $", delta {d.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)}" : "");
}
