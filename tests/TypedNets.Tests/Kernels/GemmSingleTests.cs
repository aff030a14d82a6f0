using System;
using System.Collections.Generic;
using System.Linq;
using TypedNets.Kernels;

namespace TypedNets.Tests.Kernels;

/// <summary>
/// The single-precision GEMM (packed panels, micro-kernels, the two-thread split) against a naive product in double
/// precision. Sizes straddle the micro-tile (8 × 32 with 512-bit vectors, 6 × 16 with 256-bit ones) and the cache
/// blocks, so that every edge case of the packing is met.
/// </summary>
/// <remarks>
/// These tests allocate megabytes of operands, and a collection that another thread's allocations set off shifts
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> on a thread that allocates nothing (by the unused part of its
/// allocation context, about 8 KB: measured). So they run alone, not beside the other allocation tests, and reuse
/// their buffers.
/// </remarks>
[Collection(nameof(GemmSingleTests))]
public sealed class GemmSingleTests
{
    public enum Form { AB, ATransposedB, ABTransposed }

    /// <summary>Single precision's unit roundoff, 2^-24.</summary>
    private const double UnitRoundoff = 1.0 / (1 << 24);

    private static readonly int[] EdgeSizes = [1, 15, 16, 17, 31, 32, 33, 63, 64, 65];

    [Theory]
    [InlineData(Form.AB)]
    [InlineData(Form.ATransposedB)]
    [InlineData(Form.ABTransposed)]
    public void Matches_a_naive_product_for_sampled_sizes_up_to_300(Form form)
    {
        var random = new Xoshiro256(17 + (ulong)form);
        var sizes = new List<(int M, int N, int K)>();
        for (int trial = 0; trial < 200; trial++)
        {
            sizes.Add((1 + random.NextInt(300), 1 + random.NextInt(300), 1 + random.NextInt(300)));
        }

        foreach (int size in EdgeSizes)
        {
            // Each edge size in each role, the others drawn from the edge sizes too.
            sizes.Add((size, EdgeSizes[random.NextInt(EdgeSizes.Length)], EdgeSizes[random.NextInt(EdgeSizes.Length)]));
            sizes.Add((EdgeSizes[random.NextInt(EdgeSizes.Length)], size, EdgeSizes[random.NextInt(EdgeSizes.Length)]));
            sizes.Add((EdgeSizes[random.NextInt(EdgeSizes.Length)], EdgeSizes[random.NextInt(EdgeSizes.Length)], size));
            sizes.Add((size, size, size));
        }

        var scratch = new Scratch(300, 300, 300);
        foreach ((int m, int n, int k) in sizes)
        {
            CheckAgainstNaive(form, m, n, k, ref random, scratch);
        }
    }

    [Theory]
    [InlineData(32, 50, 10)]   // a 10 -> 50 dense layer at batch 32: forward, weight gradient, input gradient
    [InlineData(50, 10, 32)]
    [InlineData(32, 10, 50)]
    [InlineData(32, 2, 50)]    // a 50 -> 2 dense layer
    [InlineData(2, 50, 32)]
    [InlineData(32, 50, 2)]
    [InlineData(5, 33, 7)]     // rows past a group of four, columns past two vectors
    [InlineData(64, 64, 64)]   // the largest products of the small path
    [InlineData(4, 16, 4096)]
    public void Matches_a_naive_product_on_the_small_path(int m, int n, int k)
    {
        var random = new Xoshiro256(29);
        var scratch = new Scratch(m, n, k);
        foreach (Form form in Enum.GetValues<Form>())
        {
            CheckAgainstNaive(form, m, n, k, ref random, scratch);
        }
    }

    [Theory]
    [InlineData(32, 50, 10, true)]     // small path: bias and ReLU in registers
    [InlineData(32, 2, 50, false)]
    [InlineData(7, 33, 5, true)]
    [InlineData(2, 20, 30, true)]      // fewer than four rows
    [InlineData(1, 50, 10, true)]      // fewer than four rows, each row of B one vector
    [InlineData(64, 256, 784, true)]   // packed path: bias and ReLU as the last cache block is stored
    [InlineData(45, 70, 300, false)]   // packed, with edge tiles on both sides
    [InlineData(512, 384, 300, true)]  // large enough to be shared with the helper thread
    [InlineData(5, 40, 0, true)]       // an empty sum leaves the bias
    public void Fused_bias_and_relu_match_the_product_followed_by_both(int m, int n, int k, bool relu)
    {
        var random = new Xoshiro256(31);
        float[] a = Fill(new float[m * k], ref random).ToArray(), b = Fill(new float[n * k], ref random).ToArray(), bias = Fill(new float[n], ref random).ToArray();
        float[] fused = Fill(new float[m * n], ref random).ToArray();
        Gemm.MultiplyTransposedB<float>(a, b, bias, fused, m, n, k, relu);
        double[] aDouble = Array.ConvertAll(a, value => (double)value), bDouble = Array.ConvertAll(b, value => (double)value);
        double[] expected = new double[m * n], fusedDouble = new double[m * n];
        Gemm.MultiplyTransposedB<double>(aDouble, bDouble, Array.ConvertAll(bias, value => (double)value), fusedDouble, m, n, k, relu);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = bias[j], magnitude = Math.Abs(bias[j]);
                for (int p = 0; p < k; p++)
                {
                    sum += (double)a[(i * k) + p] * b[(j * k) + p];
                    magnitude += Math.Abs((double)a[(i * k) + p] * b[(j * k) + p]);
                }

                double value = relu ? Math.Max(sum, 0) : sum;
                double tolerance = (k + 2) * UnitRoundoff * magnitude;
                Assert.True(Math.Abs(fused[(i * n) + j] - value) <= tolerance, $"float m = {m}, n = {n}, k = {k}: C[{i}, {j}] is {fused[(i * n) + j]}, expected {value} ± {tolerance}.");
                Assert.True(Math.Abs(fusedDouble[(i * n) + j] - value) <= 1e-12 * (1 + magnitude), $"double m = {m}, n = {n}, k = {k}: C[{i}, {j}] is {fusedDouble[(i * n) + j]}, expected {value}.");
                Assert.True(!relu || fused[(i * n) + j] >= 0);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Few_rows_match_a_naive_product_for_every_tail_and_alignment(int m)
    {
        // A·B^T with fewer than four rows takes its own kernel: eight rows of B per pass (so n is tried around
        // multiples of eight), masked vectors for what precedes a row's first cache-line boundary and follows its last
        // (so k is tried at every remainder modulo sixteen, and B at every offset within a line).
        int[] columns = [1, 2, 7, 8, 9, 10, 16, 17, 23];
        int[] depths = [.. Enumerable.Range(1, 50), 63, 64, 65, 128, 784];
        var random = new Xoshiro256(23 + (ulong)m);
        var scratch = new Scratch(3, 23, 784);
        foreach (int k in depths)
        {
            foreach (int n in columns)
            {
                for (int offset = 0; offset < 16; offset++)
                {
                    CheckAgainstNaive(Form.ABTransposed, m, n, k, ref random, scratch, offset);
                }
            }
        }
    }

    [Theory]
    [InlineData(1, 10, 784)]
    [InlineData(1, 50, 10)]    // rows of B shorter than a vector: sixteen at a time
    [InlineData(3, 17, 16)]
    [InlineData(2, 17, 33)]
    [InlineData(3, 256, 128)]
    [InlineData(5, 40, 21)]
    public void Dense_forward_adds_the_bias_to_every_row(int batch, int outputs, int inputs)
    {
        var random = new Xoshiro256(41);
        float[] x = Fill(new float[batch * inputs], ref random).ToArray();
        float[] weight = Fill(new float[outputs * inputs], ref random).ToArray();
        float[] bias = Fill(new float[outputs], ref random).ToArray();
        float[] z = Fill(new float[(batch * outputs) + 1], ref random).ToArray();
        float after = z[^1];
        var product = new double[batch * outputs];
        var magnitude = new double[batch * outputs];
        Naive(Form.ABTransposed, x, weight, batch, outputs, inputs, product, magnitude);

        DenseKernel.Forward<float>(x, weight, bias, z.AsSpan(0, batch * outputs), batch, inputs, outputs);

        for (int i = 0; i < batch * outputs; i++)
        {
            double expected = product[i] + bias[i % outputs];
            double tolerance = (inputs + 2) * UnitRoundoff * (magnitude[i] + Math.Abs(bias[i % outputs]));
            Assert.True(Math.Abs(z[i] - expected) <= tolerance, $"batch = {batch}: z[{i / outputs}, {i % outputs}] is {z[i]}, expected {expected} ± {tolerance}.");
        }

        Assert.Equal(after, z[^1]);
        ArgumentException error = Assert.Throws<ArgumentException>(() => DenseKernel.Forward<float>(x, weight, bias.AsSpan(1), z.AsSpan(0, batch * outputs), batch, inputs, outputs));
        Assert.Contains($"got {outputs - 1}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Form.AB, 512, 384, 300)]
    [InlineData(Form.ATransposedB, 512, 384, 300)]
    [InlineData(Form.ABTransposed, 512, 384, 300)]
    [InlineData(Form.AB, 1000, 40, 900)]          // shared by rows
    [InlineData(Form.ABTransposed, 33, 1000, 1040)]  // shared by columns, a partial micro-tile of rows
    [InlineData(Form.ATransposedB, 700, 650, 80)]   // more rows and columns than one cache block
    public void Matches_a_naive_product_for_products_large_enough_for_two_threads(Form form, int m, int n, int k)
    {
        // At least 2^25 multiply-adds: shared even when the helper thread is asleep.
        var random = new Xoshiro256(99);
        CheckAgainstNaive(form, m, n, k, ref random, new Scratch(m, n, k));
    }

    [Theory]
    [InlineData(128, 512, 768)]  // the baby GPT's c_fc weight gradient: Xᵀ dY over the batch's 768 rows
    [InlineData(512, 128, 768)]  // its MLP c_proj weight gradient
    [InlineData(24, 40, 100)]    // two panels packed together, then one alone
    [InlineData(23, 33, 17)]     // two together, then a partial one
    [InlineData(40, 7, 300)]     // two pairs and a single panel
    [InlineData(16, 64, 1)]
    public void Transposed_a_packed_two_panels_at_a_time_matches_a_naive_product(int m, int n, int k)
    {
        var random = new Xoshiro256(23);
        CheckAgainstNaive(Form.ATransposedB, m, n, k, ref random, new Scratch(m, n, k));
    }

    [Fact]
    public void One_thread_gives_the_same_bits_as_two_and_MaxThreads_takes_only_one_or_two()
    {
        // Large enough to wake the helper thread when two are allowed.
        const int m = 512, n = 384, k = 300;
        var random = new Xoshiro256(7);
        float[] a = Fill(new float[m * k], ref random).ToArray();
        float[] b = Fill(new float[k * n], ref random).ToArray();
        float[] bias = Fill(new float[n], ref random).ToArray();
        float[] twoThreads = new float[m * n], oneThread = new float[m * n];
        float[] fusedTwo = new float[m * n], fusedOne = new float[m * n];
        int before = Gemm.MaxThreads;
        try
        {
            Gemm.MaxThreads = 2;
            Gemm.Multiply<float>(a, b, twoThreads, m, n, k, accumulate: false);
            Gemm.MultiplyTransposedB<float>(a, b, bias, fusedTwo, m, n, k, relu: true);
            Gemm.MaxThreads = 1;
            Gemm.Multiply<float>(a, b, oneThread, m, n, k, accumulate: false);
            Gemm.MultiplyTransposedB<float>(a, b, bias, fusedOne, m, n, k, relu: true);
        }
        finally
        {
            Gemm.MaxThreads = before;
        }

        Assert.True(oneThread.AsSpan().SequenceEqual(twoThreads), "A·B on one thread differs from two.");
        Assert.True(fusedOne.AsSpan().SequenceEqual(fusedTwo), "A·B^T + bias, ReLU on one thread differs from two.");
        ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.MaxThreads = 3);
        Assert.Contains("Gemm.MaxThreads is 1 (the calling thread only) or 2 (with one helper thread)", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.MaxThreads = 0);
        Assert.Equal(before, Gemm.MaxThreads);
    }

    [Fact]
    public void Concurrent_callers_get_the_same_bits_as_one_caller()
    {
        // Two callers contend for the one helper thread; whoever does not get it runs alone. Either way every element
        // is summed in the same order, so the results must match a lone call bit for bit.
        const int m = 400, n = 300, k = 300;
        var random = new Xoshiro256(5);
        float[] a = Fill(new float[m * k], ref random).ToArray();
        float[] b = Fill(new float[n * k], ref random).ToArray();
        var expected = new float[m * n];
        Gemm.MultiplyTransposedB<float>(a, b, expected, m, n, k, accumulate: false);

        var mismatches = new int[2];
        var threads = new System.Threading.Thread[2];
        for (int t = 0; t < threads.Length; t++)
        {
            int index = t;
            threads[t] = new System.Threading.Thread(() =>
            {
                var c = new float[m * n];
                for (int call = 0; call < 20; call++)
                {
                    Gemm.MultiplyTransposedB<float>(a, b, c, m, n, k, accumulate: false);
                    if (!c.AsSpan().SequenceEqual(expected))
                    {
                        mismatches[index]++;
                    }
                }
            });
            threads[t].Start();
        }

        foreach (System.Threading.Thread thread in threads)
        {
            thread.Join();
        }

        Assert.Equal([0, 0], mismatches);
    }

    [Fact]
    public void Zero_depth_clears_or_keeps_the_result()
    {
        float[] c = [1, 2, 3, 4, 5, 6];
        Gemm.Multiply<float>([], [], c, 2, 3, 0, accumulate: true);
        Assert.Equal([1, 2, 3, 4, 5, 6], c);
        Gemm.MultiplyTransposedB<float>([], [], c, 2, 3, 0, accumulate: false);
        Assert.Equal(new float[6], c);
    }

    [Theory]
    [InlineData(Form.AB)]
    [InlineData(Form.ABTransposed)]
    public void Matches_a_naive_product_with_fewer_than_four_rows(Form form)
    {
        // The few-row kernels: eight vectors of columns at a time, then single vectors, then single columns.
        var random = new Xoshiro256(29 + (ulong)form);
        var scratch = new Scratch(3, 300, 300);
        foreach (int m in new[] { 1, 2, 3 })
        {
            foreach (int n in new[] { 1, 15, 16, 17, 127, 128, 129, 256, 300 })
            {
                foreach (int k in new[] { 1, 7, 64, 65, 300 })
                {
                    CheckAgainstNaive(form, m, n, k, ref random, scratch);
                }
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(8, 8)]
    [InlineData(256, 64)]
    [InlineData(19, 42)]
    [InlineData(3, 17)]
    public void Transpose_moves_every_element(int rows, int columns)
    {
        var random = new Xoshiro256(31);
        float[] source = new float[rows * columns];
        for (int i = 0; i < source.Length; i++)
        {
            source[i] = (float)random.NextDouble(-1, 1);
        }

        float[] transposed = new float[source.Length];
        double[] transposedDouble = new double[source.Length];
        Gemm.Transpose<float>(source, transposed, rows, columns);
        Gemm.Transpose<double>(Array.ConvertAll(source, value => (double)value), transposedDouble, rows, columns);
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                Assert.Equal(source[(i * columns) + j], transposed[(j * rows) + i]);
                Assert.Equal(source[(i * columns) + j], transposedDouble[(j * rows) + i]);
            }
        }
    }

    [Theory]
    [InlineData(1, 256, 64)]
    [InlineData(1, 10, 784)]
    [InlineData(3, 17, 33)]
    [InlineData(24, 48, 40)]
    [InlineData(512, 384, 300)]
    public void Allocates_nothing_once_warm(int m, int n, int k)
    {
        var a = new float[m * k];
        var b = new float[k * n];
        var c = new float[m * n];
        var bias = new float[n];
        Array.Fill(a, 0.5f);
        Array.Fill(b, 0.25f);
        for (int warmUp = 0; warmUp < 3; warmUp++)
        {
            RunAllForms(a, b, c, m, n, k);
            DenseKernel.Forward<float>(a, b, bias, c, m, k, n);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int call = 0; call < 100; call++)
        {
            RunAllForms(a, b, c, m, n, k);
            DenseKernel.Forward<float>(a, b, bias, c, m, k, n);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static void RunAllForms(float[] a, float[] b, float[] c, int m, int n, int k)
    {
        Gemm.Multiply<float>(a, b, c, m, n, k, accumulate: false);
        Gemm.MultiplyTransposedA<float>(a, b, c, m, n, k, accumulate: true);
        Gemm.MultiplyTransposedB<float>(a, b, c, m, n, k, accumulate: true);
    }

    /// <summary>
    /// Runs one form with and without <c>accumulate</c> on operands that start at an odd offset inside larger
    /// arrays, and checks every element against the naive product and that nothing outside <c>C</c> was written.
    /// </summary>
    private static void CheckAgainstNaive(Form form, int m, int n, int k, ref Xoshiro256 random, Scratch scratch, int bOffset = Scratch.Offset)
    {
        const int offset = Scratch.Offset;
        Span<float> a = Fill(scratch.A.AsSpan(0, offset + (m * k) + Scratch.Guard), ref random);
        Span<float> b = Fill(scratch.B.AsSpan(0, bOffset + (k * n) + Scratch.Guard), ref random);
        Span<float> c0 = Fill(scratch.C0.AsSpan(0, offset + (m * n) + Scratch.Guard), ref random);
        Span<double> product = scratch.Product.AsSpan(0, m * n), magnitude = scratch.Magnitude.AsSpan(0, m * n);
        Naive(form, a.Slice(offset, m * k), b.Slice(bOffset, k * n), m, n, k, product, magnitude);

        foreach (bool accumulate in new[] { false, true })
        {
            Span<float> c = scratch.C.AsSpan(0, c0.Length);
            c0.CopyTo(c);
            Span<float> result = c.Slice(offset, m * n);
            ReadOnlySpan<float> left = a.Slice(offset, m * k), right = b.Slice(bOffset, k * n);
            switch (form)
            {
                case Form.AB: Gemm.Multiply(left, right, result, m, n, k, accumulate); break;
                case Form.ATransposedB: Gemm.MultiplyTransposedA(left, right, result, m, n, k, accumulate); break;
                case Form.ABTransposed: Gemm.MultiplyTransposedB(left, right, result, m, n, k, accumulate); break;
            }

            for (int i = 0; i < m * n; i++)
            {
                double start = accumulate ? c0[offset + i] : 0;
                double expected = start + product[i];

                // Any order of summation with fused multiply-adds is within (k + 1) u of the sum of magnitudes
                // (Higham, Accuracy and Stability of Numerical Algorithms, 3.1); a wrong element is far outside it.
                double tolerance = (k + 1) * UnitRoundoff * (magnitude[i] + Math.Abs(start));
                if (Math.Abs(result[i] - expected) > tolerance)
                {
                    Assert.Fail($"{form} m = {m}, n = {n}, k = {k}, accumulate = {accumulate}: C[{i / n}, {i % n}] is {result[i]}, expected {expected} ± {tolerance}.");
                }
            }

            Assert.True(c.Slice(0, offset).SequenceEqual(c0.Slice(0, offset)), $"{form} m = {m}, n = {n}, k = {k} wrote before C.");
            Assert.True(c.Slice(offset + (m * n)).SequenceEqual(c0.Slice(offset + (m * n))), $"{form} m = {m}, n = {n}, k = {k} wrote past C.");
        }
    }

    /// <summary>The product in double precision and, for the tolerance, the sum of the magnitudes of its terms.</summary>
    private static void Naive(Form form, ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int n, int k, Span<double> product, Span<double> magnitude)
    {
        // Row i of A and column j of B copied out first, whatever the form, so that the inner loop reads both in
        // order: the sums are the plain ones, in the same order, but a 300-wide product no longer strides through
        // memory for every term (the sampled sizes made this reference most of the kernel tests' time).
        var rows = new double[m * k];
        var columns = new double[n * k];
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < k; p++)
            {
                rows[(i * k) + p] = form == Form.ATransposedB ? a[(p * m) + i] : a[(i * k) + p];
            }
        }

        for (int j = 0; j < n; j++)
        {
            for (int p = 0; p < k; p++)
            {
                columns[(j * k) + p] = form == Form.ABTransposed ? b[(j * k) + p] : b[(p * n) + j];
            }
        }

        for (int i = 0; i < m; i++)
        {
            ReadOnlySpan<double> row = rows.AsSpan(i * k, k);
            for (int j = 0; j < n; j++)
            {
                ReadOnlySpan<double> column = columns.AsSpan(j * k, k);
                double sum = 0, absolute = 0;
                for (int p = 0; p < k; p++)
                {
                    double term = row[p] * column[p];
                    sum += term;
                    absolute += Math.Abs(term);
                }

                product[(i * n) + j] = sum;
                magnitude[(i * n) + j] = absolute;
            }
        }
    }

    /// <summary>
    /// Buffers for every size up to the given one. Operands start at an odd offset, away from any alignment (B at
    /// any offset up to <see cref="MaxOffset"/>), and <c>C</c> has guard elements on both sides to catch writes
    /// outside it.
    /// </summary>
    private sealed class Scratch(int m, int n, int k)
    {
        public const int Offset = 3, MaxOffset = 15, Guard = 37;

        public float[] A { get; } = new float[Offset + (m * k) + Guard];

        public float[] B { get; } = new float[MaxOffset + (k * n) + Guard];

        public float[] C0 { get; } = new float[Offset + (m * n) + Guard];

        public float[] C { get; } = new float[Offset + (m * n) + Guard];

        public double[] Product { get; } = new double[m * n];

        public double[] Magnitude { get; } = new double[m * n];
    }

    private static Span<float> Fill(Span<float> values, ref Xoshiro256 random)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextDouble(-1, 1);
        }

        return values;
    }
}

/// <summary>Runs <see cref="GemmSingleTests"/> on its own, after the tests that run in parallel.</summary>
[CollectionDefinition(nameof(GemmSingleTests), DisableParallelization = true)]
public sealed class GemmSingleTestsCollection;
