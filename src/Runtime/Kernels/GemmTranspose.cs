using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace TypedNets.Kernels;

public static partial class Gemm
{
    /// <summary>Writes the transpose of the row-major <c>[rows, columns]</c> matrix <paramref name="source"/> to <paramref name="destination"/>, <c>[columns, rows]</c>.</summary>
    /// <remarks>
    /// For a weight that a sequence of few-row products uses many times (a recurrent layer predicting one sample),
    /// so that each product can run as <see cref="Multiply{T}"/>: broadcast multiply-adds along contiguous rows
    /// instead of one dot product, with its horizontal sum, per output.
    /// </remarks>
    public static void Transpose<T>(ReadOnlySpan<T> source, Span<T> destination, int rows, int columns)
        where T : IFloatingPointIeee754<T>
    {
        if (rows < 0 || columns < 0 || source.Length < rows * columns || destination.Length < rows * columns)
        {
            throw new ArgumentException(
                $"Transposing [{rows}, {columns}] needs {rows * columns} elements in both spans; the source has {source.Length}, the destination {destination.Length}.");
        }

        int blockRows = 0, blockColumns = 0;
        if (typeof(T) == typeof(float) && Avx.IsSupported)
        {
            blockRows = rows - (rows % 8);
            blockColumns = columns - (columns % 8);
            for (int i = 0; i < blockRows; i += 8)
            {
                for (int j = 0; j < blockColumns; j += 8)
                {
                    Transpose8x8(ref Unsafe.Add(ref FloatSpans.First(source), (i * columns) + j), columns, ref Unsafe.Add(ref FloatSpans.First(destination), (j * rows) + i), rows);
                }
            }
        }

        // The edges the 8 × 8 blocks leave: the columns right of them in every row, and the rows below them.
        for (int i = 0; i < rows; i++)
        {
            for (int j = i < blockRows ? blockColumns : 0; j < columns; j++)
            {
                destination[(j * rows) + i] = source[(i * columns) + j];
            }
        }
    }
}
