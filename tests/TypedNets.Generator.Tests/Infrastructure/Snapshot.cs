extern alias generator;

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Xunit.Sdk;
using NetworkGenerator = generator::TypedNets.Generator.NetworkGenerator;

namespace TypedNets.Generator.Tests.Infrastructure;

/// <summary>
/// Verify's conventions, kept in-house: <c>Snapshots/&lt;TestClass&gt;.&lt;TestMethod&gt;.verified.cs</c> per generated
/// file and <c>.verified.txt</c> for diagnostics. A mismatch or a missing verified file writes the
/// <c>.received.</c> file beside it and fails with a line diff; <c>TYPEDNETS_ACCEPT_SNAPSHOTS=1</c> accepts instead.
/// The test class is taken from the name of the calling file, so test files are named after their class.
/// </summary>
internal static class Snapshot
{
    public const string AcceptVariable = "TYPEDNETS_ACCEPT_SNAPSHOTS";

    /// <summary>
    /// The generator's version in the <c>[GeneratedCode]</c> attribute it writes, which a snapshot shows as
    /// <c>{GeneratorVersion}</c>, so that a new package version changes no snapshot. Only the version the generator
    /// assembly has is replaced: a wrong one still fails.
    /// </summary>
    private static readonly string GeneratedCodeAttribute =
        $"GeneratedCode(\"TypedNets.Generator\", \"{typeof(NetworkGenerator).Assembly.GetName().Version}\")";

    private const string ScrubbedGeneratedCodeAttribute = "GeneratedCode(\"TypedNets.Generator\", \"{GeneratorVersion}\")";

    /// <summary>Verifies every generated file of <paramref name="run"/>, one snapshot each.</summary>
    public static void VerifySources(GeneratorRun run, [CallerFilePath] string testFile = "", [CallerMemberName] string testMethod = "")
    {
        string prefix = Prefix(testFile, testMethod);
        var sources = run.GeneratedSources.OrderBy(source => source.HintName, StringComparer.Ordinal).ToList();
        Assert(sources.Count > 0, $"{prefix}: the generator produced no source to verify.");

        // One file keeps Verify's plain name; several are told apart by their hint name, as Verify does.
        var snapshots = sources.ToDictionary(
            source => sources.Count == 1 ? prefix : $"{prefix}#{Path.GetFileNameWithoutExtension(source.HintName)}",
            source => source.SourceText.ToString().Replace(GeneratedCodeAttribute, ScrubbedGeneratedCodeAttribute, StringComparison.Ordinal));
        Store(testFile).VerifyAll(prefix, "cs", snapshots);
    }

    /// <summary>Verifies diagnostics rendered with their source lines (see <see cref="DiagnosticRenderer"/>).</summary>
    public static void VerifyDiagnostics(IEnumerable<Diagnostic> diagnostics, [CallerFilePath] string testFile = "", [CallerMemberName] string testMethod = "")
    {
        string prefix = Prefix(testFile, testMethod);
        Store(testFile).VerifyAll(prefix, "txt", new Dictionary<string, string> { [prefix] = DiagnosticRenderer.Render(diagnostics) });
    }

    public static SnapshotStore Store(string testFile)
    {
        string? directory = Path.GetDirectoryName(testFile);
        Assert(
            directory is not null && Directory.Exists(directory),
            $"The test sources are not at '{testFile}' (a path-mapped build?); snapshots are kept beside them, so run the tests from a source checkout.");
        return new SnapshotStore(Path.Combine(directory!, "Snapshots"), Environment.GetEnvironmentVariable(AcceptVariable) == "1");
    }

    private static string Prefix(string testFile, string testMethod) => $"{Path.GetFileNameWithoutExtension(testFile)}.{testMethod}";

    private static void Assert(bool condition, string message)
    {
        if (!condition)
        {
            throw new XunitException(message);
        }
    }
}

/// <summary>The snapshot files of one folder: compares, writes received files, accepts.</summary>
internal sealed class SnapshotStore(string directory, bool accept)
{
    public string Directory { get; } = directory;

    /// <summary>
    /// Verifies each snapshot (name without <c>.verified.ext</c> -> text) and fails on any verified file of the same
    /// prefix that nothing produced any more, so that a file the generator stops emitting cannot pass unnoticed.
    /// </summary>
    public void VerifyAll(string prefix, string extension, IReadOnlyDictionary<string, string> snapshots)
    {
        var failures = new List<string>();
        foreach ((string name, string text) in snapshots.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            string? failure = Verify(name, extension, text);
            if (failure is not null)
            {
                failures.Add(failure);
            }
        }

        if (System.IO.Directory.Exists(Directory))
        {
            string suffix = $".verified.{extension}";
            IEnumerable<string> stale = System.IO.Directory.EnumerateFiles(Directory, $"{prefix}*{suffix}")
                .Select(path => Path.GetFileName(path)[..^suffix.Length])
                .Where(name => (name == prefix || name.StartsWith(prefix + "#", StringComparison.Ordinal)) && !snapshots.ContainsKey(name))
                .Order(StringComparer.Ordinal);
            foreach (string name in stale)
            {
                if (accept)
                {
                    File.Delete(VerifiedPath(name, extension));
                }
                else
                {
                    failures.Add($"{name}{suffix} is verified but was not produced; delete it if that is intended, or run with {Snapshot.AcceptVariable}=1.");
                }
            }
        }

        if (failures.Count > 0)
        {
            throw new XunitException(string.Join("\n\n", failures));
        }
    }

    /// <summary>Returns <see langword="null"/> when the text matches its verified file (or was accepted), else why not.</summary>
    public string? Verify(string name, string extension, string text)
    {
        text = Normalize(text);
        string verifiedPath = VerifiedPath(name, extension);
        string receivedPath = Path.Combine(Directory, $"{name}.received.{extension}");
        string? verified = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath)) : null;

        if (verified == text)
        {
            File.Delete(receivedPath);
            return null;
        }

        System.IO.Directory.CreateDirectory(Directory);
        if (accept)
        {
            File.WriteAllText(verifiedPath, text);
            File.Delete(receivedPath);
            return null;
        }

        File.WriteAllText(receivedPath, text);
        string fix = $"Review {Path.GetFileName(receivedPath)} and rename it to {Path.GetFileName(verifiedPath)}, or run the tests with {Snapshot.AcceptVariable}=1.";
        return verified is null
            ? $"{Path.GetFileName(verifiedPath)} does not exist. {fix}"
            : $"{Path.GetFileName(verifiedPath)} does not match what was received (- verified, + received):\n{LineDiff.Format(verified, text)}\n{fix}";
    }

    private string VerifiedPath(string name, string extension) => Path.Combine(Directory, $"{name}.verified.{extension}");

    // Git may hand out CRLF files on Windows; snapshots compare by content, not by line ends.
    private static string Normalize(string text) => text.Replace("\r\n", "\n");
}
