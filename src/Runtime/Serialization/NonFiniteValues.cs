using System;
using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;

namespace TypedNets.Serialization;

/// <summary>
/// Finds NaN and infinities among the little-endian floats of a safetensors tensor, in the file's own bytes: every
/// float format TypedNets reads (IEEE binary32 and binary16, and bfloat16) holds a NaN or an infinity exactly when all
/// the bits of its exponent are set, so one masked comparison per element, vectorised, finds them without converting.
/// </summary>
internal static class NonFiniteValues
{
    /// <summary>The index of the first NaN or infinite element of <paramref name="source"/>, or -1 when all are finite.</summary>
    /// <param name="source">Whole elements of <paramref name="dtype"/>, little-endian.</param>
    /// <param name="dtype">Their element type; the integers (the I64 counter, int8 codes and zero points) have no such element.</param>
    public static int IndexOfFirst(ReadOnlySpan<byte> source, SafeTensorsDtype dtype) => dtype switch
    {
        SafeTensorsDtype.F32 => IndexOfFirst(MemoryMarshal.Cast<byte, uint>(source), Native(0x7F80_0000u)),
        SafeTensorsDtype.F16 => IndexOfFirst(MemoryMarshal.Cast<byte, ushort>(source), Native((ushort)0x7C00)),
        SafeTensorsDtype.BF16 => IndexOfFirst(MemoryMarshal.Cast<byte, ushort>(source), Native((ushort)0x7F80)),
        _ => -1,
    };

    /// <summary>
    /// The refusal of a load that met a non-finite value: names the tensor, the element (flat and as an index into the
    /// shape) and the value, and says how to load it anyway.
    /// </summary>
    /// <param name="path">The file, for the message, or <see langword="null"/>.</param>
    /// <param name="tensor">The network tensor the value was to go into.</param>
    /// <param name="element">The element's position in the tensor, row-major.</param>
    /// <param name="value">The value, converted to float (NaN or an infinity).</param>
    public static SafeTensorsFormatException Refusal(string? path, StateTensor tensor, long element, float value)
    {
        long[] index = new long[tensor.Shape.Length];
        long rest = element;
        for (int axis = index.Length - 1; axis >= 0; axis--)
        {
            index[axis] = rest % tensor.Shape[axis];
            rest /= tensor.Shape[axis];
        }

        string kind = tensor.Kind == StateKind.Buffer ? "buffer" : "parameter";
        return SafeTensorsHeader.Error(
            path,
            tensor.Name,
            $"Tensor {SafeTensorsRules.Quote(tensor.Name)} holds {value.ToString(CultureInfo.InvariantCulture)} at element {element} " +
            $"(index [{string.Join(", ", index)}] in shape {SafeTensorsHeader.Format(tensor.Shape)}), and a network with a NaN or infinite {kind} " +
            "predicts NaN: the weights were most likely saved after training diverged. Load weights saved before that, or pass " +
            "allowNonFinite: true to load them as they are.");
    }

    // The exponent mask as it lies in an element read from little-endian bytes in this machine's byte order.
    private static uint Native(uint mask) => BitConverter.IsLittleEndian ? mask : BinaryPrimitives.ReverseEndianness(mask);

    private static ushort Native(ushort mask) => BitConverter.IsLittleEndian ? mask : BinaryPrimitives.ReverseEndianness(mask);

    private static int IndexOfFirst<T>(ReadOnlySpan<T> values, T exponent)
        where T : unmanaged, IBinaryInteger<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<T>.Count)
        {
            // Whole vectors until one holds a non-finite element; the scalar loop below then finds which.
            var mask = new Vector<T>(exponent);
            for (; i <= values.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                if (Vector.EqualsAny(new Vector<T>(values[i..]) & mask, mask))
                {
                    break;
                }
            }
        }

        for (; i < values.Length; i++)
        {
            if ((values[i] & exponent) == exponent)
            {
                return i;
            }
        }

        return -1;
    }
}
