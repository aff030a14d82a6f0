using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace TypedNets.Serialization;

/// <summary>
/// Copies weights compiled into a network by <see cref="EmbeddedWeightsAttribute"/> into its parameter buffer;
/// generated code calls this from <c>LoadEmbeddedWeights()</c>.
/// </summary>
/// <remarks>
/// The generator has already checked the weights file against the network and laid its tensors out in the order of
/// the parameter buffer, so there is no header left to read: the bytes are the buffer itself, little-endian float32,
/// as the safetensors format stores them. On a little-endian machine the copy is one block move.
/// </remarks>
public static class EmbeddedParameters
{
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
