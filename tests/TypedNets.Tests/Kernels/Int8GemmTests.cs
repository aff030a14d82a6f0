using System;
using System.Collections.Generic;
using TypedNets.Kernels;

namespace TypedNets.Tests.Kernels;

/// <summary>
/// The int8 GEMM (u8 activations by s8 weights into int32) on every path against a plain scalar sum, bit for bit;
/// the dynamic per-row and symmetric per-channel quantisers against values worked by hand from ONNX Runtime's
/// DynamicQuantizeLinear and PyTorch's symmetric per-channel rules; and a whole quantised dense layer against the
/// float one in double precision within the derived quantisation error bound.
/// </summary>
[Collection(nameof(Int8GemmTests))]
public sealed class Int8GemmTests
{
    public static TheoryData<Int8GemmPath> Paths => [Int8GemmPath.Auto, Int8GemmPath.AvxVnni, Int8GemmPath.Avx2, Int8GemmPath.Scalar];

    /// <summary>The definition, summed in 64 bits so that the reference itself cannot wrap.</summary>
    private static long ReferenceDot(byte[] a, sbyte[] b, int row, int column, int stride, int k)
    {
        long sum = 0;
        for (int p = 0; p < k; p++)
        {
            sum += a[(row * stride) + p] * (long)b[(column * stride) + p];
        }

        return sum;
    }

