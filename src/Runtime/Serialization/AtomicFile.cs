using System;
using System.IO;

namespace TypedNets.Serialization;

/// <summary>
/// Replaces a file all at once: the new content is written to a temporary file in the same directory, flushed to the
/// disk, and renamed over the target. A reader sees either the old file or the whole new one, and a write that fails
/// (an exception from the writer, a full disk, a crash before the rename) leaves the old file as it was. Temporary
/// files that a killed save left behind are removed by the next write to the same target.
/// </summary>
/// <remarks>
/// <para>
/// The temporary file is <c>.{name}.{32 hex digits}.tmp</c> next to the target, so the rename stays on one file system,
/// where it is atomic (POSIX <c>rename</c>; <c>MoveFileEx</c> with <c>MOVEFILE_REPLACE_EXISTING</c> on Windows). It is
/// deleted when the write fails. The directory entry itself is not flushed (.NET cannot open a directory to fsync it),
/// so after a power loss the rename may be lost, leaving the old file, never a torn one.
/// </para>
/// <para>
/// A process killed mid-write (<c>kill -9</c>, an out-of-memory kill, a power cut) cannot delete its temporary file,
/// so each write removes the abandoned temporary files of its own target, and only those: a file is abandoned when no
/// running write holds it. A write holds its temporary file open, shared for reading and deletion only, from its
/// creation until it has been renamed over the target, and .NET turns that into a lock the operating system drops when
/// the process dies: on Unix an advisory <c>flock</c> (shared), on Windows the sharing mode. The cleanup opens each
/// candidate exclusively (an exclusive <c>flock</c> on Unix), which fails while any write holds it, and deletes it
/// while still holding it (<see cref="FileOptions.DeleteOnClose"/>: on Unix .NET unlinks before it unlocks). Because a
/// write renames its file before it lets go of it, there is no moment at which a running write's file can be taken
/// for abandoned. Locks are advisory, and off where .NET's file locking is disabled
/// (<c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c>) or the file system has none (some network shares): each write first
/// checks that its own temporary file cannot be opened exclusively, and removes nothing if it can.
/// </para>
/// </remarks>
public static class AtomicFile
{
    private const int BufferSize = 1 << 16;
    private const string TemporaryExtension = ".tmp";
    private const int GuidDigits = 32;

    // A cleanup of another write can take a temporary file for abandoned in the instant between its creation and its
    // lock (Unix takes the lock after open), and delete it; the write then starts again under a fresh name.
    private const int CreateAttempts = 4;

    // Shared for reading so that, once renamed over the target, the still open file does not lock readers out (on
    // Unix this is a shared flock, which readers' shared locks do not conflict with); shared for deletion so that
    // Windows lets the file be renamed while it is open.
    private const FileShare HeldShare = FileShare.Read | FileShare.Delete;

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
        string name = Path.GetFileName(fullPath);
        FileStream stream = CreateTemporary(directory, name, out string temporary);
        try
        {
            using (stream)
            {
                RemoveAbandoned(directory, name, temporary);
                write(stream);
                stream.Flush(flushToDisk: true);

                // Renamed while still open and held: see the remarks.
                File.Move(temporary, fullPath, overwrite: true);
            }
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static FileStream CreateTemporary(string directory, string name, out string temporary)
    {
        for (int attempt = 1; ; attempt++)
        {
            temporary = Path.Combine(directory, $".{name}.{Guid.NewGuid():N}{TemporaryExtension}");
            FileStream stream;
            try
            {
                stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, HeldShare, BufferSize);
            }
            catch (IOException exception) when (attempt < CreateAttempts && exception.GetType() == typeof(IOException))
            {
                // Created, but locked by another write's cleanup before this one could lock it; that cleanup removes it.
                // (A plain IOException: a missing directory or a bad name are subclasses and are not retried.)
                continue;
            }

            // With the lock taken, no cleanup can remove the file any more; one may have removed it just before.
            if (File.Exists(temporary))
            {
                return stream;
            }

            stream.Dispose();
            if (attempt == CreateAttempts)
            {
                throw new IOException($"The temporary file '{temporary}' vanished as it was created, {CreateAttempts} times; something else is deleting files in '{directory}'.");
            }
        }
    }

    /// <summary>Deletes the temporary files of <paramref name="name"/> that no running write holds (see the remarks).</summary>
    private static void RemoveAbandoned(string directory, string name, string own)
    {
        if (!LocksHold(own))
        {
            return;
        }

        try
        {
            foreach (string candidate in Directory.EnumerateFiles(directory, "*" + TemporaryExtension))
            {
                if (IsTemporaryOf(Path.GetFileName(candidate), name) && !string.Equals(candidate, own, StringComparison.Ordinal))
                {
                    TryRemove(candidate);
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // A directory that cannot be listed: the cleanup is a courtesy and never fails the write it is part of.
        }
    }

    private static void TryRemove(string candidate)
    {
        try
        {
            // Opens only if no write holds it; deleted on close, before the lock is released.
            using var abandoned = new FileStream(candidate, FileMode.Open, FileAccess.Read, FileShare.None, bufferSize: 1, FileOptions.DeleteOnClose);
        }
        catch (IOException)
        {
            // Held by a running write (or already removed by another cleanup): left alone.
        }
        catch (UnauthorizedAccessException)
        {
            // Not ours to remove.
        }
    }

    /// <summary>
    /// Whether a held file resists an exclusive open here, tried on this write's own temporary file: false where
    /// locking is disabled or unsupported, and then no file can be shown to be abandoned.
    /// </summary>
    private static bool LocksHold(string own)
    {
        try
        {
            using var probe = new FileStream(own, FileMode.Open, FileAccess.Read, FileShare.None, bufferSize: 1);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="file"/> is named as a temporary file of the target <paramref name="name"/>: <c>.{name}.{32 hex digits}.tmp</c>.</summary>
    private static bool IsTemporaryOf(string file, string name)
    {
        int prefix = name.Length + 2;
        if (file.Length != prefix + GuidDigits + TemporaryExtension.Length
            || file[0] != '.'
            || string.CompareOrdinal(file, 1, name, 0, name.Length) != 0
            || file[prefix - 1] != '.'
            || !file.EndsWith(TemporaryExtension, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (char c in file.AsSpan(prefix, GuidDigits))
        {
            if (!char.IsAsciiHexDigitLower(c))
            {
                return false;
            }
        }

        return true;
    }

    private static void TryDelete(string temporary)
    {
        try
        {
            File.Delete(temporary);
        }
        catch (IOException)
        {
            // The original failure is the one to report; a leftover temporary file is harmless and clearly named, and
            // the next write to the same target removes it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
