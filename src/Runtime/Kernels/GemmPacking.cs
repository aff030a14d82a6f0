using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TypedNets.Kernels;

public static partial class Gemm
{
    /// <summary>
    /// Copies <c>op(A)[row0 .. row0 + rows, p0 .. p0 + depth]</c> into micro-panels of <see cref="MicroRows"/> rows:
    /// panel after panel, and within a panel column after column (<c>Ã[q MR + r]</c>), which is the order the
    /// micro-kernel broadcasts them in. The last panel is padded with zero rows.
    /// </summary>
    private static void PackA(StridedMatrix a, int row0, int rows, int p0, int depth, ref float packed)
    {
        int mr = MicroRows;
        for (int ir = 0; ir < rows; ir += mr)
        {
            int height = Math.Min(mr, rows - ir);
            ref float source = ref a.At(row0 + ir, p0);
            if (mr == 8 && ir + 16 <= rows && a.RowStride == 1 && Vector512.IsHardwareAccelerated)
            {
                // A^T, two panels at once: a column's 16 values are one cache line of the source (when aligned) where
                // one panel would use half of each line and leave the other half to be fetched again for the next;
                // the weight gradients' products (A = Xᵀ, depth the batch's 768 rows) spent 3% of the baby GPT's
                // training step here.
                ref float second = ref Unsafe.Add(ref packed, mr * depth);
                for (int q = 0; q < depth; q++)
                {
                    Vector512<float> column = Vector512.LoadUnsafe(ref Unsafe.Add(ref source, q * a.ColumnStride));
                    column.GetLower().StoreUnsafe(ref Unsafe.Add(ref packed, q * mr));
                    column.GetUpper().StoreUnsafe(ref Unsafe.Add(ref second, q * mr));
                }

                packed = ref Unsafe.Add(ref packed, 2 * mr * depth);
                ir += mr;
                continue;
            }

            if (height == mr && a.RowStride == 1)
            {
                // A^T: the panel's column q is contiguous in the source.
                for (int q = 0; q < depth; q++)
                {
                    CopyShort(ref Unsafe.Add(ref source, q * a.ColumnStride), ref Unsafe.Add(ref packed, q * mr), mr);
                }
            }
            else
            {
                // A row-major: every row of the panel is contiguous in the source and lands every MR elements. Whole
                // 8 × 8 blocks go through registers; the rest, and the rows of a partial panel, one by one.
                int done = 0;
                if (height == 8 && mr == 8 && a.ColumnStride == 1 && Avx.IsSupported)
                {
                    for (; done + 8 <= depth; done += 8)
                    {
                        Transpose8x8(ref Unsafe.Add(ref source, done), a.RowStride, ref Unsafe.Add(ref packed, done * 8), 8);
                    }
                }

                for (int r = 0; r < height; r++)
                {
                    ref float row = ref Unsafe.Add(ref source, r * a.RowStride);
                    for (int q = done; q < depth; q++)
                    {
                        Unsafe.Add(ref packed, (q * mr) + r) = Unsafe.Add(ref row, q * a.ColumnStride);
                    }
                }

                for (int r = height; r < mr; r++)
                {
                    for (int q = 0; q < depth; q++)
                    {
                        Unsafe.Add(ref packed, (q * mr) + r) = 0;
                    }
                }
            }

            packed = ref Unsafe.Add(ref packed, mr * depth);
        }
    }

