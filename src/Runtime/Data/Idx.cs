using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Numerics.Tensors;

namespace TypedNets.Data;

/// <summary>
/// Reads IDX files, the format of MNIST and Fashion-MNIST, raw or gzipped, into <see cref="IdxArray"/>s and
/// <see cref="Dataset"/>s.
/// </summary>
/// <remarks>
/// <para>
/// An IDX file is a big-endian magic number <c>0x0000TTNN</c>, where <c>TT</c> is the element type (see
/// <see cref="IdxDataType"/>) and <c>NN</c> the number of dimensions, then one big-endian int32 per dimension, then
/// the elements, row-major and big-endian: MNIST's images start with <c>0x00000803</c> (bytes, <c>[count, rows,
/// columns]</c>) and its labels with <c>0x00000801</c> (bytes, <c>[count]</c>). A file that starts with gzip's magic
/// bytes <c>1F 8B</c> is decompressed on the fly, whatever its name, so the files can stay as distributed.
/// </para>
/// <para>
/// Reading is strict: the file must hold exactly the bytes its header announces, no fewer and no more, since either
/// means a damaged file or a header that does not describe it.
/// </para>
/// <para>
/// The header's sizes are checked against the data before anything is allocated for it: against the file's length for
/// a raw file, and for a gzipped one against the most that its compressed length can expand to (deflate's limit of
/// 1032 to 1), the array then growing with the data actually decompressed. A 20-byte file announcing two billion
/// elements is therefore refused as truncated without allocating 8 GiB first.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// // After scripts/fetch-fashion-mnist.sh:
/// (Dataset train, Dataset test) = Idx.LoadFashionMnist("data/fashion-mnist");
/// // train.Count == 60000, train.FeatureWidth == 784 (pixels in [0, 1]), train.TargetWidth == 1 (the class, 0 to 9)
/// </code>
/// </example>
public static class Idx
{
    // Converted in chunks so that a 47 MB image file does not need a second, byte-sized copy in memory. A multiple of
    // every element size, so that no element straddles two chunks.
    private const int ChunkBytes = 64 * 1024;

    // zlib's technical details: "the maximum compression factor is 1032:1" for a deflate stream.
    private const long MaxDeflateRatio = 1032;

    private const string TypeCodes = "0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32 or 0x0E f64";

    private const string FetchHint = "for Fashion-MNIST, run scripts/fetch-fashion-mnist.sh, which fetches it into data/fashion-mnist/ at the repository root";

    private static readonly string[] s_fashionMnistClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private enum Expected
    {
        Any,
        Images,
        UInt8Images,
        Labels,
    }

    /// <summary>Fashion-MNIST's ten class names, by label: 0 is "T-shirt/top", 9 is "Ankle boot".</summary>
    public static IReadOnlyList<string> FashionMnistClassNames => s_fashionMnistClassNames;

    /// <summary>Reads the IDX file at <paramref name="path"/>, raw or gzipped, whatever its element type and rank.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="IdxFormatException">The file is not a well-formed IDX file (see <see cref="IdxFormatException"/>).</exception>
    public static IdxArray Read(string path) => ReadFile(path, Expected.Any);

