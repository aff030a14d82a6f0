using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Text;

namespace TypedNets.Text;

/// <summary>
/// Turns texts into sequences of word indices, as Keras' <c>tf.keras.preprocessing.text.Tokenizer</c> does for
/// word-level string texts: <see cref="FitOnTexts"/> counts words and numbers them by frequency,
/// <see cref="TextsToSequences"/> replaces each word by its number.
/// </summary>
/// <remarks>
/// <para>
/// Every step follows Keras' source (keras-preprocessing <c>text.py</c>, unchanged in Keras 2 and in Keras 3's
/// <c>keras.src.legacy.preprocessing.text</c>); the tests compare against fixtures written by a Python port of that
/// source, <c>reference/text/keras_text.py</c>:
/// </para>
/// <list type="bullet">
/// <item><description>
/// A text becomes words by <see cref="TextToWordSequence"/>: lower-cased (when <see cref="Lower"/>), every
/// <see cref="Filters"/> character replaced by <see cref="Split"/>, split on <see cref="Split"/>, empty pieces dropped.
/// </description></item>
/// <item><description>
/// Index 0 is never a word (it is left for padding). Words are numbered 1, 2, ... by descending count; words of equal
/// count keep the order in which they were first seen (Keras sorts its first-seen-ordered counts with Python's stable
/// sort). With an <see cref="OovToken"/> the token takes index 1 and the words start at 2.
/// </description></item>
/// <item><description>
/// <see cref="TextsToSequences"/> keeps a word only if it has an index below <see cref="NumWords"/> (when set), so at
/// most <c>NumWords - 1</c> distinct indices occur, 1 to <c>NumWords - 1</c>. Other words, unseen or cut off, are
/// dropped, or become the OOV token's index when there is one.
/// </description></item>
/// <item><description>
/// <see cref="FitOnTexts"/> adds to the counts of earlier calls and renumbers all words, as Keras does.
/// </description></item>
/// </list>
/// <para>Where this class differs from Keras:</para>
/// <list type="bullet">
/// <item><description>
/// Lower-casing is <see cref="string.ToLowerInvariant()"/> (culture-independent, as Python's <c>str.lower</c> is)
/// plus the two places where Python's full case mapping differs from it: <c>'İ'</c> (U+0130) becomes <c>"i̇"</c>
/// (i and U+0307), and a capital sigma that ends a word becomes <c>'ς'</c> (Unicode's Final_Sigma rule, with its
/// "cased" and "case-ignorable" classes built from .NET's Unicode categories and short lists). Checked against Python
/// 3.11 (Unicode 14): every code point lowers the same, and the final-sigma rule agrees for every code point assigned
/// in both Unicode versions. Characters added or reclassified in later Unicode versions may still differ.
/// </description></item>
/// <item><description>
/// <c>numWords</c> must be null or at least 1; Keras treats 0 like <c>None</c> and a negative value as "keep no word".
/// </description></item>
/// <item><description>
/// Only strings are tokenized: Keras' <c>char_level</c>, <c>analyzer</c>, callable <c>split</c> and pre-split token
/// lists are not offered, nor <c>texts_to_matrix</c> or JSON serialisation.
/// </description></item>
/// <item><description>
/// <see cref="TextsToSequences"/> before any <see cref="FitOnTexts"/> call throws, where Keras 2 raises
/// <c>AttributeError</c> and Keras 3 returns empty sequences.
/// </description></item>
/// <item><description>
/// <see cref="WordDocs"/> lists words in first-seen order; Keras' <c>word_docs</c> follows Python's set iteration
/// order, which varies from run to run. The counts are the same.
/// </description></item>
/// </list>
/// <para>
/// A quirk kept from Keras: if the OOV token also occurs as a word in the fitted texts, Keras lists it twice and its
/// <c>dict</c> keeps the later index, so index 1 stays unused and the token (and every unknown word) gets the token's
/// frequency-rank index, which may be <see cref="NumWords"/> or more. <see cref="VocabularySize"/> accounts for that;
/// choose a token that cannot occur, such as Keras' customary <c>"&lt;OOV&gt;"</c> (its brackets are filters).
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var tokenizer = new Tokenizer(numWords: 10_000, oovToken: "&lt;OOV&gt;");
/// tokenizer.FitOnTexts(trainingTexts);
/// int[][] sequences = tokenizer.TextsToSequences(trainingTexts);
/// float[] features = Sequences.PadAsFloats(sequences, maxLength: 100);   // [texts, 100], for a Dataset
/// </code>
/// </example>
public sealed class Tokenizer
{
    /// <summary>
    /// Keras' default filters: ASCII punctuation except the apostrophe, plus tab and line feed
    /// (<c>!"#$%&amp;()*+,-./:;&lt;=&gt;?@[\]^_`{|}~</c>, <c>\t</c>, <c>\n</c>). A carriage return is not among them.
    /// </summary>
    public const string DefaultFilters = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n";

