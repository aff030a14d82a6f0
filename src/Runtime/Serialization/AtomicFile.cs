using System;
using System.IO;

namespace TypedNets.Serialization;

/// <summary>
/// Replaces a file all at once: the new content is written to a temporary file in the same directory, flushed to the
/// disk, and renamed over the target. A reader sees either the old file or the whole new one, and a write that fails
/// (an exception from the writer, a full disk, a crash before the rename) leaves the old file as it was.
/// </summary>
/// <remarks>
/// The temporary file is <c>.{name}.{random}.tmp</c> next to the target, so the rename stays on one file system, where
/// it is atomic (POSIX <c>rename</c>; <c>MoveFileEx</c> with <c>MOVEFILE_REPLACE_EXISTING</c> on Windows). It is
/// deleted when the write fails. The directory entry itself is not flushed (.NET cannot open a directory to fsync it),
/// so after a power loss the rename may be lost, leaving the old file, never a torn one.
/// </remarks>
public static class AtomicFile
{
    private const int BufferSize = 1 << 16;

    /// <summary>Writes a file through <paramref name="write"/> and puts it at <paramref name="path"/> in one step.</summary>
    /// <param name="path">The file to create or replace; its directory must exist.</param>
    /// <param name="write">Writes the whole content to the stream it is given; the stream is flushed and closed after it returns.</param>
    /// <exception cref="IOException">Writing, flushing or renaming failed; the file at <paramref name="path"/> is unchanged.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)
            ?? throw new ArgumentException($"'{path}' names no file (it is a root directory); pass the path of a file.", nameof(path));
        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string temporary)
    {
        try
        {
            File.Delete(temporary);
        }
        catch (IOException)
        {
            // The original failure is the one to report; a leftover temporary file is harmless and clearly named.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
