using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TypedNets.Kernels;

/// <summary>
/// Reinterprets a span of a generic element type as floats, for kernels that take a vectorized float path after
/// checking <c>typeof(T) == typeof(float)</c> (which the JIT folds away) and keep a scalar path for other types.
/// </summary>
internal static class FloatSpans
{
    /// <summary>
    /// The first element as a float; only valid where <typeparamref name="T"/> is float.
    /// <see cref="MemoryMarshal.Cast{TFrom, TTo}(ReadOnlySpan{TFrom})"/> would need <c>T : struct</c>, which the
    /// kernels' generic signatures do not promise.
    /// </summary>
    public static ref float First<T>(ReadOnlySpan<T> span) => ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(span));

    /// <summary>The same memory as floats; only valid where <typeparamref name="T"/> is float.</summary>
    public static ReadOnlySpan<float> AsFloat<T>(ReadOnlySpan<T> span)
        => MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(span)), span.Length);

    /// <summary>The same memory as floats; only valid where <typeparamref name="T"/> is float.</summary>
    public static Span<float> AsFloat<T>(Span<T> span)
        => MemoryMarshal.CreateSpan(ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(span)), span.Length);
}
