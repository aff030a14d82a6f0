using System;

namespace TypedNets;

/// <summary>
/// A named view of one parameter tensor inside a network's single parameter buffer, with the matching view of
/// the gradient buffer. Names and shapes follow PyTorch's <c>state_dict</c> (<c>hidden.weight</c>, <c>[out, in]</c>).
/// </summary>
public sealed class ParameterTensor
{
    private readonly float[] _parameters;
    private readonly float[] _gradients;
    private readonly int[] _shape;

    /// <summary>Creates a view; generated code calls this once per tensor.</summary>
    /// <param name="name">The <c>state_dict</c> name, such as <c>hidden.weight</c>.</param>
    /// <param name="parameters">The network's parameter buffer.</param>
    /// <param name="gradients">The network's gradient buffer, laid out like <paramref name="parameters"/>.</param>
    /// <param name="offset">Where the tensor starts in both buffers.</param>
    /// <param name="shape">The tensor's shape, row-major.</param>
    public ParameterTensor(string name, float[] parameters, float[] gradients, int offset, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(gradients);
        ArgumentNullException.ThrowIfNull(shape);
        int length = 1;
        foreach (int dimension in shape)
        {
            if (dimension <= 0)
            {
                throw new ArgumentException($"Tensor '{name}' has a non-positive dimension in [{string.Join(", ", shape)}].", nameof(shape));
            }

            length *= dimension;
        }

        if (offset < 0 || offset + length > parameters.Length || parameters.Length != gradients.Length)
        {
            throw new ArgumentException(
                $"Tensor '{name}' of {length} elements at offset {offset} does not fit a parameter buffer of {parameters.Length} " +
                $"and a gradient buffer of {gradients.Length} elements.");
        }

        Name = name;
        _parameters = parameters;
        _gradients = gradients;
        Offset = offset;
        Length = length;
        _shape = (int[])shape.Clone();
    }

    /// <summary>The <c>state_dict</c> name, such as <c>hidden.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The weight version of the network whose buffer this views, set when the network is put together; none for a tensor on its own.</summary>
    internal WeightVersion? Version { get; set; }

    /// <summary>Where the tensor starts in the parameter and gradient buffers.</summary>
    public int Offset { get; }

    /// <summary>The number of elements.</summary>
    public int Length { get; }

    /// <summary>The shape, row-major (<c>[out, in]</c> for a dense weight).</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The values, a view of the network's parameter buffer.</summary>
    /// <remarks>
    /// Taking the view moves the network's <c>WeightVersion</c> on, so that predictions pack the weights again; a span
    /// kept and written to after a prediction has run needs <c>network.MarkWeightsChanged()</c>. So does the indexer.
    /// </remarks>
    public Span<float> Values
    {
        get
        {
            Version?.Bump();
            return _parameters.AsSpan(Offset, Length);
        }
    }

    /// <summary>The gradient, a view of the network's gradient buffer.</summary>
    public Span<float> Gradient => _gradients.AsSpan(Offset, Length);

    /// <summary>The element at <c>[row, column]</c> of a two-dimensional tensor.</summary>
    public ref float this[int row, int column]
    {
        get
        {
            if (_shape.Length != 2)
            {
                throw new InvalidOperationException($"Tensor '{Name}' has shape [{string.Join(", ", _shape)}]; index it with {_shape.Length} indices.");
            }

            if ((uint)row >= (uint)_shape[0] || (uint)column >= (uint)_shape[1])
            {
                throw new IndexOutOfRangeException($"Index [{row}, {column}] is outside tensor '{Name}' of shape [{_shape[0]}, {_shape[1]}].");
            }

            Version?.Bump();
            return ref _parameters[Offset + (row * _shape[1]) + column];
        }
    }

    /// <summary>The element at <c>[index]</c> of a one-dimensional tensor.</summary>
    public ref float this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Length)
            {
                throw new IndexOutOfRangeException($"Index {index} is outside tensor '{Name}' of {Length} elements.");
            }

            Version?.Bump();
            return ref _parameters[Offset + index];
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} [{string.Join(", ", _shape)}]";
}
