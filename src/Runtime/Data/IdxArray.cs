using System;
using System.Globalization;

namespace TypedNets.Data;

/// <summary>
/// The array held by an IDX file: its element type, its shape (the first dimension counts items, such as images or
/// labels) and its elements as row-major <see cref="float"/>s.
/// </summary>
/// <remarks>
/// Every type converts to <see cref="float"/> exactly except <see cref="IdxDataType.Int32"/> beyond ±2^24 and
/// <see cref="IdxDataType.Float64"/>, which round to the nearest float, and become infinities beyond float's range (as
/// <c>torch.from_numpy(a).float()</c> does).
/// </remarks>
public sealed class IdxArray
{
    private readonly int[] _shape;

    /// <summary>Wraps <paramref name="data"/> (not copied) as an array of <paramref name="shape"/> (copied).</summary>
    /// <exception cref="ArgumentException">The shape is empty, has a negative dimension, or does not hold exactly <c>data.Length</c> elements.</exception>
    public IdxArray(IdxDataType dataType, ReadOnlySpan<int> shape, float[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (shape.IsEmpty)
        {
            throw new ArgumentException("An IDX array has at least one dimension (the item count).", nameof(shape));
        }

        // Products saturate just above any .NET array's length, so a huge shape cannot overflow into a match.
        const long Saturated = long.MaxValue / int.MaxValue;
        long elements = 1;
        long itemLength = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] < 0)
            {
                throw new ArgumentException($"Dimensions cannot be negative, got shape {Describe(shape)}.", nameof(shape));
            }

            elements = Math.Min(elements * shape[d], Saturated);
            itemLength = d == 0 ? 1 : Math.Min(itemLength * shape[d], Saturated);
        }

        if (elements != data.Length || itemLength > Array.MaxLength)
        {
            throw new ArgumentException($"Shape {Describe(shape)} holds {elements} elements, but the data has {data.Length}.", nameof(data));
        }

        DataType = dataType;
        _shape = shape.ToArray();
        Data = data;
        ItemLength = (int)itemLength;
    }

    /// <summary>The element type the file stored (the data here is always <see cref="float"/>).</summary>
    public IdxDataType DataType { get; }

    /// <summary>The dimensions, outermost first: <c>[count, rows, columns]</c> for MNIST images, <c>[count]</c> for labels.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>The first dimension: the number of items (images, labels).</summary>
    public int Count => _shape[0];

    /// <summary>The number of elements in one item: the product of every dimension but the first (1 for a vector).</summary>
    public int ItemLength { get; }

    /// <summary>All elements, row-major; the array is this object's own, so changes show through <see cref="Item"/>.</summary>
    public float[] Data { get; }

    /// <summary>The elements of item <paramref name="index"/> (for images, one image's pixels, row by row).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in [0, <see cref="Count"/>).</exception>
    public Span<float> Item(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The array holds items 0 to {Count - 1}.");
        }

        return Data.AsSpan(index * ItemLength, ItemLength);
    }

    /// <summary>The type and shape, such as <c>UInt8 60000 x 28 x 28</c>.</summary>
    public override string ToString() => $"{DataType} {Describe(_shape)}";

    internal static string Describe(ReadOnlySpan<int> shape)
    {
        var parts = new string[shape.Length];
        for (int d = 0; d < shape.Length; d++)
        {
            parts[d] = shape[d].ToString(CultureInfo.InvariantCulture);
        }

        return string.Join(" x ", parts);
    }
}
