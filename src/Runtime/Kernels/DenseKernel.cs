using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TypedNets.Kernels;

/// <summary>
/// The affine part of a dense layer, <c>z = x W^T + b</c>, with <c>W</c> laid out <c>[outputs, inputs]</c> as in
/// PyTorch's <c>nn.Linear</c>. Generated code calls these with compile-time constant sizes.
/// </summary>
public static class DenseKernel
{
    /// <summary>
    /// <c>z[batch, outputs] = x[batch, inputs] W[outputs, inputs]^T + b[outputs]</c>, then <c>z = max(z, 0)</c> when
    /// <paramref name="relu"/> is set (the bias and the ReLU are the product's fused epilogue). An empty
    /// <paramref name="bias"/> is a layer without one.
    /// </summary>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> z, int batch, int inputs, int outputs, bool relu = false)
        where T : IFloatingPointIeee754<T>
        => Gemm.MultiplyTransposedB(x, weight, bias, z, batch, outputs, inputs, relu);

    /// <summary>
    /// Given <c>dz = dL/dz</c>, accumulates <c>dW += dz^T x</c> and <c>db += sum over the batch of dz</c> (unless
    /// <paramref name="biasGradient"/> is empty: a layer without bias), and, when <paramref name="dx"/> is not empty,
    /// writes <c>dx = dz W</c>.
    /// </summary>
    public static void Backward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> dz,
        Span<T> weightGradient, Span<T> biasGradient, Span<T> dx,
        int batch, int inputs, int outputs)
        where T : IFloatingPointIeee754<T>
    {
        Gemm.MultiplyTransposedA(dz, x, weightGradient, outputs, inputs, batch, accumulate: true);
        if (!biasGradient.IsEmpty)
        {
            AddColumnSums(dz, biasGradient, batch, outputs);
        }

        if (!dx.IsEmpty)
        {
            Gemm.Multiply(dz, weight, dx, batch, inputs, outputs, accumulate: false);
        }
    }

    /// <summary>
    /// A whole dense layer forward: <c>y = activation(x W^T + b)</c> over <paramref name="rows"/> rows. With a
    /// non-empty <paramref name="preActivation"/> the affine result is kept there for the backward pass (a GELU reads
    /// it; a loss fuses with a Softmax or Sigmoid output through it); otherwise it is computed in <paramref name="y"/>,
    /// a ReLU as the product's epilogue and other activations in place. In a quantised network
    /// <paramref name="int8"/> is the layer's weight in int8 and the product runs on it. In an inference pass
    /// <paramref name="packed"/> says where the weight's form packed for the GEMM is kept (see
    /// <see cref="NetworkEngine{T}.PackedAt"/>): products that run on packed blocks then read it instead of packing the
    /// weight again, with the same result to the bit.
    /// </summary>
    /// <remarks>Inlined, so that the switch on a call site's constant activation folds away.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Layer<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> preActivation, Span<T> y,
        int rows, int inputs, int outputs, Activation activation, Int8Weight? int8 = null, PackedWeight packed = default)
        where T : IFloatingPointIeee754<T>
    {
        // A quantised network's weight runs the int8 product instead (not while it is being calibrated).
        bool quantized = int8 is not null && Int8Weight.TryMultiply(int8, x, bias, preActivation.IsEmpty ? y : preActivation, rows);
        if (preActivation.IsEmpty)
        {
            bool fusedReLU = activation == Activation.ReLU && !quantized;
            if (!quantized)
            {
                Affine(x, weight, bias, y, rows, inputs, outputs, fusedReLU, packed);
            }

            if (!fusedReLU)
            {
                Activations.Forward(activation, y, y, outputs);
            }

            return;
        }

        if (!quantized)
        {
            Affine(x, weight, bias, preActivation, rows, inputs, outputs, relu: false, packed);
        }

        if (activation is not (Activation.GELU or Activation.GeluTanh))
        {
            preActivation.CopyTo(y);
        }

        Activations.Forward(activation, preActivation, y, outputs);
    }

    /// <summary><see cref="Forward{T}"/>, on the prepacked weight where there is one and the product would pack it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Affine<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> z, int rows, int inputs, int outputs, bool relu, PackedWeight packed)
        where T : IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && packed.Weights is not null && Gemm.UsesPrepackedTransposedB(rows, outputs, inputs))
        {
            ForwardPrepacked(FloatSpans.AsFloat(x), FloatSpans.AsFloat(weight), FloatSpans.AsFloat(bias), FloatSpans.AsFloat(z), rows, inputs, outputs, relu, packed);
            return;
        }

        Forward(x, weight, bias, z, rows, inputs, outputs, relu);
    }

    private static unsafe void ForwardPrepacked(
        ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> z, int rows, int inputs, int outputs, bool relu, PackedWeight packed)
    {
        PackedWeights.Packing packing = packed.Weights!.Acquire(packed.Offset, weight.Slice(0, outputs * inputs), outputs, inputs);
        try
        {
            Gemm.MultiplyTransposedBPrepacked(x, weight, packing.Start, bias, z, rows, outputs, inputs, relu);
        }
        finally
        {
            packing.Release();
        }
    }

    /// <summary>
    /// A whole dense layer backward from <c>dL/dy</c> in <paramref name="dy"/> (overwritten with <c>dL/dz</c>; it is
    /// <c>dL/dz</c> already when <paramref name="dyIsPreActivation"/>, as a loss fused with the activation hands it
    /// over): accumulates the weight and bias gradients and, when <paramref name="dx"/> is not empty, writes
    /// <c>dL/dx</c> to its start. <paramref name="y"/> and <paramref name="preActivation"/> are the forward pass's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LayerBackward<T>(
        ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> y, ReadOnlySpan<T> preActivation, Span<T> dy,
        Span<T> weightGradient, Span<T> biasGradient, Span<T> dx, int rows, int inputs, int outputs, Activation activation,
        bool dyIsPreActivation = false)
        where T : IFloatingPointIeee754<T>
    {
        Span<T> dz = dy.Slice(0, rows * outputs);
        if (!dyIsPreActivation)
        {
            Activations.Backward(activation, y, preActivation, dz, outputs);
        }

        Backward(x, weight, dz, weightGradient, biasGradient, dx.IsEmpty ? dx : dx.Slice(0, rows * inputs), rows, inputs, outputs);
    }

    /// <summary><c>sums[j] += sum over the rows of values[row, j]</c>: the bias gradient of a dense or recurrent layer.</summary>
    /// <remarks>
    /// Every column is summed row after row, whatever the path. Float keeps a block of up to eight vectors of column
    /// sums in registers across all rows, rather than loading and storing the sum once per row; the columns left over
    /// take a library call per row where they are many, plain loops where they are few (a classifier's output layer).
    /// </remarks>
    internal static void AddColumnSums<T>(ReadOnlySpan<T> values, Span<T> sums, int rows, int columns)
        where T : IFloatingPointIeee754<T>
    {
        sums = sums.Slice(0, columns);
        values = values.Slice(0, rows * columns);
        int column = 0;
        if (typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated)
        {
            column = AddColumnSumsVectorized(FloatSpans.AsFloat(values), FloatSpans.AsFloat(sums), rows, columns);
        }

        int left = columns - column;
        if (left >= Activations.ShortRow)
        {
            Span<T> target = sums.Slice(column);
            for (int start = column; start < values.Length; start += columns)
            {
                TensorPrimitives.Add(target, values.Slice(start, left), target);
            }

            return;
        }

        for (int start = 0; start < values.Length; start += columns)
        {
            for (int j = column; j < columns; j++)
            {
                sums[j] += values[start + j];
            }
        }
    }

    private static int AddColumnSumsVectorized(ReadOnlySpan<float> matrix, Span<float> sum, int rows, int width)
    {
        const int Width = 16;
        ref float m = ref MemoryMarshal.GetReference(matrix);
        ref float s = ref MemoryMarshal.GetReference(sum);
        int column = 0;
        for (; column + (8 * Width) <= width; column += 8 * Width)
        {
            nuint c = (nuint)column;
            Vector512<float> s0 = Vector512.LoadUnsafe(ref s, c), s1 = Vector512.LoadUnsafe(ref s, c + Width);
            Vector512<float> s2 = Vector512.LoadUnsafe(ref s, c + (2 * Width)), s3 = Vector512.LoadUnsafe(ref s, c + (3 * Width));
            Vector512<float> s4 = Vector512.LoadUnsafe(ref s, c + (4 * Width)), s5 = Vector512.LoadUnsafe(ref s, c + (5 * Width));
            Vector512<float> s6 = Vector512.LoadUnsafe(ref s, c + (6 * Width)), s7 = Vector512.LoadUnsafe(ref s, c + (7 * Width));
            for (int row = 0; row < rows; row++)
            {
                ref float r = ref Unsafe.Add(ref m, (row * width) + column);
                s0 += Vector512.LoadUnsafe(ref r);
                s1 += Vector512.LoadUnsafe(ref r, Width);
                s2 += Vector512.LoadUnsafe(ref r, 2 * Width);
                s3 += Vector512.LoadUnsafe(ref r, 3 * Width);
                s4 += Vector512.LoadUnsafe(ref r, 4 * Width);
                s5 += Vector512.LoadUnsafe(ref r, 5 * Width);
                s6 += Vector512.LoadUnsafe(ref r, 6 * Width);
                s7 += Vector512.LoadUnsafe(ref r, 7 * Width);
            }

            s0.StoreUnsafe(ref s, c);
            s1.StoreUnsafe(ref s, c + Width);
            s2.StoreUnsafe(ref s, c + (2 * Width));
            s3.StoreUnsafe(ref s, c + (3 * Width));
            s4.StoreUnsafe(ref s, c + (4 * Width));
            s5.StoreUnsafe(ref s, c + (5 * Width));
            s6.StoreUnsafe(ref s, c + (6 * Width));
            s7.StoreUnsafe(ref s, c + (7 * Width));
        }

        for (; column + Width <= width; column += Width)
        {
            Vector512<float> total = Vector512.LoadUnsafe(ref s, (nuint)column);
            for (int row = 0; row < rows; row++)
            {
                total += Vector512.LoadUnsafe(ref m, (nuint)((row * width) + column));
            }

            total.StoreUnsafe(ref s, (nuint)column);
        }

        return column;
    }
}
