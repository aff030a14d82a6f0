using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace TypedNets.Metrics;

/// <summary>
/// Counts of (true class, predicted class) pairs: <see cref="Classes"/> x <see cref="Classes"/>, rows are true classes
/// and columns predicted ones, as scikit-learn's <c>confusion_matrix</c> with <c>labels = range(classes)</c>.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly int[] _counts;

    private ConfusionMatrix(int classes, int[] counts, int total)
    {
        Classes = classes;
        _counts = counts;
        Total = total;
    }

    /// <summary>The number of classes; labels run from 0 to <c>Classes - 1</c>.</summary>
    public int Classes { get; }

    /// <summary>The number of samples counted.</summary>
    public int Total { get; }

    /// <summary>The number of samples whose true class is <paramref name="trueClass"/> and predicted class <paramref name="predictedClass"/>.</summary>
    public int this[int trueClass, int predictedClass] => _counts[(CheckClass(trueClass) * Classes) + CheckClass(predictedClass)];

    /// <summary>The number of correct predictions (the diagonal's sum).</summary>
    public int Correct
    {
        get
        {
            int correct = 0;
            for (int c = 0; c < Classes; c++)
            {
                correct += _counts[(c * Classes) + c];
            }

            return correct;
        }
    }

    /// <summary>Counts the pairs <c>(trueLabels[i], predicted[i])</c>.</summary>
    /// <exception cref="ArgumentException">The spans differ in length, or a label is outside [0, <paramref name="classes"/>).</exception>
    public static ConfusionMatrix Compute(ReadOnlySpan<int> trueLabels, ReadOnlySpan<int> predicted, int classes)
    {
        if (classes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "The number of classes must be positive.");
        }

        if (trueLabels.Length != predicted.Length)
        {
            throw new ArgumentException(
                $"There are {trueLabels.Length} true labels but {predicted.Length} predictions; pass one prediction per sample.",
                nameof(predicted));
        }

        int[] counts = new int[checked(classes * classes)];
        for (int i = 0; i < trueLabels.Length; i++)
        {
            int actual = CheckLabel(trueLabels[i], i, classes, nameof(trueLabels));
            int guess = CheckLabel(predicted[i], i, classes, nameof(predicted));
            counts[(actual * classes) + guess]++;
        }

        return new ConfusionMatrix(classes, counts, trueLabels.Length);
    }

    /// <summary>The number of samples whose true class is <paramref name="trueClass"/> (its row's sum).</summary>
    public int Support(int trueClass)
    {
        CheckClass(trueClass);
        int sum = 0;
        for (int p = 0; p < Classes; p++)
        {
            sum += _counts[(trueClass * Classes) + p];
        }

        return sum;
    }

    /// <summary>The number of samples predicted as <paramref name="predictedClass"/> (its column's sum).</summary>
    public int PredictedCount(int predictedClass)
    {
        CheckClass(predictedClass);
        int sum = 0;
        for (int t = 0; t < Classes; t++)
        {
            sum += _counts[(t * Classes) + predictedClass];
        }

        return sum;
    }

    /// <summary>The counts as a new <c>[true, predicted]</c> array.</summary>
    public int[,] ToArray()
    {
        int[,] array = new int[Classes, Classes];
        for (int t = 0; t < Classes; t++)
        {
            for (int p = 0; p < Classes; p++)
            {
                array[t, p] = _counts[(t * Classes) + p];
            }
        }

        return array;
    }

    /// <summary>The matrix as an aligned table, classes named by their indices.</summary>
    public override string ToString() => ToString(classNames: null);

    /// <summary>The matrix as an aligned table, rows true classes and columns predicted ones, labelled with <paramref name="classNames"/> (or indices).</summary>
    /// <exception cref="ArgumentException"><paramref name="classNames"/> does not have one name per class.</exception>
    public string ToString(IReadOnlyList<string>? classNames)
    {
        string[] names = ClassNames(classNames, Classes);
        int nameWidth = 0;
        int cellWidth = 0;
        foreach (string name in names)
        {
            nameWidth = Math.Max(nameWidth, name.Length);
            cellWidth = Math.Max(cellWidth, name.Length);
        }

        foreach (int count in _counts)
        {
            cellWidth = Math.Max(cellWidth, count.ToString(CultureInfo.InvariantCulture).Length);
        }

        var text = new StringBuilder("Confusion matrix (rows: true class, columns: predicted class)\n\n");
        text.Append(' ', nameWidth);
        foreach (string name in names)
        {
            text.Append("  ").Append(name.PadLeft(cellWidth));
        }

        text.Append('\n');
        for (int t = 0; t < Classes; t++)
        {
            text.Append(names[t].PadLeft(nameWidth));
            for (int p = 0; p < Classes; p++)
            {
                text.Append("  ").Append(_counts[(t * Classes) + p].ToString(CultureInfo.InvariantCulture).PadLeft(cellWidth));
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The given names checked against the class count, or the class indices as text.</summary>
    internal static string[] ClassNames(IReadOnlyList<string>? classNames, int classes)
    {
        if (classNames is null)
        {
            string[] indices = new string[classes];
            for (int c = 0; c < classes; c++)
            {
                indices[c] = c.ToString(CultureInfo.InvariantCulture);
            }

            return indices;
        }

        if (classNames.Count != classes)
        {
            throw new ArgumentException($"There are {classes} classes but {classNames.Count} class names; pass one name per class, in class order.", nameof(classNames));
        }

        string[] names = new string[classes];
        for (int c = 0; c < classes; c++)
        {
            names[c] = classNames[c] ?? throw new ArgumentException($"The name of class {c} is null.", nameof(classNames));
        }

        return names;
    }

    private static int CheckLabel(int label, int row, int classes, string parameter)
    {
        if ((uint)label >= (uint)classes)
        {
            throw new ArgumentException(
                $"Sample {row} has {(parameter == "predicted" ? "predicted" : "true")} label {label}, outside the classes 0 to {classes - 1}; " +
                "pass the right number of classes, or map the labels to 0..classes - 1.",
                parameter);
        }

        return label;
    }

    private int CheckClass(int c)
    {
        if ((uint)c >= (uint)Classes)
        {
            throw new ArgumentOutOfRangeException(nameof(c), c, $"The matrix has classes 0 to {Classes - 1}.");
        }

        return c;
    }
}
