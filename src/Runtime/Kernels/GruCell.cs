using System;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TypedNets.Kernels;

/// <summary>
/// The gate math of one GRU time step for one sample, fused into one pass over the units, as <see cref="LstmCell"/>
/// does for the LSTM; the matrix products around it stay in <see cref="GruKernel"/>.
/// </summary>
internal static class GruCell
{
    /// <summary>
    /// <c>[r, z] = sigmoid(x W_i^T + b_i + h_prev W_h^T + b_h)</c>; <c>n = tanh(x W_in^T + b_in + r (h_prev W_hn^T + b_hn))</c>;
    /// <c>h = n + z (h_prev - n)</c>.
    /// </summary>
    /// <param name="input"><c>x W_ih^T</c> of this sample and step, <c>[3 units]</c> (r, z, n).</param>
    /// <param name="biasIh">The input bias, <c>[3 units]</c>.</param>
    /// <param name="biasHh">The recurrent bias, <c>[3 units]</c>.</param>
    /// <param name="recurrent"><c>h_prev W_hh^T</c>, or empty at the first step, where <c>h_prev</c> is zero.</param>
    /// <param name="hiddenPrevious"><c>h_prev</c>, or empty at the first step.</param>
    /// <param name="gates">Receives <c>[r, z, n]</c>.</param>
    /// <param name="candidate">Receives <c>h_prev W_hn^T + b_hn</c>, which the backward pass needs.</param>
    /// <param name="hidden">Receives <c>h</c>.</param>
    /// <param name="units">The number of units.</param>
    public static void Forward<T>(
        ReadOnlySpan<T> input, ReadOnlySpan<T> biasIh, ReadOnlySpan<T> biasHh, ReadOnlySpan<T> recurrent, ReadOnlySpan<T> hiddenPrevious,
        Span<T> gates, Span<T> candidate, Span<T> hidden, int units)
        where T : IFloatingPointIeee754<T>
    {
        int width = 3 * units;
        input = input.Slice(0, width);
        biasIh = biasIh.Slice(0, width);
        biasHh = biasHh.Slice(0, width);
        gates = gates.Slice(0, width);
        candidate = candidate.Slice(0, units);
        hidden = hidden.Slice(0, units);
        bool first = recurrent.IsEmpty;
        if (!first)
        {
            recurrent = recurrent.Slice(0, width);
            hiddenPrevious = hiddenPrevious.Slice(0, units);
        }

        int j = 0;
        if (typeof(T) == typeof(float))
        {
            j = ForwardVectorized(
                FloatSpans.AsFloat(input), FloatSpans.AsFloat(biasIh), FloatSpans.AsFloat(biasHh), FloatSpans.AsFloat(recurrent), FloatSpans.AsFloat(hiddenPrevious),
                FloatSpans.AsFloat(gates), FloatSpans.AsFloat(candidate), FloatSpans.AsFloat(hidden), units);
        }

        for (; j < units; j++)
        {
            T r = GateActivations.Sigmoid((input[j] + biasIh[j]) + Recurrent(recurrent, biasHh, first, j));
            T z = GateActivations.Sigmoid((input[units + j] + biasIh[units + j]) + Recurrent(recurrent, biasHh, first, units + j));
            T hn = Recurrent(recurrent, biasHh, first, (2 * units) + j);
            T n = GateActivations.Tanh((r * hn) + (input[(2 * units) + j] + biasIh[(2 * units) + j]));
            gates[j] = r;
            gates[units + j] = z;
            gates[(2 * units) + j] = n;
            candidate[j] = hn;
            hidden[j] = n + (z * ((first ? T.Zero : hiddenPrevious[j]) - n));
        }
    }

