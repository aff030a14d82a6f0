using System;
using System.Linq;
using TypedNets.Text;

namespace TypedNets.Tests.Text;

public sealed class SequencesTests
{
    private static readonly string[] Names =
    [
        "pad_maxlen_1",
        "pad_post_post",
        "pad_post_pre",
        "pad_pre_post",
        "pad_pre_pre",
        "pad_value_long",
    ];

    public static TheoryData<string> Fixtures => new(Names);

    [Fact]
    public void Every_pad_fixture_is_tested()
        => Assert.Equal(TextFixture.Names("pad_"), Names);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Pad_matches_the_python_port_of_keras(string name)
    {
        var fixture = TextFixture.Load(name);
        int[][] sequences = fixture.IntLists("sequences");
        int maxLength = fixture.Config("maxlen").GetInt32();
        Padding padding = Enum.Parse<Padding>(fixture.Config("padding").GetString()!, ignoreCase: true);
        Truncating truncating = Enum.Parse<Truncating>(fixture.Config("truncating").GetString()!, ignoreCase: true);
        int value = fixture.Config("value").GetInt32();
        (int[] expected, int[] shape) = fixture.IntTensor("padded");
        Assert.Equal([sequences.Length, maxLength], shape);

        int[] padded = Sequences.Pad(sequences, maxLength, padding, truncating, value);
        Assert.Equal(expected, padded);
        Assert.Equal(Array.ConvertAll(expected, v => (float)v), Sequences.PadAsFloats(sequences, maxLength, padding, truncating, value));
    }

    [Fact]
    public void The_defaults_are_keras_pre_and_pre()
    {
        var fixture = TextFixture.Load("pad_pre_pre");
        Assert.Equal(fixture.IntTensor("padded").Data, Sequences.Pad(fixture.IntLists("sequences"), 8));
    }

    // The cases of Keras' own tests (keras-preprocessing tests/sequence_test.py) and pad_sequences docstring.
    [Fact]
    public void Reproduces_keras_unit_tests()
    {
        int[][] a = [[1], [1, 2], [1, 2, 3]];
        Assert.Equal([0, 0, 1, 0, 1, 2, 1, 2, 3], Sequences.Pad(a, 3, Padding.Pre));
        Assert.Equal([1, 0, 0, 1, 2, 0, 1, 2, 3], Sequences.Pad(a, 3, Padding.Post));
        Assert.Equal([0, 1, 1, 2, 2, 3], Sequences.Pad(a, 2, truncating: Truncating.Pre));
        Assert.Equal([0, 1, 1, 2, 1, 2], Sequences.Pad(a, 2, truncating: Truncating.Post));
        Assert.Equal([1, 1, 1, 1, 1, 2, 1, 2, 3], Sequences.Pad(a, 3, value: 1));

        int[][] s = [[1], [2, 3], [4, 5, 6]];
        Assert.Equal([0, 0, 1, 0, 2, 3, 4, 5, 6], Sequences.Pad(s, Sequences.LongestLength(s)));
        Assert.Equal([-1, -1, 1, -1, 2, 3, 4, 5, 6], Sequences.Pad(s, 3, value: -1));
        Assert.Equal([1, 0, 0, 2, 3, 0, 4, 5, 6], Sequences.Pad(s, 3, Padding.Post));
        Assert.Equal([0, 1, 2, 3, 5, 6], Sequences.Pad(s, 2));
    }

    [Fact]
    public void Empty_inputs_give_padding_or_nothing()
    {
        Assert.Empty(Sequences.Pad([], 4));
        Assert.Equal([7, 7, 7, 1, 2, 3], Sequences.Pad([[], [1, 2, 3]], 3, value: 7));
        Assert.Equal(0, Sequences.LongestLength([]));
        Assert.Equal(0, Sequences.LongestLength([[], []]));
        Assert.Equal(4, Sequences.LongestLength([[1], [1, 2, 3, 4], []]));
    }

    [Fact]
    public void The_input_is_not_modified()
    {
        int[][] sequences = [[1, 2, 3, 4], [5]];
        Sequences.Pad(sequences, 2, Padding.Post, Truncating.Post, -1);
        Assert.Equal([1, 2, 3, 4], sequences[0]);
        Assert.Equal([5], sequences[1]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Rejects_a_max_length_below_1(int maxLength)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Sequences.Pad([[1]], maxLength));
        Assert.Equal("maxLength", error.ParamName);
        Assert.Contains($"maxLength is {maxLength}", error.Message, StringComparison.Ordinal);
        Assert.Contains("Sequences.LongestLength", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Sequences.PadAsFloats([[1]], maxLength));
    }

    [Fact]
    public void Rejects_null_sequences_and_undefined_options()
    {
        Assert.Throws<ArgumentNullException>(() => Sequences.Pad(null!, 3));
        var error = Assert.Throws<ArgumentException>(() => Sequences.Pad([[1], null!], 3));
        Assert.Contains("Sequence 1 (0-based) is null", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Sequences.LongestLength([null!]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sequences.Pad([[1]], 3, (Padding)2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sequences.Pad([[1]], 3, truncating: (Truncating)(-1)));
    }

    [Fact]
    public void Rejects_a_result_larger_than_an_array()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Sequences.Pad([[1], [2], [3]], int.MaxValue));
        Assert.Contains("more than one array holds", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Floats_are_exact_up_to_2_to_the_24()
    {
        const int Exact = 1 << 24;
        Assert.Equal([Exact, -Exact, 0f], Sequences.PadAsFloats([[Exact, -Exact]], 3, Padding.Post));

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Sequences.PadAsFloats([[3], [1, Exact + 1]], 2));
        Assert.Contains("Row 1, column 1 of the padded sequences holds 16777217", error.Message, StringComparison.Ordinal);
        Assert.Contains("numWords", error.Message, StringComparison.Ordinal);

        // A value cut off by truncation never reaches the result, so it does not matter.
        Assert.Equal([1f], Sequences.PadAsFloats([[Exact + 1, 1]], 1));

        error = Assert.Throws<ArgumentOutOfRangeException>(() => Sequences.PadAsFloats([[1]], 2, value: int.MinValue));
        Assert.Equal("value", error.ParamName);
    }
}