    private readonly HashSet<int> _filterCodePoints;
    private readonly OrderedDictionary<string, int> _wordCounts = new(StringComparer.Ordinal);
    private readonly OrderedDictionary<string, int> _wordDocs = new(StringComparer.Ordinal);
    private OrderedDictionary<string, int> _wordIndex = new(StringComparer.Ordinal);
    private Dictionary<int, string> _indexWord = [];
    private bool _fitted;

    /// <summary>Creates a tokenizer with Keras' options and defaults.</summary>
    /// <param name="numWords">
    /// Keep only indices 1 to <c>numWords - 1</c> (the <c>numWords - 1</c> most frequent words, or with an OOV token
    /// the token and the <c>numWords - 2</c> most frequent words) when converting texts; <see langword="null"/> keeps
    /// every word. Fitting always indexes every word.
    /// </param>
    /// <param name="filters">Characters (Unicode code points) replaced by <paramref name="split"/> before splitting.</param>
    /// <param name="lower">Whether to lower-case texts first.</param>
    /// <param name="split">The separator between words; not empty.</param>
    /// <param name="oovToken">
    /// If set, takes index 1, and words that are unknown or cut off by <paramref name="numWords"/> become index 1 instead
    /// of being dropped.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numWords"/> is 0 or negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="split"/> is empty.</exception>
    public Tokenizer(int? numWords = null, string filters = DefaultFilters, bool lower = true, string split = " ", string? oovToken = null)
    {
        ArgumentNullException.ThrowIfNull(filters);
        ArgumentNullException.ThrowIfNull(split);
        if (numWords is <= 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(numWords),
                numWords,
                $"numWords is {numWords}, but texts keep only indices 1 to numWords - 1, so it must be at least 1 (2 keeps just the most frequent word); " +
                "pass null to keep every word.");
        }

        if (split.Length == 0)
        {
            throw new ArgumentException(
                "split is empty, and a text cannot be split on an empty separator (Python's str.split rejects it too); " +
                "use \" \" (the default) or another non-empty string.",
                nameof(split));
        }

