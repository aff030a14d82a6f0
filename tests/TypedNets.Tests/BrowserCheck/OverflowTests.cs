using TypedNets.BrowserCheck;

namespace TypedNets.Tests.BrowserCheck;

/// <summary>The browser check's overflow geometry: how far a label's box reaches beyond the box it must stay in.</summary>
public sealed class OverflowTests
{
    private static readonly Box Node = new(100, 50, 186, 48);

    [Fact]
    public void A_label_inside_its_box_does_not_overflow()
    {
        Overflow overflow = Overflow.Of(new Box(110, 58, 160, 15), Node);

        Assert.Equal(new Overflow(0, 0, 0, 0), overflow);
        Assert.False(overflow.Exceeds(Overflow.Tolerance));
    }

    [Fact]
    public void A_label_that_touches_its_box_does_not_overflow()
    {
        Assert.False(Overflow.Of(Node, Node).Exceeds(Overflow.Tolerance));
    }

    [Fact]
    public void A_label_too_long_for_its_box_overflows_on_the_right_by_the_excess()
    {
        // Starts at the box's padding and runs 12.5 px past its right edge at 286.
        Overflow overflow = Overflow.Of(new Box(110, 58, 188.5, 15), Node);

        Assert.Equal(new Overflow(0, 0, 12.5, 0), overflow);
        Assert.Equal(12.5, overflow.Largest);
        Assert.True(overflow.Exceeds(Overflow.Tolerance));
        Assert.Equal("12.5 px right", overflow.ToString());
    }

    [Fact]
    public void Every_side_is_measured_apart()
    {
        Overflow overflow = Overflow.Of(new Box(97, 40, 200, 70), Node);

        Assert.Equal(new Overflow(3, 10, 11, 12), overflow);
        Assert.Equal(12, overflow.Largest);
        Assert.Equal("3 px left, 10 px top, 11 px right, 12 px bottom", overflow.ToString());
    }

    [Fact]
    public void Less_than_the_tolerance_is_rounding_not_overflow()
    {
        // Glyph boxes are measured in fractions of a pixel; a quarter pixel is not a label out of its box.
        Overflow overflow = Overflow.Of(new Box(110, 58, 176.25, 15), Node);

        Assert.Equal(0.25, overflow.Right, 12);
        Assert.False(overflow.Exceeds(Overflow.Tolerance));
    }
}
