using System;

namespace TypedNets.Serialization;

/// <summary>
/// A safetensors file that <see cref="SafeTensors"/> could not load: a header length the file cannot hold, a header
/// that is not the expected JSON, a tensor entry with an unknown dtype, a bad shape or bad <c>data_offsets</c>, tensors
/// that overlap, leave gaps or do not cover the data, tensors that do not match the network's names and shapes, or a
/// NaN or infinite value where the load does not allow one (<c>allowNonFinite</c>). It is the only exception a
/// malformed file causes; a load that throws it has left the network's parameters and buffers as they were.
/// </summary>
/// <remarks>
/// The message says what was wrong, with the value found and the value expected, and where one tensor is at fault it
/// names it; <see cref="TensorName"/> and <see cref="FilePath"/> hold the same facts for code.
/// </remarks>
public sealed class SafeTensorsFormatException : FormatException
{
    /// <summary>Creates the exception; <paramref name="message"/> should already name the file and the tensor.</summary>
    /// <param name="message">What was wrong, with which value, and what was expected.</param>
    /// <param name="filePath">The file being read, or <see langword="null"/> when the bytes came from a stream or a span.</param>
    /// <param name="tensorName">The tensor at fault, or <see langword="null"/> when the fault is not one tensor's.</param>
    /// <param name="innerException">The JSON parser's exception, when the header is not valid JSON.</param>
    public SafeTensorsFormatException(string message, string? filePath = null, string? tensorName = null, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    /// <summary>The file being read, or <see langword="null"/> when the bytes came from a stream or a span.</summary>
    public string? FilePath { get; }

    /// <summary>The name of the tensor at fault as the file spells it, or <see langword="null"/> when no one tensor is.</summary>
    public string? TensorName { get; }
}
