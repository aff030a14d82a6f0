using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Kernels;

/// <summary>The sizes of a 1-D convolution or pooling window over the steps of a <c>[steps, features]</c> sequence.</summary>
/// <param name="Steps">Input steps.</param>
/// <param name="Features">Input features (PyTorch's channels).</param>
/// <param name="Kernel">The window's length in steps (its taps).</param>
/// <param name="Stride">The step between windows.</param>
/// <param name="Padding">Steps added before the first and after the last.</param>
/// <param name="Dilation">The spacing between the window's taps (PyTorch's <c>dilation</c>); 1 for adjacent taps.</param>
/// <param name="Groups">A convolution's feature groups (PyTorch's <c>groups</c>); each filter sees <c>Features / Groups</c> features.</param>
public readonly record struct SequenceGeometry(int Steps, int Features, int Kernel, int Stride = 1, int Padding = 0, int Dilation = 1, int Groups = 1)
{
    /// <summary>The input steps one window spans, <c>dilation (kernel - 1) + 1</c>.</summary>
    public int Extent => (Dilation * (Kernel - 1)) + 1;

    /// <summary>The output steps, <c>(steps + 2 padding - dilation (kernel - 1) - 1) / stride + 1</c>, as PyTorch's.</summary>
    public int OutSteps => ((Steps + (2 * Padding) - Extent) / Stride) + 1;

    /// <summary>Input values per sample.</summary>
    public int InputSize => Steps * Features;

    /// <summary>
    /// The same convolution as a 2-D one on PyTorch's layout: the sequence transposed to <c>[features, 1, steps]</c>, a
    /// <c>(1, kernel)</c> kernel moving along the width, so the weight <c>[filters, features / groups, kernel]</c> is the
    /// 2-D weight <c>[filters, features / groups, 1, kernel]</c> byte for byte.
    /// </summary>
    public ImageGeometry Image => new(
        Features, 1, Steps, Kernel: 1, Stride: 1, Padding: 0, Dilation, KernelWidth: Kernel, StrideWidth: Stride, PaddingWidth: Padding, Groups);
}

/// <summary>
/// 1-D convolution over steps: Keras' <c>Conv1D</c> on <c>[steps, features]</c> with PyTorch's <c>nn.Conv1d</c> weight
/// <c>[filters, features / groups, kernel]</c> and bias <c>[filters]</c>, giving <c>[steps', filters]</c>.
/// </summary>
/// <remarks>
/// <para>
/// Without groups, a convolution over steps is a dense layer over windows: each output step's window of input steps is
/// <c>kernel</c> whole rows of features, copied side by side into one row of <c>kernel * features</c> values (im2row),
/// and <see cref="DenseKernel"/> multiplies those rows by the weight, reordered once per call to
/// <c>[filters, kernel, features]</c> to match them, writing <c>[steps', filters]</c> in place.
/// </para>
/// <para>
/// With groups, it is the 2-D convolution of <see cref="Conv2DKernel"/> with height 1 (<see cref="SequenceGeometry.Image"/>)
/// on each sample transposed to <c>[features, steps]</c> and back, whose grouped products (a depthwise layer's above all)
/// are tuned. Measured side by side in one process at batch 32, float, on this project's shared two-core machine (so
/// only the ratios mean much): without groups the dense form took 0.4 to 0.6 of the 2-D kernel's time forward and 0.3 to
/// 0.8 backward (<c>[100, 128]</c> to 64 filters, kernel 5: 7.5 ms against 19.0 ms forward; <c>[100, 16]</c> to 16,
/// kernel 3; <c>[1000, 8]</c> to 32, kernel 7), but a prototype of it with groups took two to three times as long as the
/// 2-D kernel for a depthwise layer, whose groups make many products of one feature each.
/// </para>
/// </remarks>
public static class Conv1DKernel
{
    /// <summary>The scratch <see cref="Forward{T}"/> and <see cref="Backward{T}"/> take for one sample's unfolded input (and its gradient): <c>steps' * kernel * features</c>.</summary>
    public static int ColumnLength(SequenceGeometry geometry) => geometry.OutSteps * geometry.Kernel * geometry.Features;

