using System;
using System.Collections.Generic;
using System.Linq;
using TypedNets.Text;

namespace TypedNets.Tests.Text;

public sealed class TokenizerTests
{
    private static readonly string[] Names =
    [
        "tokenizer_default",
        "tokenizer_incremental",
        "tokenizer_multichar_split",
        "tokenizer_num_words",
        "tokenizer_num_words_2",
        "tokenizer_oov",
        "tokenizer_oov_in_texts",
        "tokenizer_oov_num_words",
        "tokenizer_options",
        "tokenizer_unicode",
    ];

    public static TheoryData<string> Fixtures => new(Names);

    [Fact]
    public void Every_tokenizer_fixture_is_tested()
        => Assert.Equal(TextFixture.Names("tokenizer_"), Names);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Matches_the_python_port_of_keras(string name)
    {
        var fixture = TextFixture.Load(name);
        var tokenizer = new Tokenizer(
            numWords: fixture.ConfigIntOrNull("num_words"),
            filters: fixture.Config("filters").GetString()!,
            lower: fixture.Config("lower").GetBoolean(),
            split: fixture.Config("split").GetString()!,
            oovToken: fixture.ConfigStringOrNull("oov_token"));
        foreach (string[] batch in fixture.StringBatches("fit_texts"))
        {
            tokenizer.FitOnTexts(batch);
        }

        Assert.Equal(fixture.Int("document_count"), tokenizer.DocumentCount);
        // Order matters: WordIndex enumerates as Keras' dict does, WordCounts and WordDocs in first-seen order.
        Assert.Equal(fixture.Pairs("word_index"), tokenizer.WordIndex.ToArray());
        Assert.Equal(fixture.Pairs("word_counts"), tokenizer.WordCounts.ToArray());
        Assert.Equal(fixture.Pairs("word_docs"), tokenizer.WordDocs.ToArray());

        int[][] expected = fixture.IntLists("sequences");
        string[] texts = fixture.Strings("texts");
        int[][] sequences = tokenizer.TextsToSequences(texts);
        Assert.Equal(expected.Length, sequences.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(expected[i].SequenceEqual(sequences[i]), $"{name}: text {i} ('{texts[i]}') gave [{string.Join(", ", sequences[i])}], Keras [{string.Join(", ", expected[i])}].");
            Assert.Equal(expected[i], tokenizer.TextToSequence(texts[i]));
        }

        foreach (KeyValuePair<string, int> entry in tokenizer.WordIndex)
        {
            Assert.Equal(entry.Key, tokenizer.IndexWord[entry.Value]);
        }

        // VocabularySize bounds every index, and is reached: it is the embedding's input size.
        int largest = sequences.SelectMany(s => s).DefaultIfEmpty(0).Max();
        Assert.True(largest < tokenizer.VocabularySize, $"{name}: index {largest} >= VocabularySize {tokenizer.VocabularySize}.");
        if (fixture.ConfigIntOrNull("num_words") is null)
        {
            Assert.Equal(largest + 1, tokenizer.VocabularySize);
        }
    }

    [Fact]
    public void Incremental_fits_give_the_index_of_one_fit()
    {
        var fixture = TextFixture.Load("tokenizer_incremental");
        var once = new Tokenizer();
        once.FitOnTexts(fixture.StringBatches("fit_texts").SelectMany(batch => batch));
        Assert.Equal(TextFixture.Load("tokenizer_default").Pairs("word_index"), once.WordIndex.ToArray());
        Assert.Equal(fixture.Pairs("word_index"), once.WordIndex.ToArray());
    }

