using System;
using System.Numerics;

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
/// It is the 2-D convolution of <see cref="Conv2DKernel"/> with height 1 (<see cref="SequenceGeometry.Image"/>), on each
/// sample transposed to <c>[features, steps]</c> and back, so that the unfolding, the grouped products and the folding
/// are the 2-D kernel's. The two transposes move <c>steps * (features + filters)</c> values per sample, against the
/// <c>steps' * filters * kernel * features / groups</c> multiply-adds of the products.
/// </remarks>
public static class Conv1DKernel
{
    /// <summary>The scratch <see cref="Forward{T}"/> and <see cref="Backward{T}"/> take for the unfolded input (and its gradient): <c>features * kernel * steps'</c>.</summary>
    public static int ColumnLength(SequenceGeometry geometry) => geometry.Features * geometry.Kernel * geometry.OutSteps;

    /// <summary>The scratch <see cref="Forward{T}"/> and <see cref="Backward{T}"/> take for one sample in PyTorch's <c>[features, steps]</c> layout: its input, input gradient and output.</summary>
    public static int TransposedLength(int filters, SequenceGeometry geometry) => (2 * geometry.InputSize) + (filters * geometry.OutSteps);

    /// <summary>
    /// <c>y[b] = (weight ∗ x[b]) + bias</c> for every sample (no bias when <paramref name="bias"/> is empty), <c>x</c>
    /// <c>[batch, steps, features]</c> and <c>y</c> <c>[batch, steps', filters]</c>. <paramref name="columns"/> and
    /// <paramref name="transposed"/> are scratch of <see cref="ColumnLength"/> and <see cref="TransposedLength"/>.
    /// </summary>
    public static void Forward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y, Span<T> columns, Span<T> transposed, int batch, int filters, SequenceGeometry geometry)
        where T : IFloatingPointIeee754<T>
    {
        int inputSize = geometry.InputSize;
        int outSteps = geometry.OutSteps;
        int outputSize = outSteps * filters;
        Span<T> input = transposed.Slice(0, inputSize);
        Span<T> output = transposed.Slice(2 * inputSize, outputSize);
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
        Span<T> columns, Span<T> columnGradient, Span<T> transposed, int batch, int filters, SequenceGeometry geometry)
        where T : IFloatingPointIeee754<T>
    {
        int inputSize = geometry.InputSize;
        int outSteps = geometry.OutSteps;
        int outputSize = outSteps * filters;
        Span<T> input = transposed.Slice(0, inputSize);
        Span<T> inputGradient = dx.IsEmpty ? Span<T>.Empty : transposed.Slice(inputSize, inputSize);
        Span<T> outputGradient = transposed.Slice(2 * inputSize, outputSize);
        for (int b = 0; b < batch; b++)
        {
            Gemm.Transpose<T>(x.Slice(b * inputSize, inputSize), input, geometry.Steps, geometry.Features);
            Gemm.Transpose<T>(dy.Slice(b * outputSize, outputSize), outputGradient, outSteps, filters);
            Conv2DKernel.Backward<T>(
                input, weight, outputGradient, weightGradient, biasGradient, inputGradient, columns, columnGradient, batch: 1, filters, geometry.Image);
            if (!dx.IsEmpty)
            {
                Gemm.Transpose<T>(inputGradient, dx.Slice(b * inputSize, inputSize), geometry.Features, geometry.Steps);
            }
        }
    }
}
