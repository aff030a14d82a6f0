using System;
using System.Globalization;

namespace TypedNets;

/// <summary>A loss with its parameters: a <see cref="LossKind"/> and, for Huber, its delta.</summary>
public readonly record struct LossFunction
{
    /// <summary>Creates a loss; <paramref name="delta"/> matters only to <see cref="LossKind.Huber"/>.</summary>
    public LossFunction(LossKind kind, double delta = 1.0)
    {
        // A range check rather than Enum.IsDefined, whose cache the GC may drop, making this allocate in a training step.
        if ((uint)kind > (uint)LossKind.BinaryCrossEntropy)
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a member of LossKind.");
        }

        if (!(delta > 0) || double.IsInfinity(delta))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "The Huber delta must be a positive finite number, such as 1.0.");
        }

        Kind = kind;
        Delta = delta;
    }

    /// <summary>The kind of loss.</summary>
    public LossKind Kind { get; }

    /// <summary>The Huber threshold.</summary>
    public double Delta { get; }

    /// <summary>Mean squared error.</summary>
    public static LossFunction MeanSquaredError => new(LossKind.MeanSquaredError);

    /// <summary>Mean absolute error.</summary>
    public static LossFunction MeanAbsoluteError => new(LossKind.MeanAbsoluteError);

    /// <summary>Categorical cross-entropy.</summary>
    public static LossFunction CrossEntropy => new(LossKind.CrossEntropy);

    /// <summary>Binary cross-entropy.</summary>
    public static LossFunction BinaryCrossEntropy => new(LossKind.BinaryCrossEntropy);

    /// <summary>Huber loss with the given threshold.</summary>
    public static LossFunction Huber(double delta = 1.0) => new(LossKind.Huber, delta);

    /// <summary>Lets a bare <see cref="LossKind"/> stand for its loss with default parameters.</summary>
    public static implicit operator LossFunction(LossKind kind) => new(kind);

    /// <inheritdoc/>
    public override string ToString()
        => Kind == LossKind.Huber ? $"Huber(delta: {Delta.ToString(CultureInfo.InvariantCulture)})" : Kind.ToString();
}