    /// <summary>
    /// The other scratch <see cref="Forward{T}"/> and <see cref="Backward{T}"/> take: without groups, the reordered weight and
    /// its gradient; with groups, one sample's input, input gradient and output in PyTorch's <c>[features, steps]</c> layout.
    /// </summary>
    public static int ScratchLength(int filters, SequenceGeometry geometry)
        => geometry.Groups == 1 ? 2 * filters * geometry.Kernel * geometry.Features : (2 * geometry.InputSize) + (filters * geometry.OutSteps);

    /// <summary>
    /// <c>y[b] = (weight ∗ x[b]) + bias</c> for every sample (no bias when <paramref name="bias"/> is empty), <c>x</c>
    /// <c>[batch, steps, features]</c> and <c>y</c> <c>[batch, steps', filters]</c>. <paramref name="columns"/> and
    /// <paramref name="scratch"/> are scratch of <see cref="ColumnLength"/> and <see cref="ScratchLength"/>.
    /// </summary>
    public static void Forward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, Span<T> columns, Span<T> scratch, int batch, int filters, SequenceGeometry geometry)
        where T : IFloatingPointIeee754<T>
    {
        int inputSize = geometry.InputSize;
        int outSteps = geometry.OutSteps;
        int outputSize = outSteps * filters;
        if (geometry.Groups == 1)
        {
            int window = geometry.Kernel * geometry.Features;
            Span<T> rows = columns.Slice(0, outSteps * window);
            Span<T> reordered = scratch.Slice(0, filters * window);
            ToStepMajor(weight, reordered, filters, geometry);
            for (int b = 0; b < batch; b++)
            {
                Unfold(x.Slice(b * inputSize, inputSize), rows, geometry);
                DenseKernel.Forward(rows, reordered, bias, y.Slice(b * outputSize, outputSize), outSteps, window, filters);
            }

            return;
        }

        Span<T> input = scratch.Slice(0, inputSize);
        Span<T> output = scratch.Slice(2 * inputSize, outputSize);
        for (int b = 0; b < batch; b++)
        {
            Gemm.Transpose<T>(x.Slice(b * inputSize, inputSize), input, geometry.Steps, geometry.Features);
            Conv2DKernel.Forward<T>(input, weight, bias, output, columns, batch: 1, filters, geometry.Image);
            Gemm.Transpose<T>(output, y.Slice(b * outputSize, outputSize), filters, outSteps);
        }
    }

    /// <summary>
    /// Adds the weight and bias gradients (no bias gradient when <paramref name="biasGradient"/> is empty) and, when
    /// <paramref name="dx"/> is not empty, writes the input gradient, <c>[batch, steps, features]</c>. Scratch as for
    /// <see cref="Forward{T}"/>, with <paramref name="columnGradient"/> of <see cref="ColumnLength"/>.
    /// </summary>
    public static void Backward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> dy, Span<T> weightGradient, Span<T> biasGradient, Span<T> dx,
        Span<T> columns, Span<T> columnGradient, Span<T> scratch, int batch, int filters, SequenceGeometry geometry)
        where T : IFloatingPointIeee754<T>
    {
        int inputSize = geometry.InputSize;
        int outSteps = geometry.OutSteps;
        int outputSize = outSteps * filters;
        if (geometry.Groups == 1)
        {
            int window = geometry.Kernel * geometry.Features;
            Span<T> rows = columns.Slice(0, outSteps * window);
            Span<T> rowGradient = dx.IsEmpty ? Span<T>.Empty : columnGradient.Slice(0, outSteps * window);
            Span<T> reordered = scratch.Slice(0, filters * window);
            Span<T> reorderedGradient = scratch.Slice(filters * window, filters * window);
            ToStepMajor(weight, reordered, filters, geometry);
            reorderedGradient.Clear();
            for (int b = 0; b < batch; b++)
            {
                Unfold(x.Slice(b * inputSize, inputSize), rows, geometry);
                DenseKernel.Backward(rows, reordered, dy.Slice(b * outputSize, outputSize), reorderedGradient, biasGradient, rowGradient, outSteps, window, filters);
                if (!dx.IsEmpty)
                {
                    Span<T> inputGradient = dx.Slice(b * inputSize, inputSize);
                    inputGradient.Clear();
                    Fold(rowGradient, inputGradient, geometry);
                }
            }

            AddFeatureMajor(reorderedGradient, weightGradient, filters, geometry);
            return;
        }

        Span<T> input = scratch.Slice(0, inputSize);
        Span<T> transposedInputGradient = dx.IsEmpty ? Span<T>.Empty : scratch.Slice(inputSize, inputSize);
        Span<T> outputGradient = scratch.Slice(2 * inputSize, outputSize);
        for (int b = 0; b < batch; b++)
        {
            Gemm.Transpose<T>(x.Slice(b * inputSize, inputSize), input, geometry.Steps, geometry.Features);
            Gemm.Transpose<T>(dy.Slice(b * outputSize, outputSize), outputGradient, outSteps, filters);
            Conv2DKernel.Backward<T>(
                input, weight, outputGradient, weightGradient, biasGradient, transposedInputGradient, columns, columnGradient, batch: 1, filters, geometry.Image);
            if (!dx.IsEmpty)
            {
                Gemm.Transpose<T>(transposedInputGradient, dx.Slice(b * inputSize, inputSize), geometry.Features, geometry.Steps);
            }
        }
    }

    /// <summary>im2row: row <c>t</c> holds input steps <c>t*stride + j*dilation - padding</c> for <c>j</c> = 0 to kernel - 1, side by side, zeros outside.</summary>
    private static void Unfold<T>(ReadOnlySpan<T> sample, Span<T> rows, SequenceGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        int target = 0;
        for (int t = 0; t < g.OutSteps; t++)
        {
            for (int j = 0; j < g.Kernel; j++, target += g.Features)
            {
                int step = (t * g.Stride) + (j * g.Dilation) - g.Padding;
                if ((uint)step < (uint)g.Steps)
                {
                    sample.Slice(step * g.Features, g.Features).CopyTo(rows.Slice(target, g.Features));
                }
                else
                {
                    rows.Slice(target, g.Features).Clear();
                }
            }
        }
    }

    /// <summary>row2im: adds every row's gradient back into the input steps it was read from.</summary>
    private static void Fold<T>(ReadOnlySpan<T> rows, Span<T> sample, SequenceGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        int source = 0;
        for (int t = 0; t < g.OutSteps; t++)
        {
            for (int j = 0; j < g.Kernel; j++, source += g.Features)
            {
                int step = (t * g.Stride) + (j * g.Dilation) - g.Padding;
                if ((uint)step < (uint)g.Steps)
                {
                    Span<T> target = sample.Slice(step * g.Features, g.Features);
                    TensorPrimitives.Add(target, rows.Slice(source, g.Features), target);
                }
            }
        }
    }

    /// <summary>PyTorch's <c>[filters, features, kernel]</c> to the rows' order, <c>[filters, kernel, features]</c>.</summary>
    private static void ToStepMajor<T>(ReadOnlySpan<T> weight, Span<T> reordered, int filters, SequenceGeometry g)
    {
        for (int f = 0; f < filters; f++)
        {
            for (int c = 0; c < g.Features; c++)
            {
                for (int j = 0; j < g.Kernel; j++)
                {
                    reordered[(((f * g.Kernel) + j) * g.Features) + c] = weight[(((f * g.Features) + c) * g.Kernel) + j];
                }
            }
        }
    }

    /// <summary>Adds a gradient in the rows' order, <c>[filters, kernel, features]</c>, into PyTorch's <c>[filters, features, kernel]</c>.</summary>
    private static void AddFeatureMajor<T>(ReadOnlySpan<T> reordered, Span<T> weightGradient, int filters, SequenceGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        for (int f = 0; f < filters; f++)
        {
            for (int c = 0; c < g.Features; c++)
            {
                for (int j = 0; j < g.Kernel; j++)
                {
                    weightGradient[(((f * g.Features) + c) * g.Kernel) + j] += reordered[(((f * g.Kernel) + j) * g.Features) + c];
                }
            }
        }
    }
}
