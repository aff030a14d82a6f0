using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Kernels;

/// <summary>
/// The affine part of a dense layer, <c>z = x W^T + b</c>, with <c>W</c> laid out <c>[outputs, inputs]</c> as in
/// PyTorch's <c>nn.Linear</c>. Generated code calls these with compile-time constant sizes.
/// </summary>
public static class DenseKernel
{
    /// <summary>
    /// <c>z[batch, outputs] = x[batch, inputs] W[outputs, inputs]^T + b[outputs]</c>, then <c>z = max(z, 0)</c> when
    /// <paramref name="relu"/> is set (the bias and the ReLU are the product's fused epilogue).
    /// </summary>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> z, int batch, int inputs, int outputs, bool relu = false)
        where T : IFloatingPointIeee754<T>
        => Gemm.MultiplyTransposedB(x, weight, bias, z, batch, outputs, inputs, relu);

    /// <summary>
    /// Given <c>dz = dL/dz</c>, accumulates <c>dW += dz^T x</c> and <c>db += sum over the batch of dz</c>, and,
    /// when <paramref name="dx"/> is not empty, writes <c>dx = dz W</c>.
    /// </summary>
    public static void Backward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> dz,
        Span<T> weightGradient, Span<T> biasGradient, Span<T> dx,
        int batch, int inputs, int outputs)
        where T : IFloatingPointIeee754<T>
    {
        Gemm.MultiplyTransposedA(dz, x, weightGradient, outputs, inputs, batch, accumulate: true);
        AddColumnSums(dz, biasGradient, batch, outputs);

        if (!dx.IsEmpty)
        {
            Gemm.Multiply(dz, weight, dx, batch, inputs, outputs, accumulate: false);
        }
    }

    /// <summary><c>sums[j] += sum over the rows of values[row, j]</c>: a bias gradient.</summary>
    private static void AddColumnSums<T>(ReadOnlySpan<T> values, Span<T> sums, int rows, int columns)
        where T : IFloatingPointIeee754<T>
    {
        if (columns >= Activations.ShortRow)
        {
            for (int row = 0; row < rows; row++)
            {
                TensorPrimitives.Add(sums, values.Slice(row * columns, columns), sums);
            }

            return;
        }

        // Few columns (an output layer with a few classes): plain loops, not a library call per row.
        sums = sums.Slice(0, columns);
        values = values.Slice(0, rows * columns);
        for (int row = 0; row < rows; row++)
        {
            ReadOnlySpan<T> rowValues = values.Slice(row * columns, columns);
            for (int j = 0; j < sums.Length; j++)
            {
                sums[j] += rowValues[j];
            }
        }
    }
}
