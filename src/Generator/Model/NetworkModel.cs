using TypedNets.Generator.Helpers;

namespace TypedNets.Generator.Model;

/// <summary>A network with every shape inferred and every parameter placed: all the emitter needs.</summary>
/// <param name="Namespace">The namespace, or <see langword="null"/> for the global namespace.</param>
/// <param name="ClassName">The network class's name.</param>
/// <param name="ContainingTypes">
/// Enclosing types, outermost first, as headers such as <c>partial class Outer</c> (for an invalid network also
/// <c>partial struct Outer</c> or <c>partial class Outer&lt;T&gt;</c>, as declared).
/// </param>
/// <param name="InputShape">The per-sample input shape.</param>
/// <param name="TokenInput">Whether the input is token ids (<c>[TokenInput]</c>) rather than floats.</param>
/// <param name="Layers">The layers in forward order, shapes and offsets filled in.</param>
/// <param name="ParameterCount">The length of the parameter buffer.</param>
/// <param name="Loss">The declared loss, if any.</param>
/// <param name="IsValid">
/// <see langword="false"/> when the declaration has errors: the emitter then writes the public surface of a network
/// with members that throw, so that the TypedNets diagnostics are the only errors the user sees.
/// </param>
/// <param name="EmbeddedWeights">The weights compiled in with <c>[EmbeddedWeights]</c>, once checked; <see langword="null"/> without.</param>
/// <param name="ErrorIds">When the declaration has errors: the ids of the TypedNets errors, sorted, for the message its members throw.</param>
/// <param name="TakenNames">
/// When the declaration has errors: the generated member names a user member already has (<c>.ctor</c> for the
/// constructor), which the surface of the invalid network leaves to the user's member.
/// </param>
/// <param name="TypeHeader">The network's own header as declared, such as <c>partial record Net</c> or <c>partial class Net&lt;T&gt;</c>, for the surface of an invalid network.</param>
/// <param name="Blocks">The block-typed properties of the network (a block, or a <c>[Repeat]</c> list of them), with the layers they hold.</param>
/// <param name="LayerAccessors">
/// When the declaration has errors: the layer properties declared with other accessors than a lone get, as
/// <c>Name get set</c>, which the surface implements with the same accessors.
/// </param>
internal sealed record NetworkModel(
    string? Namespace,
    string ClassName,
    EquatableArray<string> ContainingTypes,
    EquatableArray<int> InputShape,
    bool TokenInput,
    EquatableArray<LayerModel> Layers,
    int ParameterCount,
    LossModel? Loss,
    bool IsValid,
    EmbeddedWeightsModel? EmbeddedWeights = null,
    EquatableArray<string> ErrorIds = default,
    EquatableArray<string> TakenNames = default,
    string TypeHeader = "",
    EquatableArray<string> LayerAccessors = default,
    EquatableArray<BlockMemberModel> Blocks = default)
{
    public EquatableArray<int> OutputShape => Layers.Length == 0 ? InputShape : Layers[Layers.Length - 1].OutputShape;

    public int InputSize => ShapeMath.Size(InputShape);

    public int OutputSize => ShapeMath.Size(OutputShape);

    /// <summary>The length of the buffer array: every layer's non-trainable state (batch normalisation's running statistics).</summary>
    public int BufferCount
    {
        get
        {
            int count = 0;
            foreach (LayerModel layer in Layers)
            {
                foreach (TensorModel buffer in layer.Buffers)
                {
                    count += buffer.Length;
                }
            }

            return count;
        }
    }

    /// <summary>The last layer if it is a dense layer: the one a loss can fuse with.</summary>
    public LayerModel? OutputDense => Layers.Length > 0 && Layers[Layers.Length - 1].Kind == LayerKind.Dense ? Layers[Layers.Length - 1] : null;

    /// <summary>The name used in generated messages: the class name with its enclosing types.</summary>
    public string DisplayName => ContainingTypes.Length == 0 ? ClassName : string.Join(".", ContainingTypeNames()) + "." + ClassName;

    private System.Collections.Generic.IEnumerable<string> ContainingTypeNames()
    {
        foreach (string header in ContainingTypes)
        {
            yield return NetworkGenerator.Emitter.TypeName(header);
        }
    }
}

/// <summary>A declared <c>[Loss]</c>; <paramref name="IgnoreIndex"/> is null when the declaration sets none.</summary>
internal sealed record LossModel(LossKind Kind, double Delta, int? IgnoreIndex = null);

/// <summary>A property of a network whose type is a block (or a list of blocks), and the value it returns.</summary>
/// <param name="PropertyName">The declaring property.</param>
/// <param name="Accessibility">Its modifiers before <c>partial</c>.</param>
/// <param name="PropertyType">Its type, fully qualified.</param>
/// <param name="Value">How the value is built from the network's layers.</param>
internal sealed record BlockMemberModel(string PropertyName, string Accessibility, string PropertyType, BlockValueModel Value);

/// <summary>
/// The value of a block's child: a layer (<paramref name="Layer"/>, an index into the network's layers), a block built
/// from its children (<paramref name="TypeName"/> and <paramref name="Items"/>), or an array of blocks
/// (<paramref name="IsList"/>, <paramref name="TypeName"/> the element type). A block's layers are the network's
/// layers <paramref name="First"/> to <paramref name="Last"/> (its output), read from <paramref name="Input"/> (-1: the
/// network's input); <paramref name="Path"/> is the prefix of their property names, such as <c>Layer1_0_</c>, and
/// <paramref name="Module"/> its PyTorch name, such as <c>layer1.0</c>.
/// </summary>
internal sealed record BlockValueModel(int Layer, string? TypeName, EquatableArray<BlockValueModel> Items, bool IsList, int First = -1, int Last = -2, int Input = -1, string Path = "", string Module = "");

/// <summary>A <c>[Block]</c>, <c>[Residual]</c> or <c>[Sequential]</c> class: what its generated part implements.</summary>
/// <param name="Namespace">The namespace, or <see langword="null"/> for the global namespace.</param>
/// <param name="ClassName">The block's name.</param>
/// <param name="ContainingTypes">Enclosing types, outermost first, as <c>partial class Outer</c> headers.</param>
/// <param name="Children">The children in source order: what the constructor takes and the properties return.</param>
internal sealed record BlockModel(string? Namespace, string ClassName, EquatableArray<string> ContainingTypes, EquatableArray<BlockChildModel> Children);

/// <summary>One child of a block: a layer, a block or a list of blocks.</summary>
/// <param name="PropertyName">The property.</param>
/// <param name="Accessibility">Its modifiers before <c>partial</c>.</param>
/// <param name="PropertyType">Its type, fully qualified.</param>
/// <param name="Implementable">Whether the generated part implements the property (a partial declaration without a body).</param>
internal sealed record BlockChildModel(string PropertyName, string Accessibility, string PropertyType, bool Implementable);
