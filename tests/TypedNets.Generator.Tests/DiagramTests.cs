using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The <c>Diagram</c> (Mermaid) and <c>DiagramSvg</c> constants of compiled networks: snapshots in <c>Snapshots/</c>
/// (<c>.mmd</c> and <c>.svg</c>), and checks that hold for any drawing: every layer of <c>Summary</c> once, the edges
/// the layers read, SVG that parses, text inside its box at the monospace advance, no boxes overlapping.
/// </summary>
public partial class DiagramTests
{
    // The advance the SVG is laid out with: 0.6 em of its 12 px monospace font.
    private const double CharWidth = 7.2;

    [Fact]
    public void SequentialNetworkIsOneColumn()
    {
        Drawing drawing = Draw("""
            using TypedNets;

            namespace Zoo.Diagrams;

            [Network, Input(1, 28, 28), Loss(LossKind.CrossEntropy)]
            public partial class Mnist
            {
                [Conv2D(16, 3, Activation = Activation.ReLU)]   public partial Conv2DLayer Conv1 { get; }
                [MaxPool2D(2)]                                  public partial Pool2DLayer Pool { get; }
                [Flatten]                                       public partial FlattenLayer Flat { get; }
                [Dropout(0.25)]                                 public partial DropoutLayer Drop { get; }
                [Dense(10, Activation.Softmax)]                 public partial DenseLayer Output { get; }
            }
            """, "Zoo.Diagrams.Mnist");

        Assert.Equal(
            [("input", "conv1"), ("conv1", "pool"), ("pool", "flat"), ("flat", "drop"), ("drop", "output"), ("output", "(output)")],
            drawing.ModuleEdges);
        Assert.Contains("L0[\"conv1 · Conv2D 3×3, ReLU<br/>[16, 26, 26] · 160 params\"]", drawing.Mermaid, StringComparison.Ordinal);
        Assert.DoesNotContain("subgraph", drawing.Mermaid, StringComparison.Ordinal);

        // One column: every box centred on the same vertical line, each row below the last.
        var boxes = drawing.Boxes.Values.OrderBy(box => box.Y).ToList();
        Assert.All(boxes, box => Assert.Equal(boxes[0].X + (boxes[0].Width / 2), box.X + (box.Width / 2), 6));
    }

    [Fact]
    public void ResidualBlocksAreNestedSubgraphsWithTheirSkips()
    {
        Drawing drawing = Draw(GraphSources.SmallResNet, "Zoo.Graphs.SmallResNet");

        // A residual block's sum is named after the block (layer1.0). The identity skip reads the block's input (bn1,
        // then layer1.0's sum); the downsample reads it beside conv1.
        Assert.Contains(("bn1", "layer1.0"), drawing.ModuleEdges);
        Assert.Contains(("layer1.0.bn2", "layer1.0"), drawing.ModuleEdges);
        Assert.Contains(("layer1.0", "layer1.1"), drawing.ModuleEdges);
        Assert.Contains(("layer1.1", "layer2.0.downsample.0"), drawing.ModuleEdges);
        Assert.Contains(("layer2.0.downsample.1", "layer2.0"), drawing.ModuleEdges);

        // Blocks nest as PyTorch names them: layer1 > layer1.0, layer2 > layer2.0 > layer2.0.downsample.
        string[] subgraphs = SubgraphLine().Matches(drawing.Mermaid).Select(match => match.Groups["path"].Value).ToArray();
        Assert.Equal(["layer1", "layer1.0", "layer1.1", "layer2", "layer2.0", "layer2.0.downsample"], subgraphs);
        Assert.Equal(subgraphs.Length, Regex.Matches(drawing.Mermaid, @"^\s*end$", RegexOptions.Multiline).Count);
        Assert.Equal(subgraphs, drawing.Regions.Keys);

        // A block's region holds its own layers and no other.
        foreach ((string path, Rect region) in drawing.Regions)
        {
            foreach ((string module, Rect box) in drawing.Boxes)
            {
                bool member = module == path || module.StartsWith(path + ".", StringComparison.Ordinal);
                Assert.True(member == region.Contains(box), $"{module} is {(member ? "outside" : "inside")} the region of {path}.");
            }
        }

        // The downsample sits beside conv1 of its block, not below it.
        Assert.Equal(drawing.Boxes["layer2.0.conv1"].Y, drawing.Boxes["layer2.0.downsample.0"].Y);
    }

