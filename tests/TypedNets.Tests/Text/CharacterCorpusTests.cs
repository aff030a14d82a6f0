using System;
using TypedNets.Text;

namespace TypedNets.Tests.Text;

/// <summary>
/// The character-level corpus: nanoGPT's vocabulary (distinct characters by code point), its 90/10 split and its
/// random windows with next-character targets; encoding round trips; bad input refused by name.
/// </summary>
public sealed class CharacterCorpusTests
{
    private const string Text = "hello world\nthe quick brown fox jumps over the lazy dog\n";

    [Fact]
    public void The_vocabulary_is_the_distinct_characters_in_code_point_order()
    {
        var corpus = new CharacterCorpus(Text, context: 4);
        Assert.Equal(" \nabcdefghijklmnopqrstuvwxyz".Length, corpus.VocabularySize);
        Assert.Equal('\n', corpus.Character(0));
        Assert.Equal(' ', corpus.Character(1));
        Assert.Equal('a', corpus.Character(2));
        Assert.Equal('z', corpus.Character(corpus.VocabularySize - 1));
        Assert.Equal(Text, corpus.Decode(corpus.Tokens));
        Assert.Equal(corpus.Tokens.ToArray(), corpus.Encode(Text));
    }

    [Fact]
    public void The_first_ninety_percent_train_and_the_rest_validate()
    {
        var corpus = new CharacterCorpus(Text, context: 4);
        Assert.Equal((int)(0.9 * Text.Length), corpus.TrainCount);
        Assert.Equal(Text.Length - corpus.TrainCount, corpus.ValidationCount);
    }

    [Fact]
    public void Windows_come_from_their_split_and_targets_are_the_next_characters()
    {
        var corpus = new CharacterCorpus(Text, context: 3);
        int[] inputs = new int[4 * 3];
        int[] targets = new int[4 * 3];
        var random = new Xoshiro256(5);
        for (int draw = 0; draw < 200; draw++)
        {
            foreach (bool validation in new[] { false, true })
            {
                corpus.Sample(validation, ref random, inputs, targets);
                for (int window = 0; window < 4; window++)
                {
                    string input = corpus.Decode(inputs.AsSpan(window * 3, 3));
                    string target = corpus.Decode(targets.AsSpan(window * 3, 3));
                    int start = validation ? corpus.TrainCount : 0;
                    int end = validation ? Text.Length : corpus.TrainCount;
                    int at = Text.IndexOf(input + target[^1], start, StringComparison.Ordinal);
                    Assert.True(at >= start && at + 4 <= end, $"window '{input}' -> '{target}' is not inside the {(validation ? "validation" : "training")} split");
                    Assert.Equal(input[1..], target[..2]);
                }
            }
        }
    }

    [Fact]
    public void The_same_seed_draws_the_same_windows()
    {
        var corpus = new CharacterCorpus(Text, context: 5);
        int[] Draw(ulong seed)
        {
            var random = new Xoshiro256(seed);
            int[] inputs = new int[10];
            corpus.Sample(false, ref random, inputs, new int[10]);
            return inputs;
        }

        Assert.Equal(Draw(3), Draw(3));
        Assert.NotEqual(Draw(3), Draw(4));
    }

    [Fact]
    public void Bad_input_is_refused_by_name()
    {
        var corpus = new CharacterCorpus(Text, context: 4);
        var unknown = Assert.Throws<ArgumentException>(() => corpus.Encode("hi!"));
        Assert.Equal("text", unknown.ParamName);
        Assert.Contains("Character '!' (U+0021) at position 2 is not in the corpus's 28 characters", unknown.Message, StringComparison.Ordinal);
        Assert.Equal("id", Assert.Throws<ArgumentOutOfRangeException>(() => corpus.Decode([0, 28])).ParamName);
        Assert.Equal("context", Assert.Throws<ArgumentOutOfRangeException>(() => new CharacterCorpus(Text, 0)).ParamName);
        Assert.Equal("trainFraction", Assert.Throws<ArgumentOutOfRangeException>(() => new CharacterCorpus(Text, 4, 1.0)).ParamName);
        var shortSplit = Assert.Throws<ArgumentException>(() => new CharacterCorpus(Text, 10));
        Assert.Contains("The validation split holds 6 characters, but a window of 10 and its next character need 11", shortSplit.Message, StringComparison.Ordinal);
        var random = new Xoshiro256(1);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => corpus.Sample(false, ref random, new int[8], new int[4])).ParamName);
    }
}
