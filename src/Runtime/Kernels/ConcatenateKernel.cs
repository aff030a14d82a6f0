using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Kernels;

/// <summary>
/// Concatenation along one axis, seen as rows: every row of the output is the rows of the inputs side by side, so one
/// input is a block of <c>width</c> columns at <c>offset</c> in rows of <c>outputWidth</c>. Images join their channels
/// (a row is one sample), vectors and sequences their features (a row is one sample, or one step).
/// </summary>
public static class ConcatenateKernel
{
    /// <summary>Copies the <paramref name="rows"/> rows of <paramref name="x"/> into columns <c>[offset, offset + width)</c> of <paramref name="y"/>.</summary>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, int rows, int width, int offset, int outputWidth)
        where T : IFloatingPointIeee754<T>
    {
        Check(x.Length, y.Length, rows, width, offset, outputWidth);
        for (int row = 0; row < rows; row++)
        {
            x.Slice(row * width, width).CopyTo(y.Slice((row * outputWidth) + offset, width));
        }
    }

    /// <summary>
    /// The gradient of one input: columns <c>[offset, offset + width)</c> of <paramref name="dy"/>, written into
    /// <paramref name="dx"/>, or added to it with <paramref name="accumulate"/> (an input that other layers read too).
    /// </summary>
    public static void Backward<T>(ReadOnlySpan<T> dy, Span<T> dx, int rows, int width, int offset, int outputWidth, bool accumulate)
        where T : IFloatingPointIeee754<T>
    {
        Check(dx.Length, dy.Length, rows, width, offset, outputWidth);
        for (int row = 0; row < rows; row++)
        {
            ReadOnlySpan<T> source = dy.Slice((row * outputWidth) + offset, width);
            Span<T> target = dx.Slice(row * width, width);
            if (accumulate)
            {
                TensorPrimitives.Add(target, source, target);
            }
            else
            {
                source.CopyTo(target);
            }
        }
    }

    private static void Check(int inputLength, int outputLength, int rows, int width, int offset, int outputWidth)
    {
        if (rows < 0 || width < 1 || offset < 0 || offset + width > outputWidth || inputLength < rows * width || outputLength < rows * outputWidth)
        {
            throw new ArgumentException(
                $"Concatenation of {rows} rows of {width} values at column {offset} of {outputWidth} needs {rows * width} input and {rows * outputWidth} output values, got {inputLength} and {outputLength}.");
        }
    }
}
