using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using X86 = System.Runtime.Intrinsics.X86;

namespace TypedNets.Kernels;

/// <summary>Which instructions <see cref="Int8Gemm"/> uses; every path gives the same int32 results, bit for bit.</summary>
public enum Int8GemmPath
{
    /// <summary>The fastest path the CPU supports: <see cref="AvxVnni"/>, else <see cref="Avx2"/>, else <see cref="Scalar"/>.</summary>
    Auto,

    /// <summary>AVX-VNNI's <c>vpdpbusd</c> on 256-bit vectors: four u8 × s8 products summed into each int32 lane.</summary>
    AvxVnni,

    /// <summary>
    /// AVX2 without VNNI: both operands widened to 16 bits and multiplied with <c>vpmaddwd</c> (exact), not with
    /// <c>vpmaddubsw</c>, whose 16-bit pair sums saturate at 255 × 127 × 2.
    /// </summary>
    Avx2,

    /// <summary>A plain loop, on any CPU.</summary>
    Scalar,
}

/// <summary>
/// The integer product of a quantised dense layer: <c>C[m, n] = sum_k A[m, k] B[n, k]</c> with <c>A</c> unsigned
/// 8-bit activations, <c>B</c> signed 8-bit weights laid out <c>[outputs, inputs]</c> as the float dense weight, and
/// <c>C</c> exact 32-bit sums (no saturation on any path). See <see cref="Int8Quantization"/> for the quantisers that
/// produce the operands and the epilogue that turns <c>C</c> back into floats, and <see cref="Int8DenseKernel"/> for
/// the whole layer.
/// </summary>
/// <remarks>
/// The operands' rows are <see cref="PaddedDepth"/>(<c>k</c>) bytes apart, a multiple of four, because
/// <c>vpdpbusd</c> sums groups of four bytes: the quantisers write that layout. Bytes past <c>k</c> in a row of
/// <c>B</c> must be zero (checked: a row that is not is rejected); those of <c>A</c> may hold anything, since they
/// meet B's zeros.
/// </remarks>
public static class Int8Gemm
{
    /// <summary>
    /// The deepest product whose every sum fits an int32 whatever the operands: <c>65793 × 255 × -128</c> is just
    /// above <see cref="int.MinValue"/>.
    /// </summary>
    public const int MaxDepth = int.MaxValue / (255 * 128);

