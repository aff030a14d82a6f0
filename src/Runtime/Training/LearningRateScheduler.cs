using System;
using System.Globalization;

namespace TypedNets.Training;

/// <summary>
/// Sets the learning rate at the start of every epoch from a function of the epoch and the current rate, as Keras'
/// <c>LearningRateScheduler(schedule)</c>: <c>new LearningRateScheduler((epoch, rate) =&gt; epoch &lt; 10 ? rate : rate * 0.9)</c>.
/// </summary>
/// <remarks>
/// The epoch is counted from 0, as Keras passes it. The function is given the optimizer's current rate, so a rule
/// such as "times 0.9" compounds; for a rate computed from the first epoch's, use <see cref="FitOptions.LearningRateSchedule"/>
/// (<see cref="Optimizers.StepDecay"/> and the others). It runs after that schedule, so it has the last word.
/// </remarks>
public sealed class LearningRateScheduler : ICallback
{
    private readonly Func<int, double, double> _schedule;

    /// <summary>Creates the callback.</summary>
    /// <param name="schedule">Given the epoch (from 0) and the current learning rate, returns the epoch's rate: finite and at least 0.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="schedule"/> is <see langword="null"/>.</exception>
    public LearningRateScheduler(Func<int, double, double> schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        _schedule = schedule;
    }

    /// <summary>Sets the optimizer's learning rate for the epoch.</summary>
    /// <param name="epoch">The epoch about to run, from 1 (the schedule is given <c>epoch - 1</c>).</param>
    /// <param name="control">The run.</param>
    /// <exception cref="InvalidOperationException">When the schedule returns a rate that is negative, infinite or NaN.</exception>
    public void OnEpochBegin(int epoch, TrainingControl control)
    {
        ArgumentNullException.ThrowIfNull(control);
        double rate = _schedule(epoch - 1, control.Optimizer.LearningRate);
        if (!(rate >= 0) || double.IsInfinity(rate))
        {
            throw new InvalidOperationException(string.Create(
                CultureInfo.InvariantCulture,
                $"The learning rate schedule returned {rate} for epoch {epoch - 1} (counted from 0); it must return a finite rate >= 0, such as 0.001."));
        }

        control.Optimizer.LearningRate = rate;
    }

    /// <inheritdoc/>
    public void OnEpochEnd(EpochResult epoch, TrainingControl control)
    {
    }
}
