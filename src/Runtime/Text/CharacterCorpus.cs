using System;
using System.Collections.Generic;
using System.Globalization;

namespace TypedNets.Text;

/// <summary>
/// A text prepared for a character-level language model, as nanoGPT's <c>shakespeare_char</c> prepares one: the
/// vocabulary is the text's distinct characters sorted by code point (id = rank), the text becomes one id per
/// character, the first <see cref="TrainCount"/> ids train and the rest validate, and training batches are windows
/// of <see cref="Context"/> ids at random offsets with the next characters as targets.
/// </summary>
/// <remarks>
/// Characters are UTF-16 code units, compared ordinally: a text outside the Basic Multilingual Plane would split each
/// surrogate pair into two "characters", which is harmless to a model but not what a reader means by one.
/// </remarks>
public sealed class CharacterCorpus
{
    private readonly char[] _alphabet;
    private readonly Dictionary<char, int> _ids;
    private readonly int[] _tokens;

    /// <summary>Builds the vocabulary of <paramref name="text"/> and encodes it, keeping the first <paramref name="trainFraction"/> for training.</summary>
    /// <param name="text">The whole corpus.</param>
    /// <param name="context">The length of a training window, the model's context (nanoGPT's <c>block_size</c>).</param>
    /// <param name="trainFraction">The share of the characters, from the start, that train; the rest validate (nanoGPT: 0.9).</param>
    /// <exception cref="ArgumentException">The text is empty, or a split is too short for one window and its targets.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The context is not positive, or the fraction is not in (0, 1).</exception>
    public CharacterCorpus(string text, int context, double trainFraction = 0.9)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (context <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(context), context, $"The context must be at least 1 character, but it was {context}; use the model's context length, such as 64.");
        }

        if (!(trainFraction > 0 && trainFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(trainFraction), trainFraction, $"The training fraction must be in (0, 1), but it was {trainFraction}; use 0.9 for nanoGPT's split.");
        }

        var distinct = new SortedSet<char>(text);
        _alphabet = [.. distinct];
        _ids = new Dictionary<char, int>(_alphabet.Length);
        for (int i = 0; i < _alphabet.Length; i++)
        {
            _ids[_alphabet[i]] = i;
        }

        _tokens = new int[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            _tokens[i] = _ids[text[i]];
        }

        Context = context;
        TrainCount = (int)(trainFraction * text.Length);
        foreach ((string split, int length) in new[] { ("training", TrainCount), ("validation", text.Length - TrainCount) })
        {
            if (length < context + 1)
            {
                throw new ArgumentException(
                    $"The {split} split holds {length} characters, but a window of {context} and its next character need {context + 1}; use a longer text, a shorter context or another fraction.",
                    nameof(text));
            }
        }
    }

    /// <summary>The number of distinct characters, the model's vocabulary size.</summary>
    public int VocabularySize => _alphabet.Length;

    /// <summary>The length of a window.</summary>
    public int Context { get; }

    /// <summary>The number of characters, from the start, that train.</summary>
    public int TrainCount { get; }

    /// <summary>The number of characters after the training ones, which validate.</summary>
    public int ValidationCount => _tokens.Length - TrainCount;

    /// <summary>The whole text as ids.</summary>
    public ReadOnlySpan<int> Tokens => _tokens;

    /// <summary>The character of <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is not in [0, <see cref="VocabularySize"/>).</exception>
    public char Character(int id)
        => (uint)id < (uint)_alphabet.Length
            ? _alphabet[id]
            : throw new ArgumentOutOfRangeException(nameof(id), id, $"Character ids are in [0, {_alphabet.Length - 1}], but {id} was given.");

    /// <summary>The ids of <paramref name="text"/>'s characters.</summary>
    /// <exception cref="ArgumentException">A character is not in the corpus's vocabulary; the message names it and where it is.</exception>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int[] ids = new int[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            if (!_ids.TryGetValue(text[i], out ids[i]))
            {
                throw new ArgumentException(
                    $"Character {Describe(text[i])} at position {i} is not in the corpus's {_alphabet.Length} characters; a character-level model can only read characters it was trained on.",
                    nameof(text));
            }
        }

        return ids;
    }

    /// <summary>The text of <paramref name="ids"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in [0, <see cref="VocabularySize"/>).</exception>
    public string Decode(ReadOnlySpan<int> ids)
    {
        char[] text = new char[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            text[i] = Character(ids[i]);
        }

        return new string(text);
    }

    /// <summary>
    /// Fills <paramref name="inputs"/> and <paramref name="targets"/> (<c>[batch, context]</c> each) with windows of
    /// the training or validation split at offsets drawn from <paramref name="random"/>, one
    /// <see cref="Xoshiro256.NextInt"/> a window: the window's ids, and the ids one character later.
    /// </summary>
    /// <param name="validation">Whether to draw from the validation split rather than the training one.</param>
    /// <param name="random">The generator of the offsets, advanced by one draw a window.</param>
    /// <param name="inputs">Receives the windows; its length is a multiple of <see cref="Context"/>.</param>
    /// <param name="targets">Receives the next characters, as long as <paramref name="inputs"/>.</param>
    /// <exception cref="ArgumentException">The spans differ in length or are not whole windows.</exception>
    public void Sample(bool validation, ref Xoshiro256 random, Span<int> inputs, Span<int> targets)
    {
        if (inputs.Length != targets.Length || inputs.Length % Context != 0)
        {
            throw new ArgumentException(
                $"Inputs and targets must both hold whole windows of {Context}, but they hold {inputs.Length} and {targets.Length}; pass [batch, context] buffers of the same size.",
                nameof(targets));
        }

        int start = validation ? TrainCount : 0;
        int length = validation ? ValidationCount : TrainCount;
        for (int window = 0; window < inputs.Length / Context; window++)
        {
            int offset = start + random.NextInt(length - Context);
            _tokens.AsSpan(offset, Context).CopyTo(inputs.Slice(window * Context, Context));
            _tokens.AsSpan(offset + 1, Context).CopyTo(targets.Slice(window * Context, Context));
        }
    }

    private static string Describe(char c)
        => char.IsControl(c) || char.IsWhiteSpace(c) ? $"U+{((int)c).ToString("X4", CultureInfo.InvariantCulture)}" : $"'{c}' (U+{((int)c).ToString("X4", CultureInfo.InvariantCulture)})";
}
