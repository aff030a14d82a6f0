using System.IO;
using System.Runtime.CompilerServices;
using Xunit.Sdk;

namespace TypedNets.Generator.Tests.Infrastructure;

/// <summary>Files of the repository, found from this source file so that tests read what users read.</summary>
internal static class RepositoryFiles
{
    public static string Root => FindRoot();

    public static string Read(string relativePath) => File.ReadAllText(Path.Combine(Root, relativePath));

    private static string FindRoot([CallerFilePath] string thisFile = "")
    {
        for (string? directory = Path.GetDirectoryName(thisFile); directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(Path.Combine(directory, "TypedNets.sln")))
            {
                return directory;
            }
        }

        throw new XunitException($"No TypedNets.sln above '{thisFile}'; the tests read repository files and must run from a source checkout.");
    }
}
