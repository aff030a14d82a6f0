using System;

namespace TypedNets;

/// <summary>Token ids on their way into a network, whose flat API carries them as floats.</summary>
public static class TokenIds
{
    /// <summary>The largest id a float holds exactly (2^24).</summary>
    public const int MaxExactId = 1 << 24;

    /// <summary>
    /// Converts <paramref name="ids"/> into the start of <paramref name="scratch"/> and returns that part; generated
    /// networks call this with a scratch buffer sized for their largest batch.
    /// </summary>
    /// <exception cref="ArgumentException">When there are more ids than the scratch holds, or an id is negative or above 2^24.</exception>
    public static ReadOnlySpan<float> ToFloats(ReadOnlySpan<int> ids, float[] scratch, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        if (ids.Length > scratch.Length)
        {
            throw new ArgumentException(
                $"{ids.Length} token ids exceed the workspace of {scratch.Length} ({maxBatch} samples); construct the network with a larger maxBatch, or split the batch.",
                nameof(ids));
        }

        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] > MaxExactId)
            {
                throw new ArgumentException($"Token id {ids[i]} at position {i} is negative or above 2^24; token ids are vocabulary indices from 0.", nameof(ids));
            }

            scratch[i] = ids[i];
        }

        return scratch.AsSpan(0, ids.Length);
    }
}
