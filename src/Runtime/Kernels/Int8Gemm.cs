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
                    MultiplyAvxVnni(a, b, c, m, n, stride);
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
                MultiplyAvxVnni(a, b, c, m, n, stride);
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
    /// Blocks of rows of <c>B</c> of at most <see cref="BlockBytes"/> (20 rows, 15 KiB, at the MLP's depth of 784), so
    /// that they stay in the L1 cache, against every row of <c>A</c> in turn, three rows of <c>A</c> by four of <c>B</c> at a time: each step
    /// loads seven 32-byte vectors for twelve <c>vpdpbusd</c>, in the sixteen registers the VEX encoding has. Without the
    /// blocking, every row of <c>A</c> read all of <c>B</c> from L2 (200 KiB for the MLP's first layer), which was most
    /// of a batch's time.
    /// </summary>
    private static void MultiplyAvxVnni(ReadOnlySpan<byte> a, ReadOnlySpan<sbyte> b, Span<int> c, int m, int n, int stride)
    {
        ref byte a0 = ref MemoryMarshal.GetReference(a);
        ref sbyte b0 = ref MemoryMarshal.GetReference(b);
        ref int c0 = ref MemoryMarshal.GetReference(c);
        int block = Math.Max(4, (BlockBytes / Math.Max(stride, 1)) & ~3);
        for (int j0 = 0; j0 < n; j0 += block)
        {
            int jEnd = Math.Min(n, j0 + block);
            int i = 0;
            for (; i + 3 <= m; i += 3)
            {
                int j = j0;
                for (; j + 4 <= jEnd; j += 4)
                {
                    Tile3x4(ref Unsafe.Add(ref a0, i * stride), ref Unsafe.Add(ref b0, j * stride), ref Unsafe.Add(ref c0, (i * n) + j), n, stride);
                }

                for (int row = i; row < i + 3; row++)
                {
                    Columns(ref Unsafe.Add(ref a0, row * stride), ref b0, ref Unsafe.Add(ref c0, row * n), j, jEnd, stride);
                }
            }

            for (; i < m; i++)
            {
                Columns(ref Unsafe.Add(ref a0, i * stride), ref b0, ref Unsafe.Add(ref c0, i * n), j0, jEnd, stride);
            }
        }
    }

    /// <summary>The bytes of <c>B</c> a block of rows may take: a third of a 48 KiB L1 data cache, the rest for <c>A</c>'s rows and the sums.</summary>
    private const int BlockBytes = 16 * 1024;

    /// <summary>C[0..3, 0..3] of the tile at <paramref name="c"/> (rows <paramref name="n"/> apart): three rows of A by four of B.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile3x4(ref byte a, ref sbyte b, ref int c, int n, int stride)
    {
        ref byte x0 = ref a;
        ref byte x1 = ref Unsafe.Add(ref a, stride);
        ref byte x2 = ref Unsafe.Add(ref a, 2 * stride);
        ref sbyte w0 = ref b;
        ref sbyte w1 = ref Unsafe.Add(ref b, stride);
        ref sbyte w2 = ref Unsafe.Add(ref b, 2 * stride);
        ref sbyte w3 = ref Unsafe.Add(ref b, 3 * stride);
        Vector256<int> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector256<int> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector256<int> s20 = default, s21 = default, s22 = default, s23 = default;
        // The padding (to a multiple of four) is zero in B, so its products add nothing and the depth can run to the stride.
        int wide = stride & ~31;
        int p = 0;
        for (; p < wide; p += 32)
        {
            Vector256<byte> v0 = Vector256.LoadUnsafe(ref x0, (nuint)p);
            Vector256<byte> v1 = Vector256.LoadUnsafe(ref x1, (nuint)p);
            Vector256<byte> v2 = Vector256.LoadUnsafe(ref x2, (nuint)p);
            Vector256<sbyte> w = Vector256.LoadUnsafe(ref w0, (nuint)p);
            s00 = X86.AvxVnni.MultiplyWideningAndAdd(s00, v0, w);
            s10 = X86.AvxVnni.MultiplyWideningAndAdd(s10, v1, w);
            s20 = X86.AvxVnni.MultiplyWideningAndAdd(s20, v2, w);
            w = Vector256.LoadUnsafe(ref w1, (nuint)p);
            s01 = X86.AvxVnni.MultiplyWideningAndAdd(s01, v0, w);
            s11 = X86.AvxVnni.MultiplyWideningAndAdd(s11, v1, w);
            s21 = X86.AvxVnni.MultiplyWideningAndAdd(s21, v2, w);
            w = Vector256.LoadUnsafe(ref w2, (nuint)p);
            s02 = X86.AvxVnni.MultiplyWideningAndAdd(s02, v0, w);
            s12 = X86.AvxVnni.MultiplyWideningAndAdd(s12, v1, w);
            s22 = X86.AvxVnni.MultiplyWideningAndAdd(s22, v2, w);
            w = Vector256.LoadUnsafe(ref w3, (nuint)p);
            s03 = X86.AvxVnni.MultiplyWideningAndAdd(s03, v0, w);
            s13 = X86.AvxVnni.MultiplyWideningAndAdd(s13, v1, w);
            s23 = X86.AvxVnni.MultiplyWideningAndAdd(s23, v2, w);
        }

        // A 16-byte step where the depth allows (784 = 24 x 32 + 16), into the lower halves of the sums.
        if (p + 16 <= stride)
        {
            Vector128<byte> v0 = Vector128.LoadUnsafe(ref x0, (nuint)p);
            Vector128<byte> v1 = Vector128.LoadUnsafe(ref x1, (nuint)p);
            Vector128<byte> v2 = Vector128.LoadUnsafe(ref x2, (nuint)p);
            Vector128<sbyte> w = Vector128.LoadUnsafe(ref w0, (nuint)p);
            s00 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v0, w).ToVector256();
            s10 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v1, w).ToVector256();
            s20 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v2, w).ToVector256();
            w = Vector128.LoadUnsafe(ref w1, (nuint)p);
            s01 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v0, w).ToVector256();
            s11 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v1, w).ToVector256();
            s21 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v2, w).ToVector256();
            w = Vector128.LoadUnsafe(ref w2, (nuint)p);
            s02 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v0, w).ToVector256();
            s12 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v1, w).ToVector256();
            s22 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v2, w).ToVector256();
            w = Vector128.LoadUnsafe(ref w3, (nuint)p);
            s03 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v0, w).ToVector256();
            s13 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v1, w).ToVector256();
            s23 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v2, w).ToVector256();
            p += 16;
        }

        // Then four bytes at a time (a 3 x 3 kernel over one channel is 9 deep, 12 with its padding), in lane 0.
        for (; p < stride; p += 4)
        {
            Vector128<byte> v0 = Quad(ref x0, p), v1 = Quad(ref x1, p), v2 = Quad(ref x2, p);
            Vector128<sbyte> w = Quad(ref w0, p);
            s00 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v0, w).ToVector256();
            s10 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v1, w).ToVector256();
            s20 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v2, w).ToVector256();
            w = Quad(ref w1, p);
            s01 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v0, w).ToVector256();
            s11 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v1, w).ToVector256();
            s21 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v2, w).ToVector256();
            w = Quad(ref w2, p);
            s02 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v0, w).ToVector256();
            s12 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v1, w).ToVector256();
            s22 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v2, w).ToVector256();
            w = Quad(ref w3, p);
            s03 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v0, w).ToVector256();
            s13 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v1, w).ToVector256();
            s23 += X86.AvxVnni.MultiplyWideningAndAdd(Vector128<int>.Zero, v2, w).ToVector256();
        }

        Store4(ref c, s00, s01, s02, s03);
        Store4(ref Unsafe.Add(ref c, n), s10, s11, s12, s13);
        Store4(ref Unsafe.Add(ref c, 2 * n), s20, s21, s22, s23);
    }

    /// <summary>Four bytes from <paramref name="p"/> in the lowest lane of a vector, the rest zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Quad<T>(ref T start, int p)
        where T : unmanaged
        => Vector128.CreateScalar(Unsafe.ReadUnaligned<int>(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref start, p)))).As<int, T>();

    /// <summary>The lane sums of four accumulators into four consecutive ints: two rounds of pairwise adds, then the halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(ref int c, Vector256<int> s0, Vector256<int> s1, Vector256<int> s2, Vector256<int> s3)
    {
        Vector256<int> pairs = X86.Avx2.HorizontalAdd(X86.Avx2.HorizontalAdd(s0, s1), X86.Avx2.HorizontalAdd(s2, s3));
        (pairs.GetLower() + pairs.GetUpper()).StoreUnsafe(ref c);
    }

    /// <summary>One row of A against rows <paramref name="from"/> to <paramref name="to"/> of B: four at a time, then one.</summary>
    private static void Columns(ref byte row, ref sbyte b0, ref int c, int from, int to, int stride)
    {
        int wide = stride & ~31;
        int j = from;
        for (; j + 4 <= to; j += 4)
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

            Unsafe.Add(ref c, j) = Vector256.Sum(s0) + Rest(ref row, ref w0, p, stride);
            Unsafe.Add(ref c, j + 1) = Vector256.Sum(s1) + Rest(ref row, ref w1, p, stride);
            Unsafe.Add(ref c, j + 2) = Vector256.Sum(s2) + Rest(ref row, ref w2, p, stride);
            Unsafe.Add(ref c, j + 3) = Vector256.Sum(s3) + Rest(ref row, ref w3, p, stride);
        }

        for (; j < to; j++)
        {
            ref sbyte w = ref Unsafe.Add(ref b0, j * stride);
            Vector256<int> s = Vector256<int>.Zero;
            int p = 0;
            for (; p < wide; p += 32)
            {
                s = X86.AvxVnni.MultiplyWideningAndAdd(s, Vector256.LoadUnsafe(ref row, (nuint)p), Vector256.LoadUnsafe(ref w, (nuint)p));
            }

            Unsafe.Add(ref c, j) = Vector256.Sum(s) + Rest(ref row, ref w, p, stride);
        }
    }

    /// <summary>The products of depths <paramref name="from"/> to <paramref name="stride"/>: sixteen bytes with a 128-bit <c>vpdpbusd</c> where they are there, then four at a time (the padding of B is zero, so it adds nothing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Rest(ref byte x, ref sbyte w, int from, int stride)
    {
        Vector128<int> sum = Vector128<int>.Zero;
        int p = from;
        if (p + 16 <= stride)
        {
            sum = X86.AvxVnni.MultiplyWideningAndAdd(sum, Vector128.LoadUnsafe(ref x, (nuint)p), Vector128.LoadUnsafe(ref w, (nuint)p));
            p += 16;
        }

        for (; p < stride; p += 4)
        {
            sum = X86.AvxVnni.MultiplyWideningAndAdd(sum, Quad(ref x, p), Quad(ref w, p));
        }

        return Vector128.Sum(sum);
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
