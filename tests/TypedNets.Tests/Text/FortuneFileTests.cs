using System;
using System.IO;
using TypedNets.Text;

namespace TypedNets.Tests.Text;

public sealed class FortuneFileTests
{
    private static string SamplePath => Path.Combine(TextFixture.Directory, "sample_fortunes.txt");

    [Fact]
    public void Reads_entries_between_percent_lines()
    {
        var entries = FortuneFile.Read(SamplePath);
        Assert.Equal(
            [
                "The first entry follows a leading separator.\n\t-- An Invented Author",
                "A second entry\nspans three lines\n\nand keeps its blank line and a tab\tinside.",
                "Fifty % of this line is a percent sign, and\n %\nis not a separator either (it has a space).",
                "%%",
                "Trailing white space is trimmed.",
            ],
            entries);
    }

    [Fact]
    public void Line_endings_do_not_matter()
    {
        var entries = FortuneFile.Parse(new StringReader("one\r\nline two\r\n%\r\nthree\r\n%\r\n"));
        Assert.Equal(["one\nline two", "three"], entries);
        Assert.Equal(["only entry"], FortuneFile.Parse(new StringReader("only entry")));
        Assert.Empty(FortuneFile.Parse(new StringReader("")));
        Assert.Empty(FortuneFile.Parse(new StringReader("%\n%\n  \n%")));
    }

    [Fact]
    public void A_missing_file_names_the_path_and_the_fetch_script()
    {
        string path = Path.Combine(Path.GetTempPath(), "typednets-no-such-dir", "politics");
        var error = Assert.Throws<FileNotFoundException>(() => FortuneFile.Read(path));
        Assert.Equal(path, error.FileName);
        Assert.Contains($"'{path}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("scripts/fetch-fortunes.sh", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_relative_missing_path_says_where_it_resolved()
    {
        var error = Assert.Throws<FileNotFoundException>(() => FortuneFile.Read(Path.Combine("data", "fortunes", "no-such-category")));
        Assert.Contains("relative paths resolve against the current directory", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => FortuneFile.Read(""));
        Assert.Throws<ArgumentNullException>(() => FortuneFile.Read(null!));
        Assert.Throws<ArgumentNullException>(() => FortuneFile.Parse(null!));
    }
}
