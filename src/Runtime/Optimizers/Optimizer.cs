using System;
using System.Numerics;

namespace TypedNets.Optimizers;

/// <summary>
/// Updates one contiguous parameter buffer from the gradient buffer of the same layout, as a generated network
/// keeps them. Subclasses implement one update rule; this class checks the buffers and counts steps.
/// </summary>
/// <typeparam name="T"><c>float</c> for training; <c>double</c> for checks against PyTorch in float64.</typeparam>
public abstract class Optimizer<T>
    where T : IFloatingPointIeee754<T>
{
    private double _learningRate;
    private int _length = -1;

    /// <summary>Creates an optimizer with the given learning rate.</summary>
    protected Optimizer(double learningRate)
    {
        LearningRate = learningRate;
    }

    /// <summary>The learning rate of the next step; schedules change it between epochs.</summary>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0) || double.IsInfinity(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "The learning rate must be a finite number >= 0, such as 0.001.");
            }

            _learningRate = value;
        }
    }

    /// <summary>How many steps have been taken since creation or <see cref="Reset"/>.</summary>
    public int StepCount { get; private set; }

    /// <summary>Applies one update to <paramref name="parameters"/> from <paramref name="gradients"/>.</summary>
    /// <exception cref="ArgumentException">When the two buffers differ in length, or differ from the buffers of earlier steps.</exception>
    public void Step(Span<T> parameters, ReadOnlySpan<T> gradients)
    {
        if (parameters.Length != gradients.Length)
        {
            throw new ArgumentException(
                $"{GetType().Name} was given {parameters.Length} parameters but {gradients.Length} gradients; pass a network's Parameters and Gradients together.",
                nameof(gradients));
        }

        if (_length >= 0 && _length != parameters.Length)
        {
            throw new ArgumentException(
                $"{GetType().Name} holds state for {_length} parameters but was given {parameters.Length}; use one optimizer per network, or call Reset().",
                nameof(parameters));
        }

        if (_length < 0)
        {
            _length = parameters.Length;
            AllocateState(parameters.Length);
        }

        StepCount++;
        Update(parameters, gradients, StepCount);
    }

    /// <summary>Forgets all state (moments, step count), as a freshly created optimizer.</summary>
    public void Reset()
    {
        StepCount = 0;
        _length = -1;
        ClearState();
    }

    /// <summary>Allocates per-parameter state once, before the first step.</summary>
    protected abstract void AllocateState(int length);

    /// <summary>Drops per-parameter state.</summary>
    protected abstract void ClearState();

    /// <summary>Applies the update rule; <paramref name="step"/> counts from 1.</summary>
    protected abstract void Update(Span<T> parameters, ReadOnlySpan<T> gradients, int step);
}
