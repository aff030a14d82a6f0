using System;
using System.IO;
using System.Runtime.CompilerServices;

namespace TypedNets.Tests.Serialization.TorchExport;

/// <summary>
/// The generator tests' snapshot conventions for generated Python: <c>Snapshots/&lt;name&gt;.verified.py</c> beside this
/// file; a mismatch or a missing file writes <c>.received.py</c> beside it and fails, and
/// <c>TYPEDNETS_ACCEPT_SNAPSHOTS=1</c> accepts instead.
/// </summary>
internal static class PythonSnapshots
{
    /// <summary>Returns <see langword="null"/> when <paramref name="text"/> matches its verified file (or was accepted), else why not.</summary>
    public static string? Verify(string name, string text, [CallerFilePath] string thisFile = "")
    {
        string? directory = Path.GetDirectoryName(thisFile);
        if (directory is null || !Directory.Exists(directory))
        {
            return $"The test sources are not at '{thisFile}'; snapshots are kept beside them, so run the tests from a source checkout.";
        }

        directory = Path.Combine(directory, "Snapshots");
        string verifiedPath = Path.Combine(directory, $"{name}.verified.py");
        string receivedPath = Path.Combine(directory, $"{name}.received.py");
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        string? verified = File.Exists(verifiedPath) ? File.ReadAllText(verifiedPath).Replace("\r\n", "\n", StringComparison.Ordinal) : null;
        if (verified == text)
        {
            File.Delete(receivedPath);
            return null;
        }

        Directory.CreateDirectory(directory);
        if (Environment.GetEnvironmentVariable("TYPEDNETS_ACCEPT_SNAPSHOTS") == "1")
        {
            File.WriteAllText(verifiedPath, text);
            File.Delete(receivedPath);
            return null;
        }

        File.WriteAllText(receivedPath, text);
        string fix = $"Review {Path.GetFileName(receivedPath)} and rename it to {Path.GetFileName(verifiedPath)}, or run the tests with TYPEDNETS_ACCEPT_SNAPSHOTS=1.";
        if (verified is null)
        {
            return $"{Path.GetFileName(verifiedPath)} does not exist. {fix}";
        }

        string[] expected = verified.Split('\n');
        string[] actual = text.Split('\n');
        int line = 0;
        while (line < expected.Length && line < actual.Length && expected[line] == actual[line])
        {
            line++;
        }

        return $"{Path.GetFileName(verifiedPath)} differs from line {line + 1}: verified '{(line < expected.Length ? expected[line] : "<end>")}', " +
            $"received '{(line < actual.Length ? actual[line] : "<end>")}'. {fix}";
    }
}
