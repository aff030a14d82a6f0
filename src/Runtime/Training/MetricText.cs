using System;
using System.Globalization;
using System.Text;

namespace TypedNets.Training;

/// <summary>Numbers and durations written as Keras' <c>Progbar</c> writes them.</summary>
internal static class MetricText
{
    /// <summary>A metric's value: four decimals, or four significant digits in scientific notation when at most 1e-3 in size.</summary>
    public static string Format(double value) => Append(new StringBuilder(), value).ToString();

    /// <summary>Appends <paramref name="value"/> formatted as <see cref="Format"/> does, without allocating.</summary>
    public static StringBuilder Append(StringBuilder text, double value)
        => Math.Abs(value) > 1e-3 || double.IsNaN(value)
            ? text.Append(CultureInfo.InvariantCulture, $"{value:F4}")
            : text.Append(CultureInfo.InvariantCulture, $"{value:0.0000e+00}");

    /// <summary>
    /// Appends a remaining time as Keras' <c>ETA</c>: whole seconds ("7s"), minutes and seconds ("2:05") past a
    /// minute, hours, minutes and seconds ("1:02:05") past an hour.
    /// </summary>
    public static StringBuilder AppendEta(StringBuilder text, double seconds)
    {
        long whole = (long)seconds;
        return seconds > 3600
            ? text.Append(CultureInfo.InvariantCulture, $"{whole / 3600}:{whole % 3600 / 60:D2}:{whole % 60:D2}")
            : seconds > 60
                ? text.Append(CultureInfo.InvariantCulture, $"{whole / 60}:{whole % 60:D2}")
                : text.Append(CultureInfo.InvariantCulture, $"{whole}s");
    }

    /// <summary>Appends the time of one step as Keras does: in seconds from 1 s, in milliseconds from 1 ms, else in microseconds.</summary>
    public static StringBuilder AppendStepTime(StringBuilder text, double seconds)
        => seconds >= 1 || seconds == 0
            ? text.Append(CultureInfo.InvariantCulture, $"{seconds:F0}s/step")
            : seconds >= 1e-3
                ? text.Append(CultureInfo.InvariantCulture, $"{seconds * 1e3:F0}ms/step")
                : text.Append(CultureInfo.InvariantCulture, $"{seconds * 1e6:F0}us/step");
}
