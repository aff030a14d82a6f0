using System;

namespace TypedNets.Data;

/// <summary>
/// Random horizontal flips, shifts and small rotations of a batch of images, applied in place, seeded, and without
/// allocating: the one scratch image it needs is allocated with it.
/// </summary>
/// <remarks>
/// <para>
/// A batch is <c>[batch, channels, height, width]</c> floats, row-major (PyTorch's NCHW layout; with one channel, rows
/// of pixels as <see cref="Idx.LoadDataset"/> makes them). Each image draws its own transform, shared by its channels,
/// and undergoes in this order:
/// </para>
/// <list type="number">
/// <item>a mirror left to right, with probability <see cref="FlipProbability"/> (torchvision's <c>RandomHorizontalFlip</c>);</item>
/// <item>a rotation about its centre by a uniform angle in [-<see cref="MaxRotationDegrees"/>, <see cref="MaxRotationDegrees"/>),
/// positive counter-clockwise as seen on screen (as torchvision's <c>RandomRotation</c>), sampled with <see cref="Interpolation"/>;</item>
/// <item>a shift by whole pixels, down and right, each uniform in [-<see cref="MaxShift"/>, <see cref="MaxShift"/>]
/// (Keras' <c>RandomTranslation</c> in whole pixels, as in Fashion-MNIST's benchmark entry "shift at most 2 pixels").</item>
/// </list>
/// <para>
/// Pixels that come from outside the image are 0 (zero padding). Shifts and flips move pixels exactly; rotations
/// resample them.
/// </para>
/// <para>
/// The random draws, from one <c>new Xoshiro256(seed)</c> continued from batch to batch, are per image: one
/// <see cref="Xoshiro256.NextDouble()"/> for the flip (flipped when below <see cref="FlipProbability"/>) if that is
/// above 0; two <see cref="Xoshiro256.NextInt"/> for the shift down then right if <see cref="MaxShift"/> is above 0;
/// one <see cref="Xoshiro256.NextDouble(double, double)"/> for the angle if <see cref="MaxRotationDegrees"/> is above
/// 0. So the seed, the settings and the sizes of the batches passed so far fix every output, bit for bit.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var augment = new ImageAugmentation(channels: 1, height: 28, width: 28, seed: 7)
/// {
///     FlipProbability = 0.5,
///     MaxShift = 2,
///     MaxRotationDegrees = 10,
/// };
/// foreach (Batch batch in batches.NextEpoch())
/// {
///     augment.Apply(batch.Features); // the batch's buffer is refilled for every batch, so changing it is safe
///     network.TrainStep(batch.Features, batch.Targets);
/// }
/// </code>
/// </example>
public sealed class ImageAugmentation
{
    private readonly float[] _scratch;
    private Xoshiro256 _random;
    private readonly double _flipProbability;
    private readonly int _maxShift;
    private readonly double _maxRotationDegrees;
    private readonly ImageInterpolation _interpolation = ImageInterpolation.Bilinear;

    /// <summary>
    /// Prepares to augment images of <paramref name="channels"/> planes of <paramref name="height"/> by
    /// <paramref name="width"/> pixels, with every random choice drawn from <paramref name="seed"/>. Every transform
    /// is off until its property is set.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive, or an image exceeds an array.</exception>
    public ImageAugmentation(int channels, int height, int width, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        long length = (long)channels * height * width;
        if (length > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(channels), $"An image of {channels} x {height} x {width} floats is larger than an array can hold.");
        }