    /// <summary>
    /// The gradients of one step from <c>dL/dh</c>: writes <c>dL/d[r, z, n]</c> before the activations as the input
    /// projection sees them (<paramref name="inputGradient"/>) and as the recurrent one does (<paramref name="recurrentGradient"/>,
    /// whose third part is scaled by <c>r</c>), and replaces <paramref name="hiddenGradient"/> by the part of
    /// <c>dL/dh_prev</c> that flows past the recurrent product, <c>dL/dh z</c>.
    /// </summary>
    public static void Backward<T>(
        ReadOnlySpan<T> gates, ReadOnlySpan<T> candidate, ReadOnlySpan<T> hiddenPrevious, Span<T> hiddenGradient,
        Span<T> inputGradient, Span<T> recurrentGradient, int units)
        where T : IFloatingPointIeee754<T>
    {
        int width = 3 * units;
        gates = gates.Slice(0, width);
        candidate = candidate.Slice(0, units);
        hiddenGradient = hiddenGradient.Slice(0, units);
        inputGradient = inputGradient.Slice(0, width);
        recurrentGradient = recurrentGradient.Slice(0, width);
        bool first = hiddenPrevious.IsEmpty;
        if (!first)
        {
            hiddenPrevious = hiddenPrevious.Slice(0, units);
        }

        int j = 0;
        if (typeof(T) == typeof(float))
        {
            j = BackwardVectorized(
                FloatSpans.AsFloat(gates), FloatSpans.AsFloat(candidate), FloatSpans.AsFloat(hiddenPrevious), FloatSpans.AsFloat(hiddenGradient),
                FloatSpans.AsFloat(inputGradient), FloatSpans.AsFloat(recurrentGradient), units);
        }

        for (; j < units; j++)
        {
            T r = gates[j];
            T z = gates[units + j];
            T n = gates[(2 * units) + j];
            T hPrevious = first ? T.Zero : hiddenPrevious[j];
            T dh = hiddenGradient[j];
            T dn = dh * (T.One - z) * (T.One - (n * n));
            T dr = dn * candidate[j] * r * (T.One - r);
            T dz = dh * (hPrevious - n) * z * (T.One - z);
            inputGradient[j] = recurrentGradient[j] = dr;
            inputGradient[units + j] = recurrentGradient[units + j] = dz;
            inputGradient[(2 * units) + j] = dn;
            recurrentGradient[(2 * units) + j] = dn * r;
            hiddenGradient[j] = dh * z;
        }
    }

    private static T Recurrent<T>(ReadOnlySpan<T> recurrent, ReadOnlySpan<T> biasHh, bool first, int index)
        where T : IFloatingPointIeee754<T>
        => first ? biasHh[index] : recurrent[index] + biasHh[index];