    [Fact]
    public void Sizes_follow_num_words_and_the_oov_token()
    {
        var fixture = TextFixture.Load("tokenizer_default");
        string[] texts = fixture.StringBatches("fit_texts")[0];
        int words = fixture.Pairs("word_index").Length;

        var all = Fit(new Tokenizer(), texts);
        Assert.Equal(words + 1, all.VocabularySize);
        Assert.Null(all.OovIndex);

        var withOov = Fit(new Tokenizer(oovToken: "<OOV>"), texts);
        Assert.Equal(words + 2, withOov.VocabularySize);
        Assert.Equal(1, withOov.OovIndex);
        Assert.Equal("<OOV>", withOov.IndexWord[1]);

        Assert.Equal(12, Fit(new Tokenizer(numWords: 12), texts).VocabularySize);
        Assert.Equal(12, Fit(new Tokenizer(numWords: 12, oovToken: "<OOV>"), texts).VocabularySize);
        Assert.Equal(words + 1, Fit(new Tokenizer(numWords: 100_000), texts).VocabularySize);

        // The Keras quirk of an OOV token that is also a word: index 1 unused, the token at its rank.
        var quirk = Fit(new Tokenizer(numWords: 5, oovToken: "computer"), texts);
        Assert.Equal(7, quirk.OovIndex);
        Assert.False(quirk.IndexWord.ContainsKey(1));
        Assert.Equal(words, quirk.WordIndex.Count);
        Assert.Equal(8, quirk.VocabularySize);
    }

    [Fact]
    public void Num_words_1_keeps_nothing_but_the_oov_index()
    {
        var plain = Fit(new Tokenizer(numWords: 1), ["a b a"]);
        Assert.Empty(plain.TextToSequence("a b c"));
        Assert.Equal(1, plain.VocabularySize);

        var oov = Fit(new Tokenizer(numWords: 1, oovToken: "<OOV>"), ["a b a"]);
        Assert.Equal([1, 1, 1], oov.TextToSequence("a b c"));
        Assert.Equal(2, oov.VocabularySize);
    }

    [Fact]
    public void An_empty_fit_gives_an_empty_index()
    {
        var tokenizer = Fit(new Tokenizer(), []);
        Assert.Empty(tokenizer.WordIndex);
        Assert.Equal(0, tokenizer.DocumentCount);
        Assert.Empty(tokenizer.TextToSequence("anything"));
        Assert.Equal(1, tokenizer.VocabularySize);

        var withOov = Fit(new Tokenizer(oovToken: "<OOV>"), []);
        Assert.Equal([new KeyValuePair<string, int>("<OOV>", 1)], withOov.WordIndex.ToArray());
        Assert.Equal([1, 1], withOov.TextToSequence("any thing"));
    }

    // The cases of Keras' own unit tests (keras-preprocessing tests/text_test.py).
    [Fact]
    public void Reproduces_keras_unit_tests()
    {
        Assert.Equal(["hello", "world"], Tokenizer.TextToWordSequence("hello! ? world!"));
        Assert.Equal(["hello", "world"], Tokenizer.TextToWordSequence("hello!stop?world!", split: "stop"));
        Assert.Equal(["ali", "veli", "kırk", "dokuz", "elli"], Tokenizer.TextToWordSequence("ali! veli? kırk dokuz elli"));
        Assert.Equal(["ali", "veli", "kırk", "dokuz", "elli"], Tokenizer.TextToWordSequence("ali!stopveli?stopkırkstopdokuzstopelli", split: "stop"));

        var lower = Fit(new Tokenizer(), ["The cat sat on the mat.", "The dog sat on the log.", "Dog and Cat living Together."]);
        Assert.Equal(
            [("the", 4), ("cat", 2), ("sat", 2), ("on", 2), ("mat", 1), ("dog", 2), ("log", 1), ("and", 1), ("living", 1), ("together", 1)],
            lower.WordCounts.Select(e => (e.Key, e.Value)));

        string[] train = ["This text has only known words this text"];
        const string Test = "This text has some unknown words";
        Assert.Equal("this <unk> <unk> <unk> <unk> <unk>", Words(Fit(new Tokenizer(numWords: 3, oovToken: "<unk>"), train), Test));
        Assert.Equal("this text has <unk> <unk> words", Words(Fit(new Tokenizer(oovToken: "<unk>"), train), Test));
        Assert.Equal("this text", Words(Fit(new Tokenizer(numWords: 3), train), Test));
        Assert.Equal("this text has words", Words(Fit(new Tokenizer(), train), Test));

        string[] texts = ["The cat sat on the mat.", "The dog sat on the log.", "Dogs and cats living together."];
        var tokenizer = Fit(new Tokenizer(numWords: 10, oovToken: "<unk>"), texts);
        Assert.Equal(["the cat sat on the mat", "the dog sat on the log", "dogs <unk> <unk> <unk> <unk>"], texts.Select(t => Words(tokenizer, t)));
    }

