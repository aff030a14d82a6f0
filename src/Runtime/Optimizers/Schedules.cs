using System;
using System.Globalization;

namespace TypedNets.Optimizers;

/// <summary>The argument checks shared by the <see cref="ILearningRateSchedule"/> implementations.</summary>
internal static class Schedules
{
    internal static void Check(int epoch, double initialLearningRate)
    {
        if (epoch < 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(epoch),
                epoch,
                string.Create(CultureInfo.InvariantCulture, $"epoch was {epoch}; epochs count from 0, the first epoch of training."));
        }

        HyperParameters.NonNegative(initialLearningRate, nameof(initialLearningRate), "0.001");
    }
}
