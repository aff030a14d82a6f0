using System;
using System.Collections.Generic;
using System.Globalization;

namespace TypedNets.Reporting.Charts;

/// <summary>
/// A linear axis: the data range widened to round tick values (1, 2 or 5 times a power of ten, as matplotlib's
/// default locator picks), and the map from a value to a pixel coordinate.
/// </summary>
internal sealed class Axis
{
    private Axis(double min, double max, double step, double start, double end)
    {
        Min = min;
        Max = max;
        Step = step;
        PixelStart = start;
        PixelEnd = end;
    }

    /// <summary>The value at <see cref="PixelStart"/>.</summary>
    public double Min { get; }

    /// <summary>The value at <see cref="PixelEnd"/>.</summary>
    public double Max { get; }

    /// <summary>The distance between ticks.</summary>
    public double Step { get; }

    /// <summary>The pixel of <see cref="Min"/>.</summary>
    public double PixelStart { get; }

    /// <summary>The pixel of <see cref="Max"/> (smaller than <see cref="PixelStart"/> for a y axis, which grows upwards).</summary>
    public double PixelEnd { get; }

    /// <summary>An axis over the data's range, widened to the ticks around it.</summary>
    public static Axis Around(double low, double high, double pixelStart, double pixelEnd, bool integers = false)
    {
        if (high - low < 1e-12 * Math.Max(1, Math.Abs(high)))
        {
            // One value (one epoch, or a flat curve): a range around it, so that the point sits mid-axis.
            double pad = integers ? 1 : Math.Max(Math.Abs(high) * 0.1, 1e-3);
            low -= pad;
            high += pad;
        }

        double step = NiceStep((high - low) / 5);
        if (integers)
        {
            step = Math.Max(1, Math.Round(step));
        }

        return new Axis(Math.Floor((low / step) + 1e-9) * step, Math.Ceiling((high / step) - 1e-9) * step, step, pixelStart, pixelEnd);
    }

    /// <summary>The pixel coordinate of a value.</summary>
    public double Map(double value) => PixelStart + ((value - Min) / (Max - Min) * (PixelEnd - PixelStart));

    /// <summary>The tick values, from <see cref="Min"/> to <see cref="Max"/>.</summary>
    public IEnumerable<double> Ticks()
    {
        int count = (int)Math.Round((Max - Min) / Step);
        for (int index = 0; index <= count; index++)
        {
            yield return Min + (index * Step);
        }
    }

    /// <summary>A tick's label with as many decimals as the step needs.</summary>
    public string Label(double value)
    {
        int decimals = Math.Clamp(-(int)Math.Floor(Math.Log10(Step) + 1e-9), 0, 10);
        return Math.Round(value, decimals).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    private static double NiceStep(double rough)
    {
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double fraction = rough / magnitude;
        double nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
        return nice * magnitude;
    }
}