    [Fact]
    public void InceptionBranchesSitSideBySide()
    {
        Drawing drawing = Draw(GraphSources.Inception, "Zoo.Graphs.InceptionNet");

        Assert.Contains(("stem_norm", "branch1"), drawing.ModuleEdges);
        Assert.Contains(("stem_norm", "branch2.reduce"), drawing.ModuleEdges);
        Assert.Contains(("stem_norm", "branch3"), drawing.ModuleEdges);
        Assert.Equal(
            ["branch1", "branch2.conv", "branch3"],
            drawing.ModuleEdges.Where(edge => edge.To == "merge").Select(edge => edge.From).ToArray());
        double row = drawing.Boxes["branch1"].Y;
        Assert.Equal(row, drawing.Boxes["branch2.reduce"].Y);
        Assert.Equal(row, drawing.Boxes["branch3"].Y);
    }

    [Fact]
    public void GptResidualAddsReadTheBlockInput()
    {
        Drawing drawing = Draw(GraphSources.Gpt, "Zoo.Gpt.Gpt");

        Assert.Contains(("transformer.wpe", "transformer.h.0.ln_1"), drawing.ModuleEdges);
        Assert.Contains(("transformer.wpe", "transformer.h.0.attn_residual"), drawing.ModuleEdges);
        Assert.Contains(("transformer.h.0.attn.c_proj", "transformer.h.0.attn_residual"), drawing.ModuleEdges);
        Assert.Contains(("transformer.h.0.attn_residual", "transformer.h.0.mlp_residual"), drawing.ModuleEdges);
        Assert.Contains("subgraph", drawing.Mermaid, StringComparison.Ordinal);
        Assert.Contains("transformer.h.1", drawing.Regions.Keys);
    }

    [Fact]
    public void MermaidLabelsEscapeQuotesAndMarkup()
    {
        MethodInfo escape = GeneratorInternals.Type("TypedNets.Generator.Diagrams.MermaidDiagram").GetMethod("Escape", BindingFlags.Public | BindingFlags.Static)!;
        Assert.Equal("a#quot;b#lt;br/#gt; #35;1 #amp;", escape.Invoke(null, ["a\"b<br/> #1 &"]));
    }

    [GeneratedRegex(@"^\s*subgraph (?<id>B\d+) \[""(?<path>[^""]*)""\]$", RegexOptions.Multiline)]
    private static partial Regex SubgraphLine();

    [GeneratedRegex(@"^\s*(?<id>\w+)\(?\[""(?<label>[^""]*)""\]\)?$", RegexOptions.Multiline)]
    private static partial Regex NodeLine();

    [GeneratedRegex(@"^\s*(?<from>\w+) --> (?<to>\w+)$", RegexOptions.Multiline)]
    private static partial Regex EdgeLine();

    private static Drawing Draw(string source, string typeName, [CallerMemberName] string test = "")
    {
        GeneratorRun run = GeneratorHarness.Run(source);
        Expect.NoGeneratorDiagnostics(run);
        using var assembly = new InMemoryAssembly(run.Output);
        Type network = assembly.Type(typeName);
        string Constant(string name) => (string)network.GetField(name, BindingFlags.Public | BindingFlags.Static)!.GetRawConstantValue()!;
        string mermaid = Constant("Diagram");
        string svg = Constant("DiagramSvg");
        string summary = Constant("Summary");

        SnapshotStore store = Snapshot.Store(CallerFile());
        string prefix = $"{nameof(DiagramTests)}.{test}";
        store.VerifyAll(prefix, "mmd", new Dictionary<string, string> { [prefix] = mermaid });
        store.VerifyAll(prefix, "svg", new Dictionary<string, string> { [prefix] = svg });

        Drawing drawing = CheckMermaid(mermaid, summary);
        CheckSvg(svg, drawing);
        return drawing;
    }

