using System.Collections.Generic;
using System.Globalization;

namespace TypedNets.BrowserCheck;

/// <summary>An axis-aligned box in CSS pixels, as <c>getBoundingClientRect()</c> gives it.</summary>
public readonly record struct Box(double X, double Y, double Width, double Height)
{
    /// <summary>The x of the right edge.</summary>
    public double Right => X + Width;

    /// <summary>The y of the bottom edge.</summary>
    public double Bottom => Y + Height;

    /// <summary>Whether the box covers no area (an element that is not laid out, or an empty text).</summary>
    public bool IsEmpty => Width <= 0 || Height <= 0;
}

/// <summary>How far one box reaches beyond another on each side, in CSS pixels; zero on a side where it stays inside.</summary>
public readonly record struct Overflow(double Left, double Top, double Right, double Bottom)
{
    /// <summary>
    /// Overflow up to this many pixels is rounding, not a label out of its box: glyph boxes and layout positions are
    /// fractions of a pixel, and a diagram box leaves 10 units of padding either side of its text.
    /// </summary>
    public const double Tolerance = 0.5;

    /// <summary>The largest overflow of the four sides.</summary>
    public double Largest => System.Math.Max(System.Math.Max(Left, Top), System.Math.Max(Right, Bottom));

    /// <summary>How far <paramref name="inner"/> reaches beyond <paramref name="outer"/> on each side.</summary>
    public static Overflow Of(Box inner, Box outer) => new(
        System.Math.Max(0, outer.X - inner.X),
        System.Math.Max(0, outer.Y - inner.Y),
        System.Math.Max(0, inner.Right - outer.Right),
        System.Math.Max(0, inner.Bottom - outer.Bottom));

    /// <summary>Whether some side reaches further out than <paramref name="tolerance"/> pixels.</summary>
    public bool Exceeds(double tolerance) => Largest > tolerance;

    /// <summary>The sides that overflow with their amounts, e.g. <c>12.5 px right</c>; <c>none</c> when no side does.</summary>
    public override string ToString()
    {
        var sides = new List<string>();
        Add(sides, Left, "left");
        Add(sides, Top, "top");
        Add(sides, Right, "right");
        Add(sides, Bottom, "bottom");
        return sides.Count == 0 ? "none" : string.Join(", ", sides);
    }

    private static void Add(List<string> sides, double amount, string side)
    {
        if (amount > 0)
        {
            sides.Add(amount.ToString("0.##", CultureInfo.InvariantCulture) + " px " + side);
        }
    }
}
