using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TypedNets.Kernels;

// The single-precision path: the loop nest of BLIS (Van Zee and van de Geijn, "BLIS: A Framework for Rapidly
// Instantiating BLAS Functionality", 2015), which OpenBLAS and oneDNN's CPU GEMMs share. The block sizes below are
// for this project's machine (48 KiB of L1d and 1 MiB of L2 per core, AVX-512), and were measured there.
//
//   for jc over columns of C, NC at a time         B block  [KC, NC] packed once, lives in L2/L3
//     for pc over the sum, KC at a time
//       pack op(B)[pc.., jc..] into B̃ (NR-column micro-panels)
//       for ic over rows of C, MC at a time          A block  [MC, KC] packed, lives in L2
//         pack op(A)[ic.., pc..] into Ã (MR-row micro-panels)
//         for jr over B̃'s micro-panels                B micro-panel [KC, NR] stays in L1 across the ir loop
//           for ir over Ã's micro-panels
//             micro-kernel: C[MR, NR] (+)= Ã panel · B̃ panel
//
// Packing is where the three forms differ: it reads op(A) and op(B) through row and column strides, so A^T and B^T
// are never materialised, and it pads the last micro-panels with zeros so that the micro-kernel always sees full
// tiles. The micro-kernel is in GemmMicroKernel.cs, packing in GemmPacking.cs, the two-thread split in
// GemmParallel.cs.
//
// Measured on one core of that machine (best of 15 runs of 0.2 s): 1024 × 1024 × 1024 at about 92% of the FMA peak
// of a register-only loop, in all three forms; the plain loops this replaces reached about 16%.
public static partial class Gemm
{
    /// <summary>Whether <see cref="float"/> products take the packed path: it needs 256- or 512-bit vectors with FMA.</summary>
    private static bool IsSingleAccelerated => Vector512.IsHardwareAccelerated || (Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported);

    /// <summary>
    /// Whether a <see cref="float"/> product of this shape takes the packed path. Packing pads to whole micro-tiles,
    /// so a product with very few rows (a batch of one, a matrix-vector product) or, for <c>A B^T</c>, very few
    /// columns would mostly multiply zeros; the plain loops, a dot product or an axpy per row, are faster there
    /// (measured: 1 × 256 × 64 and 3 × 512 × 256 in every form, 32 × 2 × 64 and 32 × 8 × 128 in <c>A B^T</c>).
    /// Everything from 4 × 16 up, even 8 × 8 × 8, is faster packed.
    /// </summary>
    private static bool UsesPackedPath(int m, int n, bool transposedB) => IsSingleAccelerated && m >= 4 && (n >= 16 || !transposedB);

    /// <summary>The rows of a micro-tile, <c>MR</c>.</summary>
    private static int MicroRows => Vector512.IsHardwareAccelerated ? 8 : 6;

    /// <summary>The columns of a micro-tile, <c>NR</c>: two vectors.</summary>
    private static int MicroColumns => Vector512.IsHardwareAccelerated ? 32 : 16;

    /// <summary>The largest micro-tile of any path, for the edge tiles' scratch space.</summary>
    private const int MaxMicroTile = 8 * 32;

    /// <summary>
    /// <c>KC</c>, the length of the sum a micro-kernel call covers: the B̃ micro-panel of <c>KC × NR</c> floats
    /// (32 KiB at NR = 32) and the Ã micro-panel of <c>MR × KC</c> (8 KiB) fit together in a 48 KiB L1.
    /// </summary>
    private const int DepthBlock = 256;

    /// <summary><c>MC</c>, the rows of Ã: <c>MC × KC</c> floats (192 KiB) stay in a 1 MiB L2 with room for B̃'s panels.</summary>
    private const int RowBlock = 192;

    /// <summary><c>NC</c>, the columns of B̃: <c>KC × NC</c> floats (2 MiB) stay in L3.</summary>
    private const int ColumnBlock = 2048;

    /// <summary>Every thread's pack buffers, allocated on its first product and grown only for a larger one.</summary>
    [ThreadStatic]
    private static PackBuffers? t_packBuffers;

