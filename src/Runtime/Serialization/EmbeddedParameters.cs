using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.ComponentModel;
using System.Runtime.InteropServices;
using TypedNets.Compression;
using TypedNets.Kernels;

namespace TypedNets.Serialization;

/// <summary>
/// Copies weights compiled into a network by <see cref="EmbeddedWeightsAttribute"/> into its parameter buffer, or, for
/// weights the generator quantised to int8, installs them (<see cref="LoadInt8"/>); generated code calls this from
/// <c>LoadEmbeddedWeights()</c>.
/// </summary>
/// <remarks>
/// The generator has already checked the weights file against the network (NaN and infinities included: they fail the
/// build, TN0033, unless <c>[EmbeddedWeights(AllowNonFinite = true)]</c> lets them in) and laid its tensors out in the
/// order of the parameter buffer, so there is no header left to read: the bytes are the buffer itself, little-endian float32,
/// as the safetensors format stores them. On a little-endian machine the copy is one block move and nothing is
/// allocated.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class EmbeddedParameters
{
    /// <summary>
    /// The embedded parameters as little-endian float32 bytes: a view of <paramref name="words"/>, the constant data the
    /// generator writes (the bytes read as little-endian 64-bit words, two parameters each), without a copy on a
    /// little-endian machine.
    /// </summary>
    /// <param name="words">The generated words: <c>(parameterCount + 1) / 2</c> of them, the last padded with zeros.</param>
    /// <param name="parameterCount">The number of parameters.</param>
    /// <exception cref="ArgumentException">The words do not hold <paramref name="parameterCount"/> parameters (generated code never passes such).</exception>
    public static ReadOnlySpan<byte> LittleEndianBytes(ReadOnlySpan<ulong> words, int parameterCount)
    {
        if (parameterCount < 0 || words.Length != (parameterCount + 1L) / 2)
        {
            throw new ArgumentException(
                $"{words.Length} words of embedded weights cannot hold {parameterCount} parameters, which take {(parameterCount + 1L) / 2}; rebuild the project so that the generator embeds them again.",
                nameof(words));
        }

        if (BitConverter.IsLittleEndian)
        {
            return MemoryMarshal.AsBytes(words)[..(4 * parameterCount)];
        }

        // A big-endian machine holds each word's bytes the other way round; the little-endian order takes a copy.
        byte[] bytes = new byte[8 * words.Length];
        for (int i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8 * i), words[i]);
        }

        return bytes.AsSpan(0, 4 * parameterCount);
    }

    /// <summary>
    /// The first <paramref name="length"/> bytes of <paramref name="words"/>, the constant data the generator writes
    /// (little-endian bytes read as little-endian 64-bit words, the last padded with zeros), without a copy on a
    /// little-endian machine: the int8 weights' form of <see cref="LittleEndianBytes"/>, whose length need not be a
    /// whole number of float32 values.
    /// </summary>
    /// <param name="words">The generated words: <c>(length + 7) / 8</c> of them.</param>
    /// <param name="length">The number of bytes.</param>
    /// <exception cref="ArgumentException">The words do not hold <paramref name="length"/> bytes (generated code never passes such).</exception>
    public static ReadOnlySpan<byte> WordBytes(ReadOnlySpan<ulong> words, int length)
    {
        if (length < 0 || words.Length != (length + 7L) / 8)
        {
            throw new ArgumentException(
                $"{words.Length} words of embedded weights cannot hold {length} bytes, which take {(length + 7L) / 8}; rebuild the project so that the generator embeds them again.",
                nameof(words));
        }

        if (BitConverter.IsLittleEndian)
        {
            return MemoryMarshal.AsBytes(words)[..length];
        }

        byte[] bytes = new byte[8 * words.Length];
        for (int i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8 * i), words[i]);
        }

        return bytes.AsSpan(0, length);
    }

    /// <summary>
    /// Makes <paramref name="network"/> the int8 network the generator quantised at build time
    /// (<c>[EmbeddedWeights(..., Quantization = EmbeddedQuantization.Int8)]</c>): builds its int8 weights from the
    /// embedded codes and scales and installs them, and writes the float parameters, the dequantised weights
    /// (<c>scale * code</c>) and the embedded float values of the rest, just as <c>Quantize()</c> leaves them, so that
    /// the network is, bit for bit, <c>Quantize()</c> of the float network. Generated code calls it from
    /// <c>LoadEmbeddedWeights()</c>.
    /// </summary>
    /// <param name="network">The network, whose parameters are replaced.</param>
    /// <param name="bytes">
    /// The parameters that stay float (little-endian float32, in parameter order, the int8 weights left out), then each
    /// int8 weight's row scales (little-endian float32), then each int8 weight's codes (one byte each, row-major).
    /// </param>
    /// <param name="offsets">Where each int8 weight starts in <c>Parameters</c>, in order: the weights <c>Quantization.QuantizableWeights</c> lists.</param>
    /// <exception cref="ArgumentException">The offsets are not the network's quantisable weights, or the bytes do not have their length (generated code never passes such).</exception>
    public static void LoadInt8(INetwork network, ReadOnlySpan<byte> bytes, ReadOnlySpan<int> offsets)
    {
        ArgumentNullException.ThrowIfNull(network);
        NetworkCore core = network.Core;
        IReadOnlyList<(ParameterTensor Tensor, int Rows, int Columns)> weights = Quantization.QuantizableWeights(network);
        bool same = weights.Count == offsets.Length;
        long codes = 0, scales = 0;
        for (int i = 0; i < weights.Count; i++)
        {
            same &= i < offsets.Length && weights[i].Tensor.Offset == offsets[i];
            codes += (long)weights[i].Rows * weights[i].Columns;
            scales += weights[i].Rows;
        }

        if (!same)
        {
            throw new ArgumentException(
                $"{core.Name}'s embedded int8 weights start at offsets [{string.Join(", ", offsets.ToArray())}], but its quantisable weights at [{string.Join(", ", Offsets(weights))}]; " +
                "rebuild the project so that the generator embeds them again.",
                nameof(offsets));
        }

        float[] parameters = core.Engine.Parameters;
        long floats = parameters.Length - codes;
        long expected = (4 * floats) + (4 * scales) + codes;
        if (bytes.Length != expected)
        {
            throw new ArgumentException(
                $"{core.Name}'s embedded int8 weights hold {bytes.Length} bytes, not the {expected} of its {floats} float parameters, {scales} scales and {codes} codes; " +
                "rebuild the project so that the generator embeds them again.",
                nameof(bytes));
        }

        // The float parameters fill the gaps between the int8 weights, in order.
        int read = 0, next = 0;
        foreach ((ParameterTensor tensor, _, _) in weights)
        {
            CopyTo(core.Name, bytes.Slice(read, 4 * (tensor.Offset - next)), parameters.AsSpan(next, tensor.Offset - next));
            read += 4 * (tensor.Offset - next);
            next = tensor.Offset + tensor.Length;
        }

        CopyTo(core.Name, bytes.Slice(read, 4 * (parameters.Length - next)), parameters.AsSpan(next));
        read += 4 * (parameters.Length - next);

        int code = read + (4 * (int)scales);
        var table = new Int8Weight[weights.Count];
        for (int i = 0; i < weights.Count; i++)
        {
            (ParameterTensor tensor, int rows, int columns) = weights[i];
            float[] rowScales = new float[rows];
            CopyTo(core.Name, bytes.Slice(read, 4 * rows), rowScales);
            table[i] = Int8Weight.FromCodes(tensor.Name, tensor.Offset, MemoryMarshal.Cast<byte, sbyte>(bytes.Slice(code, rows * columns)), rowScales, rows, columns);
            table[i].Dequantize(parameters.AsSpan(tensor.Offset, rows * columns));
            read += 4 * rows;
            code += rows * columns;
        }

        core.Engine.Int8Weights = new Int8Weights(table);
        core.Engine.WeightVersion.Bump();
    }

    private static IEnumerable<int> Offsets(IReadOnlyList<(ParameterTensor Tensor, int Rows, int Columns)> weights)
    {
        foreach ((ParameterTensor tensor, _, _) in weights)
        {
            yield return tensor.Offset;
        }
    }

    /// <summary>Copies <paramref name="bytes"/>, little-endian float32 values, into <paramref name="parameters"/>.</summary>
    /// <param name="network">The network's name, for the message.</param>
    /// <param name="bytes">Four bytes per parameter, in the layout of <paramref name="parameters"/>.</param>
    /// <param name="parameters">The network's parameter buffer.</param>
    /// <exception cref="ArgumentException">The bytes are not four per parameter (generated code never passes such).</exception>
    public static void CopyTo(string network, ReadOnlySpan<byte> bytes, Span<float> parameters)
    {
        if (bytes.Length != 4L * parameters.Length)
        {
            throw new ArgumentException(
                $"{network} has {parameters.Length} parameters ({4L * parameters.Length} bytes as float32), but its embedded weights hold {bytes.Length} bytes; " +
                "rebuild the project so that the generator embeds them again.",
                nameof(bytes));
        }

        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(bytes).CopyTo(parameters);
            return;
        }

        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
        }
    }
}
