using System;
using System.ComponentModel;
using System.Numerics;

namespace TypedNets;

/// <summary>Token ids on their way into a network, whose flat API carries them as floating-point values.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class TokenIds
{
    /// <summary>The largest id a float holds exactly (2^24).</summary>
    public const int MaxExactId = 1 << 24;

    /// <summary>
    /// Converts <paramref name="ids"/> into the start of <paramref name="destination"/>; generated networks call this
    /// with the input buffer of their workspace.
    /// </summary>
    /// <exception cref="ArgumentException">When there are more ids than <paramref name="destination"/> holds, or an id is negative or above 2^24.</exception>
    public static void Convert<T>(ReadOnlySpan<int> ids, Span<T> destination)
        where T : INumberBase<T>
    {
        if (ids.Length > destination.Length)
        {
            throw new ArgumentException(
                $"{ids.Length} token ids exceed the workspace of {destination.Length}; construct the network with a larger maxBatch, or split the batch.",
                nameof(ids));
        }

        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] > MaxExactId)
            {
                throw new ArgumentException($"Token id {ids[i]} at position {i} is negative or above 2^24; token ids are vocabulary indices from 0.", nameof(ids));
            }

            destination[i] = T.CreateTruncating(ids[i]);
        }
    }
}
