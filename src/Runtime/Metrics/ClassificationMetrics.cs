using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace TypedNets.Metrics;

/// <summary>The scores of one class, treated one-vs-rest.</summary>
/// <param name="Class">The class index.</param>
/// <param name="Precision">Of the samples predicted as this class, the share that truly are: <c>TP / (TP + FP)</c>.</param>
/// <param name="Recall">Of the samples truly of this class, the share predicted as it: <c>TP / (TP + FN)</c>.</param>
/// <param name="F1">The harmonic mean of precision and recall: <c>2·P·R / (P + R)</c>, 0 when both are 0.</param>
/// <param name="Support">The number of samples truly of this class.</param>
public readonly record struct ClassScores(int Class, double Precision, double Recall, double F1, int Support);

/// <summary>
/// Accuracy, per-class precision, recall, F1 and support, their macro and weighted averages, and the scores of one
/// positive class, as scikit-learn computes them with <c>labels = range(classes)</c> and the default
/// <c>zero_division="warn"</c>.
/// </summary>
/// <remarks>
/// <para>
/// An undefined ratio (precision of a class never predicted, recall of a class with no samples) counts as 0, as in
/// scikit-learn, and is listed in <see cref="Warnings"/> with <see cref="HasUndefinedMetrics"/> set, where
/// scikit-learn would raise an <c>UndefinedMetricWarning</c>.
/// </para>
/// <para>
/// Macro averages are plain means over all <see cref="Classes"/> classes, including any that appear in neither the
/// labels nor the predictions (their 0 scores pull the mean down; scikit-learn does the same when given the labels).
/// Weighted averages weight each class by its support.
/// </para>
/// </remarks>
public sealed class ClassificationMetrics
{
    private readonly ClassScores[] _perClass;
    private readonly string[] _warnings;

    private ClassificationMetrics(ConfusionMatrix matrix, int positiveClass)
    {
        ConfusionMatrix = matrix;
        PositiveClass = positiveClass;
        int classes = matrix.Classes;
        _perClass = new ClassScores[classes];
        var warnings = new List<string>();
        double precisionSum = 0, recallSum = 0, f1Sum = 0;
        double weightedPrecision = 0, weightedRecall = 0, weightedF1 = 0;
        for (int c = 0; c < classes; c++)
        {
            int truePositives = matrix[c, c];
            int predicted = matrix.PredictedCount(c);
            int support = matrix.Support(c);
            double precision = 0, recall = 0;
            if (predicted == 0)
            {
                warnings.Add($"Precision of class {c} is undefined (no sample was predicted as {c}) and set to 0.");
            }
            else
            {
                precision = (double)truePositives / predicted;
            }

            if (support == 0)
            {
                warnings.Add($"Recall of class {c} is undefined (no sample is truly of class {c}) and set to 0.");
            }
            else
            {
                recall = (double)truePositives / support;
            }

            double sum = precision + recall;
            double f1 = sum == 0 ? 0 : 2 * precision * recall / sum;
            _perClass[c] = new ClassScores(c, precision, recall, f1, support);
            precisionSum += precision;
            recallSum += recall;
            f1Sum += f1;
            weightedPrecision += precision * support;
            weightedRecall += recall * support;
            weightedF1 += f1 * support;
        }

        _warnings = warnings.ToArray();
        Accuracy = (double)matrix.Correct / matrix.Total;
        MacroPrecision = precisionSum / classes;
        MacroRecall = recallSum / classes;
        MacroF1 = f1Sum / classes;
        WeightedPrecision = weightedPrecision / matrix.Total;
        WeightedRecall = weightedRecall / matrix.Total;
        WeightedF1 = weightedF1 / matrix.Total;
    }

    /// <summary>The counts the scores come from.</summary>
    public ConfusionMatrix ConfusionMatrix { get; }

    /// <summary>The number of classes.</summary>
    public int Classes => ConfusionMatrix.Classes;

    /// <summary>The number of samples.</summary>
    public int Samples => ConfusionMatrix.Total;

    /// <summary>The share of samples predicted correctly.</summary>
    public double Accuracy { get; }

    /// <summary>Precision, recall, F1 and support of each class, indexed by class.</summary>
    public IReadOnlyList<ClassScores> PerClass => _perClass;

    /// <summary>The mean precision over classes (scikit-learn's <c>average="macro"</c>).</summary>
    public double MacroPrecision { get; }

    /// <summary>The mean recall over classes.</summary>
    public double MacroRecall { get; }

    /// <summary>The mean of the per-class F1 scores (not the F1 of the macro precision and recall, as in scikit-learn).</summary>
    public double MacroF1 { get; }

    /// <summary>The precision averaged with each class weighted by its support (scikit-learn's <c>average="weighted"</c>).</summary>
    public double WeightedPrecision { get; }

    /// <summary>The support-weighted mean recall (equal to <see cref="Accuracy"/>).</summary>
    public double WeightedRecall { get; }

    /// <summary>The support-weighted mean F1.</summary>
    public double WeightedF1 { get; }

    /// <summary>The class whose one-vs-rest scores <see cref="Precision"/>, <see cref="Recall"/> and <see cref="F1"/> report.</summary>
    public int PositiveClass { get; }

    /// <summary>The precision of <see cref="PositiveClass"/> (scikit-learn's <c>average="binary"</c>, <c>pos_label=PositiveClass</c>).</summary>
    public double Precision => _perClass[PositiveClass].Precision;

