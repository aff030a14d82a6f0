using System;
using System.Numerics;

namespace TypedNets;

/// <summary>
/// Weight initialisers. Draws are made in double and then rounded to the element type, so a network in float
/// and the same network in double start from the same weights up to rounding.
/// </summary>
public static class Initializers
{
    /// <summary>
    /// He (Kaiming) uniform, for layers followed by a ReLU-family activation: <c>U(-l, l)</c> with
    /// <c>l = sqrt(6 / fanIn)</c>, as Keras' <c>he_uniform</c>.
    /// </summary>
    public static void HeUniform<T>(Span<T> weight, int fanIn, ref Xoshiro256 random)
        where T : IFloatingPointIeee754<T>
        => Uniform(weight, Math.Sqrt(6.0 / fanIn), ref random);

    /// <summary>
    /// Glorot (Xavier) uniform: <c>U(-l, l)</c> with <c>l = sqrt(6 / (fanIn + fanOut))</c>, Keras' default for dense layers.
    /// </summary>
    public static void GlorotUniform<T>(Span<T> weight, int fanIn, int fanOut, ref Xoshiro256 random)
        where T : IFloatingPointIeee754<T>
        => Uniform(weight, Math.Sqrt(6.0 / (fanIn + fanOut)), ref random);

    /// <summary>Fills <paramref name="values"/> from <c>N(0, 1)</c>, PyTorch's default for <c>nn.Embedding</c> (Box-Muller).</summary>
    public static void StandardNormal<T>(Span<T> values, ref Xoshiro256 random)
        where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < values.Length; i++)
        {
            // 1 - u keeps the logarithm's argument in (0, 1].
            double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble()));
            values[i] = T.CreateTruncating(radius * Math.Cos(2.0 * Math.PI * random.NextDouble()));
        }
    }

    /// <summary>Fills <paramref name="values"/> from <c>U(-limit, limit)</c>.</summary>
    public static void Uniform<T>(Span<T> values, double limit, ref Xoshiro256 random)
        where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = T.CreateTruncating(random.NextDouble(-limit, limit));
        }
    }
}