    private static string CallerFile([CallerFilePath] string file = "") => file;

    /// <summary>Every layer of the Summary table is one node, in order; every edge joins declared nodes.</summary>
    private static Drawing CheckMermaid(string mermaid, string summary)
    {
        Assert.StartsWith("flowchart TD\n", mermaid, StringComparison.Ordinal);
        var labels = new Dictionary<string, string>();
        foreach (Match node in NodeLine().Matches(mermaid))
        {
            Assert.True(labels.TryAdd(node.Groups["id"].Value, node.Groups["label"].Value), $"Node {node.Groups["id"].Value} is declared twice.");
        }

        // Summary rows look like " conv1 (Conv2D)   (None, 16, 26, 26)   160".
        string[] layers = summary.Split('\n').SkipWhile(line => !line.StartsWith('=')).Skip(1).TakeWhile(line => !line.StartsWith('='))
            .Select(line => line.Trim().Split(' ')[0]).ToArray();
        var modules = labels.ToDictionary(pair => pair.Key, pair => pair.Value.Split(" · ")[0].Split("<br/>")[0]);
        Assert.Equal(["input", .. layers, "output"], modules.Values);
        Assert.Equal(layers.Length, modules.Keys.Count(id => Regex.IsMatch(id, @"^L\d+$")));

        var edges = EdgeLine().Matches(mermaid).Select(match => (From: match.Groups["from"].Value, To: match.Groups["to"].Value)).ToList();
        Assert.All(edges, edge => Assert.True(labels.ContainsKey(edge.From) && labels.ContainsKey(edge.To), $"Edge {edge} joins an undeclared node."));
        Assert.All(labels.Keys.Where(id => id != "input"), id => Assert.Contains(edges, edge => edge.To == id));

        // The output node is named (output) in module edges so that it is told apart from a layer named output.
        string Module(string id) => id == "output" ? "(output)" : modules[id];
        return new Drawing(mermaid, edges.Select(edge => (Module(edge.From), Module(edge.To))).ToList(), edges, modules);
    }