    /// <summary>
    /// Copies <c>op(B)[p0 .. p0 + depth, column0 .. column0 + columns]</c> into micro-panels of
    /// <see cref="MicroColumns"/> columns: panel after panel, and within a panel row after row (<c>B̃[q NR + j]</c>),
    /// so that the micro-kernel reads one contiguous row per step of the sum. The last panel is padded with zero
    /// columns.
    /// </summary>
    private static void PackB(StridedMatrix b, int p0, int depth, int column0, int columns, ref float packed)
    {
        int nr = MicroColumns;
        for (int jr = 0; jr < columns; jr += nr)
        {
            int width = Math.Min(nr, columns - jr);
            ref float source = ref b.At(p0, column0 + jr);
            if (width == nr && b.ColumnStride == 1)
            {
                // B row-major: each row of the panel is a contiguous run of NR.
                for (int q = 0; q < depth; q++)
                {
                    CopyRowOfPanel(ref Unsafe.Add(ref source, q * b.RowStride), ref Unsafe.Add(ref packed, q * nr));
                }
            }
            else
            {
                // B^T (or an edge panel): every column of the panel is contiguous in the source and lands every NR.
                // As for A, whole 8 × 8 blocks go through registers.
                int done = 0;
                if (width == nr && b.RowStride == 1 && Avx.IsSupported)
                {
                    for (; done + 8 <= depth; done += 8)
                    {
                        for (int j = 0; j < nr; j += 8)
                        {
                            Transpose8x8(ref Unsafe.Add(ref source, (j * b.ColumnStride) + done), b.ColumnStride, ref Unsafe.Add(ref packed, (done * nr) + j), nr);
                        }
                    }
                }

                for (int j = 0; j < width; j++)
                {
                    ref float column = ref Unsafe.Add(ref source, j * b.ColumnStride);
                    for (int q = done; q < depth; q++)
                    {
                        Unsafe.Add(ref packed, (q * nr) + j) = Unsafe.Add(ref column, q * b.RowStride);
                    }
                }

                for (int j = width; j < nr; j++)
                {
                    for (int q = 0; q < depth; q++)
                    {
                        Unsafe.Add(ref packed, (q * nr) + j) = 0;
                    }
                }
            }

            packed = ref Unsafe.Add(ref packed, nr * depth);
        }
    }

    /// <summary>Copies one row of a B̃ micro-panel, <see cref="MicroColumns"/> floats: two of the widest vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRowOfPanel(ref float source, ref float destination)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512.LoadUnsafe(ref source).StoreUnsafe(ref destination);
            Vector512.LoadUnsafe(ref source, 16).StoreUnsafe(ref destination, 16);
        }
        else
        {
            Vector256.LoadUnsafe(ref source).StoreUnsafe(ref destination);
            Vector256.LoadUnsafe(ref source, 8).StoreUnsafe(ref destination, 8);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyShort(ref float source, ref float destination, int count)
    {
        if (count == 8)
        {
            Vector256.LoadUnsafe(ref source).StoreUnsafe(ref destination);
            return;
        }

        for (int i = 0; i < count; i++)
        {
            Unsafe.Add(ref destination, i) = Unsafe.Add(ref source, i);
        }
    }

    /// <summary>
    /// Writes the transpose of the 8 × 8 block at <paramref name="source"/> (rows <paramref name="sourceStride"/>
    /// apart) to <paramref name="destination"/> (rows <paramref name="destinationStride"/> apart): the usual three
    /// rounds of unpack, shuffle and lane permute, 24 shuffles for 64 elements where a scalar copy takes 64 loads
    /// and 64 stores.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref float source, nint sourceStride, ref float destination, nint destinationStride)
    {
        Vector256<float> r0 = Vector256.LoadUnsafe(ref source);
        Vector256<float> r1 = Vector256.LoadUnsafe(ref source, (nuint)sourceStride);
        Vector256<float> r2 = Vector256.LoadUnsafe(ref source, (nuint)(2 * sourceStride));
        Vector256<float> r3 = Vector256.LoadUnsafe(ref source, (nuint)(3 * sourceStride));
        Vector256<float> r4 = Vector256.LoadUnsafe(ref source, (nuint)(4 * sourceStride));
        Vector256<float> r5 = Vector256.LoadUnsafe(ref source, (nuint)(5 * sourceStride));
        Vector256<float> r6 = Vector256.LoadUnsafe(ref source, (nuint)(6 * sourceStride));
        Vector256<float> r7 = Vector256.LoadUnsafe(ref source, (nuint)(7 * sourceStride));

        // Pairs of rows interleaved: t0 = r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] r0[5] r1[5], and so on.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);

        // Quadruples: u0 = column 0 of rows 0-3 | column 4 of rows 0-3, and so on.
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);

        // Whole columns: the low halves of the rows 0-3 and 4-7 quadruples give columns 0-3, the high halves 4-7.
        Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref destination);
        Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref destination, (nuint)destinationStride);
        Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref destination, (nuint)(2 * destinationStride));
        Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref destination, (nuint)(3 * destinationStride));
        Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref destination, (nuint)(4 * destinationStride));
        Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref destination, (nuint)(5 * destinationStride));
        Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref destination, (nuint)(6 * destinationStride));
        Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref destination, (nuint)(7 * destinationStride));
    }
}