    /// <summary>
    /// Reads an IDX array, raw or gzipped, from <paramref name="stream"/>'s current position to its end; the stream is
    /// not closed. A stream that cannot seek is first copied into memory, to look for gzip's magic bytes.
    /// </summary>
    /// <exception cref="IdxFormatException">The data is not a well-formed IDX array (see <see cref="IdxFormatException"/>).</exception>
    public static IdxArray Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return ReadStream(stream, filePath: null, Expected.Any);
    }

    /// <summary>
    /// Reads images from the IDX file at <paramref name="path"/>: an array of shape <c>[count, rows, columns]</c>.
    /// With <paramref name="scale"/>, the file must hold bytes (magic <c>0x00000803</c>, as MNIST's) and each pixel
    /// is divided by 255 into [0, 1], as torchvision's <c>ToTensor</c> does; without it, any element type is read
    /// unchanged.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="IdxFormatException">
    /// The file is not a well-formed IDX file, does not have three dimensions, or (with <paramref name="scale"/>) does
    /// not hold bytes.
    /// </exception>
    public static IdxArray ReadImages(string path, bool scale = true)
    {
        IdxArray images = ReadFile(path, scale ? Expected.UInt8Images : Expected.Images);
        if (scale)
        {
            // Division rather than multiplication by 1/255, so that every pixel equals PyTorch's img.float().div(255).
            TensorPrimitives.Divide(images.Data, 255f, images.Data);
        }

        return images;
    }

    /// <summary>
    /// Reads class labels from the IDX file at <paramref name="path"/>: a vector of integers (magic
    /// <c>0x00000801</c> for bytes, as MNIST's; signed types are accepted too), each a class index of at least 0.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="IdxFormatException">
    /// The file is not a well-formed IDX file, is not a vector of integers, or holds a negative label.
    /// </exception>
    public static int[] ReadLabels(string path)
    {
        IdxArray array = ReadFile(path, Expected.Labels);
        int[] labels = new int[array.Count];
        for (int i = 0; i < labels.Length; i++)
        {
            float label = array.Data[i];
            if (label < 0)
            {
                throw new IdxFormatException(
                    $"'{path}' holds label {label.ToString(CultureInfo.InvariantCulture)} at index {i}; labels are class indices, 0 or more. " +
                    "Check that this is a labels file.",
                    path);
            }

            labels[i] = (int)label;
        }

        return labels;
    }

    /// <summary>
    /// Reads a pair of image and label files into a dataset for classification: one row per image, its pixels
    /// (rows times columns features, row by row) scaled to [0, 1], and one target, its class index.
    /// </summary>
    /// <param name="imagesPath">An IDX file of bytes with shape <c>[count, rows, columns]</c>, such as <c>train-images-idx3-ubyte.gz</c>.</param>
    /// <param name="labelsPath">An IDX file of integers with shape <c>[count]</c>, such as <c>train-labels-idx1-ubyte.gz</c>.</param>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="IdxFormatException">A file is not what <see cref="ReadImages"/> or <see cref="ReadLabels"/> expects, or the counts differ.</exception>
    public static Dataset LoadDataset(string imagesPath, string labelsPath)
    {
        int[] labels = ReadLabels(labelsPath);
        IdxArray images = ReadImages(imagesPath, scale: true);
        if (images.Count != labels.Length)
        {
            throw new IdxFormatException(
                $"'{imagesPath}' holds {images.Count} images but '{labelsPath}' holds {labels.Length} labels; " +
                "pair each images file with its own labels file (train-images with train-labels, t10k-images with t10k-labels).",
                labelsPath);
        }

        if (images.ItemLength == 0)
        {
            throw new IdxFormatException(
                $"'{imagesPath}' holds images of {images.Shape[1]} x {images.Shape[2]} pixels, which have no features to learn from.",
                imagesPath);
        }

        float[] targets = new float[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            targets[i] = labels[i];
        }

        return new Dataset(images.Data, images.ItemLength, targets, 1);
    }

    /// <summary>
    /// Loads Fashion-MNIST's training set (60,000 images) and test set (10,000) from <paramref name="directory"/>, as
    /// <see cref="LoadDataset"/> does: 784 features in [0, 1] and a class index 0 to 9 (see
    /// <see cref="FashionMnistClassNames"/>). The directory holds <c>train-images-idx3-ubyte</c>,
    /// <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c> and <c>t10k-labels-idx1-ubyte</c>, each gzipped
    /// (<c>.gz</c>, as <c>scripts/fetch-fashion-mnist.sh</c> leaves them) or not.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is missing; run <c>scripts/fetch-fashion-mnist.sh</c>.</exception>
    /// <exception cref="IdxFormatException">A file is damaged.</exception>
    public static (Dataset Train, Dataset Test) LoadFashionMnist(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Dataset train = LoadDataset(Locate(directory, "train-images-idx3-ubyte"), Locate(directory, "train-labels-idx1-ubyte"));
        Dataset test = LoadDataset(Locate(directory, "t10k-images-idx3-ubyte"), Locate(directory, "t10k-labels-idx1-ubyte"));
        return (train, test);
    }

    // The gzipped name as fetched, unless only the decompressed file is there; a missing file is reported under the
    // name that the fetch script writes.
    private static string Locate(string directory, string name)
    {
        string gzipped = Path.Combine(directory, name + ".gz");
        string raw = Path.Combine(directory, name);
        return !File.Exists(gzipped) && File.Exists(raw) ? raw : gzipped;
    }

    private static IdxArray ReadFile(string path, Expected expected)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            string fullPath = Path.GetFullPath(path);
            string hint = fullPath == path ? "" : $" (relative paths resolve against the current directory, {Environment.CurrentDirectory})";
            throw new FileNotFoundException($"There is no IDX file at '{fullPath}'{hint}; check the path, or {FetchHint}.", fullPath);
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        return ReadStream(stream, path, expected);
    }

    private static IdxArray ReadStream(Stream stream, string? filePath, Expected expected)
    {
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }

        long start = stream.Position;
        Span<byte> head = stackalloc byte[2];
        int headLength = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        stream.Position = start;
        long available = stream.Length - start;
        if (headLength < 2 || head[0] != 0x1F || head[1] != 0x8B)
        {
            return ReadIdx(stream, filePath, expected, gzipped: false, available);
        }

        using var gzip = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
        try
        {
            // Deflate expands at most 1032 to 1 (zlib's documented limit), so the compressed size bounds what the
            // header can honestly announce.
            long decompressedBound = available > long.MaxValue / MaxDeflateRatio ? long.MaxValue : available * MaxDeflateRatio;
            return ReadIdx(gzip, filePath, expected, gzipped: true, decompressedBound);
        }
        catch (InvalidDataException error)
        {
            throw new IdxFormatException(
                $"{Source(filePath)} starts like a gzip file (bytes 1F 8B) but does not decompress: {error.Message} " +
                $"It is damaged or was cut short; fetch it again{(filePath is null ? "" : $" ({FetchHint})")}.",
                filePath,
                error);
        }
    }

    // maxBytes: the most bytes the stream can hold from here, exactly for a raw file and an upper bound for a gzipped
    // one. Nothing is allocated for more elements than that allows, so that a damaged or hostile header announcing
    // billions of elements fails as truncated instead of allocating gigabytes first.
    private static IdxArray ReadIdx(Stream stream, string? filePath, Expected expected, bool gzipped, long maxBytes)
    {
        string source = Source(filePath);
        string decompressed = gzipped ? " once decompressed" : "";
        byte[] buffer = new byte[ChunkBytes];

        int found = stream.ReadAtLeast(buffer.AsSpan(0, 4), 4, throwOnEndOfStream: false);
        if (found < 4)
        {
            throw new IdxFormatException(
                $"{source} is truncated: it holds {found} bytes{decompressed}, but an IDX file needs at least 4 for its magic number; fetch it again.",
                filePath);
        }

        uint magic = BinaryPrimitives.ReadUInt32BigEndian(buffer);
        if (buffer[0] != 0 || buffer[1] != 0)
        {
            string swapped = BinaryPrimitives.ReverseEndianness(magic) >> 16 == 0
                ? $" (that is 0x{BinaryPrimitives.ReverseEndianness(magic):X8} written little-endian; IDX numbers are big-endian)"
                : "";
            throw new IdxFormatException(
                $"{source} starts with 0x{magic:X8}{decompressed}, which is not an IDX magic number{swapped}: expected 0x0000TTNN, two zero bytes, " +
                $"an element type TT ({TypeCodes}) and the number of dimensions NN, such as {ExpectedMagic(expected)}. " +
                "Check that this is an IDX file.",
                filePath);
        }

        byte typeCode = buffer[2];
        int rank = buffer[3];
        if (!Enum.IsDefined((IdxDataType)typeCode))
        {
            throw new IdxFormatException(
                $"{source} has magic number 0x{magic:X8}, whose element type 0x{typeCode:X2} is not one of the IDX format's: expected {TypeCodes}.",
                filePath);
        }

        var dataType = (IdxDataType)typeCode;
        string? mismatch = Mismatch(expected, dataType, rank);
        if (mismatch is not null)
        {
            throw new IdxFormatException(
                $"{source} has magic number 0x{magic:X8} ({Name(dataType)}, {Dimensions(rank)}), but {mismatch}",
                filePath);
        }

        if (rank == 0)
        {
            throw new IdxFormatException(
                $"{source} has magic number 0x{magic:X8}, which announces 0 dimensions; an IDX array needs at least one (the item count).",
                filePath);
        }

        int headerBytes = 4 + (4 * rank);
        found += stream.ReadAtLeast(buffer.AsSpan(4, 4 * rank), 4 * rank, throwOnEndOfStream: false);
        if (found < headerBytes)
        {
            throw new IdxFormatException(
                $"{source} is truncated: it holds {found} bytes{decompressed}, but its magic number 0x{magic:X8} announces {Dimensions(rank)}, " +
                $"so its header alone needs {headerBytes}; fetch it again.",
                filePath);
        }

        int[] shape = new int[rank];
        long elements = 1;
        for (int d = 0; d < rank; d++)
        {
            uint dimension = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(4 + (4 * d)));
            elements *= dimension;
            if (dimension > int.MaxValue || elements > Array.MaxLength)
            {
                throw new IdxFormatException(
                    $"{source} announces dimension {d} of {dimension}, which makes more elements than a .NET array holds ({Array.MaxLength}); " +
                    "its header is damaged.",
                    filePath);
            }

            shape[d] = (int)dimension;
        }

        int elementSize = Size(dataType);
        long expectedBytes = headerBytes + (elements * elementSize);
        string truncated = $"{source} is truncated: its header announces {IdxArray.Describe(shape)} elements of {Name(dataType)}, which need {expectedBytes} bytes in all, but it holds";
        if (!gzipped && expectedBytes > maxBytes)
        {
            throw new IdxFormatException($"{truncated} {maxBytes}; fetch it again.", filePath);
        }

        // Exact for a raw file (checked above); for a gzipped one, as many elements as the compressed size allows,
        // grown should the data really be longer.
        float[] data = new float[Math.Min(elements, Math.Max(0, maxBytes - headerBytes) / elementSize)];
        long written = 0;
        while (written < elements)
        {
            int want = (int)Math.Min(ChunkBytes, (elements - written) * elementSize);
            int got = stream.ReadAtLeast(buffer.AsSpan(0, want), want, throwOnEndOfStream: false);
            found += got;
            if (got < want)
            {
                throw new IdxFormatException($"{truncated} {found}{decompressed}; fetch it again.", filePath);
            }

            int count = got / elementSize;
            if (written + count > data.Length)
            {
                Array.Resize(ref data, (int)Math.Min(elements, Math.Max(2L * data.Length, written + count)));
            }

            Convert(buffer.AsSpan(0, got), dataType, data.AsSpan((int)written, count));
            written += count;
        }

        long extra = 0;
        int more;
        while ((more = stream.Read(buffer)) > 0)
        {
            extra += more;
        }

        if (extra > 0)
        {
            throw new IdxFormatException(
                $"{source} holds {found + extra} bytes{decompressed}, {extra} more than the {expectedBytes} that its header announces " +
                $"({IdxArray.Describe(shape)} elements of {Name(dataType)}); the header's dimensions do not describe the file, or data follows the array.",
                filePath);
        }

        return new IdxArray(dataType, shape, data);
    }

    private static void Convert(ReadOnlySpan<byte> bytes, IdxDataType dataType, Span<float> destination)
    {
        switch (dataType)
        {
            case IdxDataType.UInt8:
                TensorPrimitives.ConvertChecked<byte, float>(bytes, destination);
                break;
            case IdxDataType.Int8:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (sbyte)bytes[i];
                }

                break;
            case IdxDataType.Int16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt16BigEndian(bytes[(2 * i)..]);
                }

                break;
            case IdxDataType.Int32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt32BigEndian(bytes[(4 * i)..]);
                }

                break;
            case IdxDataType.Float32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadSingleBigEndian(bytes[(4 * i)..]);
                }

                break;
            default:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadDoubleBigEndian(bytes[(8 * i)..]);
                }

                break;
        }
    }

    // Why a well-formed header is not what the caller asked for, or null when it is.
    private static string? Mismatch(Expected expected, IdxDataType dataType, int rank) => expected switch
    {
        Expected.Images when rank != 3 =>
            $"images need 3 dimensions [count, rows, columns], magic 0x0000{(byte)dataType:X2}03{(rank == 1 ? "; this looks like a labels file" : "")}.",
        Expected.UInt8Images when rank != 3 || dataType != IdxDataType.UInt8 =>
            "images scaled to [0, 1] need bytes in 3 dimensions [count, rows, columns], magic 0x00000803" +
            (rank == 1 ? "; this looks like a labels file." : rank == 3 ? "; pass scale: false to read other element types unchanged." : "."),
        Expected.Labels when rank != 1 || dataType is IdxDataType.Float32 or IdxDataType.Float64 =>
            "labels need integers in 1 dimension [count], magic 0x00000801 for bytes" + (rank == 3 ? "; this looks like an images file." : "."),
        _ => null,
    };

    private static string ExpectedMagic(Expected expected) => expected switch
    {
        Expected.Images => "0x00000803 for images of bytes",
        Expected.UInt8Images => "0x00000803 for images of bytes",
        Expected.Labels => "0x00000801 for labels of bytes",
        _ => "0x00000803 for MNIST's images and 0x00000801 for its labels",
    };

    private static int Size(IdxDataType dataType) => dataType switch
    {
        IdxDataType.UInt8 or IdxDataType.Int8 => 1,
        IdxDataType.Int16 => 2,
        IdxDataType.Int32 or IdxDataType.Float32 => 4,
        _ => 8,
    };

    private static string Name(IdxDataType dataType) => dataType switch
    {
        IdxDataType.UInt8 => "u8",
        IdxDataType.Int8 => "i8",
        IdxDataType.Int16 => "i16",
        IdxDataType.Int32 => "i32",
        IdxDataType.Float32 => "f32",
        _ => "f64",
    };

    private static string Dimensions(int rank) => rank == 1 ? "1 dimension" : $"{rank} dimensions";

    private static string Source(string? filePath) => filePath is null ? "The IDX stream" : $"'{filePath}'";
}
