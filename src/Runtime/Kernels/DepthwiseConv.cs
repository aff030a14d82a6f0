using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TypedNets.Kernels;

/// <summary>
/// Depthwise convolutions of stride 1 (PyTorch's <c>groups == in_channels</c>, with <c>out_channels = multiplier ×
/// in_channels</c>): forward, weight, bias and input gradients summed directly on each channel's plane.
/// </summary>
/// <remarks>
/// <para>
/// Through the unfolded matrix a depthwise layer is one product per channel with <c>multiplier</c> rows (one, usually)
/// and a filter's few values to a sum: the GEMM packs and writes far more than it multiplies, once per channel. Here the
/// channel's plane is first copied into a zero-bordered plane of pitch <c>Wp = width + 2 paddingWidth</c>. In that plane
/// output <c>(oy, ox)</c> reads <c>p + offset(tap)</c> with <c>p = oy Wp + ox</c>, so every tap of the filter is one
/// fused multiply-add of a broadcast weight over a single run of about <c>outHeight × Wp</c> values (the plane's rows
/// one after another, the <c>Wp - outWidth</c> values between output rows computed and dropped), one dot product for
/// the weight gradient, and one multiply-add into the bordered input gradient: a few long vector passes per plane rather
/// than one short one per row and tap. The outputs are then moved to their rows with the bias and the ReLU.
/// </para>
/// <para>
/// Strided depthwise convolutions stay on the unfolding path: their taps do not read one contiguous run.
/// </para>
/// </remarks>
internal static class DepthwiseConv
{
    /// <summary>Whether this kernel computes the convolution: one group per input channel, more than one channel, stride 1.</summary>
    public static bool Applies(ImageGeometry g, int filters)
        => g.Groups > 1 && g.Groups == g.Channels && filters % g.Channels == 0 && g.Stride == 1 && g.StrideColumns == 1
           && g.OutHeight > 0 && g.OutWidth > 0;

    /// <summary><c>y = weight ⊛ x + bias</c> per channel, then the ReLU when <paramref name="relu"/> is set.</summary>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, int batch, int filters, ImageGeometry g, bool relu)
        where T : IFloatingPointIeee754<T>
    {
        Layout layout = new(g);
        int multiplier = filters / g.Channels;
        int taps = g.Kernel * g.KernelColumns;
        int plane = g.Height * g.Width;
        int positions = g.ColumnCount;
        Span<T> bordered = Scratch<T>.Bordered(layout.PlaneLength);
        Span<T> wide = Scratch<T>.Wide(layout.RunLength);
        bordered.Clear();

        // In single precision with 16-lane vectors a filter of up to 16 values sums its taps in registers (see SumTaps).
        bool registers = typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated && taps <= MaxRegisterTaps && layout.RunLength >= Vector512<float>.Count;
        Span<int> offsets = stackalloc int[MaxRegisterTaps];
        for (int t = 0; t < Math.Min(taps, MaxRegisterTaps); t++)
        {
            offsets[t] = layout.Offset(t);
        }

        for (int b = 0; b < batch; b++)
        {
            for (int c = 0; c < g.Channels; c++)
            {
                layout.CopyIn(x.Slice(((b * g.Channels) + c) * plane, plane), bordered);
                for (int m = 0; m < multiplier; m++)
                {
                    int f = (c * multiplier) + m;
                    ReadOnlySpan<T> filter = weight.Slice(f * taps, taps);
                    Span<T> output = y.Slice(((b * filters) + f) * positions, positions);
                    T shift = bias.IsEmpty ? T.Zero : bias[f];
                    if (registers)
                    {
                        SumTaps(FloatSpans.AsFloat(bordered), FloatSpans.AsFloat(filter), offsets.Slice(0, taps), float.CreateTruncating(shift), relu, FloatSpans.AsFloat(wide));
                        layout.Compact<T>(wide, output);
                        continue;
                    }

                    TensorPrimitives.Multiply(bordered.Slice(layout.Offset(0), layout.RunLength), filter[0], wide);
                    for (int t = 1; t < taps; t++)
                    {
                        TensorPrimitives.FusedMultiplyAdd(bordered.Slice(layout.Offset(t), layout.RunLength), filter[t], wide, wide);
                    }

                    for (int oy = 0; oy < g.OutHeight; oy++)
                    {
                        Runs.BiasReLU(wide.Slice(oy * layout.Pitch, g.OutWidth), shift, relu, output.Slice(oy * g.OutWidth, g.OutWidth));
                    }
                }
            }
        }
    }