    /// <summary>The forward formulas over whole vectors of units; returns how many units it did.</summary>
    private static int ForwardVectorized(
        ReadOnlySpan<float> input, ReadOnlySpan<float> biasIh, ReadOnlySpan<float> biasHh, ReadOnlySpan<float> recurrent, ReadOnlySpan<float> hiddenPrevious,
        Span<float> gates, Span<float> candidate, Span<float> hidden, int units)
    {
        // The callers sliced every span to its full length, so the unchecked loads below stay inside them.
        ref float x = ref MemoryMarshal.GetReference(input);
        ref float bi = ref MemoryMarshal.GetReference(biasIh);
        ref float bh = ref MemoryMarshal.GetReference(biasHh);
        ref float rec = ref MemoryMarshal.GetReference(recurrent);
        ref float hp = ref MemoryMarshal.GetReference(hiddenPrevious);
        ref float gate = ref MemoryMarshal.GetReference(gates);
        ref float cand = ref MemoryMarshal.GetReference(candidate);
        ref float h = ref MemoryMarshal.GetReference(hidden);
        bool first = recurrent.IsEmpty;
        nuint u = (nuint)units;
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= units - Vector512<float>.Count; j += Vector512<float>.Count)
            {
                nuint n = (nuint)j;
                Vector512<float> r = GateActivations.Sigmoid(InputPart(ref x, ref bi, n) + RecurrentPart(ref rec, ref bh, n, first));
                Vector512<float> z = GateActivations.Sigmoid(InputPart(ref x, ref bi, n + u) + RecurrentPart(ref rec, ref bh, n + u, first));
                Vector512<float> hn = RecurrentPart(ref rec, ref bh, n + (2 * u), first);
                Vector512<float> newGate = GateActivations.Tanh((r * hn) + InputPart(ref x, ref bi, n + (2 * u)));
                r.StoreUnsafe(ref gate, n);
                z.StoreUnsafe(ref gate, n + u);
                newGate.StoreUnsafe(ref gate, n + (2 * u));
                hn.StoreUnsafe(ref cand, n);
                Vector512<float> hPrevious = first ? Vector512<float>.Zero : Vector512.LoadUnsafe(ref hp, n);
                (newGate + (z * (hPrevious - newGate))).StoreUnsafe(ref h, n);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; j <= units - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                nuint n = (nuint)j;
                Vector256<float> r = GateActivations.Sigmoid(InputPart256(ref x, ref bi, n) + RecurrentPart256(ref rec, ref bh, n, first));
                Vector256<float> z = GateActivations.Sigmoid(InputPart256(ref x, ref bi, n + u) + RecurrentPart256(ref rec, ref bh, n + u, first));
                Vector256<float> hn = RecurrentPart256(ref rec, ref bh, n + (2 * u), first);
                Vector256<float> newGate = GateActivations.Tanh((r * hn) + InputPart256(ref x, ref bi, n + (2 * u)));
                r.StoreUnsafe(ref gate, n);
                z.StoreUnsafe(ref gate, n + u);
                newGate.StoreUnsafe(ref gate, n + (2 * u));
                hn.StoreUnsafe(ref cand, n);
                Vector256<float> hPrevious = first ? Vector256<float>.Zero : Vector256.LoadUnsafe(ref hp, n);
                (newGate + (z * (hPrevious - newGate))).StoreUnsafe(ref h, n);
            }
        }

        return j;
    }

    /// <summary>The backward formulas over whole vectors of units; returns how many units it did.</summary>
    private static int BackwardVectorized(
        ReadOnlySpan<float> gates, ReadOnlySpan<float> candidate, ReadOnlySpan<float> hiddenPrevious, Span<float> hiddenGradient,
        Span<float> inputGradient, Span<float> recurrentGradient, int units)
    {
        ref float gate = ref MemoryMarshal.GetReference(gates);
        ref float cand = ref MemoryMarshal.GetReference(candidate);
        ref float hp = ref MemoryMarshal.GetReference(hiddenPrevious);
        ref float dhRef = ref MemoryMarshal.GetReference(hiddenGradient);
        ref float dx = ref MemoryMarshal.GetReference(inputGradient);
        ref float dRec = ref MemoryMarshal.GetReference(recurrentGradient);
        bool first = hiddenPrevious.IsEmpty;
        nuint u = (nuint)units;
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> one = Vector512<float>.One;
            for (; j <= units - Vector512<float>.Count; j += Vector512<float>.Count)
            {
                nuint i = (nuint)j;
                Vector512<float> r = Vector512.LoadUnsafe(ref gate, i);
                Vector512<float> z = Vector512.LoadUnsafe(ref gate, i + u);
                Vector512<float> n = Vector512.LoadUnsafe(ref gate, i + (2 * u));
                Vector512<float> hPrevious = first ? Vector512<float>.Zero : Vector512.LoadUnsafe(ref hp, i);
                Vector512<float> dh = Vector512.LoadUnsafe(ref dhRef, i);
                Vector512<float> dn = dh * (one - z) * (one - (n * n));
                Vector512<float> dr = dn * Vector512.LoadUnsafe(ref cand, i) * r * (one - r);
                Vector512<float> dz = dh * (hPrevious - n) * z * (one - z);
                dr.StoreUnsafe(ref dx, i);
                dr.StoreUnsafe(ref dRec, i);
                dz.StoreUnsafe(ref dx, i + u);
                dz.StoreUnsafe(ref dRec, i + u);
                dn.StoreUnsafe(ref dx, i + (2 * u));
                (dn * r).StoreUnsafe(ref dRec, i + (2 * u));
                (dh * z).StoreUnsafe(ref dhRef, i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> one = Vector256<float>.One;
            for (; j <= units - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                nuint i = (nuint)j;
                Vector256<float> r = Vector256.LoadUnsafe(ref gate, i);
                Vector256<float> z = Vector256.LoadUnsafe(ref gate, i + u);
                Vector256<float> n = Vector256.LoadUnsafe(ref gate, i + (2 * u));
                Vector256<float> hPrevious = first ? Vector256<float>.Zero : Vector256.LoadUnsafe(ref hp, i);
                Vector256<float> dh = Vector256.LoadUnsafe(ref dhRef, i);
                Vector256<float> dn = dh * (one - z) * (one - (n * n));
                Vector256<float> dr = dn * Vector256.LoadUnsafe(ref cand, i) * r * (one - r);
                Vector256<float> dz = dh * (hPrevious - n) * z * (one - z);
                dr.StoreUnsafe(ref dx, i);
                dr.StoreUnsafe(ref dRec, i);
                dz.StoreUnsafe(ref dx, i + u);
                dz.StoreUnsafe(ref dRec, i + u);
                dn.StoreUnsafe(ref dx, i + (2 * u));
                (dn * r).StoreUnsafe(ref dRec, i + (2 * u));
                (dh * z).StoreUnsafe(ref dhRef, i);
            }
        }

        return j;
    }

    private static Vector512<float> InputPart(ref float x, ref float bi, nuint n) => Vector512.LoadUnsafe(ref x, n) + Vector512.LoadUnsafe(ref bi, n);

    private static Vector256<float> InputPart256(ref float x, ref float bi, nuint n) => Vector256.LoadUnsafe(ref x, n) + Vector256.LoadUnsafe(ref bi, n);

    private static Vector512<float> RecurrentPart(ref float recurrent, ref float bh, nuint n, bool first)
        => first ? Vector512.LoadUnsafe(ref bh, n) : Vector512.LoadUnsafe(ref recurrent, n) + Vector512.LoadUnsafe(ref bh, n);

    private static Vector256<float> RecurrentPart256(ref float recurrent, ref float bh, nuint n, bool first)
        => first ? Vector256.LoadUnsafe(ref bh, n) : Vector256.LoadUnsafe(ref recurrent, n) + Vector256.LoadUnsafe(ref bh, n);
}
