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
    /// <summary><c>z[batch, outputs] = x[batch, inputs] W[outputs, inputs]^T + b[outputs]</c>.</summary>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> z, int batch, int inputs, int outputs)
        where T : IFloatingPointIeee754<T>
        => Gemm.MultiplyTransposedBAddBias(x, weight, bias, z, batch, outputs, inputs);

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
        for (int row = 0; row < batch; row++)
        {
            TensorPrimitives.Add(biasGradient, dz.Slice(row * outputs, outputs), biasGradient);
        }

        if (!dx.IsEmpty)
        {
            Gemm.Multiply(dz, weight, dx, batch, inputs, outputs, accumulate: false);
        }
    }
}
