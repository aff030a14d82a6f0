using System;
using System.ComponentModel;

namespace TypedNets.Text;

/// <summary>
/// One position of a causal language model at a time, over key/value caches of its own: the generated decode path
/// of a network whose layers all work per position. For generated code; use the network's <c>CreateGenerator</c>.
/// </summary>
/// <remarks>
/// A decoder holds one row per layer and, per attention layer, a key and a value cache of <see cref="Context"/>
/// positions, all made with it, so a step allocates nothing. It reads the network's weights where they are, so a
/// step after training or loading sees the new ones. One thread at a time.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class TokenDecoder
{
    /// <summary>Describes the decoder of <paramref name="network"/>.</summary>
    /// <param name="network">The network's name, for messages.</param>
    /// <param name="vocabulary">The token ids it reads and the logits it writes per position.</param>
    /// <param name="context">The positions its caches hold: the network's <c>[TokenInput(steps)]</c>.</param>
    /// <param name="access">The network's guard: a step reads the weights as a prediction does.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="network"/> or <paramref name="access"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="vocabulary"/> or <paramref name="context"/> is not positive.</exception>
    protected TokenDecoder(string network, int vocabulary, int context, NetworkAccess access)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(access);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabulary);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(context);
        Network = network;
        Vocabulary = vocabulary;
        Context = context;
        Access = access;
    }

    /// <summary>The network's name.</summary>
    public string Network { get; }

    /// <summary>The number of token ids, and of logits per position.</summary>
    public int Vocabulary { get; }

    /// <summary>The longest sequence the caches hold.</summary>
    public int Context { get; }

    /// <summary>The guard of the network whose weights the decoder reads.</summary>
    public NetworkAccess Access { get; }

    /// <summary>
    /// Runs every layer on <paramref name="token"/> at <paramref name="position"/>, appending the position's keys and
    /// values to the attention layers' caches, and writes the logits of the token that follows. The caches must hold
    /// positions 0 to <paramref name="position"/> - 1 of the same sequence; the arguments are not checked here.
    /// </summary>
    /// <param name="token">The token id, in [0, <see cref="Vocabulary"/>).</param>
    /// <param name="position">The token's position, in [0, <see cref="Context"/>).</param>
    /// <param name="logits"><see cref="Vocabulary"/> floats: the next token's logits (before a head's softmax).</param>
    public abstract void Step(int token, int position, Span<float> logits);
}
