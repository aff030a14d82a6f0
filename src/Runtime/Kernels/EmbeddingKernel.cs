using System;
using System.Numerics;

namespace TypedNets.Kernels;

/// <summary>
/// Embedding lookup, PyTorch's <c>nn.Embedding</c>: row <c>id</c> of a <c>[vocabulary, dimension]</c> table for every
/// token. Token ids arrive as values of the element type (exact up to 2^24 in float) and are checked before use.
/// </summary>
public static class EmbeddingKernel
{
    /// <summary>Writes <c>output[p] = table[tokens[p]]</c> for every position <c>p</c>.</summary>
    /// <exception cref="ArgumentException">A token is not a whole number in <c>[0, vocabulary)</c>; the message names its position.</exception>
    public static void Forward<T>(ReadOnlySpan<T> tokens, ReadOnlySpan<T> table, Span<T> output, int vocabulary, int dimension)
        where T : IFloatingPointIeee754<T>
    {
        for (int position = 0; position < tokens.Length; position++)
        {
            int id = TokenId(tokens[position], position, vocabulary);
            table.Slice(id * dimension, dimension).CopyTo(output.Slice(position * dimension, dimension));
        }
    }

    /// <summary>
    /// Adds every position's output gradient into its token's row: <c>dTable[tokens[p]] += dOutput[p]</c>, except for
    /// <paramref name="paddingIndex"/>, whose row gets no gradient (PyTorch's <c>padding_idx</c>; -1 for none).
    /// </summary>
    public static void Backward<T>(ReadOnlySpan<T> tokens, ReadOnlySpan<T> outputGradient, Span<T> tableGradient, int vocabulary, int dimension, int paddingIndex = -1)
        where T : IFloatingPointIeee754<T>
    {
        for (int position = 0; position < tokens.Length; position++)
        {
            int id = TokenId(tokens[position], position, vocabulary);
            if (id == paddingIndex)
            {
                continue;
            }

            System.Numerics.Tensors.TensorPrimitives.Add(
                tableGradient.Slice(id * dimension, dimension),
                outputGradient.Slice(position * dimension, dimension),
                tableGradient.Slice(id * dimension, dimension));
        }
    }

    /// <summary>Writes the padding mask: 1 where the token is not 0, 0 where it is (Keras' <c>mask_zero=True</c>).</summary>
    public static void Mask<T>(ReadOnlySpan<T> tokens, Span<T> mask)
        where T : IFloatingPointIeee754<T>
    {
        for (int position = 0; position < tokens.Length; position++)
        {
            mask[position] = tokens[position] == T.Zero ? T.Zero : T.One;
        }
    }

    private static int TokenId<T>(T token, int position, int vocabulary)
        where T : IFloatingPointIeee754<T>
    {
        int id = int.CreateSaturating(token);
        if (T.CreateTruncating(id) != token || id < 0 || id >= vocabulary)
        {
            throw new ArgumentException(
                $"Token {token} at position {position} is outside the embedding's vocabulary of {vocabulary} (ids 0 to {vocabulary - 1}); " +
                "keep the tokenizer's word count below the vocabulary size, or enlarge the Embedding.",
                "input");
        }

        return id;
    }
}
