using System;
using System.ComponentModel;

namespace TypedNets;

/// <summary>The sizes and output layer of a generated network, as its engine hands them to <see cref="NetworkEngine{T}"/>. For generated code.</summary>
/// <param name="Name">The network's name, for error messages.</param>
/// <param name="InputSize">The number of values in one flattened input sample.</param>
/// <param name="OutputSize">The number of values in one flattened output sample.</param>
/// <param name="ParameterCount">The number of trainable parameters.</param>
/// <param name="BufferCount">The number of non-trainable values (batch normalisation's running statistics).</param>
/// <param name="WidestSample">The most values one sample has at any layer, which bounds the batch an array can hold.</param>
/// <param name="OutputActivation">The activation of the output layer when it is a dense layer, which the losses fuse; otherwise <see langword="null"/>.</param>
/// <param name="LossWidth">The last axis of the output, which the losses read: the classes, or the units of each step.</param>
/// <param name="TokenInput">Whether the input is token ids rather than floats.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed record EngineLayout(
    string Name, int InputSize, int OutputSize, int ParameterCount, int BufferCount, int WidestSample,
    Activation? OutputActivation, int LossWidth, bool TokenInput)
{
    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> with <paramref name="message"/>: the layout of a network whose
    /// declaration has errors, so that constructing its engine fails with the reason.
    /// </summary>
    /// <exception cref="InvalidOperationException">Always.</exception>
    public static EngineLayout Unavailable(string message) => throw new InvalidOperationException(message);
}

/// <summary>The workspace arrays of a generated engine that <see cref="NetworkEngine{T}"/> reads and writes. For generated code.</summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="Input">The input of the last forward pass, <c>[MaxBatch, InputSize]</c>.</param>
/// <param name="Output">The output of the last forward pass, <c>[MaxBatch, OutputSize]</c>.</param>
/// <param name="OutputPreActivation">The output layer's values before its activation, or <see langword="null"/> when it keeps none.</param>
/// <param name="OutputGradient">Where the backward pass starts: the gradient with respect to the output.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct EngineBuffers<T>(T[] Input, T[] Output, T[]? OutputPreActivation, T[] OutputGradient);
