using System;

namespace TypedNets.Optimizers;

/// <summary>
/// Multiplies the rate by <see cref="Gamma"/> every <see cref="StepSize"/> epochs:
/// <c>lr(epoch) = initialLearningRate * gamma^floor(epoch / stepSize)</c>, as PyTorch's <c>StepLR</c>.
/// </summary>
public sealed class StepDecay : ILearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="stepSize">Epochs between decays, at least 1, such as 30.</param>
    /// <param name="gamma">The factor applied at each decay, in (0, 1], such as 0.1.</param>
    /// <exception cref="ArgumentOutOfRangeException">When a value is outside its range; the message names it.</exception>
    public StepDecay(int stepSize, double gamma)
    {
        StepSize = HyperParameters.Count(stepSize, nameof(stepSize), "30");
        Gamma = HyperParameters.DecayFactor(gamma, nameof(gamma), "0.1");
    }

    /// <summary>Epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>The factor applied at each decay.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    public double LearningRate(int epoch, double initialLearningRate)
    {
        Schedules.Check(epoch, initialLearningRate);
        return initialLearningRate * Math.Pow(Gamma, epoch / StepSize);
    }
}
