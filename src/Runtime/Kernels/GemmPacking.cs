using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
                // A row-major: every row of the panel is contiguous in the source and lands every MR elements.
                for (int r = 0; r < height; r++)
                {
                    ref float row = ref Unsafe.Add(ref source, r * a.RowStride);
                    for (int q = 0; q < depth; q++)
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
                for (int j = 0; j < width; j++)
                {
                    ref float column = ref Unsafe.Add(ref source, j * b.ColumnStride);
                    for (int q = 0; q < depth; q++)
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
}
