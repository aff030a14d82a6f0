using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Kernels;

/// <summary>The sizes of a 2-D convolution or pooling window over a <c>[channels, height, width]</c> image.</summary>
/// <param name="Channels">Input channels.</param>
/// <param name="Height">Input height.</param>
/// <param name="Width">Input width.</param>
/// <param name="Kernel">The window's height (its side, for a square one).</param>
/// <param name="Stride">The step between windows down the height (and across the width, for a square one).</param>
/// <param name="Padding">Zeros added above and below (and left and right, for a square one).</param>
/// <param name="Dilation">The spacing between the window's taps (PyTorch's <c>dilation</c>); 1 for adjacent taps.</param>
/// <param name="KernelWidth">The window's width where it differs from <paramref name="Kernel"/> (PyTorch's <c>kernel_size=(h, w)</c>).</param>
/// <param name="StrideWidth">The step across the width where it differs from <paramref name="Stride"/>.</param>
/// <param name="PaddingWidth">The zeros left and right where they differ from <paramref name="Padding"/>.</param>
/// <param name="Groups">A convolution's channel groups (PyTorch's <c>groups</c>); each filter sees <c>Channels / Groups</c> channels.</param>
public readonly record struct ImageGeometry(
    int Channels, int Height, int Width, int Kernel, int Stride, int Padding, int Dilation = 1, int? KernelWidth = null, int? StrideWidth = null, int? PaddingWidth = null,
    int Groups = 1)
{
    /// <summary>Rows of the unfolded input one group's filters read: <c>ColumnRows / Groups</c>, the length of one filter.</summary>
    public int GroupColumnRows => ColumnRows / Groups;

    /// <summary>The window's width in use: <see cref="KernelWidth"/>, or <see cref="Kernel"/> for a square window.</summary>
    public int KernelColumns => KernelWidth ?? Kernel;

    /// <summary>The step across the width in use.</summary>
    public int StrideColumns => StrideWidth ?? Stride;

    /// <summary>The zeros left and right in use.</summary>
    public int PaddingColumns => PaddingWidth ?? Padding;

    /// <summary>The input rows one window spans, <c>dilation (kernel - 1) + 1</c>.</summary>
    public int Extent => (Dilation * (Kernel - 1)) + 1;

    /// <summary>The input columns one window spans.</summary>
    public int ExtentColumns => (Dilation * (KernelColumns - 1)) + 1;

    /// <summary>The output height, <c>(height + 2 padding - dilation (kernel - 1) - 1) / stride + 1</c>, as PyTorch's.</summary>
    public int OutHeight => ((Height + (2 * Padding) - Extent) / Stride) + 1;

    /// <summary>The output width, by the same formula with the width's kernel, stride and padding.</summary>
    public int OutWidth => ((Width + (2 * PaddingColumns) - ExtentColumns) / StrideColumns) + 1;

    /// <summary>Input values per sample.</summary>
    public int InputSize => Channels * Height * Width;

    /// <summary>Rows of the unfolded input: one per (channel, kernel row, kernel column).</summary>
    public int ColumnRows => Channels * Kernel * KernelColumns;

    /// <summary>Columns of the unfolded input: one per output position.</summary>
    public int ColumnCount => OutHeight * OutWidth;
}

