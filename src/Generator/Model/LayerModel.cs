using TypedNets.Generator.Helpers;

namespace TypedNets.Generator.Model;

/// <summary>The kinds of layer the DSL declares.</summary>
internal enum LayerKind
{
    Dense,
    Dropout,
    Flatten,
}

/// <summary>
/// Mirrors <c>TypedNets.Activation</c> value for value (a test checks it): the generator targets netstandard2.0
/// and cannot reference the DSL assembly.
/// </summary>
internal enum ActivationKind
{
    Identity = 0,
    ReLU = 1,
    LeakyReLU = 2,
    Sigmoid = 3,
    Tanh = 4,
    Softmax = 5,
    GELU = 6,
}

/// <summary>One layer as declared and, after shape inference, placed.</summary>
/// <param name="PropertyName">The declaring property, such as <c>Hidden</c>.</param>
/// <param name="ModuleName">The <c>state_dict</c> prefix, such as <c>hidden</c>.</param>
/// <param name="Accessibility">The property's accessibility keywords, repeated by the implementation.</param>
/// <param name="PropertyType">The property's type, fully qualified, as the implementation repeats it.</param>
/// <param name="Kind">The layer kind.</param>
/// <param name="Units">Dense: the number of outputs.</param>
/// <param name="Activation">Dense: the activation.</param>
/// <param name="Rate">Dropout: the drop probability.</param>
/// <param name="InputShape">The per-sample shape received (filled by shape inference).</param>
/// <param name="OutputShape">The per-sample shape produced (filled by shape inference).</param>
/// <param name="ParameterOffset">Where the layer's parameters start in the parameter buffer.</param>
/// <param name="L1">Dense: the L1 penalty factor on the weight (Keras' kernel_regularizer).</param>
/// <param name="L2">Dense: the L2 penalty factor on the weight.</param>
internal sealed record LayerModel(
    string PropertyName,
    string ModuleName,
    string Accessibility,
    string PropertyType,
    LayerKind Kind,
    int Units,
    ActivationKind Activation,
    double Rate,
    EquatableArray<int> InputShape,
    EquatableArray<int> OutputShape,
    int ParameterOffset,
    double L1 = 0,
    double L2 = 0)
{
    /// <summary>Whether the layer keeps its pre-activation: GELU's backward reads it, and a loss fuses with Softmax and Sigmoid through it.</summary>
    public bool KeepsPreActivation(bool isOutput)
        => Kind == LayerKind.Dense && (Activation == ActivationKind.GELU || (isOutput && Activation is ActivationKind.Softmax or ActivationKind.Sigmoid));

    public int InputSize => ShapeMath.Size(InputShape);

    public int OutputSize => ShapeMath.Size(OutputShape);

    /// <summary>Dense: the weight <c>[units, inputs]</c> comes first, then the bias <c>[units]</c>.</summary>
    public int WeightLength => Kind == LayerKind.Dense ? Units * InputSize : 0;

    public int BiasOffset => ParameterOffset + WeightLength;

    public int ParameterCount => Kind == LayerKind.Dense ? WeightLength + Units : 0;

    /// <summary>Whether the layer computes anything; Flatten only renames its input's shape.</summary>
    public bool MovesData => Kind != LayerKind.Flatten;
}
