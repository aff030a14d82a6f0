using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Kernels;

/// <summary>What LSTM and GRU share: masks, outputs, and the bookkeeping of back-propagation through time.</summary>
internal static class Recurrent
{
    /// <summary>Step <paramref name="t"/>'s states of the whole batch in a time-major <c>[steps, batch, units]</c> buffer.</summary>
    public static Span<T> State<T>(T[] states, int t, int batch, int units) => states.AsSpan(t * batch * units, batch * units);

    /// <summary>Whether step <paramref name="t"/> of sample <paramref name="b"/> is processed (no mask, or a mask of 1).</summary>
    public static bool IsKept<T>(ReadOnlySpan<T> mask, int b, int t, int steps)
        where T : IFloatingPointIeee754<T>
        => mask.IsEmpty || mask[(b * steps) + t] != T.Zero;

    /// <summary>
    /// Whether the recurrent products <c>h W_hh^T</c> of a forward pass run on a transpose of <c>W_hh</c>, made once
    /// per sequence: with fewer than four samples (a prediction) the packed GEMM does not apply, and <c>A · B</c> on
    /// the transpose keeps a row of the product in registers where <c>A · B^T</c> needs a dot product, with its
    /// horizontal sum, per output.
    /// </summary>
    public static bool TransposesRecurrentWeight<T>(int batch) => typeof(T) == typeof(float) && GemmFewRows.Applies(batch);

    /// <summary>
    /// Writes <c>W_hh^T</c> into the workspace as two blocks of columns, <c>[units, first]</c> and
    /// <c>[units, width - first]</c>, each contiguous (see <see cref="MultiplyRecurrent{T}"/> for why).
    /// </summary>
    public static void TransposeRecurrentWeight<T>(ReadOnlySpan<T> weightHh, RecurrentWorkspace<T> workspace, int width, int units)
        where T : IFloatingPointIeee754<T>
    {
        int first = FirstBlock(width);
        Span<T> transposed = workspace.TransposedRecurrentWeight;
        Gemm.Transpose(weightHh.Slice(0, first * units), transposed.Slice(0, first * units), first, units);
        Gemm.Transpose(weightHh.Slice(first * units, (width - first) * units), transposed.Slice(first * units, (width - first) * units), width - first, units);
    }

    /// <summary><c>result = h_prev W_hh^T</c> for step <paramref name="t"/>, on the transpose when <see cref="TransposesRecurrentWeight{T}"/> says so.</summary>
    /// <remarks>
    /// A step reads all of <c>W_hh^T</c>, 64 KiB for the text classifier's LSTM, more than the 48 KiB L1 cache, so
    /// reading it in the same order every step would find none of it there. The two blocks of columns are taken in
    /// turn first and second: the block read last in one step is read first in the next, while it is still in L1.
    /// </remarks>
    public static void MultiplyRecurrent<T>(
        ReadOnlySpan<T> hiddenPrevious, ReadOnlySpan<T> weightHh, RecurrentWorkspace<T> workspace, Span<T> result, int t, int batch, int width, int units)
        where T : IFloatingPointIeee754<T>
    {
        if (!TransposesRecurrentWeight<T>(batch))
        {
            Gemm.MultiplyTransposedB(hiddenPrevious, weightHh, result, batch, width, units, accumulate: false);
            return;
        }

        int first = FirstBlock(width);
        ReadOnlySpan<T> transposed = workspace.TransposedRecurrentWeight;
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<T> h = hiddenPrevious.Slice(b * units, units);
            Span<T> row = result.Slice(b * width, width);
            for (int block = 0; block < 2; block++)
            {
                bool firstColumns = (block == 0) == (t % 2 == 0);
                int start = firstColumns ? 0 : first;
                int columns = firstColumns ? first : width - first;
                Gemm.Multiply(h, transposed.Slice(start * units, columns * units), row.Slice(start, columns), 1, columns, units, accumulate: false);
            }
        }
    }

    /// <summary>The columns of the first block of the transposed weight: half, rounded up to whole 512-bit vectors.</summary>
    private static int FirstBlock(int width) => Math.Min(width, (((width / 2) + 15) / 16) * 16);

    /// <summary>A masked step of sample <paramref name="b"/>: its state at step <paramref name="t"/> is the one before, or zero at the first step.</summary>
    public static void KeepState<T>(T[] states, int t, int b, int batch, int units)
    {
        Span<T> state = State(states, t, batch, units).Slice(b * units, units);
        if (t == 0)
        {
            state.Clear();
        }
        else
        {
            State(states, t - 1, batch, units).Slice(b * units, units).CopyTo(state);
        }
    }

    /// <summary>Copies the hidden states to the batch-first output: every step (masked steps as zeros), or the last state.</summary>
    public static void WriteOutput<T>(RecurrentWorkspace<T> workspace, ReadOnlySpan<T> mask, Span<T> output, int batch, bool returnSequences)
        where T : IFloatingPointIeee754<T>
    {
        int steps = workspace.Steps;
        int units = workspace.Units;
        for (int b = 0; b < batch; b++)
        {
            if (!returnSequences)
            {
                workspace.Hidden.AsSpan((((steps - 1) * batch) + b) * units, units).CopyTo(output.Slice(b * units, units));
                continue;
            }

            for (int t = 0; t < steps; t++)
            {
                Span<T> target = output.Slice(((b * steps) + t) * units, units);
                if (IsKept(mask, b, t, steps))
                {
                    workspace.Hidden.AsSpan(((t * batch) + b) * units, units).CopyTo(target);
                }
                else
                {
                    target.Clear();
                }
            }
        }
    }

    /// <summary><c>dh = dhNext + dL/dh_t</c> from the layer's output gradient (every step, or only the last).</summary>
    public static void AddOutputGradient<T>(
        ReadOnlySpan<T> dhNext, ReadOnlySpan<T> outputGradient, ReadOnlySpan<T> mask, Span<T> dh, int t, int batch, int steps, int units, bool returnSequences)
        where T : IFloatingPointIeee754<T>
    {
        dhNext.CopyTo(dh);
        for (int b = 0; b < batch; b++)
        {
            if (returnSequences && IsKept(mask, b, t, steps))
            {
                Span<T> row = dh.Slice(b * units, units);
                TensorPrimitives.Add(row, outputGradient.Slice(((b * steps) + t) * units, units), row);
            }
            else if (!returnSequences && t == steps - 1)
            {
                Span<T> row = dh.Slice(b * units, units);
                TensorPrimitives.Add(row, outputGradient.Slice(b * units, units), row);
            }
        }
    }

    /// <summary>A masked step copied its state from the step before, so its whole gradient flows on: <c>dhNext += dh</c>.</summary>
    public static void CarryMaskedGradient<T>(ReadOnlySpan<T> mask, ReadOnlySpan<T> dh, Span<T> dhNext, int t, int batch, int steps, int units)
        where T : IFloatingPointIeee754<T>
    {
        for (int b = 0; b < batch; b++)
        {
            if (!IsKept(mask, b, t, steps))
            {
                Span<T> row = dhNext.Slice(b * units, units);
                TensorPrimitives.Add(row, dh.Slice(b * units, units), row);
            }
        }
    }
}
