using System;

namespace TypedNets.Optimizers;

/// <summary>
/// A learning rate as a function of the epoch. A training loop sets <see cref="Optimizer{T}.LearningRate"/> to
/// <c>schedule.LearningRate(epoch, initialLearningRate)</c> before each epoch.
/// </summary>
/// <remarks>
/// Epochs count from 0, and the value is the rate used <em>during</em> that epoch, so epoch 0 always gets
/// <c>initialLearningRate</c>. PyTorch's schedulers count the same way: after <c>k</c> calls of <c>scheduler.step()</c>,
/// <c>get_last_lr()</c> is this interface's value for epoch <c>k</c>.
/// </remarks>
public interface ILearningRateSchedule
{
    /// <summary>The learning rate for <paramref name="epoch"/>.</summary>
    /// <param name="epoch">The epoch, counted from 0.</param>
    /// <param name="initialLearningRate">The rate of epoch 0, a finite number &gt;= 0 (PyTorch's <c>base_lr</c>).</param>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="epoch"/> is negative or <paramref name="initialLearningRate"/> is not a finite number &gt;= 0.</exception>
    double LearningRate(int epoch, double initialLearningRate);
}
