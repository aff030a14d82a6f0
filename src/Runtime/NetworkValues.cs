using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TypedNets;

/// <summary>What the generated <c>Sample</c> and <c>Prediction</c> of every network share. For generated code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class NetworkValues
{
    /// <summary>
    /// Copies <paramref name="values"/> into a new <typeparamref name="TValue"/>, an inline array of
    /// <typeparamref name="TElement"/>, when they fill it exactly.
    /// </summary>
    /// <param name="values">The values, row-major.</param>
    /// <param name="typeName">The value type as the user names it, such as <c>Classifier.Sample</c>.</param>
    /// <param name="shape">Its shape as text, such as <c>[28, 28]</c>.</param>
    /// <exception cref="ArgumentException">When <paramref name="values"/> does not hold exactly as many elements as the type.</exception>
    public static TValue From<TValue, TElement>(ReadOnlySpan<TElement> values, string typeName, string shape)
        where TValue : unmanaged
        where TElement : unmanaged
    {
        int size = Unsafe.SizeOf<TValue>() / Unsafe.SizeOf<TElement>();
        if (values.Length != size)
        {
            string element = typeof(TElement) == typeof(int) ? "ints" : "floats";
            throw new ArgumentException($"{typeName} holds {size} {element} (shape {shape}), but {values.Length} were given.", nameof(values));
        }

        TValue value = default;
        values.CopyTo(MemoryMarshal.Cast<TValue, TElement>(new Span<TValue>(ref value)));
        return value;
    }
}