    /// <summary>The distance between rows of the operands for a product of depth <paramref name="depth"/>: the depth rounded up to a multiple of four.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="depth"/> is negative or above <see cref="MaxDepth"/>.</exception>
    public static int PaddedDepth(int depth)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(depth, MaxDepth);
        return (depth + 3) & ~3;
    }

    /// <summary>Whether this CPU (and runtime) can run <paramref name="path"/>.</summary>
    public static bool IsSupported(Int8GemmPath path) => path switch
    {
        Int8GemmPath.Auto or Int8GemmPath.Scalar => true,
        Int8GemmPath.AvxVnni => X86.AvxVnni.IsSupported,
        Int8GemmPath.Avx2 => X86.Avx2.IsSupported,
        _ => false,
    };

    /// <summary>
    /// <c>c[m, n] = sum over p &lt; k of a[m, p] b[n, p]</c>, exactly, with <paramref name="a"/> <c>[m, PaddedDepth(k)]</c>
    /// and <paramref name="b"/> <c>[n, PaddedDepth(k)]</c> (row-major, the padding of each row of <paramref name="b"/>
    /// zero) and <paramref name="c"/> <c>[m, n]</c>, overwritten.
    /// </summary>
    /// <param name="a">The unsigned activations, <c>[m, PaddedDepth(k)]</c>.</param>
    /// <param name="b">The signed weights, one row per output, <c>[n, PaddedDepth(k)]</c>.</param>
    /// <param name="c">The int32 products, <c>[m, n]</c>.</param>
    /// <param name="m">The rows of <paramref name="a"/> (the batch).</param>
    /// <param name="n">The rows of <paramref name="b"/> (the outputs).</param>
    /// <param name="k">The depth (the inputs), at most <see cref="MaxDepth"/>.</param>
    /// <param name="path">The instructions to use; tests and benchmarks force each one.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative, <paramref name="k"/> is above <see cref="MaxDepth"/>, or <paramref name="path"/> is not a path.</exception>
    /// <exception cref="ArgumentException">An operand is shorter than its shape, or a row of <paramref name="b"/> has a non-zero byte in its padding.</exception>
    /// <exception cref="PlatformNotSupportedException"><paramref name="path"/> needs instructions this CPU lacks.</exception>
    public static void MultiplyTransposedB(ReadOnlySpan<byte> a, ReadOnlySpan<sbyte> b, Span<int> c, int m, int n, int k, Int8GemmPath path = Int8GemmPath.Auto)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (k > MaxDepth)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, $"A depth of {k} could overflow the int32 sums; at most {MaxDepth} products are exact. Split the inputs into products of at most {MaxDepth} and add them.");
        }

        int stride = PaddedDepth(k);
        RequireLength(a.Length, m, stride, nameof(a), padded: true);
        RequireLength(b.Length, n, stride, nameof(b), padded: true);
        RequireLength(c.Length, m, n, nameof(c));
        if (stride != k)
        {
            for (int j = 0; j < n; j++)
            {
                if (b.Slice((j * stride) + k, stride - k).ContainsAnyExcept((sbyte)0))
                {
                    throw new ArgumentException($"Row {j} of the weights has a non-zero byte in its padding (bytes {k} to {stride - 1}); the padding must be zero, as Int8Quantization.QuantizeWeightsPerChannel writes it.", nameof(b));
                }
            }
        }

        switch (path)
        {
            case Int8GemmPath.Auto:
                if (X86.AvxVnni.IsSupported)
                {
                    MultiplyAvxVnni(a, b, c, m, n, k, stride);
                }
                else if (X86.Avx2.IsSupported)
                {
                    MultiplyAvx2(a, b, c, m, n, k, stride);
                }
                else
                {
                    MultiplyScalar(a, b, c, m, n, k, stride);
                }

                break;
            case Int8GemmPath.AvxVnni:
                RequireSupported(path);
                MultiplyAvxVnni(a, b, c, m, n, k, stride);
                break;
            case Int8GemmPath.Avx2:
                RequireSupported(path);
                MultiplyAvx2(a, b, c, m, n, k, stride);
                break;
            case Int8GemmPath.Scalar:
                MultiplyScalar(a, b, c, m, n, k, stride);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(path), path, "Not an Int8GemmPath: use Auto, AvxVnni, Avx2 or Scalar.");
        }
    }

    /// <summary>Checks a 2-D operand's length; the message is built only on failure, so a call allocates nothing.</summary>
    internal static void RequireLength(int length, int rows, int columns, string name, bool padded = false)
    {
        long required = (long)rows * columns;
        if (length < required)
        {
            string note = padded ? " (a padded row: its depth rounded up to a multiple of four, Int8Gemm.PaddedDepth)" : "";
            throw new ArgumentException($"{name} holds {length} elements but its shape [{rows}, {columns}]{note} needs {required}.", name);
        }
    }

    /// <summary>Checks a 1-D operand's length.</summary>
    internal static void RequireLength(int length, int count, string name)
    {
        if (length < count)
        {
            throw new ArgumentException($"{name} holds {length} elements but its shape [{count}] needs {count}.", name);
        }
    }

    private static void RequireSupported(Int8GemmPath path)
    {
        if (!IsSupported(path))
        {
            throw new PlatformNotSupportedException($"The {path} path needs instructions this CPU lacks; use Int8GemmPath.Auto, which picks the fastest path it has.");
        }
    }

    private static void MultiplyScalar(ReadOnlySpan<byte> a, ReadOnlySpan<sbyte> b, Span<int> c, int m, int n, int k, int stride)
    {
        for (int i = 0; i < m; i++)
        {
            ReadOnlySpan<byte> row = a.Slice(i * stride, k);
            for (int j = 0; j < n; j++)
            {
                c[(i * n) + j] = Dot(row, b.Slice(j * stride, k));
            }
        }
    }

    private static int Dot(ReadOnlySpan<byte> a, ReadOnlySpan<sbyte> b)
    {
        int sum = 0;
        for (int p = 0; p < a.Length; p++)
        {
            sum += a[p] * b[p];
        }

        return sum;
    }

    /// <summary>
    /// One row of <c>A</c> against four rows of <c>B</c> at a time, so that each 32-byte load of <c>A</c> feeds four
    /// <c>vpdpbusd</c>; a 16-byte step and a scalar loop finish a depth that is not a multiple of 32.
    /// </summary>
    private static void MultiplyAvxVnni(ReadOnlySpan<byte> a, ReadOnlySpan<sbyte> b, Span<int> c, int m, int n, int k, int stride)
    {
        ref byte a0 = ref MemoryMarshal.GetReference(a);
        ref sbyte b0 = ref MemoryMarshal.GetReference(b);
        int wide = stride & ~31;
        int narrow = stride & ~15;
        for (int i = 0; i < m; i++)
        {
            ref byte row = ref Unsafe.Add(ref a0, i * stride);
            int j = 0;
            for (; j + 4 <= n; j += 4)
            {
                ref sbyte w0 = ref Unsafe.Add(ref b0, j * stride);
                ref sbyte w1 = ref Unsafe.Add(ref w0, stride);
                ref sbyte w2 = ref Unsafe.Add(ref w1, stride);
                ref sbyte w3 = ref Unsafe.Add(ref w2, stride);
                Vector256<int> s0 = Vector256<int>.Zero, s1 = Vector256<int>.Zero, s2 = Vector256<int>.Zero, s3 = Vector256<int>.Zero;
                int p = 0;
                for (; p < wide; p += 32)
                {
                    Vector256<byte> x = Vector256.LoadUnsafe(ref row, (nuint)p);
                    s0 = X86.AvxVnni.MultiplyWideningAndAdd(s0, x, Vector256.LoadUnsafe(ref w0, (nuint)p));
                    s1 = X86.AvxVnni.MultiplyWideningAndAdd(s1, x, Vector256.LoadUnsafe(ref w1, (nuint)p));
                    s2 = X86.AvxVnni.MultiplyWideningAndAdd(s2, x, Vector256.LoadUnsafe(ref w2, (nuint)p));
                    s3 = X86.AvxVnni.MultiplyWideningAndAdd(s3, x, Vector256.LoadUnsafe(ref w3, (nuint)p));
                }

                Vector128<int> t0 = s0.GetLower() + s0.GetUpper(), t1 = s1.GetLower() + s1.GetUpper();
                Vector128<int> t2 = s2.GetLower() + s2.GetUpper(), t3 = s3.GetLower() + s3.GetUpper();
                if (p < narrow)
                {
                    Vector128<byte> x = Vector128.LoadUnsafe(ref row, (nuint)p);
                    t0 = X86.AvxVnni.MultiplyWideningAndAdd(t0, x, Vector128.LoadUnsafe(ref w0, (nuint)p));
                    t1 = X86.AvxVnni.MultiplyWideningAndAdd(t1, x, Vector128.LoadUnsafe(ref w1, (nuint)p));
                    t2 = X86.AvxVnni.MultiplyWideningAndAdd(t2, x, Vector128.LoadUnsafe(ref w2, (nuint)p));
                    t3 = X86.AvxVnni.MultiplyWideningAndAdd(t3, x, Vector128.LoadUnsafe(ref w3, (nuint)p));
                    p += 16;
                }

                int r0 = Vector128.Sum(t0), r1 = Vector128.Sum(t1), r2 = Vector128.Sum(t2), r3 = Vector128.Sum(t3);
                for (; p < k; p++)
                {
                    int x = Unsafe.Add(ref row, p);
                    r0 += x * Unsafe.Add(ref w0, p);
                    r1 += x * Unsafe.Add(ref w1, p);
                    r2 += x * Unsafe.Add(ref w2, p);
                    r3 += x * Unsafe.Add(ref w3, p);
                }

                c[(i * n) + j] = r0;
                c[(i * n) + j + 1] = r1;
                c[(i * n) + j + 2] = r2;
                c[(i * n) + j + 3] = r3;
            }

            for (; j < n; j++)
            {
                ref sbyte w = ref Unsafe.Add(ref b0, j * stride);
                Vector256<int> s = Vector256<int>.Zero;
                int p = 0;
                for (; p < wide; p += 32)
                {
                    s = X86.AvxVnni.MultiplyWideningAndAdd(s, Vector256.LoadUnsafe(ref row, (nuint)p), Vector256.LoadUnsafe(ref w, (nuint)p));
                }

                int r = Vector256.Sum(s);
                for (; p < k; p++)
                {
                    r += Unsafe.Add(ref row, p) * Unsafe.Add(ref w, p);
                }

                c[(i * n) + j] = r;
            }
        }
    }

    /// <summary>
    /// Sixteen bytes at a time: both operands widened to 16 bits (<c>vpmovzxbw</c>, <c>vpmovsxbw</c>) and multiplied
    /// with <c>vpmaddwd</c>, whose pair sums (at most 2 × 255 × 128) fit its 32-bit lanes, so the result is exact.
    /// </summary>
    private static void MultiplyAvx2(ReadOnlySpan<byte> a, ReadOnlySpan<sbyte> b, Span<int> c, int m, int n, int k, int stride)
    {
        ref byte a0 = ref MemoryMarshal.GetReference(a);
        ref sbyte b0 = ref MemoryMarshal.GetReference(b);
        int narrow = stride & ~15;
        for (int i = 0; i < m; i++)
        {
            ref byte row = ref Unsafe.Add(ref a0, i * stride);
            int j = 0;
            for (; j + 2 <= n; j += 2)
            {
                ref sbyte w0 = ref Unsafe.Add(ref b0, j * stride);
                ref sbyte w1 = ref Unsafe.Add(ref w0, stride);
                Vector256<int> s0 = Vector256<int>.Zero, s1 = Vector256<int>.Zero;
                int p = 0;
                for (; p < narrow; p += 16)
                {
                    Vector256<short> x = X86.Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref row, (nuint)p));
                    s0 += X86.Avx2.MultiplyAddAdjacent(x, X86.Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref w0, (nuint)p)));
                    s1 += X86.Avx2.MultiplyAddAdjacent(x, X86.Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref w1, (nuint)p)));
                }

                int r0 = Vector256.Sum(s0), r1 = Vector256.Sum(s1);
                for (; p < k; p++)
                {
                    int x = Unsafe.Add(ref row, p);
                    r0 += x * Unsafe.Add(ref w0, p);
                    r1 += x * Unsafe.Add(ref w1, p);
                }

                c[(i * n) + j] = r0;
                c[(i * n) + j + 1] = r1;
            }

            for (; j < n; j++)
            {
                ref sbyte w = ref Unsafe.Add(ref b0, j * stride);
                Vector256<int> s = Vector256<int>.Zero;
                int p = 0;
                for (; p < narrow; p += 16)
                {
                    s += X86.Avx2.MultiplyAddAdjacent(
                        X86.Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref row, (nuint)p)),
                        X86.Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref w, (nuint)p)));
                }

                int r = Vector256.Sum(s);
                for (; p < k; p++)
                {
                    r += Unsafe.Add(ref row, p) * Unsafe.Add(ref w, p);
                }

                c[(i * n) + j] = r;
            }
        }
    }
}
