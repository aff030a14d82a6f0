using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
/// bias <c>[filters]</c>), by unfolding the images into columns (im2col) and one matrix product per channel group, so
/// that the fast <see cref="Gemm"/> does the work.
/// </summary>
/// <remarks>
/// Small output maps make thin products (a 7 × 7 map is 49 columns, and the weight gradient sums over only those 49),
/// where the GEMM spends more time packing and on partial tiles than multiplying. So several samples are unfolded side
/// by side into one wider column matrix, <c>[rows, samples × positions]</c>, until it has about
/// <see cref="TargetColumns"/> columns, and each product covers them all; the outputs are then copied to their samples.
/// That wider matrix needs more than the caller's scratch, so it lives in a per-thread buffer kept between calls (about
/// <c>2 × rows × 1,024</c> values and the outputs': 4.5 MiB of floats for a 64-channel 3 × 3 layer).
/// </remarks>
public static class Conv2DKernel
{
    /// <summary>
    /// The columns a product should have before samples are batched into it: enough that the weight's packed panel is
    /// reused across many micro-tiles and the thin weight-gradient sums become long ones. At the ResNet of
    /// examples/FashionMnist, 14 × 14 maps go from one sample a product to five and 7 × 7 maps to twenty, while 28 × 28
    /// maps stay one sample a product. A round figure, not tuned: the machine it was measured on was too noisy to rank
    /// neighbouring values.
    /// </summary>
    private const int TargetColumns = 1024;

    /// <summary>The most filters a group may have for its weight gradient to go to <see cref="ConvThinGradient"/> whatever their length.</summary>
    private const int ThinGroupFilters = 8;