    /// <summary>A matrix read through strides, so that a transpose is a swap of the two strides.</summary>
    private readonly ref struct StridedMatrix
    {
        public readonly ref float Origin;
        public readonly nint RowStride;
        public readonly nint ColumnStride;

        public StridedMatrix(ref float origin, nint rowStride, nint columnStride)
        {
            Origin = ref origin;
            RowStride = rowStride;
            ColumnStride = columnStride;
        }

        public ref float At(int row, int column) => ref Unsafe.Add(ref Origin, (row * RowStride) + (column * ColumnStride));
    }

    /// <summary>
    /// <c>C[m, n] = op(A) B</c> in single precision with <c>op(A)[i, p]</c> at <c>a + i aRowStride + p aColumnStride</c>,
    /// for a block of a larger matrix (causal attention's lower triangle, <see cref="AttentionKernel"/>); <c>B</c> and
    /// <c>C</c> are row-major and contiguous.
    /// </summary>
    /// <returns>Whether it was done: not when the shape takes neither single-precision path, where the caller multiplies another way.</returns>
    internal static bool TryMultiplyStrided(ref float a, nint aRowStride, nint aColumnStride, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k)
    {
        if (GemmFewRows.Applies(m) || !(UsesSmallPath(m, n, k, transposedB: false) || UsesPackedPath(m, n, transposedB: false)))
        {
            return false;
        }

        // A's extent is the caller's to keep within its matrix; B's and C's are checked here.
        if (b.Length < (long)k * n || c.Length < (long)m * n)
        {
            throw new ArgumentException($"GEMM with m = {m}, n = {n}, k = {k} needs B of {(long)k * n} and C of {(long)m * n} elements, but got {b.Length} and {c.Length}.");
        }

        MultiplySingle(new(ref a, aRowStride, aColumnStride), new(ref MemoryMarshal.GetReference(b), n, 1), ref MemoryMarshal.GetReference(c), m, n, k, accumulate: false);
        return true;
    }

    private static unsafe void MultiplySingle(
        StridedMatrix a, StridedMatrix b, ref float c, int m, int n, int k, bool accumulate, Epilogue epilogue = default, PrepackedB prepacked = default)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            if (!accumulate)
            {
                MemoryMarshal.CreateSpan(ref c, m * n).Clear();
            }

