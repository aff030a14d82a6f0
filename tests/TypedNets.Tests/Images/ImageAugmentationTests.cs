using System;
using System.Linq;
using TypedNets.Data;

namespace TypedNets.Tests.Images;

public sealed class ImageAugmentationTests
{
    // Distinct, non-zero values, so that any misplaced pixel shows.
    private static float[] Numbered(int length, float offset = 1) => Enumerable.Range(0, length).Select(i => offset + i).ToArray();

    private static float[] Random(int length, ulong seed)
    {
        var random = new Xoshiro256(seed);
        return Enumerable.Range(0, length).Select(_ => (float)random.NextDouble()).ToArray();
    }

    [Fact]
    public void FlipHorizontal_mirrors_each_row_and_twice_is_the_identity()
    {
        float[] original = Numbered(2 * 3 * 4);
        float[] image = (float[])original.Clone();
        ImageAugmentation.FlipHorizontal(image, height: 3, width: 4);
        for (int plane = 0; plane < 2; plane++)
        {
            for (int y = 0; y < 3; y++)
            {
                for (int x = 0; x < 4; x++)
                {
                    Assert.Equal(original[(plane * 12) + (y * 4) + x], image[(plane * 12) + (y * 4) + 3 - x]);
                }
            }
        }

        ImageAugmentation.FlipHorizontal(image, height: 3, width: 4);
        Assert.Equal(original, image);
    }

    [Fact]
    public void Random_flips_with_probability_one_undo_each_other()
    {
        float[] original = Random(5 * 2 * 6 * 7, seed: 3);
        float[] batch = (float[])original.Clone();
        var augment = new ImageAugmentation(channels: 2, height: 6, width: 7, seed: 11) { FlipProbability = 1 };
        augment.Apply(batch);
        Assert.NotEqual(original, batch);
        augment.Apply(batch);
        Assert.Equal(original, batch);
    }

    [Fact]
    public void About_half_the_images_flip_at_probability_one_half()
    {
        // Each 1 x 1 x 2 image is [0, 1]; a flipped one reads [1, 0].
        float[] batch = new float[2 * 1000];
        for (int i = 0; i < 1000; i++)
        {
            batch[(2 * i) + 1] = 1;
        }

        new ImageAugmentation(channels: 1, height: 1, width: 2, seed: 5) { FlipProbability = 0.5 }.Apply(batch);
        int flipped = Enumerable.Range(0, 1000).Count(i => batch[2 * i] == 1);
        Assert.InRange(flipped, 450, 550);
    }

    [Fact]
    public void Shift_moves_a_known_pixel_and_fills_with_zeros()
    {
        // One lit pixel at row 2, column 3 of a 5 x 6 plane.
        float[] source = new float[30];
        source[(2 * 6) + 3] = 9;
        float[] destination = Numbered(30);
        ImageAugmentation.Shift(source, destination, height: 5, width: 6, down: 1, right: -2);
        float[] expected = new float[30];
        expected[(3 * 6) + 1] = 9;
        Assert.Equal(expected, destination);

        // A full plane shifted up 2 and right 1 keeps the overlap and zeroes the two bottom rows and the left column.
        source = Numbered(30);
        ImageAugmentation.Shift(source, destination, height: 5, width: 6, down: -2, right: 1);
        for (int y = 0; y < 5; y++)
        {
            for (int x = 0; x < 6; x++)
            {
                float want = y >= 3 || x == 0 ? 0 : source[((y + 2) * 6) + x - 1];
                Assert.Equal(want, destination[(y * 6) + x]);
            }
        }

        // Shifts of a whole plane or more leave it blank; a zero shift copies it.
        ImageAugmentation.Shift(source, destination, height: 5, width: 6, down: 0, right: 6);
        Assert.All(destination, value => Assert.Equal(0, value));
        ImageAugmentation.Shift(source, destination, height: 5, width: 6, down: 0, right: 0);
        Assert.Equal(source, destination);
    }

    [Theory]
    [InlineData(ImageInterpolation.Bilinear)]
    [InlineData(ImageInterpolation.Nearest)]
    public void Rotating_by_zero_is_the_identity(ImageInterpolation interpolation)
    {
        float[] source = Random(3 * 8 * 9, seed: 1);
        float[] destination = new float[source.Length];
        ImageAugmentation.Rotate(source, destination, height: 8, width: 9, degrees: 0, interpolation);
        Assert.Equal(source, destination);

        // A randomly drawn angle of zero width leaves images alone too.
        float[] batch = (float[])source.Clone();
        new ImageAugmentation(channels: 3, height: 8, width: 9, seed: 2) { Interpolation = interpolation }.Apply(batch);
        Assert.Equal(source, batch);
    }

