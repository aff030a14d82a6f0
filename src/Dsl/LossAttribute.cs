using System;

namespace TypedNets;

/// <summary>
/// Declares the loss a network is trained with, so that the generator checks it against the output layer at
/// compile time (cross-entropy needs a softmax or linear output of at least two units, and so on).
/// </summary>
/// <remarks>
/// Cross-entropy also fits a sequence output <c>[steps, classes]</c> whose last layer is a <c>[Dense]</c>, which acts
/// at every position: the loss is then the mean over every position of every sample, as PyTorch's
/// <c>F.cross_entropy(logits.view(-1, classes), targets.view(-1))</c> trains a GPT, with <see cref="IgnoreIndex"/>
/// leaving out the positions of padding.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class LossAttribute : Attribute
{
    private int? _ignoreIndex;

    /// <summary>Declares the loss.</summary>
    public LossAttribute(LossKind kind) => Kind = kind;

    /// <summary>The loss.</summary>
    public LossKind Kind { get; }

    /// <summary>The threshold of <see cref="LossKind.Huber"/> between its quadratic and linear parts; positive, 1 by default.</summary>
    public double Delta { get; set; } = 1.0;

    /// <summary>
    /// For <see cref="LossKind.CrossEntropy"/> with class-id targets: the target that marks a position (or sample) to
    /// leave out of the loss and its mean, as PyTorch's <c>ignore_index</c>: <c>-1</c> in nanoGPT, <c>-100</c> in
    /// Hugging Face's models, or a padding id. Unlike PyTorch, whose default <c>-100</c> is always in force, no target
    /// is ignored unless this is set (<see cref="HasIgnoreIndex"/>), so a stray <c>-100</c> is reported rather than skipped.
    /// </summary>
    /// <exception cref="InvalidOperationException">On reading, when no ignore index was set; check <see cref="HasIgnoreIndex"/> first.</exception>
    public int IgnoreIndex
    {
        get => _ignoreIndex ?? throw new InvalidOperationException("No IgnoreIndex was declared, so every target counts; check HasIgnoreIndex before reading it.");
        set => _ignoreIndex = value;
    }

    /// <summary>Whether the declaration sets <see cref="IgnoreIndex"/>.</summary>
    public bool HasIgnoreIndex => _ignoreIndex is not null;
}