    /// <summary>
    /// <c>y[b] = weight · unfold(x[b]) + bias</c> for every sample (no bias when <paramref name="bias"/> is empty), then
    /// <c>y = max(y, 0)</c> when <paramref name="relu"/> is set; <paramref name="columns"/> is scratch of at least
    /// <c>ColumnRows * ColumnCount</c>. The bias and the ReLU are applied in the one pass that moves each product's
    /// rows to their samples (or, for a product of one sample, one pass over its output) rather than in passes of
    /// their own over the whole output.
    /// </summary>
    public static void Forward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, Span<T> columns, int batch, int filters, ImageGeometry geometry,
        Int8Weight? int8 = null, bool relu = false)
        where T : IFloatingPointIeee754<T>
    {
        if (int8 is not null && typeof(T) == typeof(float))
        {
            if (!int8.Calibrating)
            {
                ForwardInt8(FloatSpans.AsFloat(x), int8, FloatSpans.AsFloat(bias), FloatSpans.AsFloat(y), FloatSpans.AsFloat(columns), batch, filters, geometry);
                if (relu)
                {
                    Span<T> result = y.Slice(0, batch * filters * geometry.ColumnCount);
                    TensorPrimitives.Max(result, T.Zero, result);
                }

                return;
            }

            // A patch holds the input's values and padding zeros, so the input's range (widened to 0) is the patches'.
            int8.Observe(FloatSpans.AsFloat(x).Slice(0, batch * geometry.InputSize));
        }

        if (DepthwiseConv.Applies(geometry, filters))
        {
            DepthwiseConv.Forward(x, weight, bias, y, batch, filters, geometry, relu);
            return;
        }

        if (ConvShortFilters.Applies<T>(geometry))
        {
            ConvShortFilters.Forward(FloatSpans.AsFloat(x), FloatSpans.AsFloat(weight), FloatSpans.AsFloat(bias), FloatSpans.AsFloat(y), batch, filters, geometry, relu);
            return;
        }

        int inputSize = geometry.InputSize;
        int positions = geometry.ColumnCount;
        int outputSize = filters * positions;
        int rows = geometry.ColumnRows;
        int chunk = SamplesPerProduct(batch, positions);
        Span<T> unfolded = chunk == 1 ? columns.Slice(0, rows * positions) : Scratch<T>.Columns(rows * positions * chunk);
        Span<T> product = chunk == 1 ? default : Scratch<T>.Product(filters * positions * chunk);
        for (int first = 0; first < batch; first += chunk)
        {
            int count = Math.Min(chunk, batch - first);
            int width = count * positions;
            for (int s = 0; s < count; s++)
            {
                UnfoldInto(x.Slice((first + s) * inputSize, inputSize), unfolded, width, s * positions, geometry);
            }

            // With one sample the product's [filters, positions] is the sample's output itself.
            Span<T> output = count == 1 ? y.Slice(first * outputSize, outputSize) : product.Slice(0, filters * width);
            MultiplyGroups(weight, unfolded, output, filters, width, geometry);
            Scatter(output, y.Slice(first * outputSize, count * outputSize), bias, relu, filters, positions, count);
        }
    }

    /// <summary>
    /// The int8 forward pass of an ungrouped convolution: each sample's patches unfolded one row per output position
    /// (<c>[positions, channels x kernel]</c>, the transpose of the float path's columns), several samples' patches in
    /// one int8 product with the filters (<c>[positions, filters]</c> each, with the bias), and its transpose into each
    /// sample's feature maps.
    /// </summary>
    private static void ForwardInt8(
        ReadOnlySpan<float> x, Int8Weight weight, ReadOnlySpan<float> bias, Span<float> y, Span<float> columns, int batch, int filters, ImageGeometry geometry)
    {
        int positions = geometry.ColumnCount;
        int rows = geometry.ColumnRows;
        if (geometry.Groups != 1 || weight.Rows != filters || weight.Columns != rows)
        {
            throw new ArgumentException(
                $"{weight.Name} is [{weight.Rows}, {weight.Columns}] in int8; an ungrouped convolution of {filters} filters over {rows} values per patch needs [{filters}, {rows}].",
                nameof(weight));
        }

        int inputSize = geometry.InputSize;
        int outputSize = filters * positions;
        Span<float> unfolded = columns.Slice(0, rows * positions);

        // Samples are batched into one product, as on the float path, so that a small map still makes a tall product.
        int chunk = SamplesPerProduct(batch, positions);
        Span<float> patches = Scratch<float>.ColumnGradient(chunk * positions * rows);
        Span<float> product = Scratch<float>.Product(chunk * outputSize);
        for (int first = 0; first < batch; first += chunk)
        {
            int count = Math.Min(chunk, batch - first);
            for (int s = 0; s < count; s++)
            {
                Unfold<float>(x.Slice((first + s) * inputSize, inputSize), unfolded, geometry);
                Gemm.Transpose<float>(unfolded, patches.Slice(s * positions * rows, positions * rows), rows, positions);
            }

            weight.Multiply(patches.Slice(0, count * positions * rows), bias, product.Slice(0, count * outputSize), count * positions);
            for (int s = 0; s < count; s++)
            {
                Gemm.Transpose<float>(product.Slice(s * outputSize, outputSize), y.Slice((first + s) * outputSize, outputSize), positions, filters);
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
        if (DepthwiseConv.Applies(geometry, filters))
        {
            DepthwiseConv.Backward(x, weight, dy, weightGradient, biasGradient, dx, batch, filters, geometry);
            return;
        }

        int inputSize = geometry.InputSize;
        int positions = geometry.ColumnCount;
        int outputSize = filters * positions;
        int rows = geometry.ColumnRows;
        int groupFilters = filters / geometry.Groups;
        int groupRows = geometry.GroupColumnRows;
        int chunk = SamplesPerProduct(batch, positions);
        Span<T> unfolded = chunk == 1 ? columns.Slice(0, rows * positions) : Scratch<T>.Columns(rows * positions * chunk);
        Span<T> unfoldedGradient = chunk == 1 ? columnGradient.Slice(0, rows * positions) : Scratch<T>.ColumnGradient(rows * positions * chunk);
        Span<T> gathered = chunk == 1 ? default : Scratch<T>.Product(filters * positions * chunk);
        for (int first = 0; first < batch; first += chunk)
        {
            int count = Math.Min(chunk, batch - first);
            int width = count * positions;
            ReadOnlySpan<T> gradient = dy.Slice(first * outputSize, count * outputSize);
            if (count > 1)
            {
                // The samples' output gradients side by side, [filters, samples × positions], as the columns are.
                Gather(gradient, gathered, filters, positions, count);
                gradient = gathered.Slice(0, filters * width);
            }

            for (int s = 0; s < count; s++)
            {
                UnfoldInto(x.Slice((first + s) * inputSize, inputSize), unfolded, width, s * positions, geometry);
            }

            for (int g = 0; g < geometry.Groups; g++)
            {
                ReadOnlySpan<T> groupGradient = gradient.Slice(g * groupFilters * width, groupFilters * width);
                ReadOnlySpan<T> groupColumns = unfolded.Slice(g * groupRows * width, groupRows * width);
                Span<T> groupWeightGradient = weightGradient.Slice(g * groupFilters * groupRows, groupFilters * groupRows);
                // A group of few filters makes a product too short for the GEMM's tiles whatever its filters' length
                // (a grouped layer of 4 filters over 4 channels a group: [4, 36] per group), so it goes to the
                // register-blocked sums as short filters do.
                if (ConvThinGradient.Applies<T>(groupRows) || (geometry.Groups > 1 && groupFilters <= ThinGroupFilters && ConvThinGradient.Applies<T>(0)))
                {
                    ConvThinGradient.Accumulate(
                        FloatSpans.AsFloat(groupGradient), FloatSpans.AsFloat(groupColumns), FloatSpans.AsFloat(groupWeightGradient), groupFilters, groupRows, width);
                }
                else
                {
                    Gemm.MultiplyTransposedB(groupGradient, groupColumns, groupWeightGradient, groupFilters, groupRows, width, accumulate: true);
                }
            }

            for (int f = 0; f < filters && !biasGradient.IsEmpty; f++)
            {
                biasGradient[f] += TensorPrimitives.Sum(gradient.Slice(f * width, width));
            }

            if (!dx.IsEmpty)
            {
                for (int g = 0; g < geometry.Groups; g++)
                {
                    Gemm.MultiplyTransposedA(
                        weight.Slice(g * groupFilters * groupRows, groupFilters * groupRows),
                        gradient.Slice(g * groupFilters * width, groupFilters * width),
                        unfoldedGradient.Slice(g * groupRows * width, groupRows * width),
                        groupRows, width, groupFilters, accumulate: false);
                }

                for (int s = 0; s < count; s++)
                {
                    Span<T> inputGradient = dx.Slice((first + s) * inputSize, inputSize);
                    inputGradient.Clear();
                    FoldScratch(unfoldedGradient, width, s * positions, inputGradient, geometry);
                }
            }
        }
    }

    /// <summary>
    /// im2col: row <c>(c, i, j)</c>, column <c>(oy, ox)</c> holds <c>x[c, oy*stride + i*dilation - padding, ox*strideWidth + j*dilation - paddingWidth]</c>,
    /// or 0 outside.
    /// </summary>
    public static void Unfold<T>(ReadOnlySpan<T> image, Span<T> columns, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
        => UnfoldInto(image, columns, g.ColumnCount, 0, g);

    /// <summary>col2im: adds every column entry back into the input position it was read from.</summary>
    public static void Fold<T>(ReadOnlySpan<T> columns, Span<T> image, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
        => FoldFrom(columns, g.ColumnCount, 0, image, g);

    /// <summary>How many samples one product covers: enough for about <see cref="TargetColumns"/> columns, at most the batch.</summary>
    internal static int SamplesPerProduct(int batch, int positions)
        => Math.Clamp(TargetColumns / Math.Max(positions, 1), 1, Math.Max(batch, 1));

    /// <summary>
    /// Unfolds one image into the columns <c>[offset, offset + positions)</c> of every row of a column matrix whose rows are
    /// <paramref name="rowLength"/> long. Each output row of the map reads one run of the input row (every
    /// <c>strideWidth</c>-th element) between the padding on either side, so the bounds are worked out once a run.
    /// </summary>
    private static void UnfoldInto<T>(ReadOnlySpan<T> image, Span<T> columns, int rowLength, int offset, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        if (IsValidUnitStride(g) && !IsFlatShift(g))
        {
            UnfoldValid(image, columns, rowLength, offset, g);
            return;
        }

        int outHeight = g.OutHeight;
        int outWidth = g.OutWidth;
        int kernelWidth = g.KernelColumns;
        int strideWidth = g.StrideColumns;
        bool flat = IsFlatShift(g);
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            ReadOnlySpan<T> plane = image.Slice(c * g.Height * g.Width, g.Height * g.Width);
            for (int i = 0; i < g.Kernel; i++)
            {
                for (int j = 0; j < kernelWidth; j++, row++)
                {
                    Span<T> target = columns.Slice((row * rowLength) + offset, outHeight * outWidth);
                    int shift = (j * g.Dilation) - g.PaddingColumns;
                    (int start, int end) = ValidColumns(shift, strideWidth, outWidth, g.Width);
                    if (flat)
                    {
                        UnfoldShifted(plane, target, (i * g.Dilation) - g.Padding, shift, start, end, g);
                        continue;
                    }

                    for (int oy = 0; oy < outHeight; oy++)
                    {
                        Span<T> run = target.Slice(oy * outWidth, outWidth);
                        int y = (oy * g.Stride) + (i * g.Dilation) - g.Padding;
                        if ((uint)y >= (uint)g.Height || start >= end)
                        {
                            run.Clear();
                            continue;
                        }

                        ReadOnlySpan<T> source = plane.Slice(y * g.Width, g.Width);
                        if (strideWidth == 1)
                        {
                            // Runs are short (a map's width), where a library call per run costs more than the copy.
                            Runs.Copy(source.Slice(start + shift, end - start), run, start, outWidth);
                            continue;
                        }

                        run.Slice(0, start).Clear();
                        run.Slice(end).Clear();
                        for (int ox = start, x = (start * strideWidth) + shift; ox < end; ox++, x += strideWidth)
                        {
                            run[ox] = source[x];
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Whether the convolution has no padding and stride 1 both ways (a "valid" convolution, such as the Fashion-MNIST
    /// convnet's): every window lies inside the image, so a row of the unfolded matrix is, output row by output row,
    /// a run of the input row with no bounds to work out.
    /// </summary>
    private static bool IsValidUnitStride(ImageGeometry g)
        => g.Padding == 0 && g.PaddingColumns == 0 && g.Stride == 1 && g.StrideColumns == 1 && g.OutHeight > 0 && g.OutWidth > 0;

    /// <summary>
    /// <see cref="UnfoldInto{T}"/> when <see cref="IsValidUnitStride"/> holds: one short copy per output row and
    /// (channel, tap), through references after the spans' extents are checked once. A 13 × 13 image under a 3 × 3
    /// window is 3,168 runs of 11 values a sample, where the general loop's per-run bounds and library calls cost
    /// several times the copies.
    /// </summary>
    private static void UnfoldValid<T>(ReadOnlySpan<T> image, Span<T> columns, int rowLength, int offset, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        int outHeight = g.OutHeight, outWidth = g.OutWidth, width = g.Width, planeSize = g.Height * width;

        // Every run below lies inside these slices: the last window's last tap is the plane's last value.
        ref T source = ref MemoryMarshal.GetReference(image.Slice(0, g.InputSize));
        ref T target = ref MemoryMarshal.GetReference(columns.Slice(0, ((g.ColumnRows - 1) * rowLength) + offset + g.ColumnCount));
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            for (int i = 0; i < g.Kernel; i++)
            {
                for (int j = 0; j < g.KernelColumns; j++, row++)
                {
                    ref T from = ref Unsafe.Add(ref source, (c * planeSize) + (i * g.Dilation * width) + (j * g.Dilation));
                    ref T to = ref Unsafe.Add(ref target, (row * rowLength) + offset);
                    for (int oy = 0; oy < outHeight; oy++)
                    {
                        Runs.CopyShort(ref Unsafe.Add(ref from, oy * width), ref Unsafe.Add(ref to, oy * outWidth), outWidth);
                    }
                }
            }
        }
    }

    /// <summary>The inverse of <see cref="UnfoldValid{T}"/>: each run added back into the input row it was read from.</summary>
    private static void FoldValid<T>(ReadOnlySpan<T> columns, int rowLength, int offset, Span<T> image, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        int outHeight = g.OutHeight, outWidth = g.OutWidth, width = g.Width, planeSize = g.Height * width;
        ref T source = ref MemoryMarshal.GetReference(columns.Slice(0, ((g.ColumnRows - 1) * rowLength) + offset + g.ColumnCount));
        ref T target = ref MemoryMarshal.GetReference(image.Slice(0, g.InputSize));
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            for (int i = 0; i < g.Kernel; i++)
            {
                for (int j = 0; j < g.KernelColumns; j++, row++)
                {
                    ref T from = ref Unsafe.Add(ref source, (row * rowLength) + offset);
                    ref T to = ref Unsafe.Add(ref target, (c * planeSize) + (i * g.Dilation * width) + (j * g.Dilation));
                    for (int oy = 0; oy < outHeight; oy++)
                    {
                        Runs.AddShort(ref Unsafe.Add(ref from, oy * outWidth), ref Unsafe.Add(ref to, oy * width), outWidth);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Whether every row of the unfolded matrix is the image plane shifted by a constant offset: stride 1 both ways and
    /// an output as wide as the input (a "same" convolution such as a ResNet's 3 × 3 with padding 1). Then a row is one
    /// long copy (or, folding, one long sum) with the entries that wrapped round from a neighbouring image row, those
    /// that should read the padding, put right afterwards, instead of one short run per output row.
    /// </summary>
    private static bool IsFlatShift(ImageGeometry g) => g.Stride == 1 && g.StrideColumns == 1 && g.OutWidth == g.Width;

    /// <summary>One row of the unfolded matrix when <see cref="IsFlatShift"/> holds: entry <c>t</c> is <c>plane[t + rowShift width + shift]</c> inside the image, 0 outside.</summary>
    private static void UnfoldShifted<T>(ReadOnlySpan<T> plane, Span<T> target, int rowShift, int shift, int start, int end, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        int width = g.Width;
        int outHeight = g.OutHeight;
        int first = Math.Max(0, -rowShift);
        int last = Math.Min(outHeight, g.Height - rowShift);
        if (first >= last || start >= end)
        {
            target.Clear();
            return;
        }

        int from = (first * width) + start;
        int to = ((last - 1) * width) + end;
        target.Slice(0, from).Clear();
        plane.Slice(from + (rowShift * width) + shift, to - from).CopyTo(target.Slice(from, to - from));
        target.Slice(to).Clear();

        // Between one output row's last valid column and the next row's first, the copy read the neighbouring image row.
        int gap = width - end + start;
        for (int oy = first; oy < last - 1 && gap > 0; oy++)
        {
            target.Slice((oy * width) + end, gap).Clear();
        }
    }

    /// <summary>
    /// <see cref="FoldFrom{T}"/> on the kernel's own scratch, which it may change: when <see cref="IsFlatShift"/> holds,
    /// the entries that read the padding are zeroed so that each row is one long sum into the shifted plane.
    /// </summary>
    private static void FoldScratch<T>(Span<T> columns, int rowLength, int offset, Span<T> image, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        if (!IsFlatShift(g))
        {
            FoldFrom(columns, rowLength, offset, image, g);
            return;
        }

        int width = g.Width;
        int outHeight = g.OutHeight;
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            Span<T> plane = image.Slice(c * g.Height * width, g.Height * width);
            for (int i = 0; i < g.Kernel; i++)
            {
                int rowShift = (i * g.Dilation) - g.Padding;
                int first = Math.Max(0, -rowShift);
                int last = Math.Min(outHeight, g.Height - rowShift);
                for (int j = 0; j < g.KernelColumns; j++, row++)
                {
                    int shift = (j * g.Dilation) - g.PaddingColumns;
                    (int start, int end) = ValidColumns(shift, 1, width, width);
                    if (first >= last || start >= end)
                    {
                        continue;
                    }

                    Span<T> source = columns.Slice((row * rowLength) + offset, outHeight * width);
                    int gap = width - end + start;
                    for (int oy = first; oy < last - 1 && gap > 0; oy++)
                    {
                        source.Slice((oy * width) + end, gap).Clear();
                    }

                    int from = (first * width) + start;
                    int to = ((last - 1) * width) + end;
                    Span<T> destination = plane.Slice(from + (rowShift * width) + shift, to - from);
                    TensorPrimitives.Add(destination, source.Slice(from, to - from), destination);
                }
            }
        }
    }

    /// <summary>The inverse of <see cref="UnfoldInto{T}"/>: adds columns <c>[offset, offset + positions)</c> of every row back into the image.</summary>
    private static void FoldFrom<T>(ReadOnlySpan<T> columns, int rowLength, int offset, Span<T> image, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        if (IsValidUnitStride(g))
        {
            FoldValid(columns, rowLength, offset, image, g);
            return;
        }

        int outHeight = g.OutHeight;
        int outWidth = g.OutWidth;
        int kernelWidth = g.KernelColumns;
        int strideWidth = g.StrideColumns;
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            Span<T> plane = image.Slice(c * g.Height * g.Width, g.Height * g.Width);
            for (int i = 0; i < g.Kernel; i++)
            {
                for (int j = 0; j < kernelWidth; j++, row++)
                {
                    ReadOnlySpan<T> source = columns.Slice((row * rowLength) + offset, outHeight * outWidth);
                    int shift = (j * g.Dilation) - g.PaddingColumns;
                    (int start, int end) = ValidColumns(shift, strideWidth, outWidth, g.Width);
                    if (start >= end)
                    {
                        continue;
                    }

                    for (int oy = 0; oy < outHeight; oy++)
                    {
                        int y = (oy * g.Stride) + (i * g.Dilation) - g.Padding;
                        if ((uint)y >= (uint)g.Height)
                        {
                            continue;
                        }

                        ReadOnlySpan<T> run = source.Slice(oy * outWidth, outWidth);
                        Span<T> target = plane.Slice(y * g.Width, g.Width);
                        if (strideWidth == 1)
                        {
                            Runs.Add(run.Slice(start, end - start), target.Slice(start + shift, end - start));
                        }
                        else
                        {
                            for (int ox = start, x = (start * strideWidth) + shift; ox < end; ox++, x += strideWidth)
                            {
                                target[x] += run[ox];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The output columns <c>[start, end)</c> whose input column <c>ox * stride + shift</c> lies inside <c>[0, width)</c>;
    /// the rest read the padding.
    /// </summary>
    private static (int Start, int End) ValidColumns(int shift, int stride, int outWidth, int width)
    {
        // ox * stride + shift >= 0  <=>  ox >= ceil(-shift / stride);  ox * stride + shift <= width - 1  <=>  ox <= floor((width - 1 - shift) / stride).
        int start = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
        int last = width - 1 - shift;
        int end = last < 0 ? 0 : (last / stride) + 1;
        return (Math.Min(start, outWidth), Math.Clamp(end, 0, outWidth));
    }

    /// <summary>One product per group: the unfolded rows are ordered by channel, so a group's rows, its filters' weights and its output maps are each one contiguous block.</summary>
    private static void MultiplyGroups<T>(ReadOnlySpan<T> weight, ReadOnlySpan<T> unfolded, Span<T> output, int filters, int width, ImageGeometry geometry)
        where T : IFloatingPointIeee754<T>
    {
        int groupFilters = filters / geometry.Groups;
        int groupRows = geometry.GroupColumnRows;
        for (int g = 0; g < geometry.Groups; g++)
        {
            Gemm.Multiply(
                weight.Slice(g * groupFilters * groupRows, groupFilters * groupRows),
                unfolded.Slice(g * groupRows * width, groupRows * width),
                output.Slice(g * groupFilters * width, groupFilters * width),
                groupFilters, width, groupRows, accumulate: false);
        }
    }

    /// <summary>
    /// From <c>[filters, samples × positions]</c> to the samples' <c>[samples, filters, positions]</c>, adding each
    /// filter's bias and applying the ReLU on the way (in place when the product is one sample's output).
    /// </summary>
    private static void Scatter<T>(ReadOnlySpan<T> product, Span<T> y, ReadOnlySpan<T> bias, bool relu, int filters, int positions, int count)
        where T : IFloatingPointIeee754<T>
    {
        int width = count * positions;
        for (int s = 0; s < count; s++)
        {
            for (int f = 0; f < filters; f++)
            {
                Runs.BiasReLU(product.Slice((f * width) + (s * positions), positions), bias.IsEmpty ? T.Zero : bias[f], relu, y.Slice(((s * filters) + f) * positions, positions));
            }
        }
    }

    /// <summary>From the samples' <c>[samples, filters, positions]</c> to <c>[filters, samples × positions]</c>.</summary>
    private static void Gather<T>(ReadOnlySpan<T> dy, Span<T> gathered, int filters, int positions, int count)
    {
        int width = count * positions;
        for (int s = 0; s < count; s++)
        {
            for (int f = 0; f < filters; f++)
            {
                dy.Slice(((s * filters) + f) * positions, positions).CopyTo(gathered.Slice((f * width) + (s * positions), positions));
            }
        }
    }

    /// <summary>Per-thread scratch for batched products, grown to the largest size asked for and kept.</summary>
    private static class Scratch<T>
    {
        [ThreadStatic]
        private static T[]? t_columns;

        [ThreadStatic]
        private static T[]? t_columnGradient;

        [ThreadStatic]
        private static T[]? t_product;

        public static Span<T> Columns(int length) => GrowScratch(ref t_columns, length);

        public static Span<T> ColumnGradient(int length) => GrowScratch(ref t_columnGradient, length);

        public static Span<T> Product(int length) => GrowScratch(ref t_product, length);
    }

    /// <summary>
    /// The first <paramref name="length"/> values of <paramref name="buffer"/>, made larger first when it is too small:
    /// a kernel's per-thread scratch, grown to the largest size asked for and kept.
    /// </summary>
    internal static Span<T> GrowScratch<T>(ref T[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer = new T[length];
        }

        return buffer.AsSpan(0, length);
    }
}
