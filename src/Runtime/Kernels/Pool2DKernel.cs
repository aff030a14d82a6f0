using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TypedNets.Kernels;

/// <summary>
/// 2-D pooling as PyTorch's <c>nn.MaxPool2d</c> and <c>nn.AvgPool2d</c> (with <c>padding</c>; <c>ceil_mode=False</c>),
/// and global average pooling (Keras' <c>GlobalAveragePooling2D</c>), on batches of <c>[channels, height, width]</c>
/// images. Padding is never materialised: max pooling pads with -infinity, so a padded position never wins; average
/// pooling pads with zeros and divides by the whole window, <c>size * size</c>, padded positions included (PyTorch's
/// default <c>count_include_pad=True</c>).
/// </summary>
public static class Pool2DKernel
{
    /// <summary>
    /// The maximum of every window; <paramref name="argMax"/> records which input position gave it, for the backward
    /// pass. Empty (inference): no positions are recorded, and 2 × 2 windows of stride 2 are read row by row rather
    /// than gathered.
    /// </summary>
    /// <remarks>
    /// Every path scans a window row by row and takes a later position only where it is strictly greater, so the first
    /// of equal values wins and a NaN wins only in a window's first position; with and without indices the outputs are
    /// the same.
    /// </remarks>
    public static void MaxForward<T>(ReadOnlySpan<T> x, Span<T> y, Span<int> argMax, int batch, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        int outHeight = g.OutHeight;
        int outWidth = g.OutWidth;
        bool keepIndices = !argMax.IsEmpty;
        if (g.Padding == 0)
        {
            int outputs = batch * g.Channels * outHeight * outWidth;
            if (!keepIndices && typeof(T) == typeof(float) && g.Kernel == 2 && g.Stride == 2 && Avx512F.IsSupported)
            {
                MaxForwardPairs(FloatSpans.AsFloat(x).Slice(0, batch * g.InputSize), FloatSpans.AsFloat(y).Slice(0, outputs), batch * g.Channels, g);
                return;
            }

            if (typeof(T) == typeof(float) && g.Kernel == 2 && Avx2.IsSupported && outHeight * outWidth is >= 8 and <= MaxGatheredPlane)
            {
                MaxForward2x2(FloatSpans.AsFloat(x).Slice(0, batch * g.InputSize), FloatSpans.AsFloat(y).Slice(0, outputs), keepIndices ? argMax.Slice(0, outputs) : default, batch * g.Channels, g);
                return;
            }

            MaxForwardUnpadded(x.Slice(0, batch * g.InputSize), y.Slice(0, outputs), keepIndices ? argMax.Slice(0, outputs) : default, batch, g);
            return;
        }

        int output = 0;
        for (int plane = 0; plane < batch * g.Channels; plane++)
        {
            int planeStart = plane * g.Height * g.Width;
            for (int oy = 0; oy < outHeight; oy++)
            {
                (int top, int bottom) = Clip((oy * g.Stride) - g.Padding, g.Kernel, g.Height);
                for (int ox = 0; ox < outWidth; ox++, output++)
                {
                    (int left, int right) = Clip((ox * g.Stride) - g.Padding, g.Kernel, g.Width);

                    // A padding of at most half the window leaves every window at least one real position.
                    int best = planeStart + (top * g.Width) + left;
                    for (int row = top; row < bottom; row++)
                    {
                        for (int column = left; column < right; column++)
                        {
                            int index = planeStart + (row * g.Width) + column;
                            if (x[index] > x[best])
                            {
                                best = index;
                            }
                        }
                    }

                    y[output] = x[best];
                    if (keepIndices)
                    {
                        argMax[output] = best;
                    }
                }
            }
        }
    }

    /// <summary>The largest output plane <see cref="MaxForward2x2"/> takes: its table of window starts is on the stack.</summary>
    private const int MaxGatheredPlane = 4096;

