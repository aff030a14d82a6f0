using System.Text;

namespace TypedNets.Generator.Diagrams;

/// <summary>
/// A network as a Mermaid <c>flowchart TD</c>: a node per layer, the input and the output, an edge for every layer read
/// (so skips, <c>[From]</c> branches and joins show), and each block as a <c>subgraph</c> nested as the blocks are.
/// </summary>
internal static class MermaidDiagram
{
    public static string Render(DiagramGraph graph)
    {
        var text = new StringBuilder("flowchart TD\n");
        DiagramNode input = graph.Nodes[0];
        DiagramNode output = graph.Nodes[graph.Nodes.Count - 1];

        // The input and output are stadium-shaped, the layers rectangles.
        text.Append("    ").Append(input.Id).Append("([\"").Append(Label(input)).Append("\"])\n");
        WriteItems(text, graph.Root, "    ");
        text.Append("    ").Append(output.Id).Append("([\"").Append(Label(output)).Append("\"])\n");
        foreach ((string from, string to) in graph.Edges)
        {
            text.Append("    ").Append(from).Append(" --> ").Append(to).Append('\n');
        }

        return text.ToString().TrimEnd('\n');
    }

    private static string Label(DiagramNode node) => Escape(node.Title) + "<br/>" + Escape(node.Shape);

    private static void WriteItems(StringBuilder text, DiagramBlock block, string indent)
    {
        foreach (object item in block.Items)
        {
            if (item is DiagramNode node)
            {
                text.Append(indent).Append(node.Id).Append("[\"").Append(Label(node)).Append("\"]\n");
            }
            else
            {
                var inner = (DiagramBlock)item;
                text.Append(indent).Append("subgraph ").Append(inner.Id).Append(" [\"").Append(Escape(inner.Path)).Append("\"]\n");
                WriteItems(text, inner, indent + "    ");
                text.Append(indent).Append("end\n");
            }
        }
    }

    /// <summary>
    /// Mermaid's entity codes for the characters that would end a quoted label or be read as HTML: <c>#quot;</c>,
    /// <c>#lt;</c>, <c>#gt;</c>, and <c>#35;</c> for the <c>#</c> that starts a code.
    /// </summary>
    public static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            escaped.Append(c switch
            {
                '#' => "#35;",
                '"' => "#quot;",
                '<' => "#lt;",
                '>' => "#gt;",
                '&' => "#amp;",
                _ => c.ToString(),
            });
        }

        return escaped.ToString();
    }
}
