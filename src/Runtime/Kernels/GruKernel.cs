using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Kernels;

/// <summary>
/// A single-layer GRU over a batch-first sequence, with PyTorch's gate order and parameter layout:
/// <c>weight_ih [3H, in]</c>, <c>weight_hh [3H, H]</c>, <c>bias_ih [3H]</c>, <c>bias_hh [3H]</c>, gates <c>r, z, n</c>:
/// <code>
/// r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)     z likewise
/// n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn))
/// h' = (1 - z) n + z h
/// </code>
/// States start at zero; masked steps keep the previous state, as in <see cref="LstmKernel"/>.
/// </summary>
public static class GruKernel
{
    private const int GateCount = 3;

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

        // The recurrent projection h W_hh^T of one step, kept in the step-gradient buffer during the forward pass.
        Span<T> recurrent = workspace.StepGradient.AsSpan(0, batch * width);
        for (int t = 0; t < steps; t++)
        {
            if (t > 0)
            {
                Recurrent.MultiplyRecurrent(Recurrent.State(workspace.Hidden, t - 1, batch, units), weightHh, workspace, recurrent, t, batch, width, units);
            }

            Span<T> gates = workspace.Gates.AsSpan(t * batch * width, batch * width);
            for (int b = 0; b < batch; b++)
            {
                if (!Recurrent.IsKept(mask, b, t, steps))
                {
                    Recurrent.KeepState(workspace.Hidden, t, b, batch, units);
                    continue;
                }

                GruCell.Forward(
                    projection.Slice(((b * steps) + t) * width, width), biasIh, biasHh,
                    t > 0 ? recurrent.Slice(b * width, width) : default,
                    t > 0 ? Recurrent.State(workspace.Hidden, t - 1, batch, units).Slice(b * units, units) : default,
                    gates.Slice(b * width, width), Recurrent.State(workspace.Cells, t, batch, units).Slice(b * units, units),
                    Recurrent.State(workspace.Hidden, t, batch, units).Slice(b * units, units), units);
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
        Span<T> stepGradient = workspace.StepGradient.AsSpan(0, batch * width);
        dhNext.Clear();

        for (int t = steps - 1; t >= 0; t--)
        {
            Recurrent.AddOutputGradient(dhNext, outputGradient, mask, dh, t, batch, steps, units, returnSequences);
            ReadOnlySpan<T> gates = workspace.Gates.AsSpan(t * batch * width, batch * width);
            for (int b = 0; b < batch; b++)
            {
                Span<T> xGradient = projectionGradient.Slice(((b * steps) + t) * width, width);
                Span<T> hGradient = stepGradient.Slice(b * width, width);
                if (!Recurrent.IsKept(mask, b, t, steps))
                {
                    xGradient.Clear();
                    hGradient.Clear();
                    continue;
                }

                GruCell.Backward(
                    gates.Slice(b * width, width), Recurrent.State(workspace.Cells, t, batch, units).Slice(b * units, units),
                    t > 0 ? Recurrent.State(workspace.Hidden, t - 1, batch, units).Slice(b * units, units) : default,
                    dh.Slice(b * units, units), xGradient, hGradient, units);
            }

            DenseKernel.AddColumnSums(stepGradient, biasHhGradient, stepGradient.Length / width, width);
            if (t > 0)
            {
                Gemm.MultiplyTransposedA(stepGradient, Recurrent.State(workspace.Hidden, t - 1, batch, units), weightHhGradient, width, units, batch, accumulate: true);
                Gemm.Multiply(stepGradient, weightHh, dhNext, batch, units, width, accumulate: false);
                TensorPrimitives.Add(dhNext, dh, dhNext);
            }
        }

        DenseKernel.AddColumnSums(projectionGradient, biasIhGradient, projectionGradient.Length / width, width);
        Gemm.MultiplyTransposedA(projectionGradient, x.Slice(0, batch * steps * inputs), weightIhGradient, width, inputs, batch * steps, accumulate: true);
        if (!dx.IsEmpty)
        {
            Gemm.Multiply(projectionGradient, weightIh, dx.Slice(0, batch * steps * inputs), batch * steps, inputs, width, accumulate: false);
        }
    }
}
