using System;
using System.Linq;
using TypedNets.Kernels;

namespace TypedNets.Tests;

public sealed class KernelTests
{
    [Fact]
    public void Gemm_forms_match_a_naive_product_over_sampled_sizes()
    {
        var random = new Xoshiro256(1);
        int[] sizes = [1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 64, 65, 100, 129, 255, 300];
        for (int trial = 0; trial < 60; trial++)
        {
            int m = sizes[random.NextInt(sizes.Length)];
            int n = sizes[random.NextInt(sizes.Length)];
            int k = sizes[random.NextInt(sizes.Length)];
            double[] a = GradientCheck.Fill(m * k, ref random, 1);
            double[] b = GradientCheck.Fill(k * n, ref random, 1);
            double[] c0 = GradientCheck.Fill(m * n, ref random, 1);

            foreach (bool accumulate in new[] { false, true })
            {
                double[] expected = Naive(a, b, accumulate ? c0 : new double[m * n], m, n, k, transposeA: false, transposeB: false);
                double[] actual = (double[])c0.Clone();
                Gemm.Multiply<double>(a, b, actual, m, n, k, accumulate);
                AssertClose(expected, actual, $"A·B m={m} n={n} k={k} accumulate={accumulate}");

                // The same numbers read as A[k, m] and B[n, k].
                expected = Naive(a, b, accumulate ? c0 : new double[m * n], m, n, k, transposeA: true, transposeB: false);
                actual = (double[])c0.Clone();
                Gemm.MultiplyTransposedA<double>(a, b, actual, m, n, k, accumulate);
                AssertClose(expected, actual, $"Aᵀ·B m={m} n={n} k={k} accumulate={accumulate}");

                expected = Naive(a, b, accumulate ? c0 : new double[m * n], m, n, k, transposeA: false, transposeB: true);
                actual = (double[])c0.Clone();
                Gemm.MultiplyTransposedB<double>(a, b, actual, m, n, k, accumulate);
                AssertClose(expected, actual, $"A·Bᵀ m={m} n={n} k={k} accumulate={accumulate}");
            }
        }
    }

