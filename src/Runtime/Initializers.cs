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
        => Normal(values, 1.0, ref random);

    /// <summary>
    /// Fills <paramref name="values"/> from <c>N(0, standardDeviation^2)</c>, PyTorch's <c>nn.init.normal_(t, 0, std)</c>:
    /// GPT-2 starts its matrices and embeddings at a standard deviation of 0.02 (Box-Muller).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The standard deviation is negative or not finite.</exception>
    public static void Normal<T>(Span<T> values, double standardDeviation, ref Xoshiro256 random)
        where T : IFloatingPointIeee754<T>
    {
        if (!(standardDeviation >= 0 && double.IsFinite(standardDeviation)))
        {
            throw new ArgumentOutOfRangeException(nameof(standardDeviation), standardDeviation,
                $"The standard deviation must be a finite number >= 0, but it was {standardDeviation}; GPT-2 uses 0.02.");
        }

        for (int i = 0; i < values.Length; i++)
        {
            // 1 - u keeps the logarithm's argument in (0, 1].
            double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble()));
            values[i] = T.CreateTruncating(standardDeviation * (radius * Math.Cos(2.0 * Math.PI * random.NextDouble())));
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
