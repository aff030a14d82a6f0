using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TypedNets.Generator.Model;

namespace TypedNets.Generator.Diagrams;

/// <summary>
/// What both diagrams draw, read once from a network: a node per layer with its two lines of text, the edges of the
/// <see cref="LayerModel.Inputs"/> relation, and the blocks (PyTorch's dotted module paths) as a tree.
/// </summary>
internal sealed class DiagramGraph
{
    /// <summary>The id of the node for the network's input, which <see cref="LayerModel.Inputs"/> calls -1.</summary>
    public const string InputId = "input";

    /// <summary>The id of the node for the network's output, fed by the last layer.</summary>
    public const string OutputId = "output";

    private DiagramGraph(List<DiagramNode> nodes, List<(string From, string To)> edges, DiagramBlock root)
    {
        Nodes = nodes;
        Edges = edges;
        Root = root;
    }

    /// <summary>The input, then the layers in forward order, then the output.</summary>
    public IReadOnlyList<DiagramNode> Nodes { get; }

    /// <summary>Every edge, by node id: each layer from each layer it reads, and the output from the last layer.</summary>
    public IReadOnlyList<(string From, string To)> Edges { get; }

    /// <summary>The network itself: its items are the member layers and the outermost blocks.</summary>
    public DiagramBlock Root { get; }

    /// <summary>The node id of layer <paramref name="index"/> (-1: the input). Layer ids are <c>L0</c>, <c>L1</c>, ...: valid in Mermaid and in XML.</summary>
    public static string NodeId(int index) => index < 0 ? InputId : "L" + index.ToString(CultureInfo.InvariantCulture);

    public static DiagramGraph From(NetworkModel model)
    {
        var nodes = new List<DiagramNode> { new(InputId, "input", ShapeLine(model.InputShape, 0)) };
        var edges = new List<(string From, string To)>();
        for (int index = 0; index < model.Layers.Length; index++)
        {
            LayerModel layer = model.Layers[index];
            string id = NodeId(index);
            nodes.Add(new DiagramNode(id, Title(layer), ShapeLine(layer.OutputShape, layer.ParameterCount)));

            // No Inputs: the layer reads the one before it.
            if (layer.Inputs.Length == 0)
            {
                edges.Add((NodeId(index - 1), id));
            }
            else
            {
                foreach (int read in layer.Inputs)
                {
                    edges.Add((NodeId(read), id));
                }
            }
        }

        nodes.Add(new DiagramNode(OutputId, "output", ShapeLine(model.OutputShape, 0)));
        edges.Add((NodeId(model.Layers.Length - 1), OutputId));

        // The blocks as the parser found them; a layer sits in the innermost block that holds it.
        var scopes = new List<Scope>();
        foreach (BlockMemberModel member in model.Blocks)
        {
            AddScope(member.Value, scopes);
        }

        var root = new DiagramBlock("", "");
        var all = new Scope("", new HashSet<int>(Enumerable.Range(0, model.Layers.Length)), scopes);
        int count = 0;
        Fill(root, all, nodes, ref count);
        return new DiagramGraph(nodes, edges, root);
    }

    private sealed record Scope(string Path, HashSet<int> Layers, List<Scope> Children);

    /// <summary>
    /// Returns the layers of <paramref name="value"/> and adds its scope to <paramref name="into"/>: for a block use, its
    /// children's layers and its run <c>First..Last</c> (which holds the sum a <c>[Residual]</c> block adds itself); for
    /// a <c>[Repeat]</c> list, its copies under their common prefix (<c>layer1</c> for <c>layer1.0</c>, <c>layer1.1</c>).
    /// A value with no module path adds its children's scopes in its place.
    /// </summary>
    private static HashSet<int> AddScope(BlockValueModel value, List<Scope> into)
    {
        if (value.Layer >= 0)
        {
            return [value.Layer];
        }

        var children = new List<Scope>();
        var layers = new HashSet<int>();
        foreach (BlockValueModel item in value.Items)
        {
            layers.UnionWith(AddScope(item, children));
        }

        for (int index = value.First; index <= value.Last; index++)
        {
            layers.Add(index);
        }

        string path = value.Module;
        if (value.IsList && value.Items.Length > 0 && value.Items[0].Module.LastIndexOf('.') is int dot and > 0)
        {
            path = value.Items[0].Module.Substring(0, dot);
        }

        if (layers.Count > 0 && path.Length > 0)
        {
            into.Add(new Scope(path, layers, children));
        }
        else
        {
            into.AddRange(children);
        }

        return layers;
    }

