using System;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace TypedNets.Kernels;

/// <summary>
/// Post-training int8 quantisation of a dense layer, with the semantics of PyTorch's <c>quantize_dynamic</c> and ONNX
/// Runtime's dynamic quantisation: weights symmetric per output channel to <c>[-127, 127]</c> once, activations
/// asymmetric per row to <c>[0, 255]</c> with a zero point at every call (ONNX's <c>DynamicQuantizeLinear</c>), and an
/// epilogue that turns <see cref="Int8Gemm"/>'s int32 products back into floats.
/// </summary>
/// <remarks>
/// Every quantised row is written <see cref="Int8Gemm.PaddedDepth"/> bytes apart with its padding zero, the layout
/// <see cref="Int8Gemm.MultiplyTransposedB"/> reads. Rounding is to nearest with halves to even, as ONNX's
/// <c>QuantizeLinear</c> and <c>std::nearbyint</c>.
/// </remarks>
public static class Int8Quantization
{
    /// <summary>
    /// ONNX's <c>DynamicQuantizeLinear</c> on each row of <paramref name="x"/> <c>[rows, columns]</c>: the range
    /// <c>[min(0, min x), max(0, max x)]</c> (so that zero is exact), <c>scale = (max - min) / 255</c> (1 when the
    /// range is empty), <c>zeroPoint = round(-min / scale)</c> clamped to <c>[0, 255]</c>, and
    /// <c>q = clamp(round(x / scale) + zeroPoint, 0, 255)</c>, so <c>x ≈ scale (q - zeroPoint)</c>.
    /// </summary>
    /// <param name="x">The activations, <c>[rows, columns]</c>.</param>
    /// <param name="quantized">Receives the codes, <c>[rows, Int8Gemm.PaddedDepth(columns)]</c>, with zero padding.</param>
    /// <param name="scale">Receives each row's scale, <c>[rows]</c>.</param>
    /// <param name="zeroPoint">Receives each row's zero point, <c>[rows]</c>, in <c>[0, 255]</c>.</param>
    /// <param name="rows">The rows (the batch).</param>
    /// <param name="columns">The values per row (the inputs).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> or <paramref name="columns"/> is negative, or <paramref name="columns"/> is above <see cref="Int8Gemm.MaxDepth"/>.</exception>
    /// <exception cref="ArgumentException">A span is shorter than its shape, or <paramref name="x"/> holds a NaN or an infinity (which has no scale).</exception>
    public static void QuantizeRowsDynamic(ReadOnlySpan<float> x, Span<byte> quantized, Span<float> scale, Span<int> zeroPoint, int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        int stride = Int8Gemm.PaddedDepth(columns);
        Int8Gemm.RequireLength(x.Length, rows, columns, nameof(x));
        Int8Gemm.RequireLength(quantized.Length, rows, stride, nameof(quantized), padded: true);
        Int8Gemm.RequireLength(scale.Length, rows, nameof(scale));
        Int8Gemm.RequireLength(zeroPoint.Length, rows, nameof(zeroPoint));
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = x.Slice(r * columns, columns);
            if (!RangeWithZero(row, out float min, out float max))
            {
                throw new ArgumentException($"Row {r} of the activations holds a NaN or an infinity, which has no int8 scale; quantise only finite activations.", nameof(x));
            }

            // ONNX Runtime's GetQuantizationParameter, in float as it computes it.
            float s = max == min ? 1f : (max - min) / 255f;
            float zero = MathF.Round(Math.Clamp(0f - (min / s), 0f, 255f));
            scale[r] = s;
            zeroPoint[r] = (int)zero;

            Encode(row, quantized.Slice(r * stride, stride), s, zero);
        }
    }

    /// <summary>
    /// ONNX's <c>QuantizeLinear</c> to <c>uint8</c> on each row of <paramref name="x"/> <c>[rows, columns]</c> with one
    /// fixed <paramref name="scale"/> and <paramref name="zeroPoint"/>, as a static quantisation calibrated beforehand:
    /// <c>q = clamp(round(x / scale) + zeroPoint, 0, 255)</c>; values outside the calibrated range saturate.
    /// </summary>
    /// <param name="x">The activations, <c>[rows, columns]</c>.</param>
    /// <param name="quantized">Receives the codes, <c>[rows, Int8Gemm.PaddedDepth(columns)]</c>, with zero padding.</param>
    /// <param name="scale">The step between codes, positive and finite.</param>
    /// <param name="zeroPoint">The code of 0, in [0, 255].</param>
    /// <param name="rows">The rows.</param>
    /// <param name="columns">The values in a row.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative, <paramref name="columns"/> is above <see cref="Int8Gemm.MaxDepth"/>, <paramref name="scale"/> is not positive and finite or <paramref name="zeroPoint"/> is outside [0, 255].</exception>
    /// <exception cref="ArgumentException">A span is shorter than its shape, or a row holds a NaN or an infinity.</exception>
    public static void QuantizeRows(ReadOnlySpan<float> x, Span<byte> quantized, float scale, int zeroPoint, int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        if (!(scale > 0 && float.IsFinite(scale)))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "A quantisation scale must be positive and finite.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(zeroPoint);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(zeroPoint, 255);
        int stride = Int8Gemm.PaddedDepth(columns);
        Int8Gemm.RequireLength(x.Length, rows, columns, nameof(x));
        Int8Gemm.RequireLength(quantized.Length, rows, stride, nameof(quantized), padded: true);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = x.Slice(r * columns, columns);
            // A saturating clamp would hide a NaN or an infinity in a code.
            if (!RangeWithZero(row, out _, out _))
            {
                throw new ArgumentException($"Row {r} of the activations holds a NaN or an infinity, which has no int8 code; quantise only finite activations.", nameof(x));
            }

            Encode(row, quantized.Slice(r * stride, stride), scale, zeroPoint);
        }
    }

    /// <summary>
    /// <c>min(0, min row)</c> and <c>max(0, max row)</c> in one pass (two library passes were half the quantiser's
    /// time), and whether every value is finite: the raw <c>vminps</c> and <c>vmaxps</c> may drop a NaN, so NaNs are
    /// looked for on their own (a value unequal to itself), and an infinity shows in the range.
    /// </summary>
    internal static bool RangeWithZero(ReadOnlySpan<float> row, out float min, out float max)
    {
        min = 0;
        max = 0;
        bool nan = false;
        int p = 0;
        if (Vector256.IsHardwareAccelerated && row.Length >= 8)
        {
            Vector256<float> low = Vector256<float>.Zero, high = Vector256<float>.Zero, unordered = Vector256<float>.Zero;
            for (; p + 8 <= row.Length; p += 8)
            {
                Vector256<float> v = Vector256.Create(row.Slice(p, 8));
                low = Vector256.MinNative(low, v);
                high = Vector256.MaxNative(high, v);
                unordered |= ~Vector256.Equals(v, v);
            }

            nan = unordered != Vector256<float>.Zero;
            for (int lane = 0; lane < 8; lane++)
            {
                min = MathF.Min(min, low[lane]);
                max = MathF.Max(max, high[lane]);
            }
        }

        for (; p < row.Length; p++)
        {
            float v = row[p];
            nan |= float.IsNaN(v);
            min = MathF.Min(min, v);
            max = MathF.Max(max, v);
        }

        return !nan && float.IsFinite(min) && float.IsFinite(max);
    }

    /// <summary>One row's codes, <c>clamp(round(x / scale) + zeroPoint, 0, 255)</c>, and its padding zeroed.</summary>
    private static void Encode(ReadOnlySpan<float> row, Span<byte> q, float s, float zero)
    {
        int columns = row.Length;
        int p = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // The same IEEE division, round-half-to-even, addition and clamp as the scalar loop, 32 values at a
            // time, so the codes do not depend on the path; the clamped values narrow to bytes exactly.
            var divisor = Vector256.Create(s);
            var offset = Vector256.Create(zero);
            var low = Vector256<float>.Zero;
            var high = Vector256.Create(255f);
            for (; p + 32 <= columns; p += 32)
            {
                Vector256<int> i0 = Vector256.ConvertToInt32(Vector256.Clamp(Vector256.Round(Vector256.Create(row.Slice(p, 8)) / divisor) + offset, low, high));
                Vector256<int> i1 = Vector256.ConvertToInt32(Vector256.Clamp(Vector256.Round(Vector256.Create(row.Slice(p + 8, 8)) / divisor) + offset, low, high));
                Vector256<int> i2 = Vector256.ConvertToInt32(Vector256.Clamp(Vector256.Round(Vector256.Create(row.Slice(p + 16, 8)) / divisor) + offset, low, high));
                Vector256<int> i3 = Vector256.ConvertToInt32(Vector256.Clamp(Vector256.Round(Vector256.Create(row.Slice(p + 24, 8)) / divisor) + offset, low, high));
                Vector256<ushort> w0 = Vector256.Narrow(i0.AsUInt32(), i1.AsUInt32());
                Vector256<ushort> w1 = Vector256.Narrow(i2.AsUInt32(), i3.AsUInt32());
                Vector256.Narrow(w0, w1).CopyTo(q.Slice(p, 32));
            }
        }

        for (; p < columns; p++)
        {
            q[p] = (byte)Math.Clamp(MathF.Round(row[p] / s) + zero, 0f, 255f);
        }

        q[columns..].Clear();
    }

    /// <summary>
    /// Symmetric per-output-channel int8 quantisation of a dense weight <paramref name="weight"/>
    /// <c>[outputs, inputs]</c>: for each output, <c>scale = max |w| / 127</c> (1 for an all-zero row) and
    /// <c>q = clamp(round(w / scale), -127, 127)</c>, so <c>w ≈ scale q</c>; with each row's sum of codes, which the
    /// epilogue needs to take the activations' zero point out of the product.
    /// </summary>
    /// <param name="weight">The float weight, <c>[outputs, inputs]</c> (PyTorch's <c>nn.Linear</c> layout).</param>
    /// <param name="quantized">Receives the codes, <c>[outputs, Int8Gemm.PaddedDepth(inputs)]</c>, with zero padding.</param>
    /// <param name="scale">Receives each output's scale, <c>[outputs]</c>.</param>
    /// <param name="rowSums">Receives each output's sum of codes, <c>[outputs]</c>.</param>
    /// <param name="outputs">The rows (the layer's units).</param>
    /// <param name="inputs">The values per row.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outputs"/> or <paramref name="inputs"/> is negative, or <paramref name="inputs"/> is above <see cref="Int8Gemm.MaxDepth"/>.</exception>
    /// <exception cref="ArgumentException">A span is shorter than its shape, or <paramref name="weight"/> holds a NaN or an infinity.</exception>
    public static void QuantizeWeightsPerChannel(ReadOnlySpan<float> weight, Span<sbyte> quantized, Span<float> scale, Span<int> rowSums, int outputs, int inputs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(outputs);
        int stride = Int8Gemm.PaddedDepth(inputs);
        Int8Gemm.RequireLength(weight.Length, outputs, inputs, nameof(weight));
        Int8Gemm.RequireLength(quantized.Length, outputs, stride, nameof(quantized), padded: true);
        Int8Gemm.RequireLength(scale.Length, outputs, nameof(scale));
        Int8Gemm.RequireLength(rowSums.Length, outputs, nameof(rowSums));
        for (int o = 0; o < outputs; o++)
        {
            ReadOnlySpan<float> row = weight.Slice(o * inputs, inputs);
            float largest = inputs == 0 ? 0 : MathF.Abs(TensorPrimitives.MaxMagnitude(row));
            if (!float.IsFinite(largest))
            {
                throw new ArgumentException($"Row {o} of the weight holds a NaN or an infinity, which has no int8 scale; quantise only finite weights.", nameof(weight));
            }

            float s = largest == 0 ? 1f : largest / 127f;
            scale[o] = s;
            Span<sbyte> q = quantized.Slice(o * stride, stride);
            int sum = 0;
            for (int p = 0; p < inputs; p++)
            {
                // The clamp only catches a quotient that float rounding puts a hair above 127.
                var code = (sbyte)Math.Clamp(MathF.Round(row[p] / s), -127f, 127f);
                q[p] = code;
                sum += code;
            }

            q[inputs..].Clear();
            rowSums[o] = sum;
        }
    }

    /// <summary>
    /// The dequantising epilogue: <c>y[r, o] = scaleA[r] scaleB[o] (product[r, o] - zeroPointA[r] rowSumsB[o]) + bias[o]</c>,
    /// which is <c>sum_k scaleA (qa - zeroPointA) scaleB qb</c>, the product of the dequantised operands. An empty
    /// <paramref name="bias"/> is a layer without one.
    /// </summary>
    /// <param name="product">The int32 products from <see cref="Int8Gemm.MultiplyTransposedB"/>, <c>[rows, outputs]</c>.</param>
    /// <param name="inputScale">The activations' row scales, <c>[rows]</c>.</param>
    /// <param name="inputZeroPoint">The activations' row zero points, <c>[rows]</c>.</param>
    /// <param name="weightScale">The weight's channel scales, <c>[outputs]</c>.</param>
    /// <param name="weightRowSums">The weight's sums of codes per channel, <c>[outputs]</c>.</param>
    /// <param name="bias">The float bias, <c>[outputs]</c>, or empty.</param>
    /// <param name="y">Receives the float outputs, <c>[rows, outputs]</c>.</param>
    /// <param name="rows">The rows (the batch).</param>
    /// <param name="outputs">The outputs per row.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> or <paramref name="outputs"/> is negative.</exception>
    /// <exception cref="ArgumentException">A span is shorter than its shape (or <paramref name="bias"/> neither empty nor <c>[outputs]</c>).</exception>
    public static void Dequantize(
        ReadOnlySpan<int> product, ReadOnlySpan<float> inputScale, ReadOnlySpan<int> inputZeroPoint,
        ReadOnlySpan<float> weightScale, ReadOnlySpan<int> weightRowSums, ReadOnlySpan<float> bias, Span<float> y,
        int rows, int outputs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(outputs);
        Int8Gemm.RequireLength(product.Length, rows, outputs, nameof(product));
        Int8Gemm.RequireLength(inputScale.Length, rows, nameof(inputScale));
        Int8Gemm.RequireLength(inputZeroPoint.Length, rows, nameof(inputZeroPoint));
        Int8Gemm.RequireLength(weightScale.Length, outputs, nameof(weightScale));
        Int8Gemm.RequireLength(weightRowSums.Length, outputs, nameof(weightRowSums));
        Int8Gemm.RequireLength(y.Length, rows, outputs, nameof(y));
        if (!bias.IsEmpty && bias.Length != outputs)
        {
            throw new ArgumentException($"bias holds {bias.Length} elements but a layer of {outputs} outputs needs {outputs}, or none for a layer without bias.", nameof(bias));
        }

        for (int r = 0; r < rows; r++)
        {
            float sa = inputScale[r];
            long za = inputZeroPoint[r];
            ReadOnlySpan<int> c = product.Slice(r * outputs, outputs);
            Span<float> yr = y.Slice(r * outputs, outputs);
            int o = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                // product - za rowSums is sum_k (qa - za) qb, at most 255 x 128 x MaxDepth in magnitude, so it fits an
                // int32 and the wrapping int32 arithmetic gives it exactly, as the long arithmetic below; the float
                // operations are the same and in the same order, so both paths write the same bits.
                var zero = Vector256.Create((int)za);
                var rowScale = Vector256.Create(sa);
                for (; o + 8 <= outputs; o += 8)
                {
                    Vector256<int> centred = Vector256.Create(c.Slice(o, 8)) - (zero * Vector256.Create(weightRowSums.Slice(o, 8)));
                    Vector256<float> value = rowScale * Vector256.Create(weightScale.Slice(o, 8)) * Vector256.ConvertToSingle(centred);
                    value += bias.IsEmpty ? Vector256<float>.Zero : Vector256.Create(bias.Slice(o, 8));
                    value.CopyTo(yr.Slice(o, 8));
                }
            }

            for (; o < outputs; o++)
            {
                // In 64 bits: with weights that use -128 the correction can leave int32 though the difference fits.
                float centred = c[o] - (za * weightRowSums[o]);
                yr[o] = (sa * weightScale[o] * centred) + (bias.IsEmpty ? 0f : bias[o]);
            }
        }
    }
}
