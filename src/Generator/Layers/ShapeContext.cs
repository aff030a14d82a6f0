using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;

namespace TypedNets.Generator.Layers;

/// <summary>What a layer's shape rule sees: the layer, the shape it receives and from where, and where to report.</summary>
internal sealed class ShapeContext(
    int index,
    LayerModel layer,
    EquatableArray<int> shape,
    string source,
    LayerModel? previous,
    LayerModel? maskSource,
    bool tokenInput,
    EquatableArray<int> inputShape,
    IReadOnlyList<LayerModel> placed,
    List<NetworkGenerator.ShapeInference.Problem> problems)
{
    /// <summary>The layer's index in the network's flat list.</summary>
    public int Index => index;

    /// <summary>The layer as declared.</summary>
    public LayerModel Layer => layer;

    /// <summary>The per-sample shape the layer receives (its first input's, for a join).</summary>
    public EquatableArray<int> Shape => shape;

    /// <summary>Where the shape comes from, as messages name it: <c>the input</c> or <c>'Hidden'</c>.</summary>
    public string Source => source;

    /// <summary>The layer read, or <see langword="null"/> for the network's input.</summary>
    public LayerModel? Previous => previous;

    /// <summary>The Embedding whose padding mask reaches the layer's input, if any.</summary>
    public LayerModel? MaskSource => maskSource;

    /// <summary>Whether the network's input is token ids.</summary>
    public bool TokenInput => tokenInput;

    /// <summary>The output shape of an earlier layer, or the network's input shape for -1.</summary>
    public EquatableArray<int> ShapeOf(int node) => node < 0 ? inputShape : placed[node].OutputShape;

    /// <summary>An earlier layer's name in messages, or <c>the input</c> for -1.</summary>
    public string NameOf(int node) => node < 0 ? "the input" : placed[node].Label;

    /// <summary>An earlier layer as placed.</summary>
    public LayerModel Placed(int node) => placed[node];

    public void Report(DiagnosticDescriptor descriptor, params string[] arguments)
        => problems.Add(new NetworkGenerator.ShapeInference.Problem(index, descriptor, arguments));

    /// <summary>Reports TN0002: the layer needs <paramref name="needs"/> but receives <see cref="Shape"/>.</summary>
    public void Incompatible(string needs, string fix)
        => Report(DiagnosticDescriptors.IncompatibleShape, layer.Label, LayerRule.For(layer.Kind).Name, needs, ShapeMath.Format(shape), source, fix);
}
