using System;
using System.IO;
using System.Linq;
using TypedNets.Data;

namespace TypedNets.Tests.Images;

/// <summary>
/// Reads the IDX fixtures in tests/Fixtures/images, written by <c>make_idx_fixtures.py</c> there with Python's struct
/// module (an encoder independent of this reader). Real Fashion-MNIST is not needed here.
/// </summary>
public sealed class IdxTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "images", name);

    // The fixture's formula: image i, pixel (r, c) = 10 (i + 1) + 5 r + c, with image 0's corners set to 0 and 255.
    private static float[] TinyPixels()
    {
        float[] pixels = new float[3 * 4 * 5];
        for (int i = 0; i < 3; i++)
        {
            for (int r = 0; r < 4; r++)
            {
                for (int c = 0; c < 5; c++)
                {
                    pixels[(i * 20) + (r * 5) + c] = (10 * (i + 1)) + (5 * r) + c;
                }
            }
        }

        pixels[0] = 0;
        pixels[19] = 255;
        return pixels;
    }

    [Theory]
    [InlineData("tiny-images-idx3-ubyte")]
    [InlineData("tiny-images-idx3-ubyte.gz")]
    public void Reads_raw_and_gzipped_images_alike(string name)
    {
        IdxArray images = Idx.Read(Fixture(name));
        Assert.Equal(IdxDataType.UInt8, images.DataType);
        Assert.Equal([3, 4, 5], images.Shape.ToArray());
        Assert.Equal(3, images.Rank);
        Assert.Equal(3, images.Count);
        Assert.Equal(20, images.ItemLength);
        Assert.Equal(TinyPixels(), images.Data);
        Assert.Equal(TinyPixels().AsSpan(40, 20).ToArray(), images.Item(2).ToArray());
        Assert.Equal("UInt8 3 x 4 x 5", images.ToString());
    }

    [Theory]
    [InlineData("tiny-images-idx3-ubyte")]
    [InlineData("tiny-images-idx3-ubyte.gz")]
    public void ReadImages_scales_bytes_to_the_unit_interval_as_torchvision_does(string name)
    {
        IdxArray images = Idx.ReadImages(Fixture(name));
        Assert.Equal([3, 4, 5], images.Shape.ToArray());
        Assert.Equal(0f, images.Data[0]);
        Assert.Equal(1f, images.Data[19]);
        Assert.Equal(TinyPixels().Select(p => p / 255f), images.Data);
        Assert.Equal(TinyPixels(), Idx.ReadImages(Fixture(name), scale: false).Data);
    }

    [Theory]
    [InlineData("tiny-labels-idx1-ubyte")]
    [InlineData("tiny-labels-idx1-ubyte.gz")]
    public void ReadLabels_gives_class_indices(string name)
    {
        Assert.Equal([7, 0, 9], Idx.ReadLabels(Fixture(name)));
    }

    [Fact]
    public void LoadDataset_pairs_scaled_pixels_with_labels()
    {
        Dataset data = Idx.LoadDataset(Fixture("tiny-images-idx3-ubyte.gz"), Fixture("tiny-labels-idx1-ubyte"));
        Assert.Equal(3, data.Count);
        Assert.Equal(20, data.FeatureWidth);
        Assert.Equal(1, data.TargetWidth);
        Assert.Equal([7f, 0f, 9f], data.Targets.ToArray());
        Assert.Equal(TinyPixels().AsSpan(20, 20).ToArray().Select(p => p / 255f), data.FeatureRow(1).ToArray());
    }

    [Fact]
    public void Every_element_type_is_decoded_big_endian()
    {
        IdxArray i8 = Idx.Read(Fixture("values-i8-idx1"));
        Assert.Equal(IdxDataType.Int8, i8.DataType);
        Assert.Equal([-128f, -1f, 0f, 127f], i8.Data);

        IdxArray i16 = Idx.Read(Fixture("values-i16-idx1"));
        Assert.Equal(IdxDataType.Int16, i16.DataType);
        Assert.Equal([-32768f, -300f, 258f, 32767f], i16.Data);

        IdxArray i32 = Idx.Read(Fixture("values-i32-idx1"));
        Assert.Equal(IdxDataType.Int32, i32.DataType);
        Assert.Equal([-2_000_000f, 65_536f, 16_777_216f], i32.Data);

        IdxArray f32 = Idx.Read(Fixture("values-f32-idx2"));
        Assert.Equal(IdxDataType.Float32, f32.DataType);
        Assert.Equal([2, 3], f32.Shape.ToArray());
        Assert.Equal(3, f32.ItemLength);
        Assert.Equal([0.5f, -1.25f, 3.0e10f, 1.0e-3f, 0f, -7f], f32.Data);

        // Doubles round to the nearest float, and beyond float's range become infinities, as torch's .float() does.
        IdxArray f64 = Idx.Read(Fixture("values-f64-idx1"));
        Assert.Equal(IdxDataType.Float64, f64.DataType);
        Assert.Equal([(float)0.1, float.NegativeInfinity], f64.Data);
    }

    [Fact]
    public void Streams_are_read_from_their_position_seekable_or_not()
    {
        byte[] gzipped = File.ReadAllBytes(Fixture("tiny-labels-idx1-ubyte.gz"));
        using var forwardOnly = new ForwardOnlyStream(gzipped);
        Assert.Equal([7f, 0f, 9f], Idx.Read(forwardOnly).Data);

        byte[] raw = File.ReadAllBytes(Fixture("tiny-labels-idx1-ubyte"));
        using var seekable = new MemoryStream([0xAA, 0xBB, .. raw]);
        seekable.Position = 2;
        Assert.Equal([7f, 0f, 9f], Idx.Read(seekable).Data);
        Assert.True(seekable.CanRead);
    }

    [Fact]
    public void A_wrong_magic_number_says_what_was_found_and_expected()
    {
        string path = Fixture("wrong-magic-idx3-ubyte");
        var error = Assert.Throws<IdxFormatException>(() => Idx.Read(path));
        Assert.Equal(
            $"'{path}' starts with 0x03080000, which is not an IDX magic number (that is 0x00000803 written little-endian; IDX numbers are big-endian): " +
            "expected 0x0000TTNN, two zero bytes, an element type TT (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32 or 0x0E f64) and the number of " +
            "dimensions NN, such as 0x00000803 for MNIST's images and 0x00000801 for its labels. Check that this is an IDX file.",
            error.Message);
        Assert.Equal(path, error.FilePath);
        Assert.IsAssignableFrom<FormatException>(error);

        using var text = new MemoryStream("hello, world"u8.ToArray());
        error = Assert.Throws<IdxFormatException>(() => Idx.Read(text));
        Assert.StartsWith("The IDX stream starts with 0x68656C6C, which is not an IDX magic number: expected 0x0000TTNN", error.Message, StringComparison.Ordinal);
        Assert.Null(error.FilePath);
    }

    [Fact]
    public void An_undefined_element_type_is_named()
    {
        string path = Fixture("unsupported-type-idx1");
        var error = Assert.Throws<IdxFormatException>(() => Idx.Read(path));
        Assert.Equal(
            $"'{path}' has magic number 0x00000A01, whose element type 0x0A is not one of the IDX format's: expected 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32 or 0x0E f64.",
            error.Message);
    }

    [Fact]
    public void A_truncated_file_names_the_bytes_expected_and_found()
    {
        string path = Fixture("truncated-images-idx3-ubyte");
        var error = Assert.Throws<IdxFormatException>(() => Idx.ReadImages(path));
        Assert.Equal(
            $"'{path}' is truncated: its header announces 3 x 4 x 5 elements of u8, which need 76 bytes in all, but it holds 50; fetch it again.",
            error.Message);

        path = Fixture("truncated-images-idx3-ubyte.gz");
        error = Assert.Throws<IdxFormatException>(() => Idx.ReadImages(path));
        Assert.Equal(
            $"'{path}' is truncated: its header announces 3 x 4 x 5 elements of u8, which need 76 bytes in all, but it holds 50 once decompressed; fetch it again.",
            error.Message);

        path = Fixture("short-header-idx3-ubyte");
        error = Assert.Throws<IdxFormatException>(() => Idx.Read(path));
        Assert.Equal(
            $"'{path}' is truncated: it holds 10 bytes, but its magic number 0x00000803 announces 3 dimensions, so its header alone needs 16; fetch it again.",
            error.Message);

        using var empty = new MemoryStream();
        error = Assert.Throws<IdxFormatException>(() => Idx.Read(empty));
        Assert.Equal("The IDX stream is truncated: it holds 0 bytes, but an IDX file needs at least 4 for its magic number; fetch it again.", error.Message);
    }

    [Fact]
    public void A_cut_or_corrupt_gzip_stream_is_reported()
    {
        // .NET's GZipStream ends a cut stream quietly, so the IDX length check is what catches it.
        string path = Fixture("cut-gzip-images-idx3-ubyte.gz");
        var error = Assert.Throws<IdxFormatException>(() => Idx.Read(path));
        Assert.StartsWith($"'{path}' is truncated: its header announces 3 x 4 x 5 elements of u8, which need 76 bytes in all, but it holds ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(" once decompressed; fetch it again.", error.Message, StringComparison.Ordinal);

        path = Fixture("corrupt-gzip-idx1-ubyte.gz");
        error = Assert.Throws<IdxFormatException>(() => Idx.Read(path));
        Assert.StartsWith($"'{path}' starts like a gzip file (bytes 1F 8B) but does not decompress: ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(
            " It is damaged or was cut short; fetch it again (for Fashion-MNIST, run scripts/fetch-fashion-mnist.sh, which fetches it into data/fashion-mnist/ at the repository root).",
            error.Message,
            StringComparison.Ordinal);
        Assert.IsType<System.IO.InvalidDataException>(error.InnerException);
        Assert.Equal(path, error.FilePath);
    }

    [Fact]
    public void Bytes_beyond_what_the_header_announces_are_an_error()
    {
        string path = Fixture("trailing-bytes-idx1-ubyte");
        var error = Assert.Throws<IdxFormatException>(() => Idx.Read(path));
        Assert.Equal(
            $"'{path}' holds 17 bytes, 6 more than the 11 that its header announces (3 elements of u8); " +
            "the header's dimensions do not describe the file, or data follows the array.",
            error.Message);
    }

    [Fact]
    public void Images_and_labels_files_are_told_apart()
    {
        string labels = Fixture("tiny-labels-idx1-ubyte");
        var error = Assert.Throws<IdxFormatException>(() => Idx.ReadImages(labels));
        Assert.Equal(
            $"'{labels}' has magic number 0x00000801 (u8, 1 dimension), but images scaled to [0, 1] need bytes in 3 dimensions [count, rows, columns], " +
            "magic 0x00000803; this looks like a labels file.",
            error.Message);
        error = Assert.Throws<IdxFormatException>(() => Idx.ReadImages(labels, scale: false));
        Assert.Equal(
            $"'{labels}' has magic number 0x00000801 (u8, 1 dimension), but images need 3 dimensions [count, rows, columns], magic 0x00000803; this looks like a labels file.",
            error.Message);

        string images = Fixture("tiny-images-idx3-ubyte.gz");
        error = Assert.Throws<IdxFormatException>(() => Idx.ReadLabels(images));
        Assert.Equal(
            $"'{images}' has magic number 0x00000803 (u8, 3 dimensions), but labels need integers in 1 dimension [count], magic 0x00000801 for bytes; this looks like an images file.",
            error.Message);

        // Swapped arguments fail on the labels file first.
        Assert.Throws<IdxFormatException>(() => Idx.LoadDataset(labels, images));
    }

    [Fact]
    public void Float_images_are_read_unscaled_only()
    {
        string path = Fixture("float-images-idx3");
        var error = Assert.Throws<IdxFormatException>(() => Idx.ReadImages(path));
        Assert.Equal(
            $"'{path}' has magic number 0x00000D03 (f32, 3 dimensions), but images scaled to [0, 1] need bytes in 3 dimensions [count, rows, columns], " +
            "magic 0x00000803; pass scale: false to read other element types unchanged.",
            error.Message);
        Assert.Equal([0f, 0.25f, 0.5f, 1f], Idx.ReadImages(path, scale: false).Data);
    }

    [Fact]
    public void Negative_labels_are_rejected()
    {
        string path = Fixture("negative-labels-idx1");
        var error = Assert.Throws<IdxFormatException>(() => Idx.ReadLabels(path));
        Assert.Equal($"'{path}' holds label -2 at index 1; labels are class indices, 0 or more. Check that this is a labels file.", error.Message);
    }

    [Fact]
    public void Images_and_labels_of_different_counts_are_an_error()
    {
        string images = Fixture("tiny-images-idx3-ubyte");
        string labels = Fixture("two-labels-idx1-ubyte");
        var error = Assert.Throws<IdxFormatException>(() => Idx.LoadDataset(images, labels));
        Assert.Equal(
            $"'{images}' holds 3 images but '{labels}' holds 2 labels; pair each images file with its own labels file " +
            "(train-images with train-labels, t10k-images with t10k-labels).",
            error.Message);
        Assert.Equal(labels, error.FilePath);
    }

    [Fact]
    public void A_missing_file_names_the_path_and_the_fetch_script()
    {
        string path = Path.Combine(Path.GetTempPath(), "typednets-no-such-dir", "train-images-idx3-ubyte.gz");
        var error = Assert.Throws<FileNotFoundException>(() => Idx.ReadImages(path));
        Assert.Equal(
            $"There is no IDX file at '{path}'; check the path, or for Fashion-MNIST, run scripts/fetch-fashion-mnist.sh, " +
            "which fetches it into data/fashion-mnist/ at the repository root.",
            error.Message);
        Assert.Equal(path, error.FileName);

        error = Assert.Throws<FileNotFoundException>(() => Idx.Read(Path.Combine("no-such-dir", "labels")));
        Assert.Contains("relative paths resolve against the current directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFashionMnist_reads_the_four_files_gzipped_or_not()
    {
        string directory = Path.Combine(Path.GetTempPath(), "typednets-fashion-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var missing = Assert.Throws<FileNotFoundException>(() => Idx.LoadFashionMnist(directory));
            Assert.Equal(Path.Combine(directory, "train-labels-idx1-ubyte.gz"), missing.FileName);

            File.Copy(Fixture("tiny-images-idx3-ubyte.gz"), Path.Combine(directory, "train-images-idx3-ubyte.gz"));
            File.Copy(Fixture("tiny-labels-idx1-ubyte.gz"), Path.Combine(directory, "train-labels-idx1-ubyte.gz"));
            File.Copy(Fixture("tiny-images-idx3-ubyte"), Path.Combine(directory, "t10k-images-idx3-ubyte"));
            File.Copy(Fixture("tiny-labels-idx1-ubyte"), Path.Combine(directory, "t10k-labels-idx1-ubyte"));
            (Dataset train, Dataset test) = Idx.LoadFashionMnist(directory);
            Assert.Equal(3, train.Count);
            Assert.Equal(train.Features.ToArray(), test.Features.ToArray());
            Assert.Equal([7f, 0f, 9f], test.Targets.ToArray());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        Assert.Equal(10, Idx.FashionMnistClassNames.Count);
        Assert.Equal("T-shirt/top", Idx.FashionMnistClassNames[0]);
        Assert.Equal("Ankle boot", Idx.FashionMnistClassNames[9]);
    }

    [Fact]
    public void IdxArray_checks_its_shape_against_its_data()
    {
        Assert.Throws<ArgumentException>(() => new IdxArray(IdxDataType.UInt8, [2, 3], new float[5]));
        Assert.Throws<ArgumentException>(() => new IdxArray(IdxDataType.UInt8, [], new float[1]));
        Assert.Throws<ArgumentException>(() => new IdxArray(IdxDataType.UInt8, [-1, 2], new float[2]));
        Assert.Throws<ArgumentException>(() => new IdxArray(IdxDataType.UInt8, [int.MaxValue, int.MaxValue, int.MaxValue], new float[1]));

        var array = new IdxArray(IdxDataType.Int16, [0, 28, 28], []);
        Assert.Equal(784, array.ItemLength);
        Assert.Throws<ArgumentOutOfRangeException>(() => array.Item(0));
    }

    private sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 3));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
