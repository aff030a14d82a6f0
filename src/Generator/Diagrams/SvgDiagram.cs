using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace TypedNets.Generator.Diagrams;

/// <summary>
/// A network as a self-contained SVG, top to bottom. Each node's rank is one more than the highest rank it reads, and
/// a rank is a row, so a chain is one column and layers that read the same one (<c>[From]</c> branches, a
/// downsample beside its block) sit side by side. A node keeps the column of the first layer it reads when that is free
/// in its row, so a branch stays in one column and a block's region holds only its own layers. An edge to the next
/// row is a straight line (rows hold nothing between them); an edge that skips rows leaves through the gap below
/// its source, runs down a lane right of the drawing and comes in through the gap above its target, with rounded
/// corners, so it crosses no box.
/// </summary>
/// <remarks>
/// Text is monospace and every box is sized from its longest line at <see cref="CharWidth"/>, 0.6 em, the advance of
/// the common monospace fonts (DejaVu Sans Mono, Consolas, Menlo), with a margin of <see cref="PadX"/> each side:
/// no font is embedded, so the file needs nothing else to render.
/// </remarks>
internal static class SvgDiagram
{
    public const double FontSize = 12;
    public const double CharWidth = 0.6 * FontSize;
    public const double LineHeight = 16;
    public const double PadX = 10;
    public const double PadY = 8;
    public const double BoxHeight = (2 * LineHeight) + (2 * PadY);
    private const double BlockPad = 8;
    private const double LabelHeight = 14;
    private const double LaneGap = 12;
    private const double Margin = 12;

    // The space between rows besides the blocks' paddings: room for the crossings of skip edges (6 to 18 below a row).
    private const double RowGap = 24;