        Channels = channels;
        Height = height;
        Width = width;
        ImageLength = (int)length;
        _scratch = new float[ImageLength];
        _random = new Xoshiro256(seed);
    }

    /// <summary>The number of channels (planes) in an image.</summary>
    public int Channels { get; }

    /// <summary>The number of rows in an image.</summary>
    public int Height { get; }

    /// <summary>The number of columns in an image.</summary>
    public int Width { get; }

    /// <summary>The number of floats in one image: <see cref="Channels"/> x <see cref="Height"/> x <see cref="Width"/>.</summary>
    public int ImageLength { get; }

    /// <summary>The probability, 0 (the default) to 1, that an image is mirrored left to right.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in [0, 1].</exception>
    public double FlipProbability
    {
        get => _flipProbability;
        init
        {
            if (!(value >= 0 && value <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(FlipProbability), value, "A probability is between 0 and 1.");
            }

            _flipProbability = value;
        }
    }

    /// <summary>The largest shift in pixels, in each direction along each axis; 0 (the default) for none.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, or would move a whole image out of view.</exception>
    public int MaxShift
    {
        get => _maxShift;
        init
        {
            if (value < 0 || value >= Math.Max(Height, Width))
            {
                throw new ArgumentOutOfRangeException(
                    nameof(MaxShift),
                    value,
                    $"Shifts are 0 or more pixels and less than the {Height} x {Width} image they move, which a larger shift would leave blank.");
            }

            _maxShift = value;
        }
    }

    /// <summary>The largest rotation in degrees, either way, 0 (the default, none) to 180; a few degrees suit digits and clothes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not in [0, 180].</exception>
    public double MaxRotationDegrees
    {
        get => _maxRotationDegrees;
        init
        {
            if (!(value >= 0 && value <= 180))
            {
                throw new ArgumentOutOfRangeException(nameof(MaxRotationDegrees), value, "Rotations are 0 to 180 degrees either way.");
            }

            _maxRotationDegrees = value;
        }
    }

    /// <summary>How rotated images are sampled: <see cref="ImageInterpolation.Bilinear"/> (the default) or <see cref="ImageInterpolation.Nearest"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined <see cref="ImageInterpolation"/>.</exception>
    public ImageInterpolation Interpolation
    {
        get => _interpolation;
        init
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(Interpolation), value, "Use ImageInterpolation.Bilinear or ImageInterpolation.Nearest.");
            }

            _interpolation = value;
        }
    }

    /// <summary>
    /// Transforms every image of <paramref name="images"/> in place, each with its own random draws. Allocates
    /// nothing.
    /// </summary>
    /// <param name="images">Whole images, <c>[batch, channels, height, width]</c> row-major; may be empty.</param>
    /// <exception cref="ArgumentException">The length is not a whole number of images.</exception>
    public void Apply(Span<float> images)
    {
        if (images.Length % ImageLength != 0)
        {
            throw new ArgumentException(
                $"{images.Length} floats are not a whole number of {Channels} x {Height} x {Width} images ({ImageLength} floats each); " +
                "pass whole images, [batch, channels, height, width].",
                nameof(images));
        }

        for (int start = 0; start < images.Length; start += ImageLength)
        {
            Span<float> image = images.Slice(start, ImageLength);
            bool flip = _flipProbability > 0 && _random.NextDouble() < _flipProbability;
            int down = 0;
            int right = 0;
            if (_maxShift > 0)
            {
                down = _random.NextInt((2 * _maxShift) + 1) - _maxShift;
                right = _random.NextInt((2 * _maxShift) + 1) - _maxShift;
            }

            double degrees = _maxRotationDegrees > 0 ? _random.NextDouble(-_maxRotationDegrees, _maxRotationDegrees) : 0;

            // The unchecked cores: the public methods' checks hold by construction here, and Enum.IsDefined would
            // allocate again each time a collection drops the enum type's reflection cache (held by a weak handle).
            if (flip)
            {
                FlipHorizontalCore(image, Width);
            }

            if (degrees != 0)
            {
                image.CopyTo(_scratch);
                RotateCore(_scratch, image, Height, Width, degrees, _interpolation);
            }

            if (down != 0 || right != 0)
            {
                image.CopyTo(_scratch);
                ShiftCore(_scratch, image, Height, Width, down, right);
            }
        }
    }

    /// <summary>Mirrors every <paramref name="height"/> x <paramref name="width"/> plane of <paramref name="planes"/> left to right, in place.</summary>
    /// <exception cref="ArgumentException">The length is not a whole number of planes.</exception>
    public static void FlipHorizontal(Span<float> planes, int height, int width)
    {
        CheckPlanes(planes.Length, height, width, nameof(planes));
        FlipHorizontalCore(planes, width);
    }

    /// <summary>
    /// Writes every plane of <paramref name="source"/> into <paramref name="destination"/> moved <paramref name="down"/>
    /// rows down and <paramref name="right"/> columns right (negative values move up and left), filling what comes
    /// into view with 0: <c>destination[y, x] = source[y - down, x - right]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length, overlap, or are not a whole number of planes.</exception>
    public static void Shift(ReadOnlySpan<float> source, Span<float> destination, int height, int width, int down, int right)
    {
        CheckPair(source, destination, height, width);
        ShiftCore(source, destination, height, width, down, right);
    }

    /// <summary>
    /// Writes every plane of <paramref name="source"/> into <paramref name="destination"/> rotated by
    /// <paramref name="degrees"/> about the plane's centre, <c>((width - 1) / 2, (height - 1) / 2)</c>, counter-clockwise
    /// as seen on screen for a positive angle; pixels that come from outside the plane are 0.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length, overlap, or are not a whole number of planes.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="degrees"/> is not finite, or the interpolation is not defined.</exception>
    public static void Rotate(ReadOnlySpan<float> source, Span<float> destination, int height, int width, double degrees, ImageInterpolation interpolation)
    {
        CheckPair(source, destination, height, width);
        if (!double.IsFinite(degrees))
        {
            throw new ArgumentOutOfRangeException(nameof(degrees), degrees, "The angle must be a finite number of degrees.");
        }

        if (!Enum.IsDefined(interpolation))
        {
            throw new ArgumentOutOfRangeException(nameof(interpolation), interpolation, "Use ImageInterpolation.Bilinear or ImageInterpolation.Nearest.");
        }

        RotateCore(source, destination, height, width, degrees, interpolation);
    }

    private static void FlipHorizontalCore(Span<float> planes, int width)
    {
        for (int row = 0; row < planes.Length; row += width)
        {
            planes.Slice(row, width).Reverse();
        }
    }

    private static void ShiftCore(ReadOnlySpan<float> source, Span<float> destination, int height, int width, int down, int right)
    {
        int planeLength = height * width;
        int columns = width - Math.Abs(right);
        for (int plane = 0; plane < source.Length; plane += planeLength)
        {
            for (int y = 0; y < height; y++)
            {
                Span<float> row = destination.Slice(plane + (y * width), width);
                int sourceY = y - down;
                if ((uint)sourceY >= (uint)height || columns <= 0)
                {
                    row.Clear();
                    continue;
                }

                ReadOnlySpan<float> sourceRow = source.Slice(plane + (sourceY * width), width);
                int to = Math.Max(0, right);
                int from = Math.Max(0, -right);
                row[..to].Clear();
                sourceRow.Slice(from, columns).CopyTo(row.Slice(to, columns));
                row[(to + columns)..].Clear();
            }
        }
    }

    private static void RotateCore(ReadOnlySpan<float> source, Span<float> destination, int height, int width, double degrees, ImageInterpolation interpolation)
    {
        if (degrees == 0)
        {
            source.CopyTo(destination);
            return;
        }

        // Each output pixel samples the source at the inverse rotation of its offset from the centre. With y pointing
        // down, turning the picture counter-clockwise by a maps offset (u, v) to (u cos a + v sin a, v cos a - u sin a),
        // so the inverse takes (u, v) back from (u cos a - v sin a, u sin a + v cos a).
        double radians = degrees * (Math.PI / 180);
        float cos = (float)Math.Cos(radians);
        float sin = (float)Math.Sin(radians);
        float centreX = (width - 1) * 0.5f;
        float centreY = (height - 1) * 0.5f;
        int planeLength = height * width;
        bool nearest = interpolation == ImageInterpolation.Nearest;
        for (int plane = 0; plane < source.Length; plane += planeLength)
        {
            ReadOnlySpan<float> from = source.Slice(plane, planeLength);
            Span<float> to = destination.Slice(plane, planeLength);
            for (int y = 0; y < height; y++)
            {
                float v = y - centreY;
                for (int x = 0; x < width; x++)
                {
                    float u = x - centreX;
                    float sourceX = centreX + (u * cos) - (v * sin);
                    float sourceY = centreY + (u * sin) + (v * cos);
                    to[(y * width) + x] = nearest
                        ? Pixel(from, height, width, (int)MathF.Floor(sourceX + 0.5f), (int)MathF.Floor(sourceY + 0.5f))
                        : Bilinear(from, height, width, sourceX, sourceY);
                }
            }
        }
    }

    private static float Bilinear(ReadOnlySpan<float> plane, int height, int width, float x, float y)
    {
        // Beyond one pixel outside, all four neighbours are padding; this also keeps the int conversions in range.
        if (!(x > -1 && x < width && y > -1 && y < height))
        {
            return 0;
        }

        int x0 = (int)MathF.Floor(x);
        int y0 = (int)MathF.Floor(y);
        float fx = x - x0;
        float fy = y - y0;
        float p00 = Pixel(plane, height, width, x0, y0);
        float p10 = Pixel(plane, height, width, x0 + 1, y0);
        float p01 = Pixel(plane, height, width, x0, y0 + 1);
        float p11 = Pixel(plane, height, width, x0 + 1, y0 + 1);

        // Written as lerps, so that a sample that lands exactly on a pixel returns that pixel exactly.
        float top = p00 + (fx * (p10 - p00));
        float bottom = p01 + (fx * (p11 - p01));
        return top + (fy * (bottom - top));
    }

    private static float Pixel(ReadOnlySpan<float> plane, int height, int width, int x, int y)
        => (uint)x < (uint)width && (uint)y < (uint)height ? plane[(y * width) + x] : 0f;

    private static void CheckPair(ReadOnlySpan<float> source, Span<float> destination, int height, int width)
    {
        CheckPlanes(source.Length, height, width, nameof(source));
        if (destination.Length != source.Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} floats but the source {source.Length}; they must match.", nameof(destination));
        }

        if (source.Overlaps(destination))
        {
            throw new ArgumentException("The source and destination overlap; resample into a separate buffer.", nameof(destination));
        }
    }

    private static void CheckPlanes(int length, int height, int width, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (length % ((long)height * width) != 0)
        {
            throw new ArgumentException($"{length} floats are not a whole number of {height} x {width} planes.", name);
        }
    }
}

/// <summary>How <see cref="ImageAugmentation"/> samples a rotated image between pixels.</summary>
public enum ImageInterpolation
{
    /// <summary>A weighted mean of the four nearest pixels (PyTorch's <c>InterpolationMode.BILINEAR</c>): smooth, the usual choice.</summary>
    Bilinear,

    /// <summary>The nearest pixel (PyTorch's <c>InterpolationMode.NEAREST</c>): keeps pixel values as they were, blockier.</summary>
    Nearest,
}
