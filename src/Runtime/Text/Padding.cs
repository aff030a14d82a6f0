namespace TypedNets.Text;

/// <summary>Where <see cref="Sequences.Pad"/> puts the padding of a short sequence (Keras' <c>padding</c>).</summary>
public enum Padding
{
    /// <summary>Before the sequence, so it ends in the last column (Keras' default, <c>'pre'</c>).</summary>
    Pre,

    /// <summary>After the sequence, so it starts in the first column (<c>'post'</c>).</summary>
    Post,
}