    /// <summary>Lays <paramref name="graph"/> out and draws it; <paramref name="idPrefix"/> keeps the arrow marker's id apart from other SVGs on one page.</summary>
    public static string Render(DiagramGraph graph, string idPrefix)
    {
        Layout layout = Place(graph);
        var svg = new StringBuilder();
        string marker = idPrefix + "-arrow";
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {N(layout.Width)} {N(layout.Height)}\" width=\"{N(layout.Width)}\" height=\"{N(layout.Height)}\" font-family=\"monospace\" font-size=\"{N(FontSize)}\">\n");
        svg.Append($"<defs><marker id=\"{marker}\" viewBox=\"0 0 8 8\" refX=\"8\" refY=\"4\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"#555\"/></marker></defs>\n");
        svg.Append($"<rect class=\"background\" x=\"0\" y=\"0\" width=\"{N(layout.Width)}\" height=\"{N(layout.Height)}\" fill=\"#fff\"/>\n");
        foreach (Region region in layout.Regions)
        {
            svg.Append($"<g class=\"block\" data-path=\"{Xml(region.Block.Path)}\"><rect x=\"{N(region.X)}\" y=\"{N(region.Y)}\" width=\"{N(region.Width)}\" height=\"{N(region.Height)}\" rx=\"8\" fill=\"#eef3fb\" stroke=\"#9ab\"/>");
            svg.Append($"<text x=\"{N(region.X + PadX)}\" y=\"{N(region.Y + BlockPad + LabelHeight - 4)}\" fill=\"#456\">{Xml(region.Block.Path)}</text></g>\n");
        }

        foreach (Edge edge in layout.Edges)
        {
            svg.Append($"<path class=\"edge\" data-from=\"{edge.From}\" data-to=\"{edge.To}\" d=\"{edge.Path}\" fill=\"none\" stroke=\"#555\" marker-end=\"url(#{marker})\"/>\n");
        }

        foreach (Box box in layout.Boxes)
        {
            bool end = box.Node.Id is DiagramGraph.InputId or DiagramGraph.OutputId;
            svg.Append($"<g class=\"node\" data-id=\"{box.Node.Id}\"><rect x=\"{N(box.X)}\" y=\"{N(box.Y)}\" width=\"{N(box.Width)}\" height=\"{N(BoxHeight)}\" rx=\"{(end ? "16" : "4")}\" fill=\"{(end ? "#f4f4f4" : "#fff")}\" stroke=\"#333\"/>");
            svg.Append($"<text x=\"{N(box.X + PadX)}\" y=\"{N(box.Y + PadY + LineHeight - 4)}\" font-weight=\"bold\">{Xml(box.Node.Title)}</text>");
            svg.Append($"<text x=\"{N(box.X + PadX)}\" y=\"{N(box.Y + PadY + (2 * LineHeight) - 4)}\" fill=\"#333\">{Xml(box.Node.Shape)}</text></g>\n");
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>The width of a line of text at the diagram's font: its characters at <see cref="CharWidth"/>.</summary>
    public static double TextWidth(string text) => text.Length * CharWidth;

    internal static Layout Place(DiagramGraph graph)
    {
        var index = new Dictionary<string, int>();
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            index[graph.Nodes[i].Id] = i;
        }

        var reads = graph.Nodes.Select(_ => new List<int>()).ToArray();
        foreach ((string from, string to) in graph.Edges)
        {
            reads[index[to]].Add(index[from]);
        }

        // Nodes come in forward order, so every node's inputs are ranked before it.
        int[] rank = new int[graph.Nodes.Count];
        int[] column = new int[graph.Nodes.Count];
        var taken = new List<HashSet<int>>();
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            rank[i] = reads[i].Count == 0 ? 0 : reads[i].Max(read => rank[read]) + 1;
            while (taken.Count <= rank[i])
            {
                taken.Add([]);
            }

            int preferred = reads[i].Count == 0 ? 0 : column[reads[i][0]];
            int col = preferred;
            if (taken[rank[i]].Contains(col))
            {
                col = 0;
                while (taken[rank[i]].Contains(col))
                {
                    col++;
                }
            }

            column[i] = col;
            taken[rank[i]].Add(col);
        }

        int depth = MaxDepth(graph.Root, 0);
        double columnGap = (2 * depth * BlockPad) + 24;
        int columns = column.Max() + 1;
        double[] widths = new double[columns];
        double[] boxWidth = new double[graph.Nodes.Count];
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            DiagramNode node = graph.Nodes[i];
            boxWidth[i] = Math.Ceiling(Math.Max(TextWidth(node.Title), TextWidth(node.Shape)) + (2 * PadX));
            widths[column[i]] = Math.Max(widths[column[i]], boxWidth[i]);
        }

        double left = Margin + (depth * BlockPad);
        double[] columnX = new double[columns];
        for (int c = 0; c < columns; c++)
        {
            columnX[c] = c == 0 ? left : columnX[c - 1] + widths[c - 1] + columnGap;
        }

        // A gap between rows is as tall as the regions that end above it and start below it need: their paddings and
        // label bands (see AddRegions), so rows inside one block stay close.
        int rows = rank.Max() + 1;
        double[] below = new double[rows], above = new double[rows];
        foreach ((DiagramBlock block, int level) in Blocks(graph.Root, 0))
        {
            int reach = depth - level + 1;
            var ranks = block.Layers().Select(node => rank[index[node.Id]]).ToList();
            below[ranks.Max()] = Math.Max(below[ranks.Max()], reach * BlockPad);
            above[ranks.Min()] = Math.Max(above[ranks.Min()], reach * (BlockPad + LabelHeight));
        }

        double[] rowY = new double[rows];
        rowY[0] = Margin + above[0];
        for (int r = 1; r < rows; r++)
        {
            rowY[r] = rowY[r - 1] + BoxHeight + below[r - 1] + above[r] + RowGap;
        }

        var boxes = new Box[graph.Nodes.Count];
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            double x = columnX[column[i]] + ((widths[column[i]] - boxWidth[i]) / 2);
            boxes[i] = new Box(graph.Nodes[i], x, rowY[rank[i]], boxWidth[i]);
        }

        var regions = new List<Region>();
        AddRegions(graph.Root, 0, depth, boxes.ToDictionary(box => box.Node.Id), regions);
        double right = Math.Max(boxes.Max(box => box.X + box.Width), regions.Count == 0 ? 0 : regions.Max(region => region.X + region.Width));
        double bottom = boxes.Max(box => box.Y + BoxHeight) + below[rows - 1];