    private static void CheckSvg(string svg, Drawing drawing)
    {
        XDocument document = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        XElement root = document.Root!;
        Assert.Equal(ns + "svg", root.Name);
        Assert.Empty(root.Descendants(ns + "script"));
        Assert.Empty(root.Descendants(ns + "image"));
        double[] viewBox = root.Attribute("viewBox")!.Value.Split(' ').Select(Number).ToArray();
        var frame = new Rect(viewBox[0], viewBox[1], viewBox[2], viewBox[3]);

        var boxesById = new Dictionary<string, Rect>();
        foreach (XElement node in root.Descendants(ns + "g").Where(g => (string?)g.Attribute("class") == "node"))
        {
            Rect box = RectOf(node.Element(ns + "rect")!);
            CheckText(node, box, ns);
            Assert.True(frame.Contains(box), $"Box {node.Attribute("data-id")!.Value} is outside the viewBox.");
            boxesById.Add(node.Attribute("data-id")!.Value, box);
        }

        Assert.Equal(drawing.Modules.Keys.Order(), boxesById.Keys.Order());
        var boxes = boxesById.ToList();
        for (int i = 0; i < boxes.Count; i++)
        {
            for (int j = i + 1; j < boxes.Count; j++)
            {
                Assert.False(boxes[i].Value.Overlaps(boxes[j].Value), $"Boxes {boxes[i].Key} and {boxes[j].Key} overlap.");
            }
        }

        foreach (XElement block in root.Descendants(ns + "g").Where(g => (string?)g.Attribute("class") == "block"))
        {
            Rect region = RectOf(block.Element(ns + "rect")!);
            CheckText(block, region, ns);
            Assert.True(frame.Contains(region), $"Block {block.Attribute("data-path")!.Value} is outside the viewBox.");
            drawing.Regions.Add(block.Attribute("data-path")!.Value, region);
        }

        // Block regions nest or stand apart, as the blocks do.
        var regions = drawing.Regions.ToList();
        for (int i = 0; i < regions.Count; i++)
        {
            for (int j = i + 1; j < regions.Count; j++)
            {
                (Rect a, Rect b) = (regions[i].Value, regions[j].Value);
                Assert.True(a.Contains(b) || b.Contains(a) || !a.Overlaps(b), $"The regions of {regions[i].Key} and {regions[j].Key} overlap.");
            }
        }

        var svgEdges = root.Descendants(ns + "path").Where(path => (string?)path.Attribute("class") == "edge")
            .Select(path => (From: path.Attribute("data-from")!.Value, To: path.Attribute("data-to")!.Value)).ToList();
        Assert.Equal(drawing.IdEdges, svgEdges);
        foreach (XElement path in root.Descendants(ns + "path").Where(path => (string?)path.Attribute("class") == "edge"))
        {
            // Every point of the path is inside the drawing, and no stretch of it runs through a box but its own two
            // (sampled along the lines between its points; its corners are curves within those lines).
            string from = path.Attribute("data-from")!.Value, to = path.Attribute("data-to")!.Value;
            double[] numbers = Regex.Matches(path.Attribute("d")!.Value, @"-?\d+(\.\d+)?").Select(match => Number(match.Value)).ToArray();
            for (int k = 0; k + 1 < numbers.Length; k += 2)
            {
                Assert.True(frame.Contains(new Rect(numbers[k], numbers[k + 1], 0, 0)), $"Edge {from} -> {to} leaves the viewBox.");
                for (int step = 0; k >= 2 && step <= 20; step++)
                {
                    double x = numbers[k - 2] + ((numbers[k] - numbers[k - 2]) * step / 20), y = numbers[k - 1] + ((numbers[k + 1] - numbers[k - 1]) * step / 20);
                    Assert.DoesNotContain(boxesById, box => box.Key != from && box.Key != to && box.Value.Inside(x, y));
                }
            }
        }

        foreach ((string id, string module) in drawing.Modules)
        {
            drawing.Boxes[id is "input" or "output" ? $"({id})" : module] = boxesById[id];
        }
    }

    /// <summary>Every line starts inside the box and ends before its right edge at the monospace advance, baseline inside.</summary>
    private static void CheckText(XElement group, Rect box, XNamespace ns)
    {
        var texts = group.Elements(ns + "text").ToList();
        Assert.NotEmpty(texts);
        foreach (XElement text in texts)
        {
            double x = Number(text.Attribute("x")!.Value), y = Number(text.Attribute("y")!.Value);
            double width = text.Value.Length * CharWidth;
            Assert.True(x > box.X && x + width < box.X + box.Width, $"'{text.Value}' ({width} wide from {x}) does not fit in [{box.X}, {box.X + box.Width}].");
            Assert.True(y - 12 >= box.Y && y <= box.Y + box.Height, $"'{text.Value}' at baseline {y} is not inside [{box.Y}, {box.Y + box.Height}].");
        }
    }

    private static Rect RectOf(XElement rect)
        => new(Number(rect.Attribute("x")!.Value), Number(rect.Attribute("y")!.Value), Number(rect.Attribute("width")!.Value), Number(rect.Attribute("height")!.Value));

    private static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    private sealed record Rect(double X, double Y, double Width, double Height)
    {
        public bool Contains(Rect other) => other.X >= X && other.Y >= Y && other.X + other.Width <= X + Width && other.Y + other.Height <= Y + Height;

        public bool Inside(double x, double y) => x > X && x < X + Width && y > Y && y < Y + Height;

        public bool Overlaps(Rect other) => X < other.X + other.Width && other.X < X + Width && Y < other.Y + other.Height && other.Y < Y + Height;
    }

    private sealed record Drawing(string Mermaid, List<(string From, string To)> ModuleEdges, List<(string From, string To)> IdEdges, Dictionary<string, string> Modules)
    {
        /// <summary>Layer boxes by module name; the input and output as <c>(input)</c> and <c>(output)</c>.</summary>
        public Dictionary<string, Rect> Boxes { get; } = [];

        public Dictionary<string, Rect> Regions { get; } = [];
    }
}
