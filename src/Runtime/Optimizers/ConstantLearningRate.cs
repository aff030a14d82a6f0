using System;

namespace TypedNets.Optimizers;

/// <summary>The same learning rate in every epoch: <c>lr(epoch) = initialLearningRate</c>.</summary>
public sealed class ConstantLearningRate : ILearningRateSchedule
{
    /// <inheritdoc/>
    public double LearningRate(int epoch, double initialLearningRate)
    {
        Schedules.Check(epoch, initialLearningRate);
        return initialLearningRate;
    }
}
