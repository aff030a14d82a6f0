using System;
using System.Collections.Generic;
using System.Numerics.Tensors;

namespace TypedNets.Data;

/// <summary>The scans behind <see cref="Dataset.DropMissing"/>, <see cref="CsvTable.DropMissing"/> and the finite checks.</summary>
internal static class Missing
{
    /// <summary>The index of the first NaN or infinity in <paramref name="values"/>, or -1 when every value is finite.</summary>
    internal static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        // The vectorized test first: clean data, the usual case, is then one pass at memory speed.
        if (TensorPrimitives.IsFiniteAll(values))
        {
            return -1;
        }

        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The rows, in order, whose features and targets are all finite.</summary>
    internal static int[] FiniteRows(ReadOnlySpan<float> features, int featureWidth, ReadOnlySpan<float> targets, int targetWidth)
    {
        int rows = features.Length / featureWidth;
        var kept = new List<int>(rows);
        for (int row = 0; row < rows; row++)
        {
            if (TensorPrimitives.IsFiniteAll(features.Slice(row * featureWidth, featureWidth)) &&
                TensorPrimitives.IsFiniteAll(targets.Slice(row * targetWidth, targetWidth)))
            {
                kept.Add(row);
            }
        }

        return kept.ToArray();
    }
}