    [Theory]
    [InlineData(ImageInterpolation.Bilinear, 7.5)]
    [InlineData(ImageInterpolation.Bilinear, -3)]
    [InlineData(ImageInterpolation.Nearest, 10)]
    public void A_small_rotation_keeps_the_centre_pixel(ImageInterpolation interpolation, double degrees)
    {
        float[] source = Random(2 * 7 * 7, seed: 4);
        float[] destination = new float[source.Length];
        ImageAugmentation.Rotate(source, destination, height: 7, width: 7, degrees, interpolation);
        Assert.Equal(source[(3 * 7) + 3], destination[(3 * 7) + 3]);
        Assert.Equal(source[49 + (3 * 7) + 3], destination[49 + (3 * 7) + 3]);
        Assert.NotEqual(source, destination);
    }

    [Fact]
    public void A_quarter_turn_is_counter_clockwise_on_screen()
    {
        // On a 5 x 5 plane, the pixel right of the centre moves to above it, and the one above to the left.
        float[] source = new float[25];
        source[(2 * 5) + 4] = 1;
        source[(0 * 5) + 2] = 2;
        float[] nearest = new float[25];
        ImageAugmentation.Rotate(source, nearest, height: 5, width: 5, degrees: 90, ImageInterpolation.Nearest);
        float[] expected = new float[25];
        expected[(0 * 5) + 2] = 1;
        expected[(2 * 5) + 0] = 2;
        Assert.Equal(expected, nearest);

        float[] bilinear = new float[25];
        ImageAugmentation.Rotate(source, bilinear, height: 5, width: 5, degrees: 90, ImageInterpolation.Bilinear);
        for (int i = 0; i < 25; i++)
        {
            Assert.Equal(expected[i], bilinear[i], 1e-5f);
        }

        // Half a turn is a flip both ways.
        float[] half = new float[25];
        float[] numbered = Numbered(25);
        ImageAugmentation.Rotate(numbered, half, height: 5, width: 5, degrees: 180, ImageInterpolation.Nearest);
        Assert.Equal(numbered.Reverse(), half);
    }

    [Fact]
    public void Bilinear_samples_weigh_the_four_neighbours()
    {
        // On a 3 x 3 plane, output (x 2, y 1) is offset (1, 0) from the centre; turned back by 45 degrees it samples
        // the source at (1 + cos 45, 1 + sin 45), between pixels (1, 1), (2, 1), (1, 2) and (2, 2).
        float[] source = Random(9, seed: 8);
        float[] destination = new float[9];
        ImageAugmentation.Rotate(source, destination, height: 3, width: 3, degrees: 45, ImageInterpolation.Bilinear);
        double f = Math.Sqrt(0.5);
        double expected = ((1 - f) * (1 - f) * source[4]) + (f * (1 - f) * source[5]) + ((1 - f) * f * source[7]) + (f * f * source[8]);
        Assert.Equal(expected, destination[5], 1e-5);

        // Output (x 2, y 2), offset (1, 1), samples (1, 1 + sqrt 2): only pixels (1, 2) and the padding row below.
        double g = Math.Sqrt(2) - 1;
        Assert.Equal((1 - g) * source[7], destination[8], 1e-5);
    }

    [Fact]
    public void Random_shifts_stay_within_the_limit_and_move_every_channel_alike()
    {
        const int Images = 200;
        float[] original = new float[Images * 2 * 6 * 6];
        for (int i = 0; i < Images; i++)
        {
            Numbered(36).CopyTo(original, (i * 72) + 0);
            Numbered(36, offset: 100).CopyTo(original, (i * 72) + 36);
        }

        float[] batch = (float[])original.Clone();
        new ImageAugmentation(channels: 2, height: 6, width: 6, seed: 9) { MaxShift = 2 }.Apply(batch);

        var seen = new System.Collections.Generic.HashSet<(int, int)>();
        float[] candidate = new float[72];
        for (int i = 0; i < Images; i++)
        {
            ReadOnlySpan<float> image = batch.AsSpan(i * 72, 72);
            (int, int)? match = null;
            for (int down = -2; down <= 2 && match is null; down++)
            {
                for (int right = -2; right <= 2 && match is null; right++)
                {
                    ImageAugmentation.Shift(original.AsSpan(i * 72, 72), candidate, height: 6, width: 6, down, right);
                    if (image.SequenceEqual(candidate))
                    {
                        match = (down, right);
                    }
                }
            }

            Assert.NotNull(match);
            seen.Add(match.Value);
        }

        Assert.Equal(25, seen.Count);
    }