    /// <summary>
    /// <see cref="MaxForward{T}"/> for a 2 × 2 window without padding in single precision, eight outputs at a time and
    /// without branches: the four positions of eight windows are gathered through a table of the windows' starts in a
    /// plane, and each later position replaces the best one where it is strictly greater (the scalar loop's order, and
    /// its answer for NaN: a NaN never wins). On random data the scalar loop's comparisons are coin flips, and the
    /// branch mispredictions cost more than everything else. A plane's last eight outputs are done as one group that
    /// overlaps the one before, writing some outputs twice with the same values.
    /// </summary>
    private static unsafe void MaxForward2x2(ReadOnlySpan<float> x, Span<float> y, Span<int> argMax, int planes, ImageGeometry g)
    {
        int outWidth = g.OutWidth, perPlane = g.OutHeight * outWidth, planeSize = g.Height * g.Width, width = g.Width;
        Span<int> starts = stackalloc int[perPlane];
        for (int o = 0; o < perPlane; o++)
        {
            starts[o] = ((o / outWidth) * g.Stride * width) + ((o % outWidth) * g.Stride);
        }

        Vector256<int> right = Vector256.Create(1), below = Vector256.Create(width), diagonal = Vector256.Create(width + 1);
        fixed (float* input = x)
        fixed (float* output = y)
        fixed (int* winners = argMax)
        fixed (int* table = starts)
        {
            for (int plane = 0; plane < planes; plane++)
            {
                float* source = input + ((nint)plane * planeSize);
                Vector256<int> planeStart = Vector256.Create(plane * planeSize);
                for (int o = 0; ; o += 8)
                {
                    o = Math.Min(o, perPlane - 8);
                    Vector256<int> start = Vector256.Load(table + o);
                    Vector256<float> best = Avx2.GatherVector256(source, start, 4);
                    Vector256<int> offset = Vector256<int>.Zero;
                    Vector256<float> value = Avx2.GatherVector256(source, start + right, 4);
                    Vector256<float> greater = Vector256.GreaterThan(value, best);
                    best = Vector256.ConditionalSelect(greater, value, best);
                    offset = Vector256.ConditionalSelect(greater.AsInt32(), right, offset);
                    value = Avx2.GatherVector256(source, start + below, 4);
                    greater = Vector256.GreaterThan(value, best);
                    best = Vector256.ConditionalSelect(greater, value, best);
                    offset = Vector256.ConditionalSelect(greater.AsInt32(), below, offset);
                    value = Avx2.GatherVector256(source, start + diagonal, 4);
                    greater = Vector256.GreaterThan(value, best);
                    best = Vector256.ConditionalSelect(greater, value, best);
                    offset = Vector256.ConditionalSelect(greater.AsInt32(), diagonal, offset);
                    nint at = ((nint)plane * perPlane) + o;
                    best.Store(output + at);
                    if (winners != null)
                    {
                        (planeStart + start + offset).Store(winners + at);
                    }

                    if (o == perPlane - 8)
                    {
                        break;
                    }
                }
            }
        }
    }

