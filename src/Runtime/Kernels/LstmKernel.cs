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
/// returned sequence, outputs zeros. Stacked and bidirectional layers run through the overloads that take a
/// <see cref="RecurrentStackWorkspace{T}"/>.
/// </summary>
public static class LstmKernel
{
    private const int GateCount = 4;

    /// <summary>Runs the sequence <c>x [batch, steps, inputs]</c> and writes <c>[batch, steps, units]</c> or the last state <c>[batch, units]</c>.</summary>
    public static void Forward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> weightIh, ReadOnlySpan<T> weightHh, ReadOnlySpan<T> biasIh, ReadOnlySpan<T> biasHh,
        ReadOnlySpan<T> mask, RecurrentWorkspace<T> workspace, Span<T> output, int batch, int inputs, bool returnSequences,
        Int8Weight? inputWeight = null, Int8Weight? recurrentWeight = null)
        where T : IFloatingPointIeee754<T>
    {
        int steps = workspace.Steps;
        int units = workspace.Units;
        int width = GateCount * units;
        Span<T> projection = workspace.Projection.AsSpan(0, batch * steps * width);
        if (!Int8Weight.TryMultiply(inputWeight, x, ReadOnlySpan<T>.Empty, projection, batch * steps))
        {
            Gemm.MultiplyTransposedB(x.Slice(0, batch * steps * inputs), weightIh, projection, batch * steps, width, inputs, accumulate: false);
        }

        if (Recurrent.TransposesRecurrentWeight<T>(batch))
        {
            Recurrent.TransposeRecurrentWeight(weightHh, workspace, width, units);
        }

        for (int t = 0; t < steps; t++)
        {
            Span<T> gates = workspace.Gates.AsSpan(t * batch * width, batch * width);
            if (t > 0)
            {
                ReadOnlySpan<T> hiddenPrevious = Recurrent.State(workspace.Hidden, t - 1, batch, units);
                if (!Int8Weight.TryMultiply(recurrentWeight, hiddenPrevious, ReadOnlySpan<T>.Empty, gates, batch))
                {
                    Recurrent.MultiplyRecurrent(hiddenPrevious, weightHh, workspace, gates, t, batch, width, units);
                }
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
    /// <summary>
    /// Runs a stacked or bidirectional LSTM (PyTorch's <c>num_layers</c> and <c>bidirectional</c>) over
    /// <c>x [batch, steps, inputs]</c> and writes the last layer's states, both directions side by side on the features:
    /// <c>[batch, steps, directions * units]</c>, or with <paramref name="returnSequences"/> false the last state of
    /// each direction (the forward one's after the last step, the reverse one's after the first: PyTorch's <c>h_n</c>),
    /// <c>[batch, directions * units]</c>.
    /// </summary>
    /// <param name="x">The input, <c>[batch, steps, inputs]</c>.</param>
    /// <param name="parameters">Every layer's and direction's <c>weight_ih</c>, <c>weight_hh</c>, <c>bias_ih</c> and <c>bias_hh</c>, in PyTorch's <c>state_dict</c> order.</param>
    /// <param name="mask">1 for a real step and 0 for padding, <c>[batch, steps]</c>, or empty for none.</param>
    /// <param name="workspace">The stack's buffers, which the backward pass reads.</param>
    /// <param name="output">Receives the output.</param>
    /// <param name="batch">The number of samples.</param>
    /// <param name="returnSequences">Whether to write every step's states rather than the last.</param>
    /// <param name="dropout">The dropout between layers, in [0, 1); applied only when <paramref name="training"/>.</param>
    /// <param name="training">Whether this is a training pass.</param>
    /// <param name="random">The generator of dropout masks; drawn from only when dropout applies.</param>
    /// <param name="int8">A quantised network's int8 weights, whose <c>weight_ih</c> and <c>weight_hh</c> the layers then run on, or <see langword="null"/>.</param>
    /// <param name="parameterOffset">Where <paramref name="parameters"/> starts in the network's parameters: the int8 weights are found by that offset.</param>
    /// <exception cref="ArgumentException">A span is shorter than the sizes ask, the parameters are not the stack's, or the workspace is not an LSTM's.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dropout"/> is outside [0, 1).</exception>
    public static void Forward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> parameters, ReadOnlySpan<T> mask, RecurrentStackWorkspace<T> workspace, Span<T> output,
        int batch, bool returnSequences, double dropout, bool training, ref Xoshiro256 random, Int8Weights? int8 = null, int parameterOffset = 0)
        where T : IFloatingPointIeee754<T>
        => RecurrentStack.Forward(lstm: true, x, parameters, mask, workspace, output, batch, returnSequences, dropout, training, ref random, int8, parameterOffset);

    /// <summary>
    /// Back-propagation through a stacked or bidirectional LSTM's last forward pass: adds every parameter's gradient
    /// into <paramref name="gradients"/> (laid out like the parameters) and, when <paramref name="dx"/> is not empty,
    /// writes the input gradient <c>[batch, steps, inputs]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the sizes ask, or the parameters or gradients are not the stack's.</exception>
    public static void Backward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> parameters, ReadOnlySpan<T> mask, RecurrentStackWorkspace<T> workspace,
        ReadOnlySpan<T> outputGradient, Span<T> gradients, Span<T> dx, int batch, bool returnSequences)
        where T : IFloatingPointIeee754<T>
        => RecurrentStack.Backward(lstm: true, x, parameters, mask, workspace, outputGradient, gradients, dx, batch, returnSequences);
}