        // Edges that skip rows get lanes right of everything; a lane is reused once the edge before in it has ended.
        var edges = new List<Edge>();
        var laneEnds = new List<int>();
        foreach ((string from, string to) in graph.Edges)
        {
            Box source = boxes[index[from]];
            Box target = boxes[index[to]];
            int span = rank[index[to]] - rank[index[from]];
            if (span == 1)
            {
                double x1 = source.X + (source.Width / 2), y1 = source.Y + BoxHeight;
                double x2 = target.X + (target.Width / 2), y2 = target.Y;
                edges.Add(new Edge(from, to, $"M{N(x1)},{N(y1)} L{N(x2)},{N(y2)}"));
                continue;
            }

            int lane = laneEnds.FindIndex(end => end <= rank[index[from]]);
            if (lane < 0)
            {
                lane = laneEnds.Count;
                laneEnds.Add(0);
            }

            laneEnds[lane] = rank[index[to]];

            // Down into the gap below the source's row, across to the lane, down it, and back across the gap above
            // the target's row: gaps hold no boxes, so the edge crosses none. Lanes step their crossings apart.
            double laneX = right + LaneGap + (lane * LaneGap);
            double step = 6 + (4 * (lane % 4));
            double sx = source.X + (source.Width / 2), sy = source.Y + BoxHeight + step;
            double tx = target.X + (target.Width / 2), ty = target.Y - step;
            edges.Add(new Edge(from, to, Rounded([(sx, source.Y + BoxHeight), (sx, sy), (laneX, sy), (laneX, ty), (tx, ty), (tx, target.Y)])));
        }

        double width = Math.Ceiling(right + (laneEnds.Count * LaneGap) + Margin);
        double height = Math.Ceiling(bottom + Margin);
        return new Layout(boxes, regions, edges, width, height);
    }

    /// <summary>A polyline whose corners are quarter curves of up to 6 units, as SVG path data.</summary>
    private static string Rounded(IReadOnlyList<(double X, double Y)> points)
    {
        var path = new StringBuilder($"M{N(points[0].X)},{N(points[0].Y)}");
        for (int i = 1; i < points.Count - 1; i++)
        {
            (double x, double y) = points[i];
            (double px, double py) = points[i - 1];
            (double nx, double ny) = points[i + 1];
            double into = Math.Min(6, Math.Max(Math.Abs(x - px), Math.Abs(y - py)) / 2);
            double outOf = Math.Min(6, Math.Max(Math.Abs(nx - x), Math.Abs(ny - y)) / 2);
            path.Append($" L{N(x - (Math.Sign(x - px) * into))},{N(y - (Math.Sign(y - py) * into))}");
            path.Append($" Q{N(x)},{N(y)} {N(x + (Math.Sign(nx - x) * outOf))},{N(y + (Math.Sign(ny - y) * outOf))}");
        }

        return path.Append($" L{N(points[points.Count - 1].X)},{N(points[points.Count - 1].Y)}").ToString();
    }

    private static IEnumerable<(DiagramBlock Block, int Level)> Blocks(DiagramBlock block, int level)
    {
        foreach (DiagramBlock inner in block.Items.OfType<DiagramBlock>())
        {
            yield return (inner, level + 1);
            foreach ((DiagramBlock Block, int Level) nested in Blocks(inner, level + 1))
            {
                yield return nested;
            }
        }
    }

    private static int MaxDepth(DiagramBlock block, int depth)
        => block.Items.OfType<DiagramBlock>().Select(inner => MaxDepth(inner, depth + 1)).DefaultIfEmpty(depth).Max();

    // A block at depth d (1 outermost) reaches (depth - d + 1) paddings beyond its layers, and as many label bands
    // above them, so that its label sits above those of the blocks inside it.
    private static void AddRegions(DiagramBlock block, int level, int depth, Dictionary<string, Box> boxes, List<Region> regions)
    {
        if (level > 0)
        {
            var inside = block.Layers().Select(node => boxes[node.Id]).ToList();
            int reach = depth - level + 1;
            double x = inside.Min(box => box.X) - (reach * BlockPad);
            double y = inside.Min(box => box.Y) - (reach * (BlockPad + LabelHeight));
            double width = Math.Max(inside.Max(box => box.X + box.Width) + (reach * BlockPad) - x, TextWidth(block.Path) + (2 * PadX));
            double height = inside.Max(box => box.Y + BoxHeight) + (reach * BlockPad) - y;
            regions.Add(new Region(block, x, y, width, height));
        }

        foreach (DiagramBlock inner in block.Items.OfType<DiagramBlock>())
        {
            AddRegions(inner, level + 1, depth, boxes, regions);
        }
    }

    private static string N(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");

    internal sealed record Box(DiagramNode Node, double X, double Y, double Width);

    internal sealed record Region(DiagramBlock Block, double X, double Y, double Width, double Height);

    internal sealed record Edge(string From, string To, string Path);

    internal sealed record Layout(IReadOnlyList<Box> Boxes, IReadOnlyList<Region> Regions, IReadOnlyList<Edge> Edges, double Width, double Height);
}