    /// <summary>
    /// <see cref="MaxForward{T}"/> for 2 × 2 windows of stride 2 without padding and without indices (inference), in
    /// single precision: sixteen outputs of a row at a time from two loads of each of its two input rows, split into
    /// the windows' left and right columns by two-vector permutes. <c>Avx512F.Max(value, best)</c> is
    /// <c>value &gt; best ? value : best</c> (the instruction returns its second operand on equality and on NaN), the
    /// scalar loop's step, taken in its order: top left, top right, bottom left, bottom right.
    /// </summary>
    /// <remarks>
    /// A row's last group may read past the row (into the next, or the next plane) and write past its outputs; those
    /// outputs belong to the rows after it and are written again, in order, when their turn comes. A group that would
    /// read or write past the spans themselves is done one window at a time.
    /// </remarks>
    private static unsafe void MaxForwardPairs(ReadOnlySpan<float> x, Span<float> y, int planes, ImageGeometry g)
    {
        int width = g.Width, outWidth = g.OutWidth, outHeight = g.OutHeight, planeSize = g.Height * g.Width;
        Vector512<int> left = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        Vector512<int> right = left + Vector512<int>.One;
        fixed (float* input = x)
        fixed (float* output = y)
        {
            float* inputEnd = input + x.Length, outputEnd = output + y.Length;
            float* outputRow = output;
            for (int plane = 0; plane < planes; plane++)
            {
                float* top = input + ((nint)plane * planeSize);
                for (int oy = 0; oy < outHeight; oy++, top += 2 * width, outputRow += outWidth)
                {
                    float* bottom = top + width;
                    int ox = 0;
                    for (; ox < outWidth && bottom + (2 * ox) + 32 <= inputEnd && outputRow + ox + 16 <= outputEnd; ox += 16)
                    {
                        Vector512<float> best = Avx512F.PermuteVar16x32x2(Vector512.Load(top + (2 * ox)), left, Vector512.Load(top + (2 * ox) + 16));
                        best = Avx512F.Max(Avx512F.PermuteVar16x32x2(Vector512.Load(top + (2 * ox)), right, Vector512.Load(top + (2 * ox) + 16)), best);
                        best = Avx512F.Max(Avx512F.PermuteVar16x32x2(Vector512.Load(bottom + (2 * ox)), left, Vector512.Load(bottom + (2 * ox) + 16)), best);
                        best = Avx512F.Max(Avx512F.PermuteVar16x32x2(Vector512.Load(bottom + (2 * ox)), right, Vector512.Load(bottom + (2 * ox) + 16)), best);
                        best.Store(outputRow + ox);
                    }

                    for (; ox < outWidth; ox++)
                    {
                        float best = top[2 * ox];
                        best = top[(2 * ox) + 1] > best ? top[(2 * ox) + 1] : best;
                        best = bottom[2 * ox] > best ? bottom[2 * ox] : best;
                        best = bottom[(2 * ox) + 1] > best ? bottom[(2 * ox) + 1] : best;
                        outputRow[ox] = best;
                    }
                }
            }
        }
    }

    /// <summary>
    /// <see cref="MaxForward{T}"/> without padding, where every window lies inside its plane: no clipping, and the
    /// commonest window, 2 × 2, unrolled. The spans were sliced to their extents by the caller, so the indices below
    /// stay inside them (every window's last position is at most <c>(out - 1) stride + kernel - 1 &lt; extent</c>).
    /// The same first-wins order as the padded loop: row by row, a later position must be strictly greater.
    /// </summary>
    private static void MaxForwardUnpadded<T>(ReadOnlySpan<T> x, Span<T> y, Span<int> argMax, int batch, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        int outHeight = g.OutHeight, outWidth = g.OutWidth, width = g.Width, stride = g.Stride, kernel = g.Kernel;
        ref T input = ref MemoryMarshal.GetReference(x);
        ref T output = ref MemoryMarshal.GetReference(y);
        ref int winners = ref MemoryMarshal.GetReference(argMax);
        bool keepIndices = !argMax.IsEmpty;
        int o = 0;
        for (int plane = 0; plane < batch * g.Channels; plane++)
        {
            int planeStart = plane * g.Height * width;
            for (int oy = 0; oy < outHeight; oy++)
            {
                int rowStart = planeStart + (oy * stride * width);
                for (int ox = 0; ox < outWidth; ox++, o++)
                {
                    int start = rowStart + (ox * stride);
                    int best = start;
                    T bestValue = Unsafe.Add(ref input, start);
                    if (kernel == 2)
                    {
                        T value = Unsafe.Add(ref input, start + 1);
                        if (value > bestValue)
                        {
                            best = start + 1;
                            bestValue = value;
                        }

                        value = Unsafe.Add(ref input, start + width);
                        if (value > bestValue)
                        {
                            best = start + width;
                            bestValue = value;
                        }

                        value = Unsafe.Add(ref input, start + width + 1);
                        if (value > bestValue)
                        {
                            best = start + width + 1;
                            bestValue = value;
                        }
                    }
                    else
                    {
                        for (int row = 0; row < kernel; row++)
                        {
                            for (int column = 0; column < kernel; column++)
                            {
                                int index = start + (row * width) + column;
                                T value = Unsafe.Add(ref input, index);
                                if (value > bestValue)
                                {
                                    best = index;
                                    bestValue = value;
                                }
                            }
                        }
                    }

                    Unsafe.Add(ref output, o) = bestValue;
                    if (keepIndices)
                    {
                        Unsafe.Add(ref winners, o) = best;
                    }

                }
            }
        }
    }