            return;
        }

        if (prepacked.Panels == null && UsesSmallPath(m, n, k, transposedB: b.ColumnStride != 1))
        {
            MultiplySmall(a, b, ref c, m, n, k, accumulate, epilogue.Bias, epilogue.ReLU);
            return;
        }

        if (TryMultiplyOnTwoThreads(a, b, ref c, m, n, k, accumulate, epilogue, prepacked))
        {
            return;
        }

        MultiplyBlocked(a, b, ref c, n, 0, m, 0, n, k, accumulate, epilogue, prepacked, t_packBuffers ??= new PackBuffers());
    }

    /// <summary>
    /// The rows <c>[rowStart, rowEnd)</c> and columns <c>[columnStart, columnEnd)</c> of <c>C</c>, with the loop nest
    /// described at the top of this file. With <paramref name="prepacked"/> the B̃ blocks are read from it instead of
    /// being packed (see <c>GemmPrepacked.cs</c>); everything else, and so every sum, is the same.
    /// </summary>
    private static unsafe void MultiplyBlocked(
        StridedMatrix a, StridedMatrix b, ref float c, int ldc,
        int rowStart, int rowEnd, int columnStart, int columnEnd, int k, bool accumulate, Epilogue epilogue, PrepackedB prepacked, PackBuffers buffers)
    {
        int mr = MicroRows;
        int nr = MicroColumns;
        int kcMax = DepthBlock, mcMax = RowBlock, ncMax = ColumnBlock;
        for (int jc = columnStart; jc < columnEnd; jc += ncMax)
        {
            int nc = Math.Min(ncMax, columnEnd - jc);
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc);
                ref float packedB = ref prepacked.Panels == null ? ref buffers.B(RoundUp(nc, nr) * kc) : ref prepacked.Block(pc, kc, jc);
                if (prepacked.Panels == null)
                {
                    PackB(b, pc, kc, jc, nc, ref packedB);
                }

                // The first block of the sum overwrites C unless the caller accumulates; the others add to it. The
                // last one applies the epilogue as it stores.
                bool add = accumulate || pc > 0;
                Epilogue last = pc + kc == k ? epilogue.From(jc) : default;
                for (int ic = rowStart; ic < rowEnd; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, rowEnd - ic);
                    ref float packedA = ref buffers.A(RoundUp(mc, mr) * kc);
                    PackA(a, ic, mc, pc, kc, ref packedA);
                    MacroKernel(ref packedA, ref packedB, mc, nc, kc, ref Unsafe.Add(ref c, ((nint)ic * ldc) + jc), ldc, add, last);
                }
            }
        }
    }

    /// <summary><c>C[mc, nc] (+)= Ã · B̃</c> for one packed block of each operand, a micro-tile at a time.</summary>
    private static void MacroKernel(ref float packedA, ref float packedB, int mc, int nc, int kc, ref float c, nint ldc, bool add, Epilogue epilogue)
    {
        int mr = MicroRows;
        int nr = MicroColumns;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int columns = Math.Min(nr, nc - jr);
            ref float bPanel = ref Unsafe.Add(ref packedB, (nint)jr * kc);
            for (int ir = 0; ir < mc; ir += mr)
            {
                int rows = Math.Min(mr, mc - ir);
                ref float aPanel = ref Unsafe.Add(ref packedA, (nint)ir * kc);
                ref float cTile = ref Unsafe.Add(ref c, (ir * ldc) + jr);
                if (rows == mr && columns == nr)
                {
                    MicroKernel(ref aPanel, ref bPanel, kc, ref cTile, ldc, add, epilogue.From(jr));
                }
                else
                {
                    EdgeTile(ref aPanel, ref bPanel, kc, ref cTile, ldc, add, epilogue.From(jr), rows, columns);
                }
            }
        }
    }

    /// <summary>
    /// A tile on the bottom or right edge of <c>C</c>: the micro-kernel writes a full tile into scratch space (the
    /// packed panels are zero-padded, so the extra rows and columns are harmless) and only the part inside <c>C</c> is
    /// copied out. Edge tiles are a small share of any product big enough for the packed path to matter.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void EdgeTile(ref float aPanel, ref float bPanel, int kc, ref float c, nint ldc, bool add, Epilogue epilogue, int rows, int columns)
    {
        int nr = MicroColumns;
        Span<float> tile = stackalloc float[MaxMicroTile];
        MicroKernel(ref aPanel, ref bPanel, kc, ref MemoryMarshal.GetReference(tile), nr, add: false, epilogue: default);
        for (int r = 0; r < rows; r++)
        {
            Span<float> source = tile.Slice(r * nr, columns);
            Span<float> target = MemoryMarshal.CreateSpan(ref Unsafe.Add(ref c, r * ldc), columns);
            for (int j = 0; j < columns; j++)
            {
                float value = add ? target[j] + source[j] : source[j];
                if (epilogue.Bias != null)
                {
                    value += epilogue.Bias[j];
                }

                target[j] = epilogue.ReLU ? Math.Max(value, 0f) : value;
            }
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>
    /// One thread's Ã and B̃. The arrays are pinned so that their 64-byte alignment, worked out once, holds: the
    /// micro-kernel's 64-byte loads of B̃ then never straddle two cache lines.
    /// </summary>
    private sealed class PackBuffers
    {
        private float[] _a = [];
        private float[] _b = [];
        private int _aStart;
        private int _bStart;

        public ref float A(int length) => ref Ensure(ref _a, ref _aStart, length);

        public ref float B(int length) => ref Ensure(ref _b, ref _bStart, length);

        private static ref float Ensure(ref float[] array, ref int start, int length)
        {
            if (array.Length - start < length)
            {
                array = AllocateAligned(length, out start);
            }

            return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(array), start);
        }
    }

    /// <summary>
    /// A pinned array with room for <paramref name="length"/> floats from <paramref name="start"/>, which lies on a
    /// 64-byte cache line: packed panels read by whole 64-byte loads then never straddle two lines.
    /// </summary>
    internal static unsafe float[] AllocateAligned(int length, out int start)
    {
        const int alignment = 64;
        float[] array = GC.AllocateUninitializedArray<float>(length + (alignment / sizeof(float)), pinned: true);
        nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        start = (int)((alignment - (address % alignment)) % alignment / sizeof(float));
        return array;
    }
}
