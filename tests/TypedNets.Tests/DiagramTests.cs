using System;
using System.Linq;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using FashionMnist;
using Xunit;

namespace TypedNets.Tests;

/// <summary>The diagrams compiled into the example ResNet: what a user reads from <c>FashionResNet.Diagram</c>.</summary>
public class DiagramTests
{
    [Fact]
    public void FashionResNetDiagramShowsEveryLayerBlockAndSkip()
    {
        string diagram = FashionResNet.Diagram;
        Assert.StartsWith("flowchart TD\n", diagram, StringComparison.Ordinal);

        // conv1, bn1, then per BasicBlock conv1 bn1 conv2 bn2 and its sum, two downsamples of two layers, pool, fc.
        int layers = Regex.Matches(diagram, @"^\s*L\d+\[", RegexOptions.Multiline).Count;
        Assert.Equal(2 + (6 * 5) + (2 * 2) + 2, layers);

        // The biggest layer, a 64-channel 3x3 convolution with no bias: 64 * 64 * 9 weights.
        Assert.Contains("layer3.1.conv2 · Conv2D 3×3<br/>[64, 7, 7] · 36,864 params", diagram, StringComparison.Ordinal);
        string[] blocks = Regex.Matches(diagram, @"subgraph B\d+ \[""([^""]+)""\]").Select(match => match.Groups[1].Value).ToArray();
        Assert.Equal(["layer1", "layer1.0", "layer1.1", "layer2", "layer2.0", "layer2.0.downsample", "layer2.1", "layer3", "layer3.0", "layer3.0.downsample", "layer3.1"], blocks);

        // layer1.1's sum feeds both layer2.0.conv1 and its downsample: two edges from one node.
        string sum = Id(diagram, "layer1.1 · Add ReLU");
        Assert.Contains($"{sum} --> {Id(diagram, "layer2.0.conv1 ·")}", diagram, StringComparison.Ordinal);
        Assert.Contains($"{sum} --> {Id(diagram, "layer2.0.downsample.0 ·")}", diagram, StringComparison.Ordinal);
        Assert.EndsWith($"{Id(diagram, "fc · Dense 10, Softmax")} --> output", diagram, StringComparison.Ordinal);

        XElement svg = XDocument.Parse(FashionResNet.DiagramSvg).Root!;
        Assert.Equal(layers + 2, svg.Descendants().Count(element => (string?)element.Attribute("class") == "node"));
        Assert.Equal(blocks.Length, svg.Descendants().Count(element => (string?)element.Attribute("class") == "block"));
    }

    private static string Id(string diagram, string labelStart)
        => Regex.Match(diagram, @"(\w+)\[""" + Regex.Escape(labelStart)).Groups[1].Value is { Length: > 0 } id
            ? id
            : throw new Xunit.Sdk.XunitException($"No node labelled '{labelStart}...'.");
}
