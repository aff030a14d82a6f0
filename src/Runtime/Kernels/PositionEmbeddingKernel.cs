using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Kernels;

/// <summary>
/// Learned position embeddings added to a sequence, as GPT-2's <c>wpe</c>: step <c>t</c> of every sample gains row
/// <c>t</c> of a <c>[positions, width]</c> table (nanoGPT's <c>tok_emb + pos_emb</c>).
/// </summary>
public static class PositionEmbeddingKernel
{
    /// <summary>Writes <c>y[b, t] = x[b, t] + table[t]</c> for <paramref name="batch"/> sequences of <paramref name="steps"/> rows of <paramref name="width"/>.</summary>
    /// <param name="x">The sequences, <c>[batch, steps, width]</c>.</param>
    /// <param name="table">The position table; its first <paramref name="steps"/> rows are read.</param>
    /// <param name="y">The result, as <paramref name="x"/>; it may be <paramref name="x"/> itself.</param>
    /// <param name="batch">The number of sequences.</param>
    /// <param name="steps">The length of each, at most the table's rows.</param>
    /// <param name="width">The length of a row.</param>
    /// <exception cref="ArgumentException">A span is shorter than the sizes need.</exception>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> table, Span<T> y, int batch, int steps, int width)
        where T : IFloatingPointIeee754<T>
    {
        int sequence = Check(x.Length, table.Length, y.Length, batch, steps, width);
        ReadOnlySpan<T> rows = table[..sequence];
        for (int sample = 0; sample < batch; sample++)
        {
            TensorPrimitives.Add(x.Slice(sample * sequence, sequence), rows, y.Slice(sample * sequence, sequence));
        }
    }

    /// <summary>
    /// Adds each step's gradient, summed over the batch, to the table's gradient, <c>dtable[t] += sum over b of
    /// dy[b, t]</c>; the input's gradient is <paramref name="dy"/> itself (the addition passes it through).
    /// </summary>
    /// <param name="dy">The gradient with respect to the output, <c>[batch, steps, width]</c>.</param>
    /// <param name="tableGradient">The table's gradient; its first <paramref name="steps"/> rows gain the sums.</param>
    /// <param name="batch">The number of sequences.</param>
    /// <param name="steps">The length of each.</param>
    /// <param name="width">The length of a row.</param>
    /// <exception cref="ArgumentException">A span is shorter than the sizes need.</exception>
    public static void Backward<T>(ReadOnlySpan<T> dy, Span<T> tableGradient, int batch, int steps, int width)
        where T : IFloatingPointIeee754<T>
    {
        int sequence = Check(dy.Length, tableGradient.Length, dy.Length, batch, steps, width);
        Span<T> rows = tableGradient[..sequence];
        for (int sample = 0; sample < batch; sample++)
        {
            TensorPrimitives.Add(rows, dy.Slice(sample * sequence, sequence), rows);
        }
    }

    private static int Check(int x, int table, int y, int batch, int steps, int width)
    {
        int sequence = steps * width;
        if (table < sequence)
        {
            throw new ArgumentException(
                $"The position table holds {table / Math.Max(width, 1)} rows of {width}, but the sequences have {steps} steps; a position embedding covers at most as many steps as its table has rows.",
                nameof(table));
        }

        if (x < batch * sequence || y < batch * sequence)
        {
            throw new ArgumentException($"{batch} sequences of {steps} x {width} need {batch * sequence} values, but a span holds {Math.Min(x, y)}.", nameof(x));
        }

        return sequence;
    }
}