        NumWords = numWords;
        Filters = filters;
        Lower = lower;
        Split = split;
        OovToken = oovToken;
        _filterCodePoints = CodePointSet(filters);
        WordCounts = new ReadOnlyDictionary<string, int>(_wordCounts);
        WordDocs = new ReadOnlyDictionary<string, int>(_wordDocs);
        WordIndex = new ReadOnlyDictionary<string, int>(_wordIndex);
        IndexWord = new ReadOnlyDictionary<int, string>(_indexWord);
    }

    /// <summary>Indices of <c>NumWords</c> or more are cut off when converting texts; <see langword="null"/> keeps all.</summary>
    public int? NumWords { get; }

    /// <summary>The characters replaced by <see cref="Split"/> before splitting.</summary>
    public string Filters { get; }

    /// <summary>Whether texts are lower-cased first.</summary>
    public bool Lower { get; }

    /// <summary>The separator between words.</summary>
    public string Split { get; }

    /// <summary>The token standing for unknown and cut-off words, or <see langword="null"/> to drop them.</summary>
    public string? OovToken { get; }

    /// <summary>How many texts <see cref="FitOnTexts"/> has seen, over all calls (empty texts included).</summary>
    public int DocumentCount { get; private set; }

    /// <summary>How often each word occurred in the fitted texts, in the order words were first seen (Keras' <c>word_counts</c>).</summary>
    public IReadOnlyDictionary<string, int> WordCounts { get; }

    /// <summary>In how many fitted texts each word occurs, in the order words were first seen (Keras' <c>word_docs</c>).</summary>
    public IReadOnlyDictionary<string, int> WordDocs { get; }

    /// <summary>
    /// Each word's index (1-based, by descending count, ties in first-seen order; the OOV token first), enumerated in
    /// the order of Keras' <c>word_index</c> dict. Every fitted word is here, whatever <see cref="NumWords"/> is.
    /// Empty before the first <see cref="FitOnTexts"/>; each fit replaces it with a new dictionary.
    /// </summary>
    public IReadOnlyDictionary<string, int> WordIndex { get; private set; }

    /// <summary>The word of each index (Keras' <c>index_word</c>); index 0 (padding) has none.</summary>
    public IReadOnlyDictionary<int, string> IndexWord { get; private set; }

    /// <summary>
    /// The index that unknown and cut-off words become: the OOV token's index (1, unless the token also occurs in the
    /// texts), or <see langword="null"/> without an OOV token or before fitting.
    /// </summary>
    public int? OovIndex => OovToken is not null && _wordIndex.TryGetValue(OovToken, out int index) ? index : null;

    /// <summary>
    /// One more than the largest index <see cref="TextsToSequences"/> can produce: the input size of an embedding
    /// layer over the padded sequences (0 is padding). Without <see cref="NumWords"/> it is
    /// <c>WordIndex.Count + 1</c>, what Keras users write as <c>len(word_index) + 1</c> (one more if the OOV token
    /// occurs in the texts, see <see cref="Tokenizer"/>); with it, usually <c>NumWords</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No texts have been fitted yet.</exception>
    public int VocabularySize
    {
        get
        {
            EnsureFitted(nameof(VocabularySize));

            // The highest assigned index is the length of Keras' sorted vocabulary, which exceeds WordIndex.Count by
            // one when the OOV token also occurs as a word.
            int highest = _wordCounts.Count + (OovToken is null ? 0 : 1);
            int kept = NumWords is { } numWords ? Math.Min(highest, numWords - 1) : highest;
            return Math.Max(kept, OovIndex ?? 0) + 1;
        }
    }

    /// <summary>
    /// Keras' <c>text_to_word_sequence</c>: lower-cases <paramref name="text"/> (when <paramref name="lower"/>, see
    /// <see cref="Tokenizer"/> for how), replaces every character of <paramref name="filters"/> with
    /// <paramref name="split"/>, splits on <paramref name="split"/> and drops empty pieces.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="split"/> is empty.</exception>
    public static string[] TextToWordSequence(string text, string filters = DefaultFilters, bool lower = true, string split = " ")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(filters);
        ArgumentNullException.ThrowIfNull(split);
        if (split.Length == 0)
        {
            throw new ArgumentException("split is empty; use \" \" (the default) or another non-empty string.", nameof(split));
        }

        return Words(text, CodePointSet(filters), lower, split);
    }

    /// <summary>
    /// Counts the words of <paramref name="texts"/> (adding to earlier calls) and renumbers every word seen so far
    /// (Keras' <c>fit_on_texts</c>). The tokenizer is unchanged if this throws.
    /// </summary>
    /// <exception cref="ArgumentException">A text is <see langword="null"/>.</exception>
    public void FitOnTexts(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);

        // Split everything first, so that a null text part-way through leaves the counts untouched.
        var documents = new List<string[]>();
        foreach (string text in texts)
        {
            documents.Add(Words(CheckText(text, documents.Count, nameof(texts)), _filterCodePoints, Lower, Split));
        }

        var seenInDocument = new HashSet<string>(StringComparer.Ordinal);
        foreach (string[] words in documents)
        {
            DocumentCount++;
            seenInDocument.Clear();
            foreach (string word in words)
            {
                _wordCounts[word] = _wordCounts.GetValueOrDefault(word) + 1;
                if (seenInDocument.Add(word))
                {
                    _wordDocs[word] = _wordDocs.GetValueOrDefault(word) + 1;
                }
            }
        }

        RebuildIndex();
        _fitted = true;
    }

    /// <summary>
    /// Replaces each word of each text by its index (Keras' <c>texts_to_sequences</c>). A word without an index, or
    /// whose index is <see cref="NumWords"/> or more, is dropped, or becomes <see cref="OovIndex"/> when there is an
    /// OOV token.
    /// </summary>
    /// <exception cref="InvalidOperationException">No texts have been fitted yet.</exception>
    /// <exception cref="ArgumentException">A text is <see langword="null"/>.</exception>
    public int[][] TextsToSequences(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        EnsureFitted(nameof(TextsToSequences));
        var sequences = new List<int[]>();
        var indices = new List<int>();
        int? oovIndex = OovIndex;
        foreach (string text in texts)
        {
            indices.Clear();
            foreach (string word in Words(CheckText(text, sequences.Count, nameof(texts)), _filterCodePoints, Lower, Split))
            {
                if (_wordIndex.TryGetValue(word, out int index))
                {
                    if (NumWords is { } numWords && index >= numWords)
                    {
                        if (oovIndex is { } oov)
                        {
                            indices.Add(oov);
                        }
                    }
                    else
                    {
                        indices.Add(index);
                    }
                }
                else if (oovIndex is { } oov)
                {
                    indices.Add(oov);
                }
            }

            sequences.Add(indices.ToArray());
        }

        return sequences.ToArray();
    }

    /// <summary>The indices of one text, as <see cref="TextsToSequences"/> gives them.</summary>
    /// <exception cref="InvalidOperationException">No texts have been fitted yet.</exception>
    public int[] TextToSequence(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TextsToSequences([text])[0];
    }

    private void RebuildIndex()
    {
        // Keras: sort the (word, count) pairs by count, descending, with a stable sort; put the OOV token in front;
        // number from 1 with dict(zip(...)), where a repeated key keeps its first position and its last value.
        var ranked = new List<KeyValuePair<string, int>>(_wordCounts);
        int[] order = new int[ranked.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        // Array.Sort is not stable; breaking ties by first-seen position makes it so.
        Array.Sort(order, (a, b) => ranked[a].Value != ranked[b].Value ? ranked[b].Value.CompareTo(ranked[a].Value) : a.CompareTo(b));

        var wordIndex = new OrderedDictionary<string, int>(ranked.Count + 1, StringComparer.Ordinal);
        int next = 1;
        if (OovToken is not null)
        {
            wordIndex[OovToken] = next++;
        }

        foreach (int i in order)
        {
            wordIndex[ranked[i].Key] = next++;
        }

        var indexWord = new Dictionary<int, string>(wordIndex.Count);
        foreach (KeyValuePair<string, int> entry in wordIndex)
        {
            indexWord[entry.Value] = entry.Key;
        }

        _wordIndex = wordIndex;
        _indexWord = indexWord;
        WordIndex = new ReadOnlyDictionary<string, int>(wordIndex);
        IndexWord = new ReadOnlyDictionary<int, string>(indexWord);
    }

    private void EnsureFitted(string member)
    {
        if (!_fitted)
        {
            throw new InvalidOperationException(
                $"Tokenizer.{member} needs a vocabulary, but no texts have been fitted; call FitOnTexts with the training texts first.");
        }
    }

    private static string CheckText(string? text, int position, string parameter)
        => text ?? throw new ArgumentException(
            $"Text {position} (0-based) is null; pass an empty string for an empty document, or leave it out.",
            parameter);

    private static string[] Words(string text, HashSet<int> filters, bool lower, string split)
    {
        if (lower)
        {
            text = PythonLower(text);
        }

        var replaced = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length;)
        {
            int codePoint = CodePointAt(text, i, out int length);
            if (filters.Contains(codePoint))
            {
                replaced.Append(split);
            }
            else
            {
                replaced.Append(text, i, length);
            }

            i += length;
        }

        return replaced.ToString().Split(split, StringSplitOptions.RemoveEmptyEntries);
    }

    // Python strings are sequences of code points, lone surrogates included; so are filters here.
    private static int CodePointAt(string text, int i, out int length)
    {
        if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        {
            length = 2;
            return char.ConvertToUtf32(text[i], text[i + 1]);
        }

        length = 1;
        return text[i];
    }

    private static HashSet<int> CodePointSet(string characters)
    {
        var set = new HashSet<int>();
        for (int i = 0; i < characters.Length;)
        {
            set.Add(CodePointAt(characters, i, out int length));
            i += length;
        }

        return set;
    }

    /// <summary>
    /// Python's <c>str.lower</c> as far as .NET allows: <see cref="string.ToLowerInvariant()"/> (simple case mapping,
    /// which keeps the length in UTF-16 units) plus the full mapping of U+0130 and the final-sigma rule.
    /// </summary>
    internal static string PythonLower(string text)
    {
        string lowered = text.ToLowerInvariant();
        if (text.AsSpan().IndexOfAny('\u0130', '\u03A3') < 0)
        {
            return lowered;
        }

        var builder = new StringBuilder(text.Length + 4);
        for (int i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '\u0130':
                    builder.Append("i\u0307");
                    break;
                case '\u03A3':
                    builder.Append(IsFinalSigma(text, i) ? '\u03C2' : '\u03C3');
                    break;
                default:
                    builder.Append(lowered[i]);
                    break;
            }
        }

        return builder.ToString();
    }

    // Unicode's Final_Sigma condition, as CPython checks it: a cased letter before the sigma and none after it, skipping
    // case-ignorable characters both ways.
    private static bool IsFinalSigma(string text, int sigma)
    {
        int before = sigma;
        Rune rune = default;
        bool found = false;
        while (before > 0)
        {
            Rune.DecodeLastFromUtf16(text.AsSpan(0, before), out rune, out int length);
            before -= length;
            if (!IsCaseIgnorable(rune))
            {
                found = true;
                break;
            }
        }

        if (!found || !IsCased(rune))
        {
            return false;
        }

        int after = sigma + 1;
        while (after < text.Length)
        {
            Rune.DecodeFromUtf16(text.AsSpan(after), out rune, out int length);
            after += length;
            if (!IsCaseIgnorable(rune))
            {
                return !IsCased(rune);
            }
        }

        return true;
    }

    // Cased is Lu, Ll, Lt, Other_Lowercase and Other_Uppercase. The latter two are listed here except where they are
    // modifier letters or marks, which count as case-ignorable first.
    private static bool IsCased(Rune rune) => rune.Value is
        0xAA or 0xBA or (>= 0x2160 and <= 0x217F) or (>= 0x24B6 and <= 0x24E9) or (>= 0x1F130 and <= 0x1F149)
        or (>= 0x1F150 and <= 0x1F169) or (>= 0x1F170 and <= 0x1F189)
        || Rune.GetUnicodeCategory(rune) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;

    // Case_Ignorable is Mn, Me, Cf, Lm, Sk and the Word_Break classes MidLetter, MidNumLet and Single_Quote, listed here.
    private static bool IsCaseIgnorable(Rune rune) => rune.Value is
        '\'' or '.' or ':' or '\u00B7' or '\u0387' or '\u055F' or '\u05F4' or '\u2018' or '\u2019' or '\u2024' or '\u2027'
        or '\uFE13' or '\uFE52' or '\uFE55' or '\uFF07' or '\uFF0E' or '\uFF1A'
        || Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol;
}