    [Fact]
    public void Gemm_rejects_spans_too_short_for_the_sizes()
    {
        var error = Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(new float[5], new float[6], new float[6], 2, 3, 3, false));
        Assert.Contains("A of 6", error.Message);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(2.5, 0.9995930479825550)]
    [InlineData(3.0, 0.9999779095030014)]
    [InlineData(-1.5, -0.9661051464753108)]
    [InlineData(6.0, 1.0)]
    public void Erf_matches_tabulated_values(double x, double expected)
        => Assert.Equal(expected, SpecialFunctions.Erf(x), 1e-15);

    [Theory]
    [InlineData(3.0, 2.209049699858544e-05)]
    [InlineData(5.0, 1.5374597944280349e-12)]
    [InlineData(10.0, 2.088487583762545e-45)]
    public void Erfc_keeps_relative_accuracy_in_the_tail(double x, double expected)
        => Assert.Equal(1.0, SpecialFunctions.Erfc(x) / expected, 1e-12);

    [Fact]
    public void Activations_match_their_formulas()
    {
        double[] z = [-3, -0.5, -1e-3, 0, 2e-3, 0.7, 4];
        double[] Apply(Action<double[]> activation)
        {
            double[] y = (double[])z.Clone();
            activation(y);
            return y;
        }

        AssertClose(Map(z, x => Math.Max(x, 0)), Apply(y => Activations.ReLU<double>(y)), "ReLU");
        AssertClose(Map(z, x => x > 0 ? x : 0.01 * x), Apply(y => Activations.LeakyReLU<double>(y)), "LeakyReLU");
        AssertClose(Map(z, x => 1 / (1 + Math.Exp(-x))), Apply(y => Activations.Sigmoid<double>(y)), "Sigmoid");
        AssertClose(Map(z, Math.Tanh), Apply(y => Activations.Tanh<double>(y)), "Tanh");

        // GELU(1) = Phi(1) = 0.841344746068543; GELU(-1) = -(1 - Phi(1)).
        double[] gelu = new double[2];
        Activations.Gelu<double>([1.0, -1.0], gelu);
        AssertClose([0.8413447460685429, -0.15865525393145707], gelu, "GELU");

        double[] softmax = [1, 2, 3, 1000, 1000, 1000];
        Activations.Softmax<double>(softmax, 3);
        double total = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        AssertClose([Math.Exp(1) / total, Math.Exp(2) / total, Math.Exp(3) / total, 1.0 / 3, 1.0 / 3, 1.0 / 3], softmax, "Softmax");
    }

    [Fact]
    public void Dropout_drops_at_its_rate_and_scales_survivors()
    {
        var random = new Xoshiro256(9);
        float[] x = new float[100_000];
        Array.Fill(x, 1f);
        float[] y = new float[x.Length];
        float[] mask = new float[x.Length];
        DropoutKernel.Forward<float>(x, y, mask, 0.3, ref random);
        int dropped = Array.FindAll(y, value => value == 0).Length;
        Assert.InRange(dropped / (double)x.Length, 0.29, 0.31);
        Assert.All(y, value => Assert.True(value == 0 || Math.Abs(value - (1 / 0.7f)) < 1e-6));
    }

    [Fact]
    public void Dropout_masks_follow_eight_scalar_generators_and_are_the_same_in_double()
    {
        // The documented scheme, rebuilt from the scalar generator: one draw seeds lane j as new Xoshiro256(seed + 4 j γ);
        // element 16 s + 2 j takes the low half of lane j's draw s, element 16 s + 2 j + 1 the high half.
        const double rate = 0.3;
        const int length = 16 * 7 + 5;
        var caller = new Xoshiro256(123);
        ulong seed = new Xoshiro256(123).NextUInt64();
        var lanes = new Xoshiro256[8];
        for (int j = 0; j < lanes.Length; j++)
        {
            lanes[j] = new Xoshiro256(unchecked(seed + ((ulong)(4 * j) * 0x9E3779B97F4A7C15UL)));
        }

        uint threshold = (uint)Math.Round(rate * 4294967296.0);
        var expected = new float[length];
        for (int step = 0; step * 16 < length; step++)
        {
            for (int j = 0; j < lanes.Length; j++)
            {
                ulong draw = lanes[j].NextUInt64();
                for (int half = 0; half < 2; half++)
                {
                    int i = (16 * step) + (2 * j) + half;
                    if (i < length)
                    {
                        expected[i] = (uint)(draw >> (32 * half)) >= threshold ? (float)(1 / (1 - rate)) : 0f;
                    }
                }
            }
        }

        float[] ones = new float[length], y = new float[length], mask = new float[length];
        Array.Fill(ones, 1f);
        DropoutKernel.Forward<float>(ones, y, mask, rate, ref caller);
        Assert.Equal(expected, mask);

        // The double path (gradient checks) draws the same mask from the same generator state.
        var again = new Xoshiro256(123);
        double[] onesDouble = new double[length], yDouble = new double[length], maskDouble = new double[length];
        Array.Fill(onesDouble, 1.0);
        DropoutKernel.Forward<double>(onesDouble, yDouble, maskDouble, rate, ref again);
        Assert.Equal(expected.Select(value => value != 0), maskDouble.Select(value => value != 0));
        Assert.Equal(caller.NextUInt64(), again.NextUInt64());
    }

    [Fact]
    public void Xoshiro256_reproduces_the_reference_stream()
    {
        // From the reference C implementation (Blackman and Vigna), state seeded by SplitMix64 from 42.
        var random = new Xoshiro256(42);
        Assert.Equal(0x15780B2E0C2EC716UL, random.NextUInt64());
        Assert.Equal(0x6104D9866D113A7EUL, random.NextUInt64());
        Assert.Equal(0xAE17533239E499A1UL, random.NextUInt64());
        Assert.Equal(0xECB8AD4703B360A1UL, random.NextUInt64());
    }

    [Fact]
    public void Xoshiro256_continues_from_a_state_read_from_it()
    {
        var random = new Xoshiro256(42);
        random.NextUInt64();
        random.NextUInt64();
        (ulong s0, ulong s1, ulong s2, ulong s3) = random.State;
        var copy = new Xoshiro256(s0, s1, s2, s3);
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(random.NextUInt64(), copy.NextUInt64());
        }

        Assert.Equal(0x6104D9866D113A7EUL, RestartedAfterOne());
        Assert.Equal("s0", Assert.Throws<ArgumentException>(() => new Xoshiro256(0, 0, 0, 0)).ParamName);

        // The state after one draw of the reference stream gives the reference's second number.
        static ulong RestartedAfterOne()
        {
            var reference = new Xoshiro256(42);
            reference.NextUInt64();
            (ulong a, ulong b, ulong c, ulong d) = reference.State;
            return new Xoshiro256(a, b, c, d).NextUInt64();
        }
    }

    [Fact]
    public void Initializers_draw_within_their_limits()
    {
        var random = new Xoshiro256(3);
        double[] he = new double[10_000];
        Initializers.HeUniform<double>(he, fanIn: 24, ref random);
        double heLimit = Math.Sqrt(6.0 / 24);
        Assert.All(he, value => Assert.InRange(value, -heLimit, heLimit));
        Assert.InRange(Max(he), 0.99 * heLimit, heLimit);

        double[] glorot = new double[10_000];
        Initializers.GlorotUniform<double>(glorot, fanIn: 24, fanOut: 8, ref random);
        double glorotLimit = Math.Sqrt(6.0 / 32);
        Assert.All(glorot, value => Assert.InRange(value, -glorotLimit, glorotLimit));
        Assert.InRange(Max(glorot), 0.99 * glorotLimit, glorotLimit);
    }

    [Fact]
    public void Normal_draws_have_the_asked_deviation_and_the_standard_normal_is_its_unit_case()
    {
        var random = new Xoshiro256(5);
        double[] draws = new double[200_000];
        Initializers.Normal<double>(draws, 0.02, ref random);
        double mean = draws.Average();
        double deviation = Math.Sqrt(draws.Sum(value => (value - mean) * (value - mean)) / draws.Length);

        // The standard error of the mean is 0.02 / sqrt(200000) = 4.5e-5, of the deviation about 3.2e-5.
        Assert.InRange(mean, -2.5e-4, 2.5e-4);
        Assert.InRange(deviation, 0.0198, 0.0202);

        var first = new Xoshiro256(9);
        var second = new Xoshiro256(9);
        double[] unit = new double[64];
        double[] scaled = new double[64];
        Initializers.StandardNormal<double>(unit, ref first);
        Initializers.Normal<double>(scaled, 3.0, ref second);
        Assert.Equal(Map(unit, value => 3.0 * value), scaled);
    }

    [Theory]
    [InlineData(-0.02)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Normal_refuses_a_deviation_that_is_negative_or_not_finite(double deviation)
    {
        var random = new Xoshiro256(1);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Normal<float>(new float[4], deviation, ref random));
        Assert.Equal("standardDeviation", error.ParamName);
        Assert.Contains("0.02", error.Message, StringComparison.Ordinal);
    }

    private static double Max(double[] values)
    {
        double max = 0;
        foreach (double value in values)
        {
            max = Math.Max(max, Math.Abs(value));
        }

        return max;
    }

    private static double[] Map(double[] values, Func<double, double> function) => Array.ConvertAll(values, value => function(value));

    private static double[] Naive(double[] a, double[] b, double[] c, int m, int n, int k, bool transposeA, bool transposeB)
    {
        double[] result = (double[])c.Clone();
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    double left = transposeA ? a[(p * m) + i] : a[(i * k) + p];
                    double right = transposeB ? b[(j * k) + p] : b[(p * n) + j];
                    sum += left * right;
                }

                result[(i * n) + j] += sum;
            }
        }

        return result;
    }

    private static void AssertClose(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = 1e-12 * Math.Max(1, Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R}");
        }
    }
}
