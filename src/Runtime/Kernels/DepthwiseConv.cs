using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Kernels;

/// <summary>
/// Depthwise convolutions (PyTorch's <c>groups == in_channels</c>, with <c>out_channels = multiplier × in_channels</c>):
/// forward, weight, bias and input gradients summed directly on the <c>[batch, channels, height, width]</c> planes.
/// </summary>
/// <remarks>
/// Through the unfolded matrix a depthwise layer is one product per channel with <c>multiplier</c> rows (one, usually)
/// and a filter's few values to a sum: the GEMM packs and writes for every group far more than it multiplies, and the
/// unfolded matrix is kernel-area times the input. Here every filter value is one fused multiply-add of the broadcast
/// weight over a run of an input row (forward), of an output-gradient row (input gradient), or one dot product of the two
/// (weight gradient), as vectors through <see cref="TensorPrimitives"/>; nothing is unfolded and no scratch is needed.
/// With a stride across the width greater than 1 the input's run is not contiguous, and those runs are summed element
/// by element (still without unfolding).
/// </remarks>
internal static class DepthwiseConv
{
    /// <summary>Whether this kernel computes the convolution: one group per input channel, more than one channel.</summary>
    public static bool Applies(ImageGeometry g, int filters)
        => g.Groups > 1 && g.Groups == g.Channels && filters % g.Channels == 0 && g.OutHeight > 0 && g.OutWidth > 0;

