using System;

namespace TypedNets.Optimizers;

/// <summary>
/// Lowers the rate along half a cosine from the initial rate to <see cref="MinimumLearningRate"/> over
/// <see cref="MaxEpochs"/> epochs, as PyTorch's <c>CosineAnnealingLR(T_max, eta_min)</c>:
/// <c>lr(epoch) = min + (initialLearningRate - min) * (1 + cos(pi * epoch / maxEpochs)) / 2</c>.
/// </summary>
/// <remarks>
/// <para>This is the closed form PyTorch documents. Its <c>get_last_lr()</c> computes the same curve recursively, from the
/// previous rate, so the two agree to about 1e-14 relative rather than to the bit.</para>
/// <para>Past <see cref="MaxEpochs"/> the rate rises again, with period <c>2 * maxEpochs</c>, exactly as PyTorch's;
/// train for <see cref="MaxEpochs"/> epochs (the rate of the last one, epoch <c>maxEpochs - 1</c>, is just above the
/// minimum), or set <see cref="MaxEpochs"/> to the length of the run.</para>
/// </remarks>
public sealed class CosineAnnealing : ILearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="maxEpochs">The epoch at which the rate reaches the minimum (PyTorch's <c>T_max</c>), at least 1, such as 100.</param>
    /// <param name="minimumLearningRate">The lowest rate (PyTorch's <c>eta_min</c>), a finite number &gt;= 0, such as 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">When a value is outside its range; the message names it.</exception>
    public CosineAnnealing(int maxEpochs, double minimumLearningRate = 0)
    {
        MaxEpochs = HyperParameters.Count(maxEpochs, nameof(maxEpochs), "100");
        MinimumLearningRate = HyperParameters.NonNegative(minimumLearningRate, nameof(minimumLearningRate), "0");
    }

    /// <summary>The epoch at which the rate reaches <see cref="MinimumLearningRate"/>.</summary>
    public int MaxEpochs { get; }

    /// <summary>The rate at epoch <see cref="MaxEpochs"/>.</summary>
    public double MinimumLearningRate { get; }

    /// <inheritdoc/>
    public double LearningRate(int epoch, double initialLearningRate)
    {
        Schedules.Check(epoch, initialLearningRate);

        // PyTorch's _get_closed_form_lr, in its order of operations.
        return MinimumLearningRate + ((initialLearningRate - MinimumLearningRate) * (1 + Math.Cos(Math.PI * epoch / MaxEpochs)) / 2);
    }
}
