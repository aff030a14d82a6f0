using System;

namespace TypedNets;

/// <summary>
/// Declares the loss a network is trained with, so that the generator checks it against the output layer at
/// compile time (cross-entropy needs a softmax or linear output of at least two units, and so on).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class LossAttribute : Attribute
{
    /// <summary>Declares the loss.</summary>
    public LossAttribute(LossKind kind) => Kind = kind;

    /// <summary>The loss.</summary>
    public LossKind Kind { get; }

    /// <summary>The threshold of <see cref="LossKind.Huber"/> between its quadratic and linear parts; positive, 1 by default.</summary>
    public double Delta { get; set; } = 1.0;
}
