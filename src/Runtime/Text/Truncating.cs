namespace TypedNets.Text;

/// <summary>Which end <see cref="Sequences.Pad"/> cuts from a long sequence (Keras' <c>truncating</c>).</summary>
public enum Truncating
{
    /// <summary>Drop the beginning and keep the last values (Keras' default, <c>'pre'</c>).</summary>
    Pre,

    /// <summary>Drop the end and keep the first values (<c>'post'</c>).</summary>
    Post,
}
