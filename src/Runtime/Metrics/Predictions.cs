using System;
using System.Globalization;
using TypedNets.Data;

namespace TypedNets.Metrics;

/// <summary>Turns network outputs and dataset targets into class indices for <see cref="ClassificationMetrics"/>.</summary>
public static class Predictions
{
    /// <summary>
    /// The class of each row of <paramref name="classes"/> outputs (probabilities, logits or scores): the index of the
    /// largest, the first on ties, as <c>numpy.argmax</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The outputs are not whole rows, or a row holds NaN.</exception>
    public static int[] ArgMax(ReadOnlySpan<float> outputs, int classes)
    {
        int[] labels = new int[Rows(outputs.Length, classes, nameof(outputs))];
        ArgMax(outputs, classes, labels);
        return labels;
    }

    /// <summary>Writes the class of each row of <paramref name="classes"/> outputs into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">The outputs are not whole rows, the destination does not have one slot per row, or a row holds NaN.</exception>
    public static void ArgMax(ReadOnlySpan<float> outputs, int classes, Span<int> destination)
    {
        int rows = Rows(outputs.Length, classes, nameof(outputs));
        CheckDestination(rows, destination.Length);
        for (int row = 0; row < rows; row++)
        {
            destination[row] = OneHot.IndexOfMax(outputs.Slice(row * classes, classes), row, nameof(outputs));
        }
    }

    /// <summary>
    /// The class of each single-unit output: 1 where the output is strictly above <paramref name="threshold"/>, else 0.
    /// Use 0.5 (the default) for sigmoid probabilities and 0 for logits.
    /// </summary>
    /// <exception cref="ArgumentException">An output is NaN.</exception>
    public static int[] Threshold(ReadOnlySpan<float> outputs, float threshold = 0.5f)
    {
        int[] labels = new int[outputs.Length];
        Threshold(outputs, labels, threshold);
        return labels;
    }

    /// <summary>Writes the class of each single-unit output into <paramref name="destination"/>: 1 above <paramref name="threshold"/>, else 0.</summary>
    /// <exception cref="ArgumentException">The destination does not have one slot per output, or an output is NaN.</exception>
    public static void Threshold(ReadOnlySpan<float> outputs, Span<int> destination, float threshold = 0.5f)
    {
        CheckDestination(outputs.Length, destination.Length);
        for (int row = 0; row < outputs.Length; row++)
        {
            if (float.IsNaN(outputs[row]))
            {
                throw new ArgumentException(
                    $"Output {row} is NaN and has no class; a NaN output usually means training diverged (try a lower learning rate).",
                    nameof(outputs));
            }

            destination[row] = outputs[row] > threshold ? 1 : 0;
        }
    }

    /// <summary>
    /// The true class of each row of dataset targets <paramref name="width"/> wide: the value itself when
    /// <paramref name="width"/> is 1 (it must be a whole number from 0), else the index of the largest value (one-hot or
    /// probability rows).
    /// </summary>
    /// <exception cref="ArgumentException">The targets are not whole rows, a 1-wide target is not a class index, or a row holds NaN.</exception>
    public static int[] ClassIndices(ReadOnlySpan<float> targets, int width)
    {
        int rows = Rows(targets.Length, width, nameof(targets));
        int[] labels = new int[rows];
        for (int row = 0; row < rows; row++)
        {
            if (width == 1)
            {
                float label = targets[row];
                if (!(label >= 0 && label < 2147483648f && label == MathF.Floor(label)))
                {
                    throw new ArgumentException(
                        $"Row {row} has target {label.ToString(CultureInfo.InvariantCulture)}, which is not a class index (a whole number from 0); " +
                        "class targets one value wide must hold class indices.",
                        nameof(targets));
                }

                labels[row] = (int)label;
            }
            else
            {
                labels[row] = OneHot.IndexOfMax(targets.Slice(row * width, width), row, nameof(targets));
            }
        }

        return labels;
    }

    private static int Rows(int length, int width, string parameter)
    {
        if (width <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, "The row width (number of classes) must be positive.");
        }

        if (length % width != 0)
        {
            throw new ArgumentException(
                $"Rows of {width} values need a multiple of {width} floats, but there are {length}.",
                parameter);
        }

        return length / width;
    }

    private static void CheckDestination(int rows, int destination)
    {
        if (destination != rows)
        {
            throw new ArgumentException($"There are {rows} rows but room for {destination} classes; the destination needs one slot per row.", nameof(destination));
        }
    }
}