    [Fact]
    public void Lower_cases_as_python_does_where_invariant_culture_differs()
    {
        Assert.Equal("i\u0307stanbul", Tokenizer.TextToWordSequence("\u0130STANBUL")[0]);
        Assert.Equal(["οδος", "οδος", "σ", "σας"], Tokenizer.TextToWordSequence("ΟΔΟΣ ΟΔΟΣ. Σ ΣΑΣ"));
        Assert.Equal(["ασα", "ας'"], Tokenizer.TextToWordSequence("ΑΣΑ ΑΣ'"));
        Assert.Equal(["Ο", "ΔΟΣ"], Tokenizer.TextToWordSequence("Ο ΔΟΣ", lower: false));
    }

    [Fact]
    public void Options_are_kept()
    {
        var tokenizer = new Tokenizer(numWords: 7, filters: ".", lower: false, split: "|", oovToken: "?");
        Assert.Equal((7, ".", false, "|", "?"), (tokenizer.NumWords, tokenizer.Filters, tokenizer.Lower, tokenizer.Split, tokenizer.OovToken));
        Assert.Equal("!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n", Tokenizer.DefaultFilters);
        Assert.Empty(tokenizer.WordIndex);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Rejects_num_words_below_1(int numWords)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Tokenizer(numWords: numWords));
        Assert.Equal("numWords", error.ParamName);
        Assert.Contains($"numWords is {numWords}", error.Message, StringComparison.Ordinal);
        Assert.Contains("pass null to keep every word", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_an_empty_split_and_null_options()
    {
        var error = Assert.Throws<ArgumentException>(() => new Tokenizer(split: ""));
        Assert.Equal("split", error.ParamName);
        Assert.Contains("split is empty", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Tokenizer.TextToWordSequence("a b", split: ""));
        Assert.Throws<ArgumentNullException>(() => new Tokenizer(filters: null!));
        Assert.Throws<ArgumentNullException>(() => new Tokenizer(split: null!));
    }

    [Fact]
    public void Converting_before_fitting_says_to_fit_first()
    {
        var tokenizer = new Tokenizer();
        var error = Assert.Throws<InvalidOperationException>(() => tokenizer.TextsToSequences(["a"]));
        Assert.Contains("call FitOnTexts", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => tokenizer.VocabularySize);
    }

    [Fact]
    public void A_null_text_is_named_and_leaves_the_tokenizer_unchanged()
    {
        var tokenizer = Fit(new Tokenizer(), ["one two"]);
        var error = Assert.Throws<ArgumentException>(() => tokenizer.FitOnTexts(["three", null!]));
        Assert.Contains("Text 1 (0-based) is null", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, tokenizer.DocumentCount);
        Assert.Equal(["one", "two"], tokenizer.WordIndex.Keys);

        error = Assert.Throws<ArgumentException>(() => tokenizer.TextsToSequences(["one", "two", null!]));
        Assert.Contains("Text 2 (0-based) is null", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => tokenizer.FitOnTexts(null!));
        Assert.Throws<ArgumentNullException>(() => tokenizer.TextsToSequences(null!));
    }

    [Fact]
    public void A_fit_replaces_the_word_index_but_views_of_counts_stay_live()
    {
        var tokenizer = Fit(new Tokenizer(), ["b"]);
        IReadOnlyDictionary<string, int> before = tokenizer.WordIndex;
        IReadOnlyDictionary<string, int> counts = tokenizer.WordCounts;
        tokenizer.FitOnTexts(["a a"]);
        Assert.Equal(1, before["b"]);
        Assert.Equal(2, tokenizer.WordIndex["b"]);
        Assert.Equal(2, counts["a"]);
        Assert.Equal(2, tokenizer.DocumentCount);
    }

    private static Tokenizer Fit(Tokenizer tokenizer, IEnumerable<string> texts)
    {
        tokenizer.FitOnTexts(texts);
        return tokenizer;
    }

    private static string Words(Tokenizer tokenizer, string text)
        => string.Join(' ', tokenizer.TextToSequence(text).Select(index => tokenizer.IndexWord[index]));
}
