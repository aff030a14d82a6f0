using System;
using System.Globalization;

namespace TypedNets.Data;

/// <summary>Class indices to one-hot rows and back.</summary>
public static class OneHot
{
    /// <summary>
    /// One row of <paramref name="classes"/> floats per label: 1 at the label's index, 0 elsewhere
    /// (<c>labels.Length * classes</c> floats, row-major).
    /// </summary>
    /// <exception cref="ArgumentException">A label is not a whole number in [0, <paramref name="classes"/>).</exception>
    public static float[] Encode(ReadOnlySpan<float> labels, int classes)
    {
        CheckClasses(classes);
        float[] encoded = new float[checked(labels.Length * classes)];
        Encode(labels, classes, encoded);
        return encoded;
    }

    /// <summary>Writes the one-hot rows of <paramref name="labels"/> into <paramref name="destination"/>, overwriting it.</summary>
    /// <exception cref="ArgumentException">
    /// A label is not a whole number in [0, <paramref name="classes"/>), or <paramref name="destination"/> is not
    /// <c>labels.Length * classes</c> floats.
    /// </exception>
    public static void Encode(ReadOnlySpan<float> labels, int classes, Span<float> destination)
    {
        CheckClasses(classes);
        if (destination.Length != (long)labels.Length * classes)
        {
            throw new ArgumentException(
                $"{labels.Length} labels of {classes} classes need {(long)labels.Length * classes} floats, but the destination has {destination.Length}.",
                nameof(destination));
        }

        destination.Clear();
        for (int row = 0; row < labels.Length; row++)
        {
            destination[(row * classes) + ClassIndex(labels[row], row, classes, nameof(labels))] = 1f;
        }
    }

    /// <summary>
    /// The dataset with its one-value-per-row class targets replaced by one-hot rows of <paramref name="classes"/>
    /// (features copied).
    /// </summary>
    /// <exception cref="ArgumentException">The targets are not one value per row, or a label is out of range.</exception>
    public static Dataset Encode(Dataset dataset, int classes)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (dataset.TargetWidth != 1)
        {
            throw new ArgumentException(
                $"One-hot encoding takes one class index per row, but the dataset has {dataset.TargetWidth} targets per row; it may already be encoded.",
                nameof(dataset));
        }

        return new Dataset(dataset.Features.ToArray(), dataset.FeatureWidth, Encode(dataset.Targets, classes), classes, dataset.AllowsNonFinite);
    }

    /// <summary>
    /// The class of each row of <paramref name="classes"/> floats: the index of its largest value (the first on ties),
    /// which decodes one-hot rows and also picks the likeliest class of probability rows.
    /// </summary>
    /// <exception cref="ArgumentException">The length is not whole rows, or a row holds NaN.</exception>
    public static int[] Decode(ReadOnlySpan<float> oneHot, int classes)
    {
        CheckClasses(classes);
        if (oneHot.Length % classes != 0)
        {
            throw new ArgumentException(
                $"Rows of {classes} classes need a multiple of {classes} floats, but there are {oneHot.Length}.",
                nameof(oneHot));
        }

        int[] labels = new int[oneHot.Length / classes];
        for (int row = 0; row < labels.Length; row++)
        {
            labels[row] = IndexOfMax(oneHot.Slice(row * classes, classes), row, nameof(oneHot));
        }

        return labels;
    }

    /// <summary>The index of the largest value in <paramref name="values"/> (first on ties); throws on NaN naming the row.</summary>
    internal static int IndexOfMax(ReadOnlySpan<float> values, int row, string parameter)
    {
        int best = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (float.IsNaN(values[i]))
            {
                throw new ArgumentException(
                    $"Row {row} holds NaN at index {i}, so it has no largest value; a NaN output usually means training diverged (try a lower learning rate).",
                    parameter);
            }

            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>Whether <paramref name="label"/> is a whole number in [0, classes), a class index.</summary>
    internal static bool IsClassIndex(float label, int classes) => label >= 0 && label < classes && label == MathF.Floor(label);

    /// <summary>Checks that <paramref name="label"/> is a whole number in [0, classes) and returns it as an int.</summary>
    internal static int ClassIndex(float label, int row, int classes, string parameter)
    {
        if (!IsClassIndex(label, classes))
        {
            throw new ArgumentException(
                $"Row {row} has label {label.ToString(CultureInfo.InvariantCulture)}, but class labels must be whole numbers from 0 to {classes - 1}; " +
                $"map the labels to 0..{classes - 1} first, or pass the right number of classes.",
                parameter);
        }

        return (int)label;
    }

    private static void CheckClasses(int classes)
    {
        if (classes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "The number of classes must be positive.");
        }
    }
}