    /// <summary>Routes each output gradient to the position that gave the maximum.</summary>
    public static void MaxBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<int> argMax, Span<T> dx, int batch, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        dx.Slice(0, batch * g.InputSize).Clear();
        int outputs = batch * g.Channels * g.OutHeight * g.OutWidth;
        for (int output = 0; output < outputs; output++)
        {
            dx[argMax[output]] += dy[output];
        }
    }

    /// <summary>The mean of every window, padded positions counted as zeros.</summary>
    public static void AverageForward<T>(ReadOnlySpan<T> x, Span<T> y, int batch, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        T scale = T.One / T.CreateTruncating(g.Kernel * g.Kernel);
        int outHeight = g.OutHeight;
        int outWidth = g.OutWidth;
        int output = 0;
        for (int plane = 0; plane < batch * g.Channels; plane++)
        {
            int planeStart = plane * g.Height * g.Width;
            for (int oy = 0; oy < outHeight; oy++)
            {
                (int top, int bottom) = Clip((oy * g.Stride) - g.Padding, g.Kernel, g.Height);
                for (int ox = 0; ox < outWidth; ox++, output++)
                {
                    (int left, int right) = Clip((ox * g.Stride) - g.Padding, g.Kernel, g.Width);
                    T sum = T.Zero;
                    for (int row = top; row < bottom; row++)
                    {
                        sum += TensorPrimitives.Sum(x.Slice(planeStart + (row * g.Width) + left, right - left));
                    }

                    y[output] = sum * scale;
                }
            }
        }
    }

    /// <summary>Spreads each output gradient evenly over its window; the padded positions' shares go nowhere.</summary>
    public static void AverageBackward<T>(ReadOnlySpan<T> dy, Span<T> dx, int batch, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        dx.Slice(0, batch * g.InputSize).Clear();
        T scale = T.One / T.CreateTruncating(g.Kernel * g.Kernel);
        int outHeight = g.OutHeight;
        int outWidth = g.OutWidth;
        int output = 0;
        for (int plane = 0; plane < batch * g.Channels; plane++)
        {
            int planeStart = plane * g.Height * g.Width;
            for (int oy = 0; oy < outHeight; oy++)
            {
                (int top, int bottom) = Clip((oy * g.Stride) - g.Padding, g.Kernel, g.Height);
                for (int ox = 0; ox < outWidth; ox++, output++)
                {
                    (int left, int right) = Clip((ox * g.Stride) - g.Padding, g.Kernel, g.Width);
                    T share = dy[output] * scale;
                    for (int row = top; row < bottom; row++)
                    {
                        Span<T> part = dx.Slice(planeStart + (row * g.Width) + left, right - left);
                        TensorPrimitives.Add(part, share, part);
                    }
                }
            }
        }
    }

    /// <summary>The mean of every channel: <c>[batch, channels, height * width]</c> to <c>[batch, channels]</c>.</summary>
    public static void GlobalAverageForward<T>(ReadOnlySpan<T> x, Span<T> y, int batch, int channels, int area)
        where T : IFloatingPointIeee754<T>
    {
        T scale = T.One / T.CreateTruncating(area);
        for (int plane = 0; plane < batch * channels; plane++)
        {
            y[plane] = TensorPrimitives.Sum(x.Slice(plane * area, area)) * scale;
        }
    }

    /// <summary>Spreads each channel's gradient evenly over its positions.</summary>
    public static void GlobalAverageBackward<T>(ReadOnlySpan<T> dy, Span<T> dx, int batch, int channels, int area)
        where T : IFloatingPointIeee754<T>
    {
        T scale = T.One / T.CreateTruncating(area);
        for (int plane = 0; plane < batch * channels; plane++)
        {
            dx.Slice(plane * area, area).Fill(dy[plane] * scale);
        }
    }

    /// <summary>The part of a window starting at <paramref name="start"/> (negative in the padding) that lies inside <c>[0, extent)</c>.</summary>
    private static (int Start, int End) Clip(int start, int size, int extent)
        => (Math.Max(start, 0), Math.Min(start + size, extent));
}
