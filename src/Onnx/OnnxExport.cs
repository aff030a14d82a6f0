using System;
using System.IO;
using Google.Protobuf;
using TypedNets.Serialization;

namespace TypedNets.Onnx;

/// <summary>
/// Writes a network as an ONNX model for ONNX Runtime, Triton's ONNX backend or Netron, as <c>torch.onnx.export</c> or
/// Keras' <c>tf2onnx</c> do: opset 17 (IR version 8), graph input <c>input</c> and output <c>output</c> with a dynamic first
/// dimension named <c>batch</c>, and one initializer per <c>state_dict</c> tensor under its <c>state_dict</c> name
/// (<c>hidden.weight</c>, <c>bn.running_mean</c>), holding the network's current weights. The graph computes what
/// <c>Predict</c> computes: inference mode, dropout left out, batch normalisation on its running statistics.
/// </summary>
/// <remarks>
/// The graph is walked by each layer's <see cref="Layer.Sources"/>, so blocks, residual blocks, <c>[From]</c> branches,
/// Add, Concatenate and layers reading the network's input export as declared, nodes named after their modules.
/// Covered: Dense (also on sequences, and tied to an embedding), every <see cref="Activation"/>, Dropout, Flatten, Conv2D
/// (stride, padding, dilation, groups, with or without bias), MaxPool2D and AvgPool2D (with padding,
/// <c>count_include_pad</c> as TypedNets), GlobalAveragePooling2D, BatchNorm, LayerNorm, Embedding (with
/// <c>MaskZero</c>: the padding mask in global 1-D pooling and in LSTM/GRU, unrolled over the steps), PositionEmbedding,
/// Conv1D, MaxPool1D, AvgPool1D, GlobalAveragePooling1D, GlobalMaxPooling1D, LSTM and GRU (stacked, bidirectional),
/// SelfAttention, Add (with its activation) and Concatenate (an image's channels, otherwise the last axis).
/// An int8-quantised network exports as its quantised Predict computes, every weight Quantize turns into int8: Dense
/// inputs quantised per row (dynamic) or with the calibrated scale (static) and multiplied by <c>MatMulInteger</c>;
/// statically quantised Conv2D layers through <c>ConvInteger</c>; dynamically quantised ones unfolded in the graph
/// (im2col), each patch quantised as a row of its own; int8 LSTM and GRU layers (stacked, bidirectional, masked)
/// unrolled over their steps, each step's input and previous state quantised as the runtime quantises them. Grouped
/// convolutions stay float, as Quantize leaves them.
/// </remarks>
public static class Onnx
{
    /// <summary>The ONNX operator set the exported models import (the default domain).</summary>
    public const int Opset = 17;

    /// <summary>The ONNX IR version of the exported models: 8, the one of ONNX 1.12, which introduced opset 17.</summary>
    public const int IrVersion = 8;

    /// <summary>
    /// Writes <paramref name="network"/> as an ONNX model to the file at <paramref name="path"/>, atomically
    /// (<see cref="AtomicFile"/>): the model is written beside it and renamed into place, so an existing file is replaced
    /// whole or left as it was.
    /// </summary>
    /// <param name="network">The network, with the weights to export.</param>
    /// <param name="path">The file to write, usually ending in <c>.onnx</c>.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="network"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException">When <paramref name="path"/> is empty.</exception>
    /// <exception cref="NotSupportedException">When the network holds a layer kind or option the exporter does not cover yet; the message names it.</exception>
    /// <exception cref="IOException">Writing or renaming failed; the file at <paramref name="path"/> is unchanged.</exception>
    public static void Export(INetwork network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] model = ToBytes(network);
        AtomicFile.Write(path, stream => stream.Write(model));
    }

    /// <summary>Writes <paramref name="network"/> as an ONNX model to <paramref name="stream"/>, as <c>torch.onnx.export(model, args, f)</c> with a file object.</summary>
    /// <param name="network">The network, with the weights to export.</param>
    /// <param name="stream">A writable stream; it is left open.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="network"/> or <paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException">When <paramref name="stream"/> cannot be written.</exception>
    /// <exception cref="NotSupportedException">When the network holds a layer kind or option the exporter does not cover yet; the message names it.</exception>
    public static void Export(INetwork network, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream cannot be written; pass a writable stream, such as a FileStream opened for writing.", nameof(stream));
        }

        byte[] model = ToBytes(network);
        stream.Write(model);
    }

    /// <summary>The ONNX model of <paramref name="network"/> as bytes, for <c>new InferenceSession(bytes)</c> or to store elsewhere.</summary>
    /// <param name="network">The network, with the weights to export.</param>
    /// <returns>The serialised <c>ModelProto</c>.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="network"/> is null.</exception>
    /// <exception cref="NotSupportedException">When the network holds a layer kind or option the exporter does not cover yet; the message names it.</exception>
    public static byte[] ToBytes(INetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return OnnxGraphBuilder.Build(network).ToByteArray();
    }
}
