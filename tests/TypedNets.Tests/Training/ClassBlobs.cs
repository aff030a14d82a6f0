using TypedNets.Data;

namespace TypedNets.Tests.Training;

/// <summary>
/// Noisy blobs for classifiers: a row of class c is high in the features whose index modulo the class count is c,
/// low in the others, plus uniform noise; labels are class indices.
/// </summary>
internal static class ClassBlobs
{
    public static (float[] Features, float[] Labels) Arrays(int rows, ulong seed, int classes = 3, int width = 4, double high = 1.5, double noise = 0.8)
    {
        var random = new Xoshiro256(seed);
        float[] features = new float[rows * width];
        float[] labels = new float[rows];
        for (int row = 0; row < rows; row++)
        {
            int label = random.NextInt(classes);
            labels[row] = label;
            for (int column = 0; column < width; column++)
            {
                features[(row * width) + column] = (float)(((column % classes) == label ? high : -0.5) + random.NextDouble(-noise, noise));
            }
        }

        return (features, labels);
    }

    public static Dataset Make(int rows, ulong seed, int classes = 3, int width = 4, double high = 1.5, double noise = 0.8)
    {
        (float[] features, float[] labels) = Arrays(rows, seed, classes, width, high, noise);
        return new Dataset(features, width, labels, 1);
    }
}
