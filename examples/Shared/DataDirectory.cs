using System;
using System.IO;

namespace TypedNets.Examples;

/// <summary>
/// Finds a folder under the repository's data/ (which the scripts/fetch-*.sh scripts fill and git ignores) from the
/// working directory or the program's own folder, so that an example runs from the repository root, from its own
/// folder or from its bin/ folder alike. Linked into each example that reads data/ (see its .csproj).
/// </summary>
internal static class DataDirectory
{
    /// <summary>The first data/<paramref name="name"/> found going up from the working directory, then from the program's folder.</summary>
    /// <param name="name">The folder under data/, such as "fashion-mnist".</param>
    /// <param name="fetchScript">The script that fills it, named in the error, such as "scripts/fetch-fashion-mnist.sh".</param>
    /// <param name="requiredFile">A file the folder must hold to count, such as "CATEGORIES"; none by default.</param>
    /// <returns>The folder's full path.</returns>
    /// <exception cref="DirectoryNotFoundException">No such folder was found; run <paramref name="fetchScript"/> first.</exception>
    public static string Find(string name, string fetchScript, string? requiredFile = null)
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? directory = new(start); directory is not null; directory = directory.Parent)
            {
                string candidate = Path.Combine(directory.FullName, "data", name);
                if (requiredFile is null ? Directory.Exists(candidate) : File.Exists(Path.Combine(candidate, requiredFile)))
                {
                    return candidate;
                }
            }
        }

        string wanted = requiredFile is null ? $"data/{name}" : $"data/{name}/{requiredFile}";
        throw new DirectoryNotFoundException($"{wanted} was not found; run {fetchScript} from the repository first.");
    }
}
