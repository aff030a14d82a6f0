using System;

namespace TypedNets.Onnx;

/// <summary>
/// An ONNX file whose weights <see cref="OnnxWeights"/> could not load: bytes that are not an ONNX model, an initializer
/// of an element type or data length it cannot read, or tensors that do not match the network's <c>state_dict</c> names
/// and shapes. A load that throws it has left the network's parameters and buffers as they were.
/// </summary>
/// <remarks>
/// The message says what was wrong, with the value found, the value expected and the fix; where one tensor is at fault
/// it names it, and <see cref="TensorName"/> and <see cref="FilePath"/> hold the same facts for code.
/// </remarks>
public sealed class OnnxFormatException : FormatException
{
    /// <summary>Creates the exception; <paramref name="message"/> should already name the file and the tensor.</summary>
    /// <param name="message">What was wrong, with which value, and what was expected.</param>
    /// <param name="filePath">The file being read, or <see langword="null"/> when the bytes came from a stream or a span.</param>
    /// <param name="tensorName">The tensor at fault, or <see langword="null"/> when the fault is not one tensor's.</param>
    /// <param name="innerException">The protobuf parser's exception, when the bytes are not a valid message.</param>
    public OnnxFormatException(string message, string? filePath = null, string? tensorName = null, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    /// <summary>The file being read, or <see langword="null"/> when the bytes came from a stream or a span.</summary>
    public string? FilePath { get; }

    /// <summary>The name of the tensor at fault, or <see langword="null"/> when no one tensor is.</summary>
    public string? TensorName { get; }
}
