using System;
using System.Globalization;

namespace TypedNets.Training;

/// <summary>
/// Training met a loss or a gradient that is NaN or infinite, and stopped before the optimizer applied it: the
/// network keeps the weights of the last finite step. The usual causes are a NaN or infinity in the data (which
/// <c>Dataset</c> refuses unless allowed), a learning rate too large, or a loss given targets outside its range.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public TrainingDivergedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public TrainingDivergedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    private TrainingDivergedException(string message, int epoch, int batch, double loss, string? gradient, History? history)
        : base(message)
    {
        Epoch = epoch;
        Batch = batch;
        Loss = loss;
        Gradient = gradient;
        History = history;
    }

    /// <summary>The epoch of the step, counted from 1; 0 for a step outside <c>Trainer.Fit</c>.</summary>
    public int Epoch { get; }

    /// <summary>The batch of the step within its epoch, counted from 1; 0 for a step outside <c>Trainer.Fit</c>.</summary>
    public int Batch { get; }

    /// <summary>The step's loss, which may itself be finite when only a gradient is not.</summary>
    public double Loss { get; }

    /// <summary>The first gradient that is not finite, as <c>name[index]</c> of its tensor, or <see langword="null"/>.</summary>
    public string? Gradient { get; }

    /// <summary>The epochs finished before the step, when it happened in <c>Trainer.Fit</c>.</summary>
    public History? History { get; }

    internal static TrainingDivergedException Create(INetwork network, int epoch, int batch, double loss, int badGradient, History? history)
    {
        string? gradient = badGradient < 0 ? null : GradientName(network, badGradient);
        string where = epoch > 0 ? $"In epoch {epoch}, batch {batch}, t" : "T";
        string what = double.IsFinite(loss)
            ? $"the loss was {Format(loss)} but the gradient of {gradient} was {Format(network.Gradients[badGradient])}"
            : gradient is null
                ? $"the loss was {Format(loss)}"
                : $"the loss was {Format(loss)} and the gradient of {gradient} was {Format(network.Gradients[badGradient])}";
        return new TrainingDivergedException(
            $"{where}raining stopped: {what}. The optimizer did not apply this step, so the network keeps the weights of the last finite one. " +
            "Look for NaN or infinity in the features and targets, a learning rate too large (try a tenth), or targets outside the loss's range; " +
            "gradient clipping (FitOptions.ClipGradientNorm) helps with exploding gradients.",
            epoch,
            batch,
            loss,
            gradient,
            history);
    }

    private static string GradientName(INetwork network, int index)
    {
        foreach (Layer layer in network.Layers)
        {
            foreach (ParameterTensor tensor in layer.Parameters)
            {
                if (index >= tensor.Offset && index < tensor.Offset + tensor.Length)
                {
                    return $"{tensor.Name}[{(index - tensor.Offset).ToString(CultureInfo.InvariantCulture)}]";
                }
            }
        }

        return $"parameter {index.ToString(CultureInfo.InvariantCulture)}";
    }

    private static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
