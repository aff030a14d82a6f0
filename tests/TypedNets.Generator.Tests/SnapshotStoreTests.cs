using System;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;
using Xunit.Sdk;

namespace TypedNets.Generator.Tests;

/// <summary>The snapshot helper fails when it should: a snapshot test is only as strict as its comparison.</summary>
public sealed class SnapshotStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "typednets-snapshots-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void MatchingTextPassesAndRemovesAnOldReceivedFile()
    {
        Write("T.M.verified.cs", "class A\n{\n}\n");
        Write("T.M.received.cs", "class Old\n");

        Assert.Null(Store(accept: false).Verify("T.M", "cs", "class A\n{\n}\n"));
        Assert.False(File.Exists(PathOf("T.M.received.cs")));
    }

    [Fact]
    public void LineEndingsDoNotMatter()
    {
        Write("T.M.verified.cs", "class A\r\n{\r\n}\r\n");

        Assert.Null(Store(accept: false).Verify("T.M", "cs", "class A\n{\n}\n"));
    }

    [Fact]
    public void MismatchWritesReceivedAndShowsALineDiff()
    {
        Write("T.M.verified.cs", "line 1\nline 2\nline 3\n");

        string? failure = Store(accept: false).Verify("T.M", "cs", "line 1\nline two\nline 3\n");

        Assert.NotNull(failure);
        Assert.Contains("T.M.verified.cs does not match", failure);
        Assert.Contains("\n- line 2\n+ line two\n", failure);
        Assert.Contains("  line 1\n", failure);
        Assert.Contains("TYPEDNETS_ACCEPT_SNAPSHOTS=1", failure);
        Assert.Equal("line 1\nline two\nline 3\n", File.ReadAllText(PathOf("T.M.received.cs")));
        Assert.Equal("line 1\nline 2\nline 3\n", File.ReadAllText(PathOf("T.M.verified.cs")));
    }

    [Fact]
    public void MissingVerifiedFileFailsAndWritesReceived()
    {
        string? failure = Store(accept: false).Verify("T.M", "txt", "first run\n");

        Assert.NotNull(failure);
        Assert.Contains("T.M.verified.txt does not exist", failure);
        Assert.Equal("first run\n", File.ReadAllText(PathOf("T.M.received.txt")));
        Assert.False(File.Exists(PathOf("T.M.verified.txt")));
    }

    [Fact]
    public void AcceptingWritesVerifiedAndRemovesReceived()
    {
        Write("T.M.verified.cs", "old\n");
        Write("T.M.received.cs", "new\n");

        Assert.Null(Store(accept: true).Verify("T.M", "cs", "new\n"));
        Assert.Equal("new\n", File.ReadAllText(PathOf("T.M.verified.cs")));
        Assert.False(File.Exists(PathOf("T.M.received.cs")));
    }

    [Fact]
    public void VerifiedFileThatNothingProducesFails()
    {
        Write("T.M#A.g.verified.cs", "a\n");
        Write("T.M#B.g.verified.cs", "b\n");

        // Another test whose name starts like this one's owns its own files.
        Write("T.MMore.verified.cs", "other test\n");

        var failure = Assert.Throws<XunitException>(() => Store(accept: false).VerifyAll("T.M", "cs", new System.Collections.Generic.Dictionary<string, string> { ["T.M#A.g"] = "a\n" }));
        Assert.Contains("T.M#B.g.verified.cs is verified but was not produced", failure.Message);
        Assert.DoesNotContain("T.MMore", failure.Message);

        Store(accept: true).VerifyAll("T.M", "cs", new System.Collections.Generic.Dictionary<string, string> { ["T.M#A.g"] = "a\n" });
        Assert.False(File.Exists(PathOf("T.M#B.g.verified.cs")));
        Assert.True(File.Exists(PathOf("T.MMore.verified.cs")));
    }

    [Fact]
    public void LineDiffShowsChangesInContext()
    {
        string expected = string.Join('\n', Enumerable.Range(1, 20).Select(i => $"line {i}"));
        string actual = expected.Replace("line 10", "line ten").Replace("line 20", "line 20\nline 21");

        string diff = LineDiff.Format(expected, actual);

        Assert.Equal(
            "@@ verified line 7, received line 7 @@\n  line 7\n  line 8\n  line 9\n- line 10\n+ line ten\n  line 11\n  line 12\n  line 13\n" +
            "@@ verified line 18, received line 18 @@\n  line 18\n  line 19\n  line 20\n+ line 21\n",
            diff);
    }

    [Fact]
    public void DiagnosticsRenderWithTheirLineAndAMarkerUnderTheSpan()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dropout(1.5)] public partial DropoutLayer Drop { get; }
            }
            """);

        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);

        Assert.Equal(
            "Network.cs(6,14): error TN0006: Layer 'Drop' (Dropout) declares rate 1.5, but a dropout rate is a probability in [0, 1), such as 0.5\n" +
            "    [Dropout(1.5)] public partial DropoutLayer Drop { get; }\n" +
            "             ^^^\n",
            DiagnosticRenderer.Render(diagnostic));
    }

    private SnapshotStore Store(bool accept) => new(_directory, accept);

    private string PathOf(string name) => Path.Combine(_directory, name);

    private void Write(string name, string text)
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(PathOf(name), text);
    }
}
