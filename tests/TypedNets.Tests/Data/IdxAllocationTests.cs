using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using TypedNets.Data;

namespace TypedNets.Tests.Data;

/// <summary>
/// A header must not make the reader allocate for elements that the file does not hold: each size is checked against
/// the bytes available, or the data is taken in bounded steps, before an array of the announced size exists.
/// </summary>
public sealed class IdxAllocationTests
{
    // Array.MaxLength bytes announced (an 8 GiB float array), 12 actually present: 20 bytes in all.
    private static byte[] LyingHeader()
    {
        byte[] file = new byte[20];
        BinaryPrimitives.WriteUInt32BigEndian(file, 0x00000801);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(4), (uint)Array.MaxLength);
        return file;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return compressed.ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_header_announcing_more_than_the_file_holds_is_refused_before_allocating(bool gzipped)
    {
        byte[] file = gzipped ? Gzip(LyingHeader()) : LyingHeader();
        using var stream = new MemoryStream(file);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<IdxFormatException>(() => Idx.Read(stream));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        Assert.Contains(Array.MaxLength.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 1 << 20, $"Reading a {file.Length}-byte file allocated {allocated} bytes.");
    }

    [Fact]
    public void A_lying_header_in_a_file_is_refused_before_allocating()
    {
        string path = Path.Combine(Path.GetTempPath(), "typednets-lying-" + Guid.NewGuid().ToString("N") + "-idx1-ubyte");
        File.WriteAllBytes(path, LyingHeader());
        try
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Assert.Throws<IdxFormatException>(() => Idx.ReadLabels(path));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 1 << 20, $"Reading a 20-byte file allocated {allocated} bytes.");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