    private static void Fill(DiagramBlock block, Scope scope, IReadOnlyList<DiagramNode> nodes, ref int count)
    {
        // Items in forward order: a layer by its index, an inner block by its first layer.
        var inner = new HashSet<int>(scope.Children.SelectMany(child => child.Layers));
        var items = scope.Layers.Where(index => !inner.Contains(index)).Select(index => (First: index, Item: (object)index))
            .Concat(scope.Children.Select(child => (First: child.Layers.Min(), Item: (object)child)))
            .OrderBy(item => item.First);
        foreach ((int _, object item) in items)
        {
            if (item is int index)
            {
                block.Items.Add(nodes[index + 1]);
            }
            else
            {
                var child = (Scope)item;
                var childBlock = new DiagramBlock("B" + (count++).ToString(CultureInfo.InvariantCulture), child.Path);
                block.Items.Add(childBlock);
                Fill(childBlock, child, nodes, ref count);
            }
        }
    }

    /// <summary>The first line of a layer's box: its module name, kind and what sets it apart (kernel, activation, ...).</summary>
    public static string Title(LayerModel layer)
    {
        string detail = Detail(layer);
        return layer.ModuleName + " · " + NetworkGenerator.ShapeInference.KindName(layer.Kind) + (detail.Length == 0 ? "" : " " + detail);
    }

    /// <summary>The second line: the per-sample output shape, and the parameters when there are any.</summary>
    public static string ShapeLine(Helpers.EquatableArray<int> shape, int parameters)
    {
        string text = "[" + string.Join(", ", shape.Select(size => size.ToString(CultureInfo.InvariantCulture))) + "]";
        return parameters > 0 ? text + " · " + parameters.ToString("N0", CultureInfo.InvariantCulture) + " params" : text;
    }

    private static string Detail(LayerModel layer)
    {
        string activation = layer.Activation == Activation.Identity ? "" : layer.Activation.ToString();
        string Join(params string[] parts) => string.Join(", ", parts.Where(part => part.Length > 0));
        string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
        string Stride(int stride) => stride > 1 ? "stride " + Int(stride) : "";
        return layer.Kind switch
        {
            LayerKind.Dense => Join(Int(layer.Units), activation),
            LayerKind.Conv2D => Join(Int(layer.Kernel) + "×" + Int(layer.KernelWidth), Stride(layer.Stride), activation),
            LayerKind.Conv1D => Join("kernel " + Int(layer.Kernel), Stride(layer.Stride), activation),
            LayerKind.MaxPool2D or LayerKind.AvgPool2D => Join(Int(layer.Kernel) + "×" + Int(layer.Kernel), Stride(layer.Stride)),
            LayerKind.MaxPool1D or LayerKind.AvgPool1D => Join(Int(layer.Kernel), Stride(layer.Stride)),
            LayerKind.Dropout => "p=" + layer.Rate.ToString("R", CultureInfo.InvariantCulture),
            LayerKind.SelfAttention => Join(Int(layer.Units) + " heads", layer.Causal ? "causal" : ""),
            LayerKind.BatchNorm or LayerKind.LayerNorm or LayerKind.Add => activation,
            _ => "",
        };
    }
}

/// <summary>One box: a layer, the input or the output, with its two lines of text.</summary>
internal sealed record DiagramNode(string Id, string Title, string Shape);

/// <summary>A block (or the network, with an empty <see cref="Id"/>): its layers and inner blocks in forward order.</summary>
internal sealed class DiagramBlock(string id, string path)
{
    public string Id { get; } = id;

    /// <summary>The PyTorch module path, such as <c>layer1.0</c>.</summary>
    public string Path { get; } = path;

    /// <summary><see cref="DiagramNode"/>s and <see cref="DiagramBlock"/>s.</summary>
    public List<object> Items { get; } = [];

    /// <summary>Every layer node inside, at any depth.</summary>
    public IEnumerable<DiagramNode> Layers()
    {
        foreach (object item in Items)
        {
            if (item is DiagramNode node)
            {
                yield return node;
            }
            else
            {
                foreach (DiagramNode inner in ((DiagramBlock)item).Layers())
                {
                    yield return inner;
                }
            }
        }
    }
}
