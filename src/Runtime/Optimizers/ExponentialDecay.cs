using System;

namespace TypedNets.Optimizers;

/// <summary>
/// Multiplies the rate by <see cref="Gamma"/> every epoch: <c>lr(epoch) = initialLearningRate * gamma^epoch</c>, as
/// PyTorch's <c>ExponentialLR</c>.
/// </summary>
/// <remarks>
/// PyTorch multiplies the previous rate by <c>gamma</c> at each step; the closed form used here agrees with it to the
/// last bits (about 1e-15 relative after a dozen epochs) and does not drift over long runs.
/// </remarks>
public sealed class ExponentialDecay : ILearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="gamma">The factor applied each epoch, in (0, 1], such as 0.95.</param>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="gamma"/> is outside (0, 1].</exception>
    public ExponentialDecay(double gamma)
    {
        Gamma = HyperParameters.DecayFactor(gamma, nameof(gamma), "0.95");
    }

    /// <summary>The factor applied each epoch.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    public double LearningRate(int epoch, double initialLearningRate)
    {
        Schedules.Check(epoch, initialLearningRate);
        return initialLearningRate * Math.Pow(Gamma, epoch);
    }
}
