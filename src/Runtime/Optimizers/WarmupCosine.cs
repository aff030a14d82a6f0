using System;
using System.Globalization;

namespace TypedNets.Optimizers;

/// <summary>
/// A linear warm-up followed by half a cosine down to <see cref="MinimumLearningRate"/>, the schedule nanoGPT and most
/// transformer recipes step once per iteration: for step <c>s</c> (counted from 0) and base rate <c>lr</c>,
/// <c>lr (s + 1) / (warmup + 1)</c> while <c>s &lt; warmup</c>, then
/// <c>min + (lr - min) (1 + cos(pi (s - warmup) / (decay - warmup))) / 2</c> up to step <c>decay</c>, then <c>min</c>.
/// </summary>
/// <remarks>
/// The interface calls its argument an epoch; pass the iteration instead when the loop steps per batch, as a
/// language model's does. The warm-up counts from 1 so that the first step does not run at rate 0 (nanoGPT's
/// <c>get_lr</c>); the rate reaches <c>lr</c> at step <c>warmup</c> and <c>min</c> at step <c>decay</c>.
/// </remarks>
public sealed class WarmupCosine : ILearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="warmupSteps">The steps of linear warm-up, &gt;= 0 (nanoGPT's <c>warmup_iters</c>, such as 100).</param>
    /// <param name="decaySteps">The step at which the rate reaches the minimum, above <paramref name="warmupSteps"/> (nanoGPT's <c>lr_decay_iters</c>, usually the run's length).</param>
    /// <param name="minimumLearningRate">The rate at and after <paramref name="decaySteps"/>, a finite number &gt;= 0 (nanoGPT's <c>min_lr</c>, about a tenth of the base rate).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its range; the message names it.</exception>
    public WarmupCosine(int warmupSteps, int decaySteps, double minimumLearningRate = 0)
    {
        if (warmupSteps < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, string.Create(CultureInfo.InvariantCulture, $"The warm-up must be 0 steps or more, but it was {warmupSteps}; use 0 for none, or a count such as 100."));
        }

        if (decaySteps <= warmupSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(decaySteps), decaySteps, string.Create(CultureInfo.InvariantCulture, $"The decay must end after the warm-up ({warmupSteps} steps), but it ends at step {decaySteps}; use the length of the run, such as 2000."));
        }

        WarmupSteps = warmupSteps;
        DecaySteps = decaySteps;
        MinimumLearningRate = HyperParameters.NonNegative(minimumLearningRate, nameof(minimumLearningRate), "0.0001");
    }

    /// <summary>The steps of linear warm-up.</summary>
    public int WarmupSteps { get; }

    /// <summary>The step at which the rate reaches <see cref="MinimumLearningRate"/>.</summary>
    public int DecaySteps { get; }

    /// <summary>The rate at and after <see cref="DecaySteps"/>.</summary>
    public double MinimumLearningRate { get; }

    /// <inheritdoc/>
    public double LearningRate(int epoch, double initialLearningRate)
    {
        Schedules.Check(epoch, initialLearningRate);
        if (epoch < WarmupSteps)
        {
            return initialLearningRate * (epoch + 1) / (WarmupSteps + 1);
        }

        if (epoch > DecaySteps)
        {
            return MinimumLearningRate;
        }

        double progress = (double)(epoch - WarmupSteps) / (DecaySteps - WarmupSteps);
        return MinimumLearningRate + ((initialLearningRate - MinimumLearningRate) * (1 + Math.Cos(Math.PI * progress)) / 2);
    }
}
