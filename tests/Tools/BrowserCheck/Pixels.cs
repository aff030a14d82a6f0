using System;
using System.Collections.Generic;
using System.IO;
using StbImageSharp;

namespace TypedNets.BrowserCheck;

/// <summary>One pixel's colour, 8 bits a channel.</summary>
public readonly record struct Rgba(byte R, byte G, byte B, byte A);

/// <summary>An image as rows of 8-bit RGBA pixels, top row first.</summary>
public sealed class RgbaImage
{
    /// <summary>An image of <paramref name="width"/> × <paramref name="height"/> pixels held in <paramref name="pixels"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="pixels"/> does not hold 4 bytes for each pixel.</exception>
    public RgbaImage(int width, int height, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (width <= 0 || height <= 0 || pixels.Length != (long)width * height * 4)
        {
            throw new ArgumentException($"A {width}×{height} RGBA image holds {(long)width * height * 4} bytes, not {pixels.Length}.", nameof(pixels));
        }

        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>The width in pixels.</summary>
    public int Width { get; }

    /// <summary>The height in pixels.</summary>
    public int Height { get; }

    /// <summary>R, G, B, A for each pixel, row by row.</summary>
    public byte[] Pixels { get; }

    /// <summary>The pixel at column <paramref name="x"/> of row <paramref name="y"/>.</summary>
    public Rgba this[int x, int y]
    {
        get
        {
            int at = ((y * Width) + x) * 4;
            return new Rgba(Pixels[at], Pixels[at + 1], Pixels[at + 2], Pixels[at + 3]);
        }
    }

    /// <summary>
    /// Decodes a PNG, such as Chromium's screenshots, with StbImageSharp (a managed port of stb_image, with no native
    /// library): any bit depth and colour type comes out as 8-bit RGBA.
    /// </summary>
    /// <exception cref="InvalidDataException"><paramref name="png"/> is not a PNG, or its data is damaged.</exception>
    public static RgbaImage DecodePng(byte[] png)
    {
        ArgumentNullException.ThrowIfNull(png);
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (!png.AsSpan().StartsWith(signature))
        {
            throw new InvalidDataException($"A screenshot of {png.Length} bytes does not start with the PNG signature; Page.captureScreenshot was asked for PNG.");
        }

        ImageResult result;
        try
        {
            result = ImageResult.FromMemory(png, ColorComponents.RedGreenBlueAlpha);
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            throw new InvalidDataException($"A PNG of {png.Length} bytes could not be decoded: {error.Message}", error);
        }

        return new RgbaImage(result.Width, result.Height, result.Data);
    }
}

/// <summary>
/// What a clip of the page shows beyond its background: the pixels that differ from the most common colour, and how
/// many colours they come in.
/// </summary>
/// <param name="Background">The most common colour of the clip, seen over white.</param>
/// <param name="InkPixels">The pixels that differ from <paramref name="Background"/> by more than <see cref="InkMeter.InkDifference"/> in some channel.</param>
/// <param name="TotalPixels">The pixels of the clip.</param>
/// <param name="InkColours">The colours (16 levels a channel) that each hold at least <see cref="InkMeter.ColourShare"/> of the ink.</param>
public readonly record struct Ink(Rgba Background, int InkPixels, int TotalPixels, int InkColours)
{
    /// <summary>The share of the clip that is ink.</summary>
    public double Coverage => TotalPixels == 0 ? 0 : (double)InkPixels / TotalPixels;

    /// <inheritdoc/>
    public override string ToString()
        => $"{InkPixels} ink pixels of {TotalPixels} ({Coverage:P2}) in {InkColours} colour{(InkColours == 1 ? "" : "s")} over #{Background.R:x2}{Background.G:x2}{Background.B:x2}";
}

/// <summary>Measures the ink in a screenshot of a chart and says whether the chart is blank.</summary>
public static class InkMeter
{
    /// <summary>
    /// A pixel is ink when some channel differs from the background by more than this: the faint fills of a diagram's
    /// end boxes (#f4f4f4 on white) are not ink, their borders and text are.
    /// </summary>
    public const int InkDifference = 24;

    /// <summary>
    /// A colour counts when it holds this share of the ink, so that the antialiased edge of one flat mark does not
    /// pass for a second colour.
    /// </summary>
    public const double ColourShare = 0.01;

    /// <summary>
    /// Less ink than this share of the clip is blank: a chart with two 2-pixel lines and its axes covers about 2% of
    /// 480 × 260; an empty frame's stray antialiased pixels, far less.
    /// </summary>
    public const double MinCoverage = 0.002;

    /// <summary>Measures <paramref name="image"/>, translucent pixels seen over white as the page shows them.</summary>
    public static Ink Measure(RgbaImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int total = image.Width * image.Height;
        var seen = new Rgba[total];
        var counts = new Dictionary<Rgba, int>();
        for (int i = 0; i < total; i++)
        {
            Rgba pixel = OverWhite(image.Pixels.AsSpan(i * 4, 4));
            seen[i] = pixel;
            counts[pixel] = counts.GetValueOrDefault(pixel) + 1;
        }

        Rgba background = default;
        int most = -1;
        foreach ((Rgba colour, int count) in counts)
        {
            if (count > most)
            {
                (background, most) = (colour, count);
            }
        }

        int ink = 0;
        var inkColours = new Dictionary<int, int>();
        foreach (Rgba pixel in seen)
        {
            if (Math.Abs(pixel.R - background.R) > InkDifference || Math.Abs(pixel.G - background.G) > InkDifference || Math.Abs(pixel.B - background.B) > InkDifference)
            {
                ink++;
                int level = ((pixel.R >> 4) << 8) | ((pixel.G >> 4) << 4) | (pixel.B >> 4);
                inkColours[level] = inkColours.GetValueOrDefault(level) + 1;
            }
        }

        int colours = 0;
        foreach (int count in inkColours.Values)
        {
            if (count >= ColourShare * ink)
            {
                colours++;
            }
        }

        return new Ink(background, ink, total, colours);
    }

    /// <summary>
    /// Whether a clip with <paramref name="ink"/> shows nothing: too little ink (<see cref="MinCoverage"/>), or ink of
    /// one colour only (one flat mark, such as a frame or a filled rectangle, with nothing drawn in it).
    /// </summary>
    public static bool IsBlank(Ink ink) => ink.Coverage < MinCoverage || ink.InkColours < 2;

    private static Rgba OverWhite(ReadOnlySpan<byte> rgba)
    {
        int alpha = rgba[3];
        return new Rgba(Blend(rgba[0], alpha), Blend(rgba[1], alpha), Blend(rgba[2], alpha), 255);
    }

    private static byte Blend(byte channel, int alpha) => (byte)(((channel * alpha) + (255 * (255 - alpha)) + 127) / 255);
}