    /// <summary>The recall of <see cref="PositiveClass"/>.</summary>
    public double Recall => _perClass[PositiveClass].Recall;

    /// <summary>The F1 score of <see cref="PositiveClass"/>.</summary>
    public double F1 => _perClass[PositiveClass].F1;

    /// <summary>Whether some precision or recall was undefined (a zero division) and set to 0; see <see cref="Warnings"/>.</summary>
    public bool HasUndefinedMetrics => _warnings.Length > 0;

    /// <summary>One line for each score that was undefined and set to 0.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>Scores the predictions against the true labels, both class indices in [0, <paramref name="classes"/>).</summary>
    /// <param name="trueLabels">The true class of each sample.</param>
    /// <param name="predicted">The predicted class of each sample (see <see cref="Predictions"/>).</param>
    /// <param name="classes">The number of classes.</param>
    /// <param name="positiveClass">The class whose scores <see cref="Precision"/>, <see cref="Recall"/> and <see cref="F1"/> give; 1 unless set.</param>
    /// <exception cref="ArgumentException">The spans differ in length or are empty, or a label is out of range.</exception>
    public static ClassificationMetrics Compute(ReadOnlySpan<int> trueLabels, ReadOnlySpan<int> predicted, int classes, int positiveClass = 1)
        => Compute(ConfusionMatrix.Compute(trueLabels, predicted, classes), positiveClass);

    /// <summary>Scores from an existing confusion matrix.</summary>
    /// <exception cref="ArgumentException">The matrix counts no samples.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="positiveClass"/> is not a class.</exception>
    public static ClassificationMetrics Compute(ConfusionMatrix matrix, int positiveClass = 1)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (matrix.Total == 0)
        {
            throw new ArgumentException("There are no samples to score; pass at least one label and prediction.", nameof(matrix));
        }

        if ((uint)positiveClass >= (uint)matrix.Classes)
        {
            throw new ArgumentOutOfRangeException(
                nameof(positiveClass),
                positiveClass,
                $"The positive class must be one of the classes 0 to {matrix.Classes - 1}.");
        }

        return new ClassificationMetrics(matrix, positiveClass);
    }

    /// <summary>
    /// The table of scikit-learn's <c>classification_report</c>, character for character: per-class precision, recall,
    /// F1 and support, then accuracy, macro and weighted averages, with <paramref name="digits"/> decimals.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="classNames"/> does not have one name per class.</exception>
    public string ClassificationReport(int digits = 2, IReadOnlyList<string>? classNames = null)
    {
        if (digits is < 0 or > 15)
        {
            throw new ArgumentOutOfRangeException(nameof(digits), digits, "Reports show 0 to 15 decimals.");
        }

        string[] names = ConfusionMatrix.ClassNames(classNames, Classes);
        int width = Math.Max("weighted avg".Length, digits);
        foreach (string name in names)
        {
            width = Math.Max(width, name.Length);
        }

        var text = new StringBuilder();
        text.Append(' ', width).Append(' ');
        foreach (string header in (string[])["precision", "recall", "f1-score", "support"])
        {
            text.Append(' ').Append(header.PadLeft(9));
        }

        text.Append("\n\n");
        foreach (ClassScores scores in _perClass)
        {
            Row(text, names[scores.Class], width, digits, scores.Precision, scores.Recall, scores.F1, scores.Support);
        }

        text.Append('\n');
        text.Append("accuracy".PadLeft(width)).Append(' ');
        text.Append(' ', 20).Append(' ').Append(Number(Accuracy, digits).PadLeft(9));
        text.Append(' ').Append(Samples.ToString(CultureInfo.InvariantCulture).PadLeft(9)).Append('\n');
        Row(text, "macro avg", width, digits, MacroPrecision, MacroRecall, MacroF1, Samples);
        Row(text, "weighted avg", width, digits, WeightedPrecision, WeightedRecall, WeightedF1, Samples);
        return text.ToString();
    }

    /// <summary>The classification report, the confusion matrix and any warnings, with 2 decimals and class indices.</summary>
    public override string ToString() => ToString(2, null);

    /// <summary>The classification report, the confusion matrix and any warnings.</summary>
    /// <exception cref="ArgumentException"><paramref name="classNames"/> does not have one name per class.</exception>
    public string ToString(int digits, IReadOnlyList<string>? classNames = null)
    {
        var text = new StringBuilder(ClassificationReport(digits, classNames));
        text.Append('\n').Append(ConfusionMatrix.ToString(classNames));
        if (HasUndefinedMetrics)
        {
            text.Append("\nWarnings:\n");
            foreach (string warning in _warnings)
            {
                text.Append("  ").Append(warning).Append('\n');
            }
        }

        return text.ToString();
    }

    private static void Row(StringBuilder text, string name, int width, int digits, double precision, double recall, double f1, int support)
    {
        text.Append(name.PadLeft(width)).Append(' ');
        text.Append(' ').Append(Number(precision, digits).PadLeft(9));
        text.Append(' ').Append(Number(recall, digits).PadLeft(9));
        text.Append(' ').Append(Number(f1, digits).PadLeft(9));
        text.Append(' ').Append(support.ToString(CultureInfo.InvariantCulture).PadLeft(9)).Append('\n');
    }

    // "F" formatting in .NET Core 3.0+ rounds the exact binary value half to even, as Python's "{:.2f}" does.
    private static string Number(double value, int digits) => value.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
