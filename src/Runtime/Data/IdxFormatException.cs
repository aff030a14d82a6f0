using System;

namespace TypedNets.Data;

/// <summary>
/// An IDX file that <see cref="Idx"/> could not read: a magic number that is not an IDX one or not the kind asked for
/// (images, labels), an element type the format does not define, a file shorter or longer than its header announces,
/// a gzip stream that does not decompress, or images and labels of different counts. The message names the file and
/// both what was found and what was expected.
/// </summary>
public sealed class IdxFormatException : FormatException
{
    /// <summary>Creates the exception; <paramref name="message"/> should already name the file and what is wrong.</summary>
    public IdxFormatException(string message, string? filePath, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The file at fault, or <see langword="null"/> when the data came from a <see cref="System.IO.Stream"/>.</summary>
    public string? FilePath { get; }
}
