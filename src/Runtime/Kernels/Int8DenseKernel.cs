using System;

namespace TypedNets.Kernels;

/// <summary>
/// A dense layer's affine part, <c>y = x W^T + b</c>, on int8 weights quantised once with
/// <see cref="Int8Quantization.QuantizeWeightsPerChannel"/> and activations quantised per row at each call: PyTorch's
/// <c>quantize_dynamic</c> on an <c>nn.Linear</c> and ONNX Runtime's dynamically quantised <c>MatMulInteger</c>.
/// </summary>
public static class Int8DenseKernel
{
    /// <summary>
    /// Quantises <paramref name="x"/> <c>[batch, inputs]</c> per row into <paramref name="quantizedInput"/>, multiplies
    /// it by the int8 <paramref name="weight"/> in int32 into <paramref name="product"/>, and dequantises into
    /// <paramref name="y"/> <c>[batch, outputs]</c> with the bias (none when <paramref name="bias"/> is empty). The
    /// four scratch spans are the caller's, so a call allocates nothing.
    /// </summary>
    /// <param name="x">The float activations, <c>[batch, inputs]</c>.</param>
    /// <param name="weight">The quantised weight, <c>[outputs, Int8Gemm.PaddedDepth(inputs)]</c>.</param>
    /// <param name="weightScale">The weight's channel scales, <c>[outputs]</c>.</param>
    /// <param name="weightRowSums">The weight's sums of codes per channel, <c>[outputs]</c>.</param>
    /// <param name="bias">The float bias, <c>[outputs]</c>, or empty.</param>
    /// <param name="y">Receives the outputs, <c>[batch, outputs]</c>.</param>
    /// <param name="quantizedInput">Scratch for the activations' codes, <c>[batch, Int8Gemm.PaddedDepth(inputs)]</c>.</param>
    /// <param name="inputScale">Scratch for the activations' row scales, <c>[batch]</c>.</param>
    /// <param name="inputZeroPoint">Scratch for the activations' row zero points, <c>[batch]</c>.</param>
    /// <param name="product">Scratch for the int32 products, <c>[batch, outputs]</c>.</param>
    /// <param name="batch">The rows.</param>
    /// <param name="inputs">The layer's inputs.</param>
    /// <param name="outputs">The layer's outputs.</param>
    /// <param name="path">The GEMM's instructions (<see cref="Int8GemmPath.Auto"/> unless testing).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative or <paramref name="inputs"/> is above <see cref="Int8Gemm.MaxDepth"/>.</exception>
    /// <exception cref="ArgumentException">A span is shorter than its shape, <paramref name="x"/> is not finite, or the weight's padding is not zero.</exception>
    /// <exception cref="PlatformNotSupportedException"><paramref name="path"/> needs instructions this CPU lacks.</exception>
    public static void Forward(
        ReadOnlySpan<float> x, ReadOnlySpan<sbyte> weight, ReadOnlySpan<float> weightScale, ReadOnlySpan<int> weightRowSums,
        ReadOnlySpan<float> bias, Span<float> y,
        Span<byte> quantizedInput, Span<float> inputScale, Span<int> inputZeroPoint, Span<int> product,
        int batch, int inputs, int outputs, Int8GemmPath path = Int8GemmPath.Auto)
    {
        Int8Quantization.QuantizeRowsDynamic(x, quantizedInput, inputScale, inputZeroPoint, batch, inputs);
        Int8Gemm.MultiplyTransposedB(quantizedInput, weight, product, batch, outputs, inputs, path);
        Int8Quantization.Dequantize(product, inputScale, inputZeroPoint, weightScale, weightRowSums, bias, y, batch, outputs);
    }
}
