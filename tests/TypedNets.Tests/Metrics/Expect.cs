using System;
using System.Collections.Generic;
using Xunit.Sdk;

namespace TypedNets.Tests.Metrics;

/// <summary>Comparisons against reference values that name the element at fault.</summary>
internal static class Expect
{
    /// <summary>The tolerance of every double-precision comparison with scikit-learn.</summary>
    public const double Tolerance = 1e-9;

    /// <summary>|actual - expected| ≤ 1e-9 · max(1, |expected|).</summary>
    public static void Close(double expected, double actual, string what)
    {
        if (!(Math.Abs(actual - expected) <= Tolerance * Math.Max(1, Math.Abs(expected))))
        {
            throw new XunitException($"{what}: expected {expected:R}, got {actual:R} (difference {actual - expected:E3}).");
        }
    }

    public static void Close(IReadOnlyList<double> expected, ReadOnlySpan<double> actual, string what)
    {
        Assert.True(expected.Count == actual.Length, $"{what}: expected {expected.Count} values, got {actual.Length}.");
        for (int i = 0; i < actual.Length; i++)
        {
            Close(expected[i], actual[i], $"{what}[{i}]");
        }
    }

    /// <summary>
    /// A float computed from a double should be that double rounded to float; one float step either way is allowed,
    /// for a double that lands next to a rounding boundary.
    /// </summary>
    public static void FloatOf(IReadOnlyList<double> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.True(expected.Count == actual.Length, $"{what}: expected {expected.Count} values, got {actual.Length}.");
        for (int i = 0; i < actual.Length; i++)
        {
            float rounded = (float)expected[i];
            if (actual[i] != rounded && actual[i] != MathF.BitIncrement(rounded) && actual[i] != MathF.BitDecrement(rounded))
            {
                throw new XunitException($"{what}[{i}]: expected {expected[i]:R} (as float {rounded:R}), got {actual[i]:R}.");
            }
        }
    }
}
