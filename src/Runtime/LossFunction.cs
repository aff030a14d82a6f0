using System;
using System.Globalization;

namespace TypedNets;

/// <summary>A loss with its parameters: a <see cref="LossKind"/> and, for Huber, its delta; for cross-entropy, an ignore index.</summary>
public readonly record struct LossFunction
{
    /// <summary>Creates a loss; <paramref name="delta"/> matters only to <see cref="LossKind.Huber"/>.</summary>
    /// <param name="kind">The kind of loss.</param>
    /// <param name="delta">The Huber threshold, a positive finite number.</param>
    /// <param name="ignoreIndex">
    /// For <see cref="LossKind.CrossEntropy"/> with class-index targets: the target that marks a row to leave out of
    /// the loss (PyTorch's <c>ignore_index</c>, such as a padding id or -100), or <see langword="null"/> for none.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">The kind is not a <see cref="LossKind"/>, or the delta is not a positive finite number.</exception>
    /// <exception cref="ArgumentException">An ignore index is given for a loss other than cross-entropy.</exception>
    public LossFunction(LossKind kind, double delta = 1.0, int? ignoreIndex = null)
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

        if (ignoreIndex is not null && kind != LossKind.CrossEntropy)
        {
            throw new ArgumentException($"An ignore index leaves class-index targets out of cross-entropy, but the loss is {kind}; drop ignoreIndex, or use LossKind.CrossEntropy.", nameof(ignoreIndex));
        }

        Kind = kind;
        Delta = delta;
        IgnoreIndex = ignoreIndex;
    }

    /// <summary>The kind of loss.</summary>
    public LossKind Kind { get; }

    /// <summary>The Huber threshold.</summary>
    public double Delta { get; }

    /// <summary>For cross-entropy, the class-index target whose rows are left out of the loss and its mean; <see langword="null"/> for none.</summary>
    public int? IgnoreIndex { get; }

    /// <summary>Mean squared error.</summary>
    public static LossFunction MeanSquaredError => new(LossKind.MeanSquaredError);

    /// <summary>Mean absolute error.</summary>
    public static LossFunction MeanAbsoluteError => new(LossKind.MeanAbsoluteError);

    /// <summary>Categorical cross-entropy.</summary>
    public static LossFunction CrossEntropy => new(LossKind.CrossEntropy);

    /// <summary>Categorical cross-entropy that leaves out the rows whose target is <paramref name="ignoreIndex"/> (PyTorch's <c>ignore_index</c>).</summary>
    /// <param name="ignoreIndex">The target that marks a row to leave out, such as a padding id or -100.</param>
    public static LossFunction CrossEntropyIgnoring(int ignoreIndex) => new(LossKind.CrossEntropy, ignoreIndex: ignoreIndex);

    /// <summary>Binary cross-entropy.</summary>
    public static LossFunction BinaryCrossEntropy => new(LossKind.BinaryCrossEntropy);

    /// <summary>Huber loss with the given threshold.</summary>
    public static LossFunction Huber(double delta = 1.0) => new(LossKind.Huber, delta);

    /// <summary>Lets a bare <see cref="LossKind"/> stand for its loss with default parameters.</summary>
    public static implicit operator LossFunction(LossKind kind) => new(kind);

    /// <inheritdoc/>
    public override string ToString()
        => Kind == LossKind.Huber ? $"Huber(delta: {Delta.ToString(CultureInfo.InvariantCulture)})"
            : IgnoreIndex is int ignored ? $"CrossEntropy(ignoreIndex: {ignored.ToString(CultureInfo.InvariantCulture)})"
            : Kind.ToString();
}
