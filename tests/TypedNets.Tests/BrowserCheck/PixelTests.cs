using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Text;
using TypedNets.BrowserCheck;

namespace TypedNets.Tests.BrowserCheck;

/// <summary>
/// The browser check's pure parts, which run without Chromium: a screenshot's PNG decoded to the pixels it holds, and
/// the ink measure that calls a chart blank. The PNGs here are written by hand, row filter by row filter, so the
/// pixels they hold are known.
/// </summary>
public sealed class PixelTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_png_decodes_to_the_pixels_written_under_every_row_filter(bool alpha)
    {
        // Five rows, one per filter type (None, Sub, Up, Average, Paeth), of colours that change along the row and
        // between rows, so that every filter's predictor matters.
        const int width = 4, height = 5;
        var expected = new byte[width * height * 4];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int at = ((y * width) + x) * 4;
                expected[at] = (byte)((x * 60) + (y * 7));
                expected[at + 1] = (byte)(200 - (x * 31) - (y * 11));
                expected[at + 2] = (byte)((x * y * 17) + 3);
                expected[at + 3] = alpha ? (byte)(255 - (x * 40) - y) : (byte)255;
            }
        }

        RgbaImage image = RgbaImage.DecodePng(Png.Write(width, height, expected, alpha));

        Assert.Equal(width, image.Width);
        Assert.Equal(height, image.Height);
        Assert.Equal(expected, image.Pixels);
    }

    [Fact]
    public void Bytes_that_are_not_a_png_are_refused_with_their_length()
    {
        var error = Assert.Throws<InvalidDataException>(() => RgbaImage.DecodePng(Encoding.ASCII.GetBytes("<svg/>")));
        Assert.Contains("6 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_white_clip_is_blank()
    {
        Ink ink = InkMeter.Measure(Fill(100, 60, White));

        Assert.Equal(0, ink.InkPixels);
        Assert.Equal(White, ink.Background);
        Assert.True(InkMeter.IsBlank(ink));
    }

    [Fact]
    public void A_clip_of_one_flat_colour_is_blank_whatever_the_colour()
    {
        // A chart that renders as one filled rectangle (an SVG whose marks all failed) shows nothing either.
        Ink ink = InkMeter.Measure(Fill(100, 60, new Rgba(30, 60, 200, 255)));

        Assert.Equal(0, ink.InkPixels);
        Assert.True(InkMeter.IsBlank(ink));
    }

    [Fact]
    public void One_flat_mark_on_the_background_is_blank()
    {
        // A frame drawn in one colour and nothing in it: ink, but of one colour only.
        RgbaImage image = Fill(100, 60, White);
        Paint(image, 10, 10, 80, 1, Black);
        Paint(image, 10, 49, 80, 1, Black);

        Ink ink = InkMeter.Measure(image);

        Assert.Equal(160, ink.InkPixels);
        Assert.Equal(1, ink.InkColours);
        Assert.True(InkMeter.IsBlank(ink));
    }

    [Fact]
    public void Lines_in_two_colours_over_a_white_background_are_not_blank()
    {
        RgbaImage image = Fill(100, 60, White);
        Paint(image, 10, 20, 80, 2, new Rgba(31, 119, 180, 255));
        Paint(image, 10, 40, 80, 2, new Rgba(255, 127, 14, 255));

        Ink ink = InkMeter.Measure(image);

        Assert.Equal(320, ink.InkPixels);
        Assert.Equal(2, ink.InkColours);
        Assert.Equal(320.0 / 6000, ink.Coverage, 12);
        Assert.False(InkMeter.IsBlank(ink));
    }

    [Fact]
    public void A_few_stray_pixels_are_not_enough_ink()
    {
        // Two colours, but a handful of pixels in a large clip: an antialiased edge of an empty frame, not a chart.
        RgbaImage image = Fill(200, 100, White);
        Paint(image, 0, 0, 3, 1, Black);
        Paint(image, 5, 0, 3, 1, new Rgba(255, 0, 0, 255));

        Ink ink = InkMeter.Measure(image);

        Assert.Equal(6, ink.InkPixels);
        Assert.True(InkMeter.IsBlank(ink));
    }

    [Fact]
    public void The_background_is_the_most_common_colour_not_the_corner()
    {
        // A heat map whose cells cover most of the clip: the page colour is in the margins only.
        RgbaImage image = Fill(50, 50, White);
        var cell = new Rgba(8, 48, 107, 255);
        Paint(image, 2, 2, 46, 46, cell);
        Paint(image, 20, 20, 5, 5, new Rgba(200, 220, 240, 255));

        Ink ink = InkMeter.Measure(image);

        Assert.Equal(cell, ink.Background);
        Assert.Equal((50 * 50) - (46 * 46) + 25, ink.InkPixels);
        Assert.False(InkMeter.IsBlank(ink));
    }

    [Fact]
    public void Translucent_pixels_are_seen_over_white_as_the_page_shows_them()
    {
        // Fully transparent black is white on the page, so it is background, not ink.
        RgbaImage image = Fill(10, 10, new Rgba(0, 0, 0, 0));
        Paint(image, 0, 0, 10, 1, White);

        Ink ink = InkMeter.Measure(image);

        Assert.Equal(White, ink.Background);
        Assert.Equal(0, ink.InkPixels);
    }

    private static readonly Rgba White = new(255, 255, 255, 255);
    private static readonly Rgba Black = new(0, 0, 0, 255);

    private static RgbaImage Fill(int width, int height, Rgba colour)
    {
        var image = new RgbaImage(width, height, new byte[width * height * 4]);
        Paint(image, 0, 0, width, height, colour);
        return image;
    }

    private static void Paint(RgbaImage image, int x0, int y0, int width, int height, Rgba colour)
    {
        for (int y = y0; y < y0 + height; y++)
        {
            for (int x = x0; x < x0 + width; x++)
            {
                int at = ((y * image.Width) + x) * 4;
                image.Pixels[at] = colour.R;
                image.Pixels[at + 1] = colour.G;
                image.Pixels[at + 2] = colour.B;
                image.Pixels[at + 3] = colour.A;
            }
        }
    }

    /// <summary>An 8-bit RGB or RGBA PNG, non-interlaced, row y filtered with filter type y mod 5, as the PNG spec defines them.</summary>
    private static class Png
    {
        public static byte[] Write(int width, int height, byte[] rgba, bool alpha)
        {
            int channels = alpha ? 4 : 3;
            int stride = width * channels;
            var raw = new byte[height * stride];
            for (int i = 0, o = 0; i < rgba.Length; i += 4)
            {
                for (int c = 0; c < channels; c++)
                {
                    raw[o++] = rgba[i + c];
                }
            }

            var filtered = new MemoryStream();
            for (int y = 0; y < height; y++)
            {
                int filter = y % 5;
                filtered.WriteByte((byte)filter);
                for (int x = 0; x < stride; x++)
                {
                    int value = raw[(y * stride) + x];
                    int a = x >= channels ? raw[(y * stride) + x - channels] : 0;
                    int b = y > 0 ? raw[((y - 1) * stride) + x] : 0;
                    int c = x >= channels && y > 0 ? raw[((y - 1) * stride) + x - channels] : 0;
                    int predictor = filter switch
                    {
                        0 => 0,
                        1 => a,
                        2 => b,
                        3 => (a + b) / 2,
                        _ => Paeth(a, b, c),
                    };
                    filtered.WriteByte((byte)(value - predictor));
                }
            }

            var idat = new MemoryStream();
            using (var zlib = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true))
            {
                filtered.Position = 0;
                filtered.CopyTo(zlib);
            }

            var png = new MemoryStream();
            png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
            var header = new byte[13];
            WriteBigEndian(header, 0, width);
            WriteBigEndian(header, 4, height);
            header[8] = 8;
            header[9] = (byte)(alpha ? 6 : 2);
            Chunk(png, "IHDR", header);
            Chunk(png, "IDAT", idat.ToArray());
            Chunk(png, "IEND", []);
            return png.ToArray();
        }

        private static int Paeth(int a, int b, int c)
        {
            int p = a + b - c;
            int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
            return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }

        private static void Chunk(Stream png, string type, byte[] data)
        {
            var length = new byte[4];
            WriteBigEndian(length, 0, data.Length);
            png.Write(length);
            var body = new List<byte>(Encoding.ASCII.GetBytes(type));
            body.AddRange(data);
            png.Write(body.ToArray());
            var crc = new byte[4];
            WriteBigEndian(crc, 0, (int)Crc32(body.ToArray()));
            png.Write(crc);
        }

        private static uint Crc32(byte[] bytes)
        {
            uint crc = 0xFFFFFFFF;
            foreach (byte value in bytes)
            {
                crc ^= value;
                for (int k = 0; k < 8; k++)
                {
                    crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
                }
            }

            return ~crc;
        }

        private static void WriteBigEndian(byte[] target, int offset, int value)
        {
            target[offset] = (byte)(value >> 24);
            target[offset + 1] = (byte)(value >> 16);
            target[offset + 2] = (byte)(value >> 8);
            target[offset + 3] = (byte)value;
        }
    }
}
