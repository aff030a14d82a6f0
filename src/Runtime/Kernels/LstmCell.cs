using System;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TypedNets.Kernels;

/// <summary>
/// The gate math of one LSTM time step for one sample, fused into one pass over the units: in the forward pass the
/// bias additions, the four activations, the cell update and the hidden output; in the backward pass the four gate
/// gradients and the cell gradient. The matrix products around it stay in <see cref="LstmKernel"/>.
/// </summary>
/// <remarks>
/// Unfused, each of these steps was a call over a 64-wide row that loaded and stored the row again, and the backward
/// pass ran element by element with a scalar tanh; at the text classifier's shapes that was about half the time of a
/// training step. Float runs on Vector512 or Vector256 registers and the rest of a row one element at a time; other
/// element types (double, for gradient checks) run the scalar formulas, which are the reference the vector path is
/// tested against.
/// </remarks>
internal static class LstmCell
{
    /// <summary>
    /// <c>[i, f, g, o] = act(x W_ih^T + b_ih + b_hh + h_prev W_hh^T)</c>; <c>c = f c_prev + i g</c>;
    /// <c>h = o tanh(c)</c>.
    /// </summary>
    /// <param name="input"><c>x W_ih^T</c> of this sample and step, <c>[4 units]</c>.</param>
    /// <param name="biasIh">The input bias, <c>[4 units]</c>.</param>
    /// <param name="biasHh">The recurrent bias, <c>[4 units]</c>.</param>
    /// <param name="hasRecurrent">Whether <paramref name="gates"/> holds <c>h_prev W_hh^T</c> on entry; not at the first step, where <c>h_prev</c> is zero.</param>
    /// <param name="cellPrevious"><c>c_prev</c>, or empty at the first step, where it is zero.</param>
    /// <param name="gates">On entry <c>h_prev W_hh^T</c> (when <paramref name="hasRecurrent"/>); on exit the activated gates.</param>
    /// <param name="cell">Receives <c>c</c>.</param>
    /// <param name="cellTanh">Receives <c>tanh(c)</c>, which the backward pass needs.</param>
    /// <param name="hidden">Receives <c>h</c>.</param>
    /// <param name="units">The number of units.</param>
    public static void Forward<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<T> biasIh, ReadOnlySpan<T> biasHh, bool hasRecurrent, ReadOnlySpan<T> cellPrevious,
        Span<T> gates, Span<T> cell, Span<T> cellTanh, Span<T> hidden, int units)
        where T : IFloatingPointIeee754<T>
    {
        int width = 4 * units;
        input = input.Slice(0, width);
        biasIh = biasIh.Slice(0, width);
        biasHh = biasHh.Slice(0, width);
        gates = gates.Slice(0, width);
        cell = cell.Slice(0, units);
        cellTanh = cellTanh.Slice(0, units);
        hidden = hidden.Slice(0, units);
        bool first = cellPrevious.IsEmpty;
        if (!first)
        {
            cellPrevious = cellPrevious.Slice(0, units);
        }

        int j = 0;
        if (typeof(T) == typeof(float))
        {
            j = ForwardVectorized(
                FloatSpans.AsFloat(input), FloatSpans.AsFloat(biasIh), FloatSpans.AsFloat(biasHh), hasRecurrent, FloatSpans.AsFloat(cellPrevious),
                FloatSpans.AsFloat(gates), FloatSpans.AsFloat(cell), FloatSpans.AsFloat(cellTanh), FloatSpans.AsFloat(hidden), units);
        }

        for (; j < units; j++)
        {
            T i = GateActivations.Sigmoid(PreActivation(input, biasIh, biasHh, hasRecurrent, gates, j));
            T f = GateActivations.Sigmoid(PreActivation(input, biasIh, biasHh, hasRecurrent, gates, units + j));
            T g = GateActivations.Tanh(PreActivation(input, biasIh, biasHh, hasRecurrent, gates, (2 * units) + j));
            T o = GateActivations.Sigmoid(PreActivation(input, biasIh, biasHh, hasRecurrent, gates, (3 * units) + j));
            gates[j] = i;
            gates[units + j] = f;
            gates[(2 * units) + j] = g;
            gates[(3 * units) + j] = o;
            T c = first ? i * g : (cellPrevious[j] * f) + (i * g);
            T tanhC = GateActivations.Tanh(c);
            cell[j] = c;
            cellTanh[j] = tanhC;
            hidden[j] = tanhC * o;
        }
    }

    /// <summary>
    /// The gradients of one step: from <c>dL/dh</c> and the cell gradient carried from the step after, writes
    /// <c>dL/d[i, f, g, o]</c> before the activations into both <paramref name="gateGradient"/> and
    /// <paramref name="projectionGradient"/>, and replaces <paramref name="cellGradient"/> by the gradient of <c>c_prev</c>.
    /// </summary>
    /// <param name="gates">The activated gates of the forward pass, <c>[4 units]</c>.</param>
    /// <param name="cellPrevious"><c>c_prev</c>, or empty at the first step, where it is zero.</param>
    /// <param name="cellTanh"><c>tanh(c)</c> of the forward pass.</param>
    /// <param name="hiddenGradient"><c>dL/dh</c> of this step.</param>
    /// <param name="cellGradient">On entry <c>dL/dc</c> from the step after; on exit <c>dL/dc_prev</c>.</param>
    /// <param name="gateGradient">Receives the gate gradients, for the recurrent products.</param>
    /// <param name="projectionGradient">Receives the same gradients, for the input products after the last step.</param>
    /// <param name="units">The number of units.</param>
    public static void Backward<T>(
        ReadOnlySpan<T> gates, ReadOnlySpan<T> cellPrevious, ReadOnlySpan<T> cellTanh, ReadOnlySpan<T> hiddenGradient,
        Span<T> cellGradient, Span<T> gateGradient, Span<T> projectionGradient, int units)
        where T : IFloatingPointIeee754<T>
    {
        int width = 4 * units;
        gates = gates.Slice(0, width);
        cellTanh = cellTanh.Slice(0, units);
        hiddenGradient = hiddenGradient.Slice(0, units);
        cellGradient = cellGradient.Slice(0, units);
        gateGradient = gateGradient.Slice(0, width);
        projectionGradient = projectionGradient.Slice(0, width);
        bool first = cellPrevious.IsEmpty;
        if (!first)
        {
            cellPrevious = cellPrevious.Slice(0, units);
        }

        int j = 0;
        if (typeof(T) == typeof(float))
        {
            j = BackwardVectorized(
                FloatSpans.AsFloat(gates), FloatSpans.AsFloat(cellPrevious), FloatSpans.AsFloat(cellTanh), FloatSpans.AsFloat(hiddenGradient),
                FloatSpans.AsFloat(cellGradient), FloatSpans.AsFloat(gateGradient), FloatSpans.AsFloat(projectionGradient), units);
        }

        for (; j < units; j++)
        {
            T i = gates[j];
            T f = gates[units + j];
            T g = gates[(2 * units) + j];
            T o = gates[(3 * units) + j];
            T cPrevious = first ? T.Zero : cellPrevious[j];
            T tanhC = cellTanh[j];
            T dh = hiddenGradient[j];
            T dc = cellGradient[j] + (dh * o * (T.One - (tanhC * tanhC)));
            T di = dc * g * i * (T.One - i);
            T df = dc * cPrevious * f * (T.One - f);
            T dg = dc * i * (T.One - (g * g));
            T dO = dh * tanhC * o * (T.One - o);
            gateGradient[j] = projectionGradient[j] = di;
            gateGradient[units + j] = projectionGradient[units + j] = df;
            gateGradient[(2 * units) + j] = projectionGradient[(2 * units) + j] = dg;
            gateGradient[(3 * units) + j] = projectionGradient[(3 * units) + j] = dO;
            cellGradient[j] = dc * f;
        }
    }

    private static T PreActivation<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> biasIh, ReadOnlySpan<T> biasHh, bool hasRecurrent, ReadOnlySpan<T> recurrent, int index)
        where T : IFloatingPointIeee754<T>
    {
        T sum = input[index] + biasIh[index] + biasHh[index];
        return hasRecurrent ? sum + recurrent[index] : sum;
    }

    /// <summary>The forward formulas over whole vectors of units; returns how many units it did.</summary>
    private static int ForwardVectorized(
        ReadOnlySpan<float> input, ReadOnlySpan<float> biasIh, ReadOnlySpan<float> biasHh, bool hasRecurrent, ReadOnlySpan<float> cellPrevious,
        Span<float> gates, Span<float> cell, Span<float> cellTanh, Span<float> hidden, int units)
    {
        // The callers sliced every span to its full length, so the unchecked loads below stay inside them.
        ref float x = ref MemoryMarshal.GetReference(input);
        ref float bi = ref MemoryMarshal.GetReference(biasIh);
        ref float bh = ref MemoryMarshal.GetReference(biasHh);
        ref float cp = ref MemoryMarshal.GetReference(cellPrevious);
        ref float gate = ref MemoryMarshal.GetReference(gates);
        ref float c = ref MemoryMarshal.GetReference(cell);
        ref float tc = ref MemoryMarshal.GetReference(cellTanh);
        ref float h = ref MemoryMarshal.GetReference(hidden);
        bool first = cellPrevious.IsEmpty;
        nuint u = (nuint)units;
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= units - Vector512<float>.Count; j += Vector512<float>.Count)
            {
                nuint n = (nuint)j;
                Vector512<float> i = GateActivations.Sigmoid(Pre(ref x, ref bi, ref bh, ref gate, n, hasRecurrent));
                Vector512<float> f = GateActivations.Sigmoid(Pre(ref x, ref bi, ref bh, ref gate, n + u, hasRecurrent));
                Vector512<float> g = GateActivations.Tanh(Pre(ref x, ref bi, ref bh, ref gate, n + (2 * u), hasRecurrent));
                Vector512<float> o = GateActivations.Sigmoid(Pre(ref x, ref bi, ref bh, ref gate, n + (3 * u), hasRecurrent));
                i.StoreUnsafe(ref gate, n);
                f.StoreUnsafe(ref gate, n + u);
                g.StoreUnsafe(ref gate, n + (2 * u));
                o.StoreUnsafe(ref gate, n + (3 * u));
                Vector512<float> newCell = first ? i * g : (Vector512.LoadUnsafe(ref cp, n) * f) + (i * g);
                Vector512<float> tanhC = GateActivations.Tanh(newCell);
                newCell.StoreUnsafe(ref c, n);
                tanhC.StoreUnsafe(ref tc, n);
                (tanhC * o).StoreUnsafe(ref h, n);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; j <= units - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                nuint n = (nuint)j;
                Vector256<float> i = GateActivations.Sigmoid(Pre256(ref x, ref bi, ref bh, ref gate, n, hasRecurrent));
                Vector256<float> f = GateActivations.Sigmoid(Pre256(ref x, ref bi, ref bh, ref gate, n + u, hasRecurrent));
                Vector256<float> g = GateActivations.Tanh(Pre256(ref x, ref bi, ref bh, ref gate, n + (2 * u), hasRecurrent));
                Vector256<float> o = GateActivations.Sigmoid(Pre256(ref x, ref bi, ref bh, ref gate, n + (3 * u), hasRecurrent));
                i.StoreUnsafe(ref gate, n);
                f.StoreUnsafe(ref gate, n + u);
                g.StoreUnsafe(ref gate, n + (2 * u));
                o.StoreUnsafe(ref gate, n + (3 * u));
                Vector256<float> newCell = first ? i * g : (Vector256.LoadUnsafe(ref cp, n) * f) + (i * g);
                Vector256<float> tanhC = GateActivations.Tanh(newCell);
                newCell.StoreUnsafe(ref c, n);
                tanhC.StoreUnsafe(ref tc, n);
                (tanhC * o).StoreUnsafe(ref h, n);
            }
        }

        return j;
    }

    /// <summary>The backward formulas over whole vectors of units; returns how many units it did.</summary>
    private static int BackwardVectorized(
        ReadOnlySpan<float> gates, ReadOnlySpan<float> cellPrevious, ReadOnlySpan<float> cellTanh, ReadOnlySpan<float> hiddenGradient,
        Span<float> cellGradient, Span<float> gateGradient, Span<float> projectionGradient, int units)
    {
        ref float gate = ref MemoryMarshal.GetReference(gates);
        ref float cp = ref MemoryMarshal.GetReference(cellPrevious);
        ref float tc = ref MemoryMarshal.GetReference(cellTanh);
        ref float dhRef = ref MemoryMarshal.GetReference(hiddenGradient);
        ref float dcRef = ref MemoryMarshal.GetReference(cellGradient);
        ref float dGate = ref MemoryMarshal.GetReference(gateGradient);
        ref float dProjection = ref MemoryMarshal.GetReference(projectionGradient);
        bool first = cellPrevious.IsEmpty;
        nuint u = (nuint)units;
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> one = Vector512<float>.One;
            for (; j <= units - Vector512<float>.Count; j += Vector512<float>.Count)
            {
                nuint n = (nuint)j;
                Vector512<float> i = Vector512.LoadUnsafe(ref gate, n);
                Vector512<float> f = Vector512.LoadUnsafe(ref gate, n + u);
                Vector512<float> g = Vector512.LoadUnsafe(ref gate, n + (2 * u));
                Vector512<float> o = Vector512.LoadUnsafe(ref gate, n + (3 * u));
                Vector512<float> cPrevious = first ? Vector512<float>.Zero : Vector512.LoadUnsafe(ref cp, n);
                Vector512<float> tanhC = Vector512.LoadUnsafe(ref tc, n);
                Vector512<float> dh = Vector512.LoadUnsafe(ref dhRef, n);
                Vector512<float> dc = Vector512.LoadUnsafe(ref dcRef, n) + (dh * o * (one - (tanhC * tanhC)));
                Store(dc * g * i * (one - i), ref dGate, ref dProjection, n);
                Store(dc * cPrevious * f * (one - f), ref dGate, ref dProjection, n + u);
                Store(dc * i * (one - (g * g)), ref dGate, ref dProjection, n + (2 * u));
                Store(dh * tanhC * o * (one - o), ref dGate, ref dProjection, n + (3 * u));
                (dc * f).StoreUnsafe(ref dcRef, n);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> one = Vector256<float>.One;
            for (; j <= units - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                nuint n = (nuint)j;
                Vector256<float> i = Vector256.LoadUnsafe(ref gate, n);
                Vector256<float> f = Vector256.LoadUnsafe(ref gate, n + u);
                Vector256<float> g = Vector256.LoadUnsafe(ref gate, n + (2 * u));
                Vector256<float> o = Vector256.LoadUnsafe(ref gate, n + (3 * u));
                Vector256<float> cPrevious = first ? Vector256<float>.Zero : Vector256.LoadUnsafe(ref cp, n);
                Vector256<float> tanhC = Vector256.LoadUnsafe(ref tc, n);
                Vector256<float> dh = Vector256.LoadUnsafe(ref dhRef, n);
                Vector256<float> dc = Vector256.LoadUnsafe(ref dcRef, n) + (dh * o * (one - (tanhC * tanhC)));
                Store(dc * g * i * (one - i), ref dGate, ref dProjection, n);
                Store(dc * cPrevious * f * (one - f), ref dGate, ref dProjection, n + u);
                Store(dc * i * (one - (g * g)), ref dGate, ref dProjection, n + (2 * u));
                Store(dh * tanhC * o * (one - o), ref dGate, ref dProjection, n + (3 * u));
                (dc * f).StoreUnsafe(ref dcRef, n);
            }
        }

        return j;
    }

    private static Vector512<float> Pre(ref float x, ref float bi, ref float bh, ref float recurrent, nuint n, bool hasRecurrent)
    {
        Vector512<float> sum = Vector512.LoadUnsafe(ref x, n) + Vector512.LoadUnsafe(ref bi, n) + Vector512.LoadUnsafe(ref bh, n);
        return hasRecurrent ? sum + Vector512.LoadUnsafe(ref recurrent, n) : sum;
    }

    private static Vector256<float> Pre256(ref float x, ref float bi, ref float bh, ref float recurrent, nuint n, bool hasRecurrent)
    {
        Vector256<float> sum = Vector256.LoadUnsafe(ref x, n) + Vector256.LoadUnsafe(ref bi, n) + Vector256.LoadUnsafe(ref bh, n);
        return hasRecurrent ? sum + Vector256.LoadUnsafe(ref recurrent, n) : sum;
    }

    private static void Store(Vector512<float> value, ref float a, ref float b, nuint n)
    {
        value.StoreUnsafe(ref a, n);
        value.StoreUnsafe(ref b, n);
    }

    private static void Store(Vector256<float> value, ref float a, ref float b, nuint n)
    {
        value.StoreUnsafe(ref a, n);
        value.StoreUnsafe(ref b, n);
    }
}
