using System;
using System.Globalization;
using System.Numerics;

namespace TypedNets;

/// <summary>
/// The targets of cross-entropy at every position of a sequence output <c>[steps, classes]</c>, as a GPT or a tagger
/// is trained: per sample, <c>steps</c> class ids or <c>steps * classes</c> one-hot values. The loss kernel sees only
/// rows of classes, so the checks that name samples and positions, and say which widths fit, live here; the engine
/// and the trainer share them.
/// </summary>
internal readonly record struct SequenceTargets(string Network, int Steps, int Classes)
{
    /// <summary>The values of one sample's output.</summary>
    public int OutputSize => Steps * Classes;

    /// <summary>
    /// The sequence targets of a network whose output has <paramref name="outputSize"/> values and whose losses read
    /// rows of <paramref name="lossWidth"/>, when <paramref name="loss"/> is cross-entropy and the output holds more
    /// than one row per sample; otherwise <see langword="null"/> (a classifier's one row, or a regression loss).
    /// </summary>
    public static SequenceTargets? For(string network, int outputSize, int lossWidth, LossFunction loss)
        => loss.Kind == LossKind.CrossEntropy && lossWidth >= 2 && lossWidth < outputSize && outputSize % lossWidth == 0
            ? new SequenceTargets(network, outputSize / lossWidth, lossWidth)
            : null;

    /// <summary>The sentence that says which targets fit, per <paramref name="unit"/> (a sample, a row of data).</summary>
    public string Widths(string unit)
        => $"{Network}'s output is a sequence of {Steps} positions of {Classes} classes, so CrossEntropy takes {Steps} class ids per {unit} " +
            $"(one per position) or {Steps} x {Classes} = {OutputSize} one-hot values";

    /// <summary>What to do when the targets were meant for one prediction per sample.</summary>
    public const string PerSampleFix = "for one prediction per sample instead, reduce the steps before the output layer ([GlobalAveragePooling1D], [Flatten], or ReturnSequences = false)";

    /// <summary>Throws unless <paramref name="target"/> is <paramref name="batch"/> samples of class ids or of one-hot rows.</summary>
    /// <exception cref="ArgumentException">When the length fits neither, or an id is neither a class nor the ignore index (parameter <c>target</c>).</exception>
    public void Check<T>(ReadOnlySpan<T> target, int batch, int? ignoreIndex)
        where T : IFloatingPointIeee754<T>
    {
        if (target.Length == batch * OutputSize)
        {
            return;
        }

        if (target.Length != batch * Steps)
        {
            throw new ArgumentException(
                $"{Widths("sample")}: the batch of {batch} samples needs {batch * Steps} class ids or {batch * OutputSize} one-hot values, " +
                $"but got {target.Length}; {PerSampleFix}.",
                nameof(target));
        }

        for (int i = 0; i < target.Length; i++)
        {
            double value = double.CreateTruncating(target[i]);
            if (!IsTarget(value, ignoreIndex))
            {
                throw new ArgumentException(
                    $"Sample {i / Steps}, position {i % Steps} has target {Format(value)}, but {IdRange(ignoreIndex)}; {IdFix(ignoreIndex)}.",
                    nameof(target));
            }
        }
    }

    /// <summary>Whether <paramref name="value"/> is a class id or the ignore index.</summary>
    public bool IsTarget(double value, int? ignoreIndex)
        => (value >= 0 && value < Classes && value == Math.Floor(value)) || (ignoreIndex is int ignored && value == ignored);

    /// <summary>The ids a target may hold.</summary>
    public string IdRange(int? ignoreIndex)
        => $"{Network}'s CrossEntropy takes class ids from 0 to {Classes - 1}" +
            (ignoreIndex is int ignored ? $" (or {ignored.ToString(CultureInfo.InvariantCulture)}, the ignore index)" : "");

    /// <summary>What to do about a target that is no id.</summary>
    public static string IdFix(int? ignoreIndex)
        => ignoreIndex is null
            ? "check the targets, or leave padding out with an ignore index ([Loss(LossKind.CrossEntropy, IgnoreIndex = -1)], or LossFunction.CrossEntropyIgnoring(-1))"
            : "check the targets, and mark every position to leave out with the ignore index";

    /// <summary>A target as a message shows it.</summary>
    public static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A target of a data set as a message shows it, in the float's shortest form.</summary>
    public static string Format(float value) => value.ToString(CultureInfo.InvariantCulture);
}