    /// <summary>
    /// Adds the weight gradient and the bias gradient (none when <paramref name="biasGradient"/> is empty), and writes
    /// the input gradient when <paramref name="dx"/> is not empty.
    /// </summary>
    public static void Backward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> dy, Span<T> weightGradient, Span<T> biasGradient, Span<T> dx, int batch, int filters, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        Layout layout = new(g);
        int multiplier = filters / g.Channels;
        int taps = g.Kernel * g.KernelColumns;
        int plane = g.Height * g.Width;
        int positions = g.ColumnCount;
        Span<T> bordered = Scratch<T>.Bordered(layout.PlaneLength);
        Span<T> borderedGradient = Scratch<T>.BorderedGradient(layout.PlaneLength);
        Span<T> wide = Scratch<T>.Wide(layout.RunLength);

        // The bordered plane's border and the wide gradient's gaps between rows are zeros that no copy overwrites.
        bordered.Clear();
        wide.Clear();
        for (int b = 0; b < batch; b++)
        {
            for (int c = 0; c < g.Channels; c++)
            {
                layout.CopyIn(x.Slice(((b * g.Channels) + c) * plane, plane), bordered);
                if (!dx.IsEmpty)
                {
                    borderedGradient.Clear();
                }

                for (int m = 0; m < multiplier; m++)
                {
                    int f = (c * multiplier) + m;
                    ReadOnlySpan<T> gradient = dy.Slice(((b * filters) + f) * positions, positions);
                    if (!biasGradient.IsEmpty)
                    {
                        biasGradient[f] += TensorPrimitives.Sum(gradient);
                    }

                    for (int oy = 0; oy < g.OutHeight; oy++)
                    {
                        gradient.Slice(oy * g.OutWidth, g.OutWidth).CopyTo(wide.Slice(oy * layout.Pitch, g.OutWidth));
                    }

                    Span<T> filterGradient = weightGradient.Slice(f * taps, taps);
                    ReadOnlySpan<T> filter = weight.Slice(f * taps, taps);
                    for (int t = 0; t < taps; t++)
                    {
                        filterGradient[t] += TensorPrimitives.Dot<T>(wide, bordered.Slice(layout.Offset(t), layout.RunLength));
                        if (!dx.IsEmpty)
                        {
                            Span<T> run = borderedGradient.Slice(layout.Offset(t), layout.RunLength);
                            TensorPrimitives.FusedMultiplyAdd(wide, filter[t], run, run);
                        }
                    }
                }

                if (!dx.IsEmpty)
                {
                    layout.CopyOut(borderedGradient, dx.Slice(((b * g.Channels) + c) * plane, plane));
                }
            }
        }
    }

    /// <summary>The most values a filter may have for <see cref="SumTaps"/>, whose tap offsets live on the stack.</summary>
    private const int MaxRegisterTaps = 16;

    /// <summary>
    /// <c>wide[p] = max(bias + Σ_t filter[t] · bordered[p + offsets[t]], floor)</c> over the whole run, four vectors at a
    /// time (four independent chains of fused multiply-adds), each written once: the library's one pass per tap reads
    /// and writes the run once a tap. A run not a multiple of the vector ends with a vector overlapping the one before.
    /// </summary>
    private static void SumTaps(ReadOnlySpan<float> bordered, ReadOnlySpan<float> filter, ReadOnlySpan<int> offsets, float bias, bool relu, Span<float> wide)
    {
        const int Lanes = 16;
        int length = wide.Length;
        int taps = offsets.Length;

        // The last tap's run ends at the bordered plane's end (Layout's bounds), so every load below lies inside it.
        if (offsets[taps - 1] + length > bordered.Length || filter.Length < taps)
        {
            throw new ArgumentException($"A run of {length} from offset {offsets[taps - 1]} passes the bordered plane's {bordered.Length} values.", nameof(bordered));
        }

        ref float source = ref MemoryMarshal.GetReference(bordered);
        ref float target = ref MemoryMarshal.GetReference(wide);
        ref float w = ref MemoryMarshal.GetReference(filter);
        ref int offset = ref MemoryMarshal.GetReference(offsets);
        Vector512<float> start = Vector512.Create(bias);
        Vector512<float> floor = relu ? Vector512<float>.Zero : Vector512.Create(float.NegativeInfinity);
        int p = 0;
        for (; p + (4 * Lanes) <= length; p += 4 * Lanes)
        {
            Vector512<float> a0 = start, a1 = start, a2 = start, a3 = start;
            for (int t = 0; t < taps; t++)
            {
                ref float run = ref Unsafe.Add(ref source, p + Unsafe.Add(ref offset, t));
                Vector512<float> weight = Vector512.Create(Unsafe.Add(ref w, t));
                a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref run), weight, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref run, Lanes), weight, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref run, 2 * Lanes), weight, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref run, 3 * Lanes), weight, a3);
            }

            Vector512.Max(a0, floor).StoreUnsafe(ref target, (nuint)p);
            Vector512.Max(a1, floor).StoreUnsafe(ref target, (nuint)(p + Lanes));
            Vector512.Max(a2, floor).StoreUnsafe(ref target, (nuint)(p + (2 * Lanes)));
            Vector512.Max(a3, floor).StoreUnsafe(ref target, (nuint)(p + (3 * Lanes)));
        }

        while (p < length)
        {
            p = Math.Min(p, length - Lanes);
            Vector512<float> a = start;
            for (int t = 0; t < taps; t++)
            {
                a = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref Unsafe.Add(ref source, p + Unsafe.Add(ref offset, t))), Vector512.Create(Unsafe.Add(ref w, t)), a);
            }

            Vector512.Max(a, floor).StoreUnsafe(ref target, (nuint)p);
            p += Lanes;
        }
    }

    /// <summary>Where a channel's plane sits in its zero-bordered copy, and where each tap's run starts.</summary>
    private readonly struct Layout
    {
        private readonly ImageGeometry _g;

        public Layout(ImageGeometry g)
        {
            _g = g;
            Pitch = g.Width + (2 * g.PaddingColumns);
            PlaneLength = (g.Height + (2 * g.Padding)) * Pitch;
            RunLength = ((g.OutHeight - 1) * Pitch) + g.OutWidth;
        }

        /// <summary>The bordered plane's row length.</summary>
        public int Pitch { get; }

        /// <summary>The bordered plane's size.</summary>
        public int PlaneLength { get; }

        /// <summary>From the first output's position to the last's in the bordered plane's pitch, inclusive.</summary>
        public int RunLength { get; }

        /// <summary>Where tap <paramref name="t"/> (row-major in the window) reads for output (0, 0).</summary>
        public int Offset(int t)
            => (t / _g.KernelColumns * _g.Dilation * Pitch) + (t % _g.KernelColumns * _g.Dilation);

        /// <summary>
        /// Copies the plane's rows inside the border. The rows are short (7 to 28 values in the networks measured), so
        /// they go through references after the extents are checked once, not a library call a row.
        /// </summary>
        public void CopyIn<T>(ReadOnlySpan<T> plane, Span<T> bordered)
            where T : IFloatingPointIeee754<T>
        {
            CheckExtents(plane.Length, bordered.Length);
            ref T from = ref MemoryMarshal.GetReference(plane);
            ref T to = ref MemoryMarshal.GetReference(bordered);
            for (int row = 0; row < _g.Height; row++)
            {
                Runs.CopyShort(ref Unsafe.Add(ref from, row * _g.Width), ref Unsafe.Add(ref to, ((row + _g.Padding) * Pitch) + _g.PaddingColumns), _g.Width);
            }
        }

        /// <summary>Copies the rows inside the border back to a plane of the input's size.</summary>
        public void CopyOut<T>(ReadOnlySpan<T> bordered, Span<T> plane)
            where T : IFloatingPointIeee754<T>
        {
            CheckExtents(plane.Length, bordered.Length);
            ref T from = ref MemoryMarshal.GetReference(bordered);
            ref T to = ref MemoryMarshal.GetReference(plane);
            for (int row = 0; row < _g.Height; row++)
            {
                Runs.CopyShort(ref Unsafe.Add(ref from, ((row + _g.Padding) * Pitch) + _g.PaddingColumns), ref Unsafe.Add(ref to, row * _g.Width), _g.Width);
            }
        }

        /// <summary>Copies the output rows out of a run in the bordered plane's pitch.</summary>
        public void Compact<T>(ReadOnlySpan<T> wide, Span<T> output)
            where T : IFloatingPointIeee754<T>
        {
            if (wide.Length < RunLength || output.Length < _g.ColumnCount)
            {
                throw new ArgumentException($"A run of {RunLength} and an output of {_g.ColumnCount} are needed; got {wide.Length} and {output.Length}.", nameof(output));
            }

            ref T from = ref MemoryMarshal.GetReference(wide);
            ref T to = ref MemoryMarshal.GetReference(output);
            for (int oy = 0; oy < _g.OutHeight; oy++)
            {
                Runs.CopyShort(ref Unsafe.Add(ref from, oy * Pitch), ref Unsafe.Add(ref to, oy * _g.OutWidth), _g.OutWidth);
            }
        }

        private void CheckExtents(int plane, int bordered)
        {
            if (plane < _g.Height * _g.Width || bordered < PlaneLength)
            {
                throw new ArgumentException($"A plane of {_g.Height * _g.Width} and a bordered plane of {PlaneLength} are needed; got {plane} and {bordered}.", nameof(plane));
            }
        }
    }

    /// <summary>Per-thread planes, grown to the largest size asked for and kept.</summary>
    private static class Scratch<T>
    {
        [ThreadStatic]
        private static T[]? t_bordered;

        [ThreadStatic]
        private static T[]? t_borderedGradient;

        [ThreadStatic]
        private static T[]? t_wide;

        public static Span<T> Bordered(int length) => Conv2DKernel.GrowScratch(ref t_bordered, length);

        public static Span<T> BorderedGradient(int length) => Conv2DKernel.GrowScratch(ref t_borderedGradient, length);

        public static Span<T> Wide(int length) => Conv2DKernel.GrowScratch(ref t_wide, length);
    }
}
