using System;

namespace TypedNets;

/// <summary>
/// Marks a <c>partial class</c> as a network. Its layers are the partial properties that carry a layer
/// attribute such as <see cref="DenseAttribute"/>, taken in source order; the per-sample input shape comes
/// from <see cref="InputAttribute"/>. The TypedNets generator infers every shape at compile time and emits
/// the forward and backward passes.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
}

/// <summary>
/// The shape of one sample, without the batch dimension: <c>[Input(10)]</c> for ten features,
/// <c>[Input(1, 28, 28)]</c> for a one-channel 28x28 image. The batch size stays dynamic.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class InputAttribute : Attribute
{
    /// <summary>Declares the per-sample input shape.</summary>
    /// <param name="shape">One to three positive dimensions.</param>
    public InputAttribute(params int[] shape) => Shape = shape;

    /// <summary>The per-sample input shape as declared.</summary>
    public int[] Shape { get; }
}
