using System;
using System.Collections.Generic;

namespace TypedNets.Text;

/// <summary>
/// Padding and truncating of index sequences to one length, as Keras' <c>pad_sequences</c> does, giving a row-major
/// <c>[sequences, maxLength]</c> array ready for a <see cref="Data.Dataset"/>.
/// </summary>
/// <remarks>
/// <para>
/// Each row starts as <c>maxLength</c> copies of the padding value. A sequence longer than <c>maxLength</c> keeps its
/// last <c>maxLength</c> values (<see cref="Truncating.Pre"/>, Keras' default) or its first (<see cref="Truncating.Post"/>);
/// the kept values then go at the end of the row (<see cref="Padding.Pre"/>, Keras' default) or at its start
/// (<see cref="Padding.Post"/>). An empty sequence gives a row of padding.
/// </para>
/// <para>
/// Keras' <c>maxlen=None</c> (pad to the longest sequence) is <c>Pad(sequences, Sequences.LongestLength(sequences))</c>.
/// Keras' <c>dtype</c> and multi-dimensional samples are not offered: the values are token indices.
/// </para>
/// </remarks>
public static class Sequences
{
    // float represents every integer of magnitude up to 2^24 exactly; the next one, 2^24 + 1, rounds to 2^24.
    private const int LargestExactFloatInteger = 1 << 24;

    /// <summary>
    /// Pads or truncates every sequence to <paramref name="maxLength"/> values; returns the rows one after another
    /// (<c>sequences.Count * maxLength</c> ints). See <see cref="Sequences"/> for the exact rule.
    /// </summary>
    /// <param name="sequences">The sequences, such as <see cref="Tokenizer.TextsToSequences"/> returns; none null.</param>
    /// <param name="maxLength">The length of every row; at least 1.</param>
    /// <param name="padding">Where short sequences are padded: before (Keras' default) or after.</param>
    /// <param name="truncating">Which end long sequences lose: the beginning (Keras' default) or the end.</param>
    /// <param name="value">The padding value; 0, the index no word has, unless set.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="maxLength"/> is not positive, the result would not fit one array, or an enum value is undefined.
    /// </exception>
    /// <exception cref="ArgumentException">A sequence is <see langword="null"/>.</exception>
    public static int[] Pad(IReadOnlyList<int[]> sequences, int maxLength, Padding padding = Padding.Pre, Truncating truncating = Truncating.Pre, int value = 0)
    {
        int[] padded = new int[CheckedSize(sequences, maxLength, padding, truncating)];
        padded.AsSpan().Fill(value);
        for (int row = 0; row < sequences.Count; row++)
        {
            int[] sequence = sequences[row];
            int kept = Math.Min(sequence.Length, maxLength);
            ReadOnlySpan<int> source = truncating == Truncating.Pre
                ? sequence.AsSpan(sequence.Length - kept, kept)
                : sequence.AsSpan(0, kept);
            int column = padding == Padding.Pre ? maxLength - kept : 0;
            source.CopyTo(padded.AsSpan((row * maxLength) + column, kept));
        }

        return padded;
    }

    /// <summary>
    /// <see cref="Pad"/> with the result as floats, the element type of <see cref="Data.Dataset"/> features. Indices
    /// and the padding value must lie within ±2^24 (16,777,216), where every integer is an exact float.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="maxLength"/> is not positive, the result would not fit one array, an enum value is undefined, or
    /// a value that ends up in the result is beyond ±2^24.
    /// </exception>
    /// <exception cref="ArgumentException">A sequence is <see langword="null"/>.</exception>
    public static float[] PadAsFloats(IReadOnlyList<int[]> sequences, int maxLength, Padding padding = Padding.Pre, Truncating truncating = Truncating.Pre, int value = 0)
    {
        if (Math.Abs((long)value) > LargestExactFloatInteger)
        {
            throw new ArgumentOutOfRangeException(
                nameof(value),
                value,
                $"The padding value {value} has no exact float; floats hold every integer within ±{LargestExactFloatInteger} (2^24) exactly, so pad with one of those " +
                "(0, the default, is the index no word has).");
        }

        int[] padded = Pad(sequences, maxLength, padding, truncating, value);
        float[] floats = new float[padded.Length];
        for (int i = 0; i < padded.Length; i++)
        {
            int index = padded[i];
            if (Math.Abs((long)index) > LargestExactFloatInteger)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(sequences),
                    index,
                    $"Row {i / maxLength}, column {i % maxLength} of the padded sequences holds {index}, which has no exact float " +
                    $"(floats hold every integer within ±{LargestExactFloatInteger}, 2^24, exactly); limit the vocabulary with the tokenizer's numWords, " +
                    "or use Pad for ints.");
            }

            floats[i] = index;
        }

        return floats;
    }

    /// <summary>
    /// The length of the longest sequence (0 if there are none or all are empty): pass it as <c>maxLength</c> to pad
    /// without truncating, as Keras' <c>maxlen=None</c> does.
    /// </summary>
    /// <exception cref="ArgumentException">A sequence is <see langword="null"/>.</exception>
    public static int LongestLength(IReadOnlyList<int[]> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        int longest = 0;
        for (int row = 0; row < sequences.Count; row++)
        {
            longest = Math.Max(longest, CheckSequence(sequences, row).Length);
        }

        return longest;
    }

    private static int CheckedSize(IReadOnlyList<int[]> sequences, int maxLength, Padding padding, Truncating truncating)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (maxLength <= 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(maxLength),
                maxLength,
                $"maxLength is {maxLength}, but every row needs at least one column; pass a positive length, such as Sequences.LongestLength(sequences) " +
                "to keep every value (Keras' maxlen=None).");
        }

        if (!Enum.IsDefined(padding))
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding, "padding must be Padding.Pre or Padding.Post.");
        }

        if (!Enum.IsDefined(truncating))
        {
            throw new ArgumentOutOfRangeException(nameof(truncating), truncating, "truncating must be Truncating.Pre or Truncating.Post.");
        }

        for (int row = 0; row < sequences.Count; row++)
        {
            CheckSequence(sequences, row);
        }

        long size = (long)sequences.Count * maxLength;
        if (size > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(
                nameof(maxLength),
                maxLength,
                $"{sequences.Count} rows of {maxLength} values are {size} values, more than one array holds ({Array.MaxLength}); " +
                "use a shorter maxLength or pad the sequences in batches.");
        }

        return (int)size;
    }

    private static int[] CheckSequence(IReadOnlyList<int[]> sequences, int row)
        => sequences[row] ?? throw new ArgumentException(
            $"Sequence {row} (0-based) is null; pass an empty array for a text without known words.",
            nameof(sequences));
}
