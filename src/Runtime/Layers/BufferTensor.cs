using System;

namespace TypedNets;

/// <summary>
/// A named view of non-trainable state inside a network's buffer array (PyTorch's registered buffers, such as
/// <c>norm.running_mean</c>): saved with the weights, updated by the layer itself, never by an optimizer.
/// </summary>
public sealed class BufferTensor
{
    private readonly float[] _buffers;
    private readonly int[] _shape;

    /// <summary>Creates a view; generated code calls this once per tensor.</summary>
    public BufferTensor(string name, float[] buffers, int offset, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(buffers);
        ArgumentNullException.ThrowIfNull(shape);
        int length = 1;
        foreach (int dimension in shape)
        {
            length *= dimension;
        }

        if (offset < 0 || offset + length > buffers.Length)
        {
            throw new ArgumentException($"Buffer '{name}' of {length} elements at offset {offset} does not fit a buffer array of {buffers.Length}.");
        }

        Name = name;
        _buffers = buffers;
        Offset = offset;
        Length = length;
        _shape = (int[])shape.Clone();
    }

    /// <summary>The <c>state_dict</c> name, such as <c>norm.running_var</c>.</summary>
    public string Name { get; }

    /// <summary>Where the tensor starts in the buffer array.</summary>
    public int Offset { get; }

    /// <summary>The number of elements.</summary>
    public int Length { get; }

    /// <summary>The shape.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The values, a view of the network's buffer array.</summary>
    public Span<float> Values => _buffers.AsSpan(Offset, Length);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} [{string.Join(", ", _shape)}]";
}
