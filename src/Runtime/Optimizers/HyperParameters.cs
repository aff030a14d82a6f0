using System;
using System.Globalization;

namespace TypedNets.Optimizers;

/// <summary>Checks of hyper-parameters, with messages that name the value, the valid range and a typical value.</summary>
internal static class HyperParameters
{
    /// <summary>
    /// How many elements the optimizers update per pass. Each update is a chain of TensorPrimitives passes; running the
    /// chain over chunks keeps the chunk of every buffer in cache between passes and bounds the scratch memory at two
    /// chunks whatever the parameter count.
    /// </summary>
    internal const int ChunkLength = 1024;

    /// <summary>A finite learning rate &gt;= 0.</summary>
    internal static double LearningRate(double value, string typical)
        => value >= 0 && double.IsFinite(value) ? value : throw OutOfRange("learningRate", value, "a finite number >= 0", typical);

    /// <summary>A finite value &gt;= 0.</summary>
    internal static double NonNegative(double value, string name, string typical)
        => value >= 0 && double.IsFinite(value) ? value : throw OutOfRange(name, value, "a finite number >= 0", typical);

    /// <summary>A finite value &gt; 0.</summary>
    internal static double Positive(double value, string name, string typical)
        => value > 0 && double.IsFinite(value) ? value : throw OutOfRange(name, value, "a finite number > 0", typical);

    /// <summary>A value in [0, 1).</summary>
    internal static double HalfOpenUnit(double value, string name, string typical)
        => value >= 0 && value < 1 ? value : throw OutOfRange(name, value, "in [0, 1)", typical);

    /// <summary>A value in [0, 1].</summary>
    internal static double ClosedUnit(double value, string name, string typical)
        => value >= 0 && value <= 1 ? value : throw OutOfRange(name, value, "in [0, 1]", typical);

    /// <summary>A value in (0, 1].</summary>
    internal static double DecayFactor(double value, string name, string typical)
        => value > 0 && value <= 1 ? value : throw OutOfRange(name, value, "in (0, 1]", typical);

    /// <summary>An integer &gt;= 1.</summary>
    internal static int Count(int value, string name, string typical)
        => value >= 1 ? value : throw new ArgumentOutOfRangeException(name, value, Invariant($"{name} was {value}; it must be >= 1, such as {typical}."));

    private static ArgumentOutOfRangeException OutOfRange(string name, double value, string range, string typical)
        => new(name, value, Invariant($"{name} was {value:R}; it must be {range}, such as {typical}."));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