    private static (byte[] A, sbyte[] B) RandomOperands(Random random, int m, int n, int k, int stride, bool extremes)
    {
        var a = new byte[m * stride];
        var b = new sbyte[n * stride];
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < stride; p++)
            {
                // The padding of A may hold anything (B's padding is zero); fill it with garbage to prove it.
                a[(i * stride) + p] = extremes ? (byte)(random.Next(2) * 255) : (byte)random.Next(256);
            }
        }

        for (int j = 0; j < n; j++)
        {
            for (int p = 0; p < k; p++)
            {
                b[(j * stride) + p] = extremes ? (random.Next(2) == 0 ? (sbyte)-128 : (sbyte)127) : (sbyte)random.Next(-128, 128);
            }
        }

        return (a, b);
    }

    [Theory]
    [InlineData(7, 45, 1000)]
    [InlineData(4, 23, 2050)]
    [InlineData(9, 70, 784)]
    [InlineData(1, 37, 4100)]
    [InlineData(5, 3, 3000)]
    public void Deep_products_match_the_definition_across_blocks_of_weight_rows(int m, int n, int k)
    {
        // At these depths the weight's rows are taken in blocks of a few (16 KiB each), so blocks, tiles of three rows by
        // four and their leftovers all meet, as do the 16-byte step and the last bytes of the depth.
        var random = new Random((m * 31) + n + k);
        int stride = Int8Gemm.PaddedDepth(k);
        foreach (bool extremes in new[] { false, true })
        {
            (byte[] a, sbyte[] b) = RandomOperands(random, m, n, k, stride, extremes);
            var c = new int[m * n];
            Int8Gemm.MultiplyTransposedB(a, b, c, m, n, k);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    Assert.True(ReferenceDot(a, b, i, j, stride, k) == c[(i * n) + j], $"m={m} n={n} k={k} extremes={extremes}: c[{i}, {j}] = {c[(i * n) + j]}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Every_path_matches_the_scalar_definition_bit_for_bit_over_sampled_sizes(Int8GemmPath path)
    {
        if (!Int8Gemm.IsSupported(path))
        {
            return;
        }

        var random = new Random(14 + (int)path);
        var sizes = new List<(int M, int N, int K)>();
        for (int m = 1; m <= 17; m++)
        {
            sizes.Add((m, 1 + random.Next(40), 1 + random.Next(70)));
        }

        for (int n = 1; n <= 40; n++)
        {
            sizes.Add((1 + random.Next(17), n, 1 + random.Next(70)));
        }

        for (int k = 1; k <= 70; k++)
        {
            sizes.Add((1 + random.Next(17), 1 + random.Next(40), k));
        }

        foreach ((int m, int n, int k) in sizes)
        {
            foreach (bool extremes in new[] { false, true })
            {
                int stride = Int8Gemm.PaddedDepth(k);
                (byte[] a, sbyte[] b) = RandomOperands(random, m, n, k, stride, extremes);
                var c = new int[m * n];
                Int8Gemm.MultiplyTransposedB(a, b, c, m, n, k, path);
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        long expected = ReferenceDot(a, b, i, j, stride, k);
                        Assert.True(expected == c[(i * n) + j], $"{path} m={m} n={n} k={k} extremes={extremes}: c[{i}, {j}] = {c[(i * n) + j]}, expected {expected}");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void The_worst_case_sum_at_the_largest_depth_does_not_wrap(Int8GemmPath path)
    {
        if (!Int8Gemm.IsSupported(path))
        {
            return;
        }

        // 255 * -128 at every step is the most negative sum; at MaxDepth it is still an int32. The AVX2 fallback's
        // 16-bit products would saturate here if it multiplied u8 by s8 directly (vpmaddubsw); the widened path is exact.
        int k = Int8Gemm.MaxDepth;
        int stride = Int8Gemm.PaddedDepth(k);
        var a = new byte[2 * stride];
        var b = new sbyte[2 * stride];
        a.AsSpan(0, k).Fill(255);
        a.AsSpan(stride, k).Fill(255);
        b.AsSpan(0, k).Fill(-128);
        b.AsSpan(stride, k).Fill(127);
        var c = new int[4];
        Int8Gemm.MultiplyTransposedB(a, b, c, 2, 2, k, path);
        Assert.Equal([255L * -128 * k, 255L * 127 * k, 255L * -128 * k, 255L * 127 * k], Array.ConvertAll(c, v => (long)v));
    }

    [Fact]
    public void Rejects_operands_of_the_wrong_size_nonzero_weight_padding_and_too_deep_a_product()
    {
        var a = new byte[2 * 8];
        var b = new sbyte[3 * 8];
        var c = new int[6];
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => Int8Gemm.MultiplyTransposedB(a.AsSpan(1), b, c, 2, 3, 5)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => Int8Gemm.MultiplyTransposedB(a, b.AsSpan(1), c, 2, 3, 5)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => Int8Gemm.MultiplyTransposedB(a, b, c.AsSpan(1), 2, 3, 5)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => Int8Gemm.MultiplyTransposedB([], [], [], 1, 1, Int8Gemm.MaxDepth + 1)).ParamName);
        b[(1 * 8) + 6] = 1;   // the padding of row 1 (k = 5 pads to 8)
        var error = Assert.Throws<ArgumentException>(() => Int8Gemm.MultiplyTransposedB(a, b, c, 2, 3, 5));
        Assert.Equal("b", error.ParamName);
        Assert.Contains("Row 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dynamic_row_quantisation_follows_DynamicQuantizeLinear()
    {
        // Row 0: ONNX's DynamicQuantizeLinear example: [0, 2, -3, -2.5, 1.34, 0.5] gives scale 5 / 255, zero point
        // round(3 / scale) = 153 and y = [153, 255, 0, 26, 221, 179] (in float32 -2.5 / scale is just above -127.5).
        // Row 1: all non-negative, so the range is [0, 255 / 64]: scale 1 / 64 exactly, zero point 0; 0.5 / 64 and
        // 1.5 / 64 are halves and round to even, 0 and 2.
        // Row 2: all zero: scale 1 (the range is empty) and zero point 0, as in ONNX Runtime.
        // Row 3: range [-1, 127 / 128]: scale 1 / 128, zero point 128; -0.5 / 128 rounds to -0 and 1.5 / 128 to 2.
        float[] x =
        [
            0f, 2f, -3f, -2.5f, 1.34f, 0.5f,
            1f, 0.0078125f, 3.984375f, 0.0234375f, 3f, 0f,
            0f, 0f, 0f, 0f, 0f, 0f,
            -1f, 0.9921875f, -0.00390625f, -0.5f, 0.25f, 0.01171875f,
        ];
        int stride = Int8Gemm.PaddedDepth(6);
        var q = new byte[4 * stride];
        q.AsSpan().Fill(77);
        var scale = new float[4];
        var zeroPoint = new int[4];
        Int8Quantization.QuantizeRowsDynamic(x, q, scale, zeroPoint, 4, 6);

        Assert.Equal(5f / 255f, scale[0]);
        Assert.Equal(1f / 64, scale[1]);
        Assert.Equal(1f, scale[2]);
        Assert.Equal(1f / 128, scale[3]);
        Assert.Equal([153, 0, 0, 128], zeroPoint);
        Assert.Equal(new byte[] { 153, 255, 0, 26, 221, 179 }, q[..6]);
        Assert.Equal(new byte[] { 64, 0, 255, 2, 192, 0 }, q[stride..(stride + 6)]);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0 }, q[(2 * stride)..((2 * stride) + 6)]);
        Assert.Equal(new byte[] { 0, 255, 128, 64, 160, 130 }, q[(3 * stride)..((3 * stride) + 6)]);
        for (int r = 0; r < 4; r++)
        {
            Assert.Equal(new byte[] { 0, 0 }, q[((r * stride) + 6)..((r + 1) * stride)]);
        }
    }

    [Fact]
    public void Dynamic_row_quantisation_rounds_halves_to_even_like_ONNX_Runtime()
    {
        // Range [0, 255]: scale exactly 1, zero point 0, so each value's quotient is itself: 0.5 -> 0, 1.5 -> 2,
        // 2.5 -> 2, 3.5 -> 4, 254.5 -> 254, 255 -> 255.
        float[] x = [0.5f, 1.5f, 2.5f, 3.5f, 254.5f, 255f, 100.5f, 101.5f];
        var q = new byte[8];
        var scale = new float[1];
        var zeroPoint = new int[1];
        Int8Quantization.QuantizeRowsDynamic(x, q, scale, zeroPoint, 1, 8);
        Assert.Equal(1f, scale[0]);
        Assert.Equal(0, zeroPoint[0]);
        Assert.Equal(new byte[] { 0, 2, 2, 4, 254, 255, 100, 102 }, q);

        // Range [-2.5, 252.5]: scale 1, zero point -(-2.5) = 2.5 rounds to even 2; -2.5 -> round(-2.5) + 2 = 0,
        // 252.5 -> 252 + 2 = 254 (the top code goes unused: ONNX Runtime's rounding, kept).
        float[] y = [-2.5f, 252.5f, -0.5f, 0.5f];
        var qy = new byte[4];
        Int8Quantization.QuantizeRowsDynamic(y, qy, scale, zeroPoint, 1, 4);
        Assert.Equal(1f, scale[0]);
        Assert.Equal(2, zeroPoint[0]);
        Assert.Equal(new byte[] { 0, 254, 2, 2 }, qy);
    }

    [Fact]
    public void Dynamic_row_quantisation_of_long_rows_gives_each_value_the_elementwise_formula()
    {
        // Rows long enough for the vector loop, with its tail, against ONNX's formula applied value by value.
        var random = new Random(3);
        foreach (int columns in new[] { 31, 32, 33, 64, 100, 784 })
        {
            const int rows = 3;
            int stride = Int8Gemm.PaddedDepth(columns);
            var x = new float[rows * columns];
            for (int i = 0; i < x.Length; i++)
            {
                // Multiples of 1/8 on a range of 255/8 make exact halves (ties) common; row 2 is all positive.
                x[i] = i / columns == 2 ? random.Next(256) / 8f : (random.Next(256) - 100) / 8f;
            }

            var q = new byte[rows * stride];
            var scale = new float[rows];
            var zeroPoint = new int[rows];
            Int8Quantization.QuantizeRowsDynamic(x, q, scale, zeroPoint, rows, columns);
            for (int r = 0; r < rows; r++)
            {
                float min = 0, max = 0;
                for (int p = 0; p < columns; p++)
                {
                    min = Math.Min(min, x[(r * columns) + p]);
                    max = Math.Max(max, x[(r * columns) + p]);
                }

                float s = (max - min) / 255f;
                int zero = (int)Math.Clamp(Math.Round(-min / s, MidpointRounding.ToEven), 0, 255);
                Assert.Equal(s, scale[r]);
                Assert.Equal(zero, zeroPoint[r]);
                for (int p = 0; p < columns; p++)
                {
                    double code = Math.Clamp(Math.Round(x[(r * columns) + p] / s, MidpointRounding.ToEven) + zero, 0, 255);
                    Assert.True(code == q[(r * stride) + p], $"columns={columns} row {r} column {p}: {x[(r * columns) + p]} gave {q[(r * stride) + p]}, expected {code}");
                }
            }
        }
    }

    [Fact]
    public void Symmetric_weight_quantisation_is_per_output_channel_with_row_sums()
    {
        // Channel 0: max |w| = 127 / 64, scale 1 / 64 exactly; 63.5 / 64 is a half and rounds to even 64, 0.5 / 64 to 0.
        // Channel 1: max |w| = 127: scale 1, 2.5 -> 2, -3.5 -> -4, 0.5 -> 0.
        // Channel 2: all zero: scale 1, codes 0.
        float[] w =
        [
            0.9921875f, -1.984375f, 0.0078125f, 1.984375f, 0f,
            127f, 2.5f, -3.5f, 0.5f, -127f,
            0f, 0f, 0f, 0f, 0f,
        ];
        int stride = Int8Gemm.PaddedDepth(5);
        var q = new sbyte[3 * stride];
        q.AsSpan().Fill(9);
        var scale = new float[3];
        var rowSums = new int[3];
        Int8Quantization.QuantizeWeightsPerChannel(w, q, scale, rowSums, 3, 5);

        Assert.Equal(1f / 64, scale[0]);
        Assert.Equal(1f, scale[1]);
        Assert.Equal(1f, scale[2]);
        Assert.Equal(new sbyte[] { 64, -127, 0, 127, 0, 0, 0, 0 }, q[..8]);
        Assert.Equal(new sbyte[] { 127, 2, -4, 0, -127, 0, 0, 0 }, q[8..16]);
        Assert.Equal(new sbyte[8], q[16..24]);
        Assert.Equal([64, -2, 0], rowSums);
    }

    [Fact]
    public void Quantisers_reject_wrong_sizes_and_non_finite_values()
    {
        var q = new byte[8];
        var scale = new float[1];
        var zeroPoint = new int[1];
        Assert.Equal("quantized", Assert.Throws<ArgumentException>(() => Int8Quantization.QuantizeRowsDynamic(new float[5], q.AsSpan(1), scale, zeroPoint, 1, 5)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Int8Quantization.QuantizeRowsDynamic(new float[4], q, scale, zeroPoint, 1, 5)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Int8Quantization.QuantizeRowsDynamic([1f, float.NaN, 0f, 0f, 0f], q, scale, zeroPoint, 1, 5)).ParamName);
        var qw = new sbyte[8];
        var rowSums = new int[1];
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => Int8Quantization.QuantizeWeightsPerChannel([1f, float.PositiveInfinity, 0f, 0f, 0f], qw, scale, rowSums, 1, 5)).ParamName);
        Assert.Equal("rowSums", Assert.Throws<ArgumentException>(() => Int8Quantization.QuantizeWeightsPerChannel(new float[5], qw, scale, [], 1, 5)).ParamName);
    }

    /// <summary>
    /// With <c>x = sx (qx - zx) + ex</c>, <c>|ex| &lt;= sx / 2</c>, and <c>w = sw qw + ew</c>, <c>|ew| &lt;= sw / 2</c>,
    /// the product's error is <c>x ew + ex w - ex ew</c>, so a dot product is off by at most
    /// <c>sum_k (|x| sw / 2 + |w| sx / 2 + sx sw / 4)</c>; float rounding (of the quotients, the int32 to float
    /// conversion and the epilogue) adds a relative 1e-5 of <c>sum_k |x w|</c> and of the bound.
    /// </summary>
    [Theory]
    [MemberData(nameof(Paths))]
    public void A_quantised_dense_layer_is_within_the_quantisation_bound_of_the_float_one(Int8GemmPath path)
    {
        if (!Int8Gemm.IsSupported(path))
        {
            return;
        }

        var random = new Random(1400 + (int)path);
        foreach ((int batch, int inputs, int outputs) in new[] { (1, 1, 1), (3, 7, 5), (17, 70, 40), (32, 784, 64), (5, 130, 10) })
        {
            int stride = Int8Gemm.PaddedDepth(inputs);
            var x = new float[batch * inputs];
            var w = new float[outputs * inputs];
            var bias = new float[outputs];
            for (int i = 0; i < x.Length; i++)
            {
                // Rows with a negative range, a positive one and mixed ones.
                x[i] = (float)((random.NextDouble() * 4) - (i / inputs % 3 == 0 ? 1 : i / inputs % 3 == 1 ? 0 : 4));
            }

            for (int i = 0; i < w.Length; i++)
            {
                w[i] = (float)((random.NextDouble() - 0.5) * (1 + (i / inputs)));
            }

            for (int i = 0; i < bias.Length; i++)
            {
                bias[i] = (float)(random.NextDouble() - 0.5);
            }

            var qw = new sbyte[outputs * stride];
            var weightScale = new float[outputs];
            var rowSums = new int[outputs];
            Int8Quantization.QuantizeWeightsPerChannel(w, qw, weightScale, rowSums, outputs, inputs);

            var qx = new byte[batch * stride];
            var inputScale = new float[batch];
            var inputZeroPoint = new int[batch];
            var product = new int[batch * outputs];
            var y = new float[batch * outputs];
            Int8DenseKernel.Forward(x, qw, weightScale, rowSums, bias, y, qx, inputScale, inputZeroPoint, product, batch, inputs, outputs, path);

            for (int r = 0; r < batch; r++)
            {
                for (int o = 0; o < outputs; o++)
                {
                    double exact = bias[o], bound = 0, magnitude = Math.Abs(bias[o]);
                    for (int p = 0; p < inputs; p++)
                    {
                        double xv = x[(r * inputs) + p], wv = w[(o * inputs) + p];
                        exact += xv * wv;
                        magnitude += Math.Abs(xv * wv);
                        bound += (Math.Abs(xv) * weightScale[o] / 2) + (Math.Abs(wv) * inputScale[r] / 2) + (inputScale[r] * weightScale[o] / 4);
                    }

                    double tolerance = (bound * (1 + 1e-5)) + (1e-5 * magnitude);
                    double error = Math.Abs(y[(r * outputs) + o] - exact);
                    Assert.True(error <= tolerance, $"{path} {batch}x{inputs}->{outputs} y[{r}, {o}] = {y[(r * outputs) + o]}, exact {exact}: error {error} over the bound {tolerance}");
                }
            }
        }
    }

    [Fact]
    public void The_quantised_dense_layer_equals_the_quantise_gemm_dequantise_composition_and_allocates_nothing()
    {
        const int batch = 9, inputs = 37, outputs = 21;
        int stride = Int8Gemm.PaddedDepth(inputs);
        var random = new Random(7);
        var x = new float[batch * inputs];
        var w = new float[outputs * inputs];
        var bias = new float[outputs];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)((random.NextDouble() * 2) - 0.7);
        }

        for (int i = 0; i < w.Length; i++)
        {
            w[i] = (float)(random.NextDouble() - 0.5);
        }

        var qw = new sbyte[outputs * stride];
        var weightScale = new float[outputs];
        var rowSums = new int[outputs];
        Int8Quantization.QuantizeWeightsPerChannel(w, qw, weightScale, rowSums, outputs, inputs);
        var qx = new byte[batch * stride];
        var inputScale = new float[batch];
        var inputZeroPoint = new int[batch];
        var product = new int[batch * outputs];
        var y = new float[batch * outputs];

        // The epilogue by its definition: sx sw (C - zx sum_k qw) + b, from the integer product of the scalar path.
        Int8Quantization.QuantizeRowsDynamic(x, qx, inputScale, inputZeroPoint, batch, inputs);
        Int8Gemm.MultiplyTransposedB(qx, qw, product, batch, outputs, inputs, Int8GemmPath.Scalar);
        var expected = new float[batch * outputs];
        for (int r = 0; r < batch; r++)
        {
            for (int o = 0; o < outputs; o++)
            {
                int centred = product[(r * outputs) + o] - (inputZeroPoint[r] * rowSums[o]);
                expected[(r * outputs) + o] = (inputScale[r] * weightScale[o] * centred) + bias[o];
            }
        }

        Int8DenseKernel.Forward(x, qw, weightScale, rowSums, bias, y, qx, inputScale, inputZeroPoint, product, batch, inputs, outputs);
        Assert.Equal(expected, y);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++)
        {
            Int8DenseKernel.Forward(x, qw, weightScale, rowSums, bias, y, qx, inputScale, inputZeroPoint, product, batch, inputs, outputs);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void The_epilogue_takes_out_the_zero_point_and_a_layer_without_bias_adds_none()
    {
        // Two rows, two outputs, by hand: C = [[10, -4], [0, 7]], zero points [3, 0], row sums [2, -1],
        // scales [0.5, 2] and [0.25, 4]: y[0, 0] = 0.5 * 0.25 * (10 - 3 * 2) = 0.5, y[0, 1] = 0.5 * 4 * (-4 + 3) = -2,
        // y[1, 0] = 2 * 0.25 * 0 = 0, y[1, 1] = 2 * 4 * 7 = 56.
        int[] product = [10, -4, 0, 7];
        float[] inputScale = [0.5f, 2f];
        int[] inputZeroPoint = [3, 0];
        float[] weightScale = [0.25f, 4f];
        int[] rowSums = [2, -1];
        var y = new float[4];
        Int8Quantization.Dequantize(product, inputScale, inputZeroPoint, weightScale, rowSums, [], y, 2, 2);
        Assert.Equal([0.5f, -2f, 0f, 56f], y);
        Int8Quantization.Dequantize(product, inputScale, inputZeroPoint, weightScale, rowSums, [1f, -1f], y, 2, 2);
        Assert.Equal([1.5f, -3f, 1f, 55f], y);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => Int8Quantization.Dequantize(product, inputScale, inputZeroPoint, weightScale, rowSums, [1f], y, 2, 2)).ParamName);
        Assert.Equal("weightRowSums", Assert.Throws<ArgumentException>(() => Int8Quantization.Dequantize(product, inputScale, inputZeroPoint, weightScale, [2], [], y, 2, 2)).ParamName);
    }

    [Fact]
    public void Forcing_a_path_the_CPU_lacks_says_so()
    {
        foreach (Int8GemmPath path in new[] { Int8GemmPath.AvxVnni, Int8GemmPath.Avx2 })
        {
            if (!Int8Gemm.IsSupported(path))
            {
                var error = Assert.Throws<PlatformNotSupportedException>(() => Int8Gemm.MultiplyTransposedB(new byte[4], new sbyte[4], new int[1], 1, 1, 4, path));
                Assert.Contains(path.ToString(), error.Message, StringComparison.Ordinal);
            }
        }

        Assert.True(Int8Gemm.IsSupported(Int8GemmPath.Scalar));
        Assert.True(Int8Gemm.IsSupported(Int8GemmPath.Auto));
    }
}
