using System;

namespace TypedNets.Benchmarks;

/// <summary>Synthetic inputs, the same on every run: only shapes matter for speed.</summary>
internal static class Data
{
    public static float[] Uniform(int count, int seed, float low = 0f, float high = 1f)
    {
        var random = new Random(seed);
        float[] values = new float[count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = low + ((high - low) * random.NextSingle());
        }

        return values;
    }

    /// <summary>Class indices as floats, the form <c>Trainer.Step</c> takes for cross-entropy.</summary>
    public static float[] Labels(int count, int classes, int seed)
    {
        var random = new Random(seed);
        float[] labels = new float[count];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = random.Next(classes);
        }

        return labels;
    }

    /// <summary>Token ids in [1, vocabulary): no padding, so every LSTM step runs.</summary>
    public static int[] Tokens(int count, int vocabulary, int seed)
    {
        var random = new Random(seed);
        int[] tokens = new int[count];
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = random.Next(1, vocabulary);
        }

        return tokens;
    }
}
