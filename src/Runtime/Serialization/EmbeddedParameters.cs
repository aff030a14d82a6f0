using System;
using System.ComponentModel;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace TypedNets.Serialization;

/// <summary>
/// Copies weights compiled into a network by <see cref="EmbeddedWeightsAttribute"/> into its parameter buffer;
/// generated code calls this from <c>LoadEmbeddedWeights()</c>.
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
