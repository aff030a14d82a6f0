using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TypedNets.Kernels;

// A dense layer's weight packed once for the blocked path, as ONNX Runtime's MLAS packs a constant B at session
// creation: predicting 256 samples of the MLP 784-256-128-10 spent 7% of its time packing the same weights into B̃ at
// every call.
//
// The whole of op(B) = W^T [k, n] is packed as the blocked path would pack it, one depth block after another, and
// within a depth block every micro-panel of all n columns:
//
//   for pc over the sum, KC at a time
//     B̃ block [kc, RoundUp(n, NR)]: micro-panel after micro-panel, each kc rows of NR
//
// so the B̃ of any block (pc, jc) of the loop nest, jc a multiple of NR (column blocks and a shared product's column
// pieces always are), is one contiguous run: it starts at RoundUp(n, NR) pc + jc kc. The micro-kernel then reads the
// same values in the same order as from a B̃ packed during the call, and the product has the same bits.
public static partial class Gemm
{
    /// <summary>
    /// Whether a single-precision <c>A B^T</c> (with or without its epilogue) of this shape runs on packed B̃ blocks,
    /// the only products a prepacked weight changes: not those with fewer than four rows (they stream <c>B</c> as it
    /// is), nor the small ones (they pack nothing, or copy a tiny <c>B^T</c>), nor those the plain loops take.
    /// </summary>
    /// <param name="m">The rows of the product: the batch, for a dense layer.</param>
    /// <param name="n">The columns: the layer's outputs.</param>
    /// <param name="k">The length of the sums: its inputs.</param>
    internal static bool UsesPrepackedTransposedB(int m, int n, int k)
        => k > 0 && n > 0 && !GemmFewRows.Applies(m) && !UsesSmallPath(m, n, k, transposedB: true) && UsesPackedPath(m, n, transposedB: true);

    /// <summary>The floats a prepacked <c>B^T</c> of <c>B [n, k]</c> takes: every micro-panel padded to <see cref="MicroColumns"/> columns.</summary>
    internal static int PrepackedTransposedBLength(int n, int k) => RoundUp(n, MicroColumns) * k;

    /// <summary>
    /// Packs <c>B^T</c>, <paramref name="b"/> row-major <c>[n, k]</c> (a dense layer's weight <c>[outputs, inputs]</c>),
    /// into <paramref name="panels"/> in the layout at the top of this file, for
    /// <see cref="MultiplyTransposedBPrepacked"/>. The destination should start on a cache line (64 bytes), as the
    /// blocked path's own buffers do, so that no vector load of a micro-panel straddles two lines.
    /// </summary>
    internal static void PackTransposedB(ReadOnlySpan<float> b, int n, int k, Span<float> panels)
    {
        if (b.Length < (long)n * k || panels.Length < PrepackedTransposedBLength(n, k))
        {
            throw new ArgumentException(
                $"Packing B^T of B [{n}, {k}] needs B of {(long)n * k} floats and room for {PrepackedTransposedBLength(n, k)}, but got {b.Length} and {panels.Length}.");
        }

        // B^T[p, j] = B[j, p] is at j k + p, as MultiplyTransposedB reads it.
        var source = new StridedMatrix(ref MemoryMarshal.GetReference(b), 1, k);
        int width = RoundUp(n, MicroColumns);
        for (int pc = 0; pc < k; pc += DepthBlock)
        {
            int kc = Math.Min(DepthBlock, k - pc);
            PackB(source, pc, kc, 0, n, ref panels[width * pc]);
        }
    }

    /// <summary>
    /// <c>C[m, n] = A[m, k] · B[n, k]^T + bias[n]</c>, then a ReLU when <paramref name="relu"/> is set, as
    /// <see cref="MultiplyTransposedB{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, int, bool)"/>
    /// computes it, bit for bit, with the B̃ blocks read from <paramref name="panels"/> (made by
    /// <see cref="PackTransposedB"/> from the same <paramref name="b"/>) instead of packed during the call. For the
    /// shapes of <see cref="UsesPrepackedTransposedB"/>; the caller keeps <paramref name="panels"/> pinned and unchanged
    /// until this returns.
    /// </summary>
    internal static unsafe void MultiplyTransposedBPrepacked(
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, float* panels, ReadOnlySpan<float> bias, Span<float> c, int m, int n, int k, bool relu)
    {
        CheckSizes(a.Length, b.Length, c.Length, m, n, k);
        if (!bias.IsEmpty && bias.Length != n)
        {
            throw new ArgumentException($"A product with n = {n} columns needs a bias of {n} elements, but got {bias.Length}.", nameof(bias));
        }

        if (!UsesPrepackedTransposedB(m, n, k))
        {
            throw new ArgumentException($"A product of m = {m}, n = {n}, k = {k} does not run on packed blocks of B; call MultiplyTransposedB.");
        }

        fixed (float* biasStart = bias)
        {
            MultiplySingle(
                new(ref MemoryMarshal.GetReference(a), k, 1), new(ref MemoryMarshal.GetReference(b), 1, k), ref MemoryMarshal.GetReference(c), m, n, k,
                accumulate: false, new Epilogue(biasStart, relu), new PrepackedB(panels, n));
        }
    }

    /// <summary>
    /// A whole <c>op(B)</c> packed in advance (see the top of this file), or none (<see cref="Panels"/> null): the
    /// blocked path then packs its B̃ blocks itself. A raw pointer, so that it can travel to the helper thread with a
    /// shared product; whoever made it keeps the array pinned.
    /// </summary>
    private readonly unsafe struct PrepackedB(float* panels, int columns)
    {
        public readonly float* Panels = panels;

        /// <summary>The columns of <c>op(B)</c>, <c>n</c>: the depth blocks are <c>RoundUp(n, NR)</c> wide.</summary>
        public readonly int Columns = columns;

        /// <summary>The B̃ block of the depth block starting at <paramref name="pc"/> (<paramref name="kc"/> deep) from column <paramref name="jc"/>, a multiple of NR.</summary>
        public ref float Block(int pc, int kc, int jc) => ref Unsafe.AsRef<float>(Panels + ((nint)RoundUp(Columns, MicroColumns) * pc) + ((nint)jc * kc));
    }
}
