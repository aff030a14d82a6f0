using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Kernels;

/// <summary>
/// A single-layer LSTM over a batch-first sequence, with PyTorch's gate order and parameter layout:
/// <c>weight_ih [4H, in]</c>, <c>weight_hh [4H, H]</c>, <c>bias_ih [4H]</c>, <c>bias_hh [4H]</c>, gates <c>i, f, g, o</c>:
/// <code>
/// i = sigmoid(x W_ii^T + b_ii + h W_hi^T + b_hi)     f, o likewise
/// g = tanh(x W_ig^T + b_ig + h W_hg^T + b_hg)
/// c' = f c + i g,  h' = o tanh(c')
/// </code>
/// States start at zero. Where the mask is 0 (Keras' <c>mask_zero</c>), a step keeps the previous state and, in a
/// returned sequence, outputs zeros.
/// </summary>
public static class LstmKernel
{
    private const int GateCount = 4;

    /// <summary>Runs the sequence <c>x [batch, steps, inputs]</c> and writes <c>[batch, steps, units]</c> or the last state <c>[batch, units]</c>.</summary>
    public static void Forward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> weightIh, ReadOnlySpan<T> weightHh, ReadOnlySpan<T> biasIh, ReadOnlySpan<T> biasHh,
        ReadOnlySpan<T> mask, RecurrentWorkspace<T> workspace, Span<T> output, int batch, int inputs, bool returnSequences)
        where T : IFloatingPointIeee754<T>
    {
        int steps = workspace.Steps;
        int units = workspace.Units;
        int width = GateCount * units;
        Span<T> projection = workspace.Projection.AsSpan(0, batch * steps * width);
        Gemm.MultiplyTransposedB(x.Slice(0, batch * steps * inputs), weightIh, projection, batch * steps, width, inputs, accumulate: false);
        if (Recurrent.TransposesRecurrentWeight<T>(batch))
        {
            Recurrent.TransposeRecurrentWeight(weightHh, workspace, width, units);
        }

        for (int t = 0; t < steps; t++)
        {
            Span<T> gates = workspace.Gates.AsSpan(t * batch * width, batch * width);
            if (t > 0)
            {
                Recurrent.MultiplyRecurrent(Recurrent.State(workspace.Hidden, t - 1, batch, units), weightHh, workspace, gates, t, batch, width, units);
            }

            for (int b = 0; b < batch; b++)
            {
                Span<T> cell = Recurrent.State(workspace.Cells, t, batch, units).Slice(b * units, units);
                Span<T> hidden = Recurrent.State(workspace.Hidden, t, batch, units).Slice(b * units, units);
                ReadOnlySpan<T> cellPrevious = t > 0 ? Recurrent.State(workspace.Cells, t - 1, batch, units).Slice(b * units, units) : default;
                if (!Recurrent.IsKept(mask, b, t, steps))
                {
                    // A masked step keeps the previous state (zero at the first step).
                    Recurrent.KeepState(workspace.Cells, t, b, batch, units);
                    Recurrent.KeepState(workspace.Hidden, t, b, batch, units);
                    continue;
                }

                LstmCell.Forward(
                    projection.Slice(((b * steps) + t) * width, width), biasIh, biasHh, hasRecurrent: t > 0, cellPrevious,
                    gates.Slice(b * width, width), cell, Recurrent.State(workspace.CellTanh, t, batch, units).Slice(b * units, units), hidden, units);
            }
        }

        Recurrent.WriteOutput(workspace, mask, output, batch, returnSequences);
    }

    /// <summary>
    /// Back-propagation through time: adds the gradients of all four parameter tensors and, when <paramref name="dx"/>
    /// is not empty, writes the input gradient <c>[batch, steps, inputs]</c>.
    /// </summary>
    public static void Backward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> weightIh, ReadOnlySpan<T> weightHh, ReadOnlySpan<T> mask, RecurrentWorkspace<T> workspace,
        ReadOnlySpan<T> outputGradient, Span<T> weightIhGradient, Span<T> weightHhGradient, Span<T> biasIhGradient, Span<T> biasHhGradient,
        Span<T> dx, int batch, int inputs, bool returnSequences)
        where T : IFloatingPointIeee754<T>
    {
        int steps = workspace.Steps;
        int units = workspace.Units;
        int width = GateCount * units;
        Span<T> projectionGradient = workspace.Projection.AsSpan(0, batch * steps * width);
        Span<T> dh = workspace.HiddenGradient.AsSpan(0, batch * units);
        Span<T> dhNext = workspace.NextHiddenGradient.AsSpan(0, batch * units);
        Span<T> dcNext = workspace.NextCellGradient.AsSpan(0, batch * units);
        Span<T> stepGradient = workspace.StepGradient.AsSpan(0, batch * width);
        dhNext.Clear();
        dcNext.Clear();

        for (int t = steps - 1; t >= 0; t--)
        {
            Recurrent.AddOutputGradient(dhNext, outputGradient, mask, dh, t, batch, steps, units, returnSequences);
            ReadOnlySpan<T> gates = workspace.Gates.AsSpan(t * batch * width, batch * width);
            for (int b = 0; b < batch; b++)
            {
                Span<T> gradientRow = stepGradient.Slice(b * width, width);
                if (!Recurrent.IsKept(mask, b, t, steps))
                {
                    // The step passed its state through: dh and dc flow on to t - 1 unchanged.
                    gradientRow.Clear();
                    gradientRow.CopyTo(projectionGradient.Slice(((b * steps) + t) * width, width));
                    continue;
                }

                ReadOnlySpan<T> cellPrevious = t > 0 ? Recurrent.State(workspace.Cells, t - 1, batch, units).Slice(b * units, units) : default;
                LstmCell.Backward(
                    gates.Slice(b * width, width), cellPrevious, Recurrent.State(workspace.CellTanh, t, batch, units).Slice(b * units, units),
                    dh.Slice(b * units, units), dcNext.Slice(b * units, units), gradientRow, projectionGradient.Slice(((b * steps) + t) * width, width), units);
            }

            if (t > 0)
            {
                Gemm.MultiplyTransposedA(stepGradient, Recurrent.State(workspace.Hidden, t - 1, batch, units), weightHhGradient, width, units, batch, accumulate: true);
                Gemm.Multiply(stepGradient, weightHh, dhNext, batch, units, width, accumulate: false);
                Recurrent.CarryMaskedGradient(mask, dh, dhNext, t, batch, steps, units);
            }
        }

        // Both biases enter every gate pre-activation alike, so their gradients are the same column sums.
        Span<T> biasGradient = stepGradient.Slice(0, width);
        biasGradient.Clear();
        DenseKernel.AddColumnSums(projectionGradient, biasGradient, projectionGradient.Length / width, width);
        TensorPrimitives.Add(biasIhGradient, biasGradient, biasIhGradient);
        TensorPrimitives.Add(biasHhGradient, biasGradient, biasHhGradient);
        Gemm.MultiplyTransposedA(projectionGradient, x.Slice(0, batch * steps * inputs), weightIhGradient, width, inputs, batch * steps, accumulate: true);
        if (!dx.IsEmpty)
        {
            Gemm.Multiply(projectionGradient, weightIh, dx.Slice(0, batch * steps * inputs), batch * steps, inputs, width, accumulate: false);
        }
    }
}