    /// <summary><c>y = weight ⊛ x + bias</c> per channel, then the ReLU when <paramref name="relu"/> is set.</summary>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, int batch, int filters, ImageGeometry g, bool relu)
        where T : IFloatingPointIeee754<T>
    {
        int multiplier = filters / g.Channels;
        int taps = g.Kernel * g.KernelColumns;
        int plane = g.Height * g.Width;
        int positions = g.ColumnCount;
        int outWidth = g.OutWidth;
        for (int b = 0; b < batch; b++)
        {
            for (int f = 0; f < filters; f++)
            {
                ReadOnlySpan<T> input = x.Slice(((b * g.Channels) + (f / multiplier)) * plane, plane);
                ReadOnlySpan<T> filter = weight.Slice(f * taps, taps);
                Span<T> output = y.Slice(((b * filters) + f) * positions, positions);
                output.Fill(bias.IsEmpty ? T.Zero : bias[f]);
                for (int oy = 0; oy < g.OutHeight; oy++)
                {
                    Span<T> outputRow = output.Slice(oy * outWidth, outWidth);
                    for (int i = 0; i < g.Kernel; i++)
                    {
                        int row = (oy * g.Stride) + (i * g.Dilation) - g.Padding;
                        if ((uint)row >= (uint)g.Height)
                        {
                            continue;
                        }

                        ReadOnlySpan<T> inputRow = input.Slice(row * g.Width, g.Width);
                        for (int j = 0; j < g.KernelColumns; j++)
                        {
                            T w = filter[(i * g.KernelColumns) + j];
                            int shift = (j * g.Dilation) - g.PaddingColumns;
                            (int start, int end) = ValidColumns(shift, g.StrideColumns, outWidth, g.Width);
                            if (start >= end)
                            {
                                continue;
                            }

                            if (g.StrideColumns == 1)
                            {
                                Span<T> run = outputRow.Slice(start, end - start);
                                TensorPrimitives.FusedMultiplyAdd(inputRow.Slice(start + shift, end - start), w, run, run);
                            }
                            else
                            {
                                for (int ox = start; ox < end; ox++)
                                {
                                    outputRow[ox] = T.FusedMultiplyAdd(inputRow[(ox * g.StrideColumns) + shift], w, outputRow[ox]);
                                }
                            }
                        }
                    }
                }

                if (relu)
                {
                    TensorPrimitives.Max(output, T.Zero, output);
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
        int multiplier = filters / g.Channels;
        int taps = g.Kernel * g.KernelColumns;
        int plane = g.Height * g.Width;
        int positions = g.ColumnCount;
        int outWidth = g.OutWidth;
        for (int b = 0; b < batch; b++)
        {
            for (int f = 0; f < filters; f++)
            {
                ReadOnlySpan<T> input = x.Slice(((b * g.Channels) + (f / multiplier)) * plane, plane);
                ReadOnlySpan<T> gradient = dy.Slice(((b * filters) + f) * positions, positions);
                Span<T> filterGradient = weightGradient.Slice(f * taps, taps);
                if (!biasGradient.IsEmpty)
                {
                    biasGradient[f] += TensorPrimitives.Sum(gradient);
                }

                for (int i = 0; i < g.Kernel; i++)
                {
                    for (int j = 0; j < g.KernelColumns; j++)
                    {
                        int shift = (j * g.Dilation) - g.PaddingColumns;
                        (int start, int end) = ValidColumns(shift, g.StrideColumns, outWidth, g.Width);
                        if (start >= end)
                        {
                            continue;
                        }

                        T sum = T.Zero;
                        for (int oy = 0; oy < g.OutHeight; oy++)
                        {
                            int row = (oy * g.Stride) + (i * g.Dilation) - g.Padding;
                            if ((uint)row >= (uint)g.Height)
                            {
                                continue;
                            }

                            ReadOnlySpan<T> gradientRun = gradient.Slice((oy * outWidth) + start, end - start);
                            ReadOnlySpan<T> inputRow = input.Slice(row * g.Width, g.Width);
                            if (g.StrideColumns == 1)
                            {
                                sum += TensorPrimitives.Dot(gradientRun, inputRow.Slice(start + shift, end - start));
                            }
                            else
                            {
                                for (int ox = start; ox < end; ox++)
                                {
                                    sum = T.FusedMultiplyAdd(gradientRun[ox - start], inputRow[(ox * g.StrideColumns) + shift], sum);
                                }
                            }
                        }

                        filterGradient[(i * g.KernelColumns) + j] += sum;
                    }
                }
            }

            if (dx.IsEmpty)
            {
                continue;
            }

            for (int c = 0; c < g.Channels; c++)
            {
                Span<T> inputGradient = dx.Slice(((b * g.Channels) + c) * plane, plane);
                inputGradient.Clear();
                for (int m = 0; m < multiplier; m++)
                {
                    int f = (c * multiplier) + m;
                    ReadOnlySpan<T> filter = weight.Slice(f * taps, taps);
                    ReadOnlySpan<T> gradient = dy.Slice(((b * filters) + f) * positions, positions);
                    for (int oy = 0; oy < g.OutHeight; oy++)
                    {
                        ReadOnlySpan<T> gradientRow = gradient.Slice(oy * outWidth, outWidth);
                        for (int i = 0; i < g.Kernel; i++)
                        {
                            int row = (oy * g.Stride) + (i * g.Dilation) - g.Padding;
                            if ((uint)row >= (uint)g.Height)
                            {
                                continue;
                            }

                            Span<T> inputRow = inputGradient.Slice(row * g.Width, g.Width);
                            for (int j = 0; j < g.KernelColumns; j++)
                            {
                                T w = filter[(i * g.KernelColumns) + j];
                                int shift = (j * g.Dilation) - g.PaddingColumns;
                                (int start, int end) = ValidColumns(shift, g.StrideColumns, outWidth, g.Width);
                                if (start >= end)
                                {
                                    continue;
                                }

                                if (g.StrideColumns == 1)
                                {
                                    Span<T> run = inputRow.Slice(start + shift, end - start);
                                    TensorPrimitives.FusedMultiplyAdd(gradientRow.Slice(start, end - start), w, run, run);
                                }
                                else
                                {
                                    for (int ox = start; ox < end; ox++)
                                    {
                                        int column = (ox * g.StrideColumns) + shift;
                                        inputRow[column] = T.FusedMultiplyAdd(gradientRow[ox], w, inputRow[column]);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>The output columns whose input column <c>ox * stride + shift</c> lies inside the row; the rest read the padding.</summary>
    private static (int Start, int End) ValidColumns(int shift, int stride, int outWidth, int width)
    {
        int start = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
        int last = width - 1 - shift;
        int end = last < 0 ? 0 : (last / stride) + 1;
        return (Math.Min(start, outWidth), Math.Clamp(end, 0, outWidth));
    }
}