    [Fact]
    public void Random_rotations_keep_the_centre_of_odd_images()
    {
        float[] original = Random(50 * 9 * 9, seed: 12);
        float[] batch = (float[])original.Clone();
        new ImageAugmentation(channels: 1, height: 9, width: 9, seed: 13) { MaxRotationDegrees = 15 }.Apply(batch);
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(original[(i * 81) + 40], batch[(i * 81) + 40]);
            Assert.False(original.AsSpan(i * 81, 81).SequenceEqual(batch.AsSpan(i * 81, 81)));
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_batches()
    {
        float[] original = Random(16 * 3 * 10 * 12, seed: 20);

        float[][] Run(ulong seed, ImageInterpolation interpolation)
        {
            var augment = new ImageAugmentation(channels: 3, height: 10, width: 12, seed)
            {
                FlipProbability = 0.5,
                MaxShift = 3,
                MaxRotationDegrees = 20,
                Interpolation = interpolation,
            };
            return Enumerable.Range(0, 3).Select(_ =>
            {
                float[] batch = (float[])original.Clone();
                augment.Apply(batch);
                return batch;
            }).ToArray();
        }

        foreach (ImageInterpolation interpolation in new[] { ImageInterpolation.Bilinear, ImageInterpolation.Nearest })
        {
            float[][] first = Run(42, interpolation);
            float[][] again = Run(42, interpolation);
            float[][] other = Run(43, interpolation);
            for (int b = 0; b < 3; b++)
            {
                Assert.Equal(first[b], again[b]);
                Assert.NotEqual(first[b], other[b]);
            }

            // The generator carries on from batch to batch.
            Assert.NotEqual(first[0], first[1]);
        }
    }

    [Fact]
    public void Augmenting_many_batches_allocates_nothing()
    {
        float[] batch = Random(32 * 1 * 28 * 28, seed: 30);
        var bilinear = new ImageAugmentation(channels: 1, height: 28, width: 28, seed: 31)
        {
            FlipProbability = 0.5,
            MaxShift = 2,
            MaxRotationDegrees = 10,
        };
        var nearest = new ImageAugmentation(channels: 1, height: 28, width: 28, seed: 32)
        {
            FlipProbability = 0.5,
            MaxShift = 2,
            MaxRotationDegrees = 10,
            Interpolation = ImageInterpolation.Nearest,
        };
        bilinear.Apply(batch);
        nearest.Apply(batch);

        // No GC.Collect here: it would also drop caches under the allocation tests running in parallel. An allocation
        // per batch would show in every measured run, 1,000 times over.
        long allocated = Allocations.Fewest(() =>
        {
            for (int i = 0; i < 500; i++)
            {
                bilinear.Apply(batch);
                nearest.Apply(batch);
            }
        });

        Assert.True(allocated == 0, $"1000 batches of 32 images allocated {allocated} bytes in each of three runs.");
    }

    [Fact]
    public void Bad_settings_and_buffers_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageAugmentation(0, 28, 28, seed: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageAugmentation(1, 28, 28, seed: 1) { FlipProbability = 1.5 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageAugmentation(1, 28, 28, seed: 1) { FlipProbability = double.NaN });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageAugmentation(1, 28, 28, seed: 1) { MaxShift = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageAugmentation(1, 28, 28, seed: 1) { MaxShift = 28 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageAugmentation(1, 28, 28, seed: 1) { MaxRotationDegrees = 181 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageAugmentation(1, 28, 28, seed: 1) { Interpolation = (ImageInterpolation)7 });

        var augment = new ImageAugmentation(channels: 1, height: 28, width: 28, seed: 1);
        var error = Assert.Throws<ArgumentException>(() => augment.Apply(new float[(2 * 784) + 1]));
        Assert.StartsWith("1569 floats are not a whole number of 1 x 28 x 28 images (784 floats each)", error.Message, StringComparison.Ordinal);
        augment.Apply([]);

        float[] buffer = new float[50];
        Assert.Throws<ArgumentException>(() => ImageAugmentation.Shift(buffer.AsSpan(0, 25), buffer.AsSpan(20, 25), 5, 5, 1, 1));
        Assert.Throws<ArgumentException>(() => ImageAugmentation.Rotate(buffer.AsSpan(0, 25), buffer.AsSpan(25, 20), 5, 5, 10, ImageInterpolation.Bilinear));
        Assert.Throws<ArgumentException>(() => ImageAugmentation.FlipHorizontal(buffer.AsSpan(0, 24), 5, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageAugmentation.Rotate(buffer.AsSpan(0, 25), buffer.AsSpan(25, 25), 5, 5, double.NaN, ImageInterpolation.Nearest));
    }
}