/// <summary>
/// 2-D convolution as PyTorch's <c>nn.Conv2d</c> (cross-correlation; weight <c>[filters, channels / groups, kh, kw]</c>,
/// bias <c>[filters]</c>), by unfolding each image into columns (im2col) and one matrix product per sample and channel
/// group, so that the fast <see cref="Gemm"/> does the work.
/// </summary>
public static class Conv2DKernel
{
    /// <summary>
    /// <c>y[b] = weight · unfold(x[b]) + bias</c> for every sample (no bias when <paramref name="bias"/> is empty);
    /// <paramref name="columns"/> is scratch of <c>ColumnRows * ColumnCount</c>.
    /// </summary>
    public static void Forward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, Span<T> columns, int batch, int filters, ImageGeometry geometry)
        where T : IFloatingPointIeee754<T>
    {
        int inputSize = geometry.InputSize;
        int outputSize = filters * geometry.ColumnCount;
        int groupFilters = filters / geometry.Groups;
        int groupRows = geometry.GroupColumnRows;
        Span<T> unfolded = columns.Slice(0, geometry.ColumnRows * geometry.ColumnCount);
        for (int b = 0; b < batch; b++)
        {
            Unfold(x.Slice(b * inputSize, inputSize), unfolded, geometry);
            Span<T> output = y.Slice(b * outputSize, outputSize);
            // One product per group: the unfolded rows are ordered by channel, so a group's rows, its filters' weights and
            // its output maps are each one contiguous block (a depthwise layer is a row vector times its channel's rows).
            for (int g = 0; g < geometry.Groups; g++)
            {
                Gemm.Multiply(
                    weight.Slice(g * groupFilters * groupRows, groupFilters * groupRows),
                    unfolded.Slice(g * groupRows * geometry.ColumnCount, groupRows * geometry.ColumnCount),
                    output.Slice(g * groupFilters * geometry.ColumnCount, groupFilters * geometry.ColumnCount),
                    groupFilters, geometry.ColumnCount, groupRows, accumulate: false);
            }
            for (int f = 0; f < filters && !bias.IsEmpty; f++)
            {
                Span<T> map = output.Slice(f * geometry.ColumnCount, geometry.ColumnCount);
                TensorPrimitives.Add(map, bias[f], map);
            }
        }
    }

    /// <summary>
    /// Adds the weight and bias gradients (no bias gradient when <paramref name="biasGradient"/> is empty) and, when <paramref name="dx"/> is not empty, writes the input gradient
    /// (folding the column gradients back, col2im). <paramref name="columns"/> and <paramref name="columnGradient"/> are scratch.
    /// </summary>
    public static void Backward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> dy, Span<T> weightGradient, Span<T> biasGradient, Span<T> dx,
        Span<T> columns, Span<T> columnGradient, int batch, int filters, ImageGeometry geometry)
        where T : IFloatingPointIeee754<T>
    {
        int inputSize = geometry.InputSize;
        int outputSize = filters * geometry.ColumnCount;
        int groupFilters = filters / geometry.Groups;
        int groupRows = geometry.GroupColumnRows;
        Span<T> unfolded = columns.Slice(0, geometry.ColumnRows * geometry.ColumnCount);
        Span<T> unfoldedGradient = columnGradient.Slice(0, geometry.ColumnRows * geometry.ColumnCount);
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<T> gradient = dy.Slice(b * outputSize, outputSize);
            Unfold(x.Slice(b * inputSize, inputSize), unfolded, geometry);
            for (int g = 0; g < geometry.Groups; g++)
            {
                Gemm.MultiplyTransposedB(
                    gradient.Slice(g * groupFilters * geometry.ColumnCount, groupFilters * geometry.ColumnCount),
                    unfolded.Slice(g * groupRows * geometry.ColumnCount, groupRows * geometry.ColumnCount),
                    weightGradient.Slice(g * groupFilters * groupRows, groupFilters * groupRows),
                    groupFilters, groupRows, geometry.ColumnCount, accumulate: true);
            }
            for (int f = 0; f < filters && !biasGradient.IsEmpty; f++)
            {
                biasGradient[f] += TensorPrimitives.Sum(gradient.Slice(f * geometry.ColumnCount, geometry.ColumnCount));
            }

            if (!dx.IsEmpty)
            {
                for (int g = 0; g < geometry.Groups; g++)
                {
                    Gemm.MultiplyTransposedA(
                        weight.Slice(g * groupFilters * groupRows, groupFilters * groupRows),
                        gradient.Slice(g * groupFilters * geometry.ColumnCount, groupFilters * geometry.ColumnCount),
                        unfoldedGradient.Slice(g * groupRows * geometry.ColumnCount, groupRows * geometry.ColumnCount),
                        groupRows, geometry.ColumnCount, groupFilters, accumulate: false);
                }
                Span<T> inputGradient = dx.Slice(b * inputSize, inputSize);
                inputGradient.Clear();
                Fold(unfoldedGradient, inputGradient, geometry);
            }
        }
    }

    /// <summary>
    /// im2col: row <c>(c, i, j)</c>, column <c>(oy, ox)</c> holds <c>x[c, oy*stride + i*dilation - padding, ox*strideWidth + j*dilation - paddingWidth]</c>,
    /// or 0 outside.
    /// </summary>
    public static void Unfold<T>(ReadOnlySpan<T> image, Span<T> columns, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        int outHeight = g.OutHeight;
        int outWidth = g.OutWidth;
        int kernelWidth = g.KernelColumns;
        int strideWidth = g.StrideColumns;
        int paddingWidth = g.PaddingColumns;
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            for (int i = 0; i < g.Kernel; i++)
            {
                for (int j = 0; j < kernelWidth; j++, row++)
                {
                    Span<T> target = columns.Slice(row * outHeight * outWidth, outHeight * outWidth);
                    for (int oy = 0; oy < outHeight; oy++)
                    {
                        int y = (oy * g.Stride) + (i * g.Dilation) - g.Padding;
                        for (int ox = 0; ox < outWidth; ox++)
                        {
                            int x = (ox * strideWidth) + (j * g.Dilation) - paddingWidth;
                            target[(oy * outWidth) + ox] = (uint)y < (uint)g.Height && (uint)x < (uint)g.Width
                                ? image[(((c * g.Height) + y) * g.Width) + x]
                                : T.Zero;
                        }
                    }
                }
            }
        }
    }

    /// <summary>col2im: adds every column entry back into the input position it was read from.</summary>
    public static void Fold<T>(ReadOnlySpan<T> columns, Span<T> image, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        int outHeight = g.OutHeight;
        int outWidth = g.OutWidth;
        int kernelWidth = g.KernelColumns;
        int strideWidth = g.StrideColumns;
        int paddingWidth = g.PaddingColumns;
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            for (int i = 0; i < g.Kernel; i++)
            {
                for (int j = 0; j < kernelWidth; j++, row++)
                {
                    ReadOnlySpan<T> source = columns.Slice(row * outHeight * outWidth, outHeight * outWidth);
                    for (int oy = 0; oy < outHeight; oy++)
                    {
                        int y = (oy * g.Stride) + (i * g.Dilation) - g.Padding;
                        if ((uint)y >= (uint)g.Height)
                        {
                            continue;
                        }

                        for (int ox = 0; ox < outWidth; ox++)
                        {
                            int x = (ox * strideWidth) + (j * g.Dilation) - paddingWidth;
                            if ((uint)x < (uint)g.Width)
                            {
                                image[(((c * g.Height) + y) * g.Width) + x] += source[(oy * outWidth) + ox];
                            }
                        }
                    }
                }
            }
        }
    }
}
