using System;
using System.Collections.Generic;
using System.Linq;

namespace TypedNets.Kernels;

/// <summary>
/// The int8 weights of a quantised network, found by the offset of their float parameter: the generated forward pass
/// asks for each layer's weight by offset and runs the int8 product where there is one, the float product elsewhere.
/// </summary>
public sealed class Int8Weights
{
    private readonly Dictionary<int, Int8Weight> _byOffset;
    private readonly Int8Weight[] _weights;

    /// <summary>Collects <paramref name="weights"/>, each at its own offset.</summary>
    /// <exception cref="ArgumentException">When two weights share an offset, or none is given.</exception>
    public Int8Weights(IEnumerable<Int8Weight> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        _weights = weights.OrderBy(weight => weight.Offset).ToArray();
        if (_weights.Length == 0)
        {
            throw new ArgumentException("A quantised network has at least one int8 weight.", nameof(weights));
        }

        _byOffset = new Dictionary<int, Int8Weight>(_weights.Length);
        foreach (Int8Weight weight in _weights)
        {
            if (!_byOffset.TryAdd(weight.Offset, weight))
            {
                throw new ArgumentException($"{weight.Name} and {_byOffset[weight.Offset].Name} both start at offset {weight.Offset}.", nameof(weights));
            }
        }
    }

    /// <summary>The weights, by offset.</summary>
    public IReadOnlyList<Int8Weight> Weights => _weights;

    /// <summary>Whether every weight's input is quantised with a calibrated scale.</summary>
    public bool IsStatic => _weights.All(weight => weight.IsStatic);

    /// <summary>The weight whose float parameter starts at <paramref name="offset"/>, or <see langword="null"/> when that parameter stays float.</summary>
    public Int8Weight? Find(int offset) => _byOffset.GetValueOrDefault(offset);
}
