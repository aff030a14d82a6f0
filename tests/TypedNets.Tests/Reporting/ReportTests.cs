using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using Quickstart;
using TypedNets.Explain;
using TypedNets.Metrics;
using TypedNets.Optimizers;
using TypedNets.Reporting;
using TypedNets.Tests.Training;
using TypedNets.Training;

namespace TypedNets.Tests.Reporting;

public sealed class ReportTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    // Four epochs of a real run with a validation split: loss, accuracy and their validation counterparts.
    private static History TrainedHistory(int epochs = 4)
    {
        var network = new BinaryClassifier(maxBatch: 16, seed: 1);
        return Trainer.Fit(network, new Adam(0.01), ClassBlobs.Make(80, seed: 2, classes: 2, width: 10), new FitOptions
        {
            Epochs = epochs,
            BatchSize = 16,
            Seed = 3,
            ValidationSplit = 0.25,
            Loss = LossFunction.CrossEntropy,
        });
    }

    // The page without its doctype is well-formed XML (the report writes XHTML-compatible markup), so every part of
    // it can be checked with LINQ to XML.
    private static XDocument Page(Report report)
    {
        string html = report.ToHtml();
        Assert.StartsWith("<!doctype html>\n", html, StringComparison.Ordinal);
        return XDocument.Parse(html["<!doctype html>\n".Length..]);
    }

    private static List<XElement> Figures(XDocument page, string kind)
        => [.. page.Descendants("figure").Where(figure => (string?)figure.Attribute("class") == "tn-chart" && (string?)figure.Attribute("data-kind") == kind)];

    private static (double X, double Y)[] Points(XElement svg, string series)
    {
        XElement line = svg.Descendants(Svg + "polyline").Single(element => (string?)element.Attribute("data-series") == series);
        return [.. line.Attribute("points")!.Value.Split(' ').Select(pair => pair.Split(','))
            .Select(xy => (double.Parse(xy[0], CultureInfo.InvariantCulture), double.Parse(xy[1], CultureInfo.InvariantCulture)))];
    }

    [Fact]
    public void Page_is_utf8_html_with_a_title_and_no_script_or_external_url()
    {
        var report = new Report("Run <1> & \"two\"");
        report.AddText("plain").AddHistory(TrainedHistory()).AddDiagram(BinaryClassifier.DiagramSvg, "BinaryClassifier");
        XDocument page = Page(report);

        Assert.Equal("Run <1> & \"two\"", page.Descendants("title").Single().Value);
        Assert.Equal("utf-8", (string?)page.Descendants("meta").First().Attribute("charset"));
        Assert.Empty(page.Descendants("script"));
        string html = report.ToHtml();
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
    }

    [Fact]
    public void History_draws_loss_and_accuracy_charts_of_train_against_validation()
    {
        History history = TrainedHistory();
        XDocument page = Page(new Report("h").AddHistory(history));

        List<XElement> charts = Figures(page, "history");
        Assert.Equal(2, charts.Count);
        foreach (XElement chart in charts)
        {
            XElement svg = chart.Elements(Svg + "svg").Single();
            Assert.NotNull(svg.Attribute("width"));
            Assert.NotNull(svg.Attribute("height"));
            Assert.NotNull(chart.Element("figcaption"));
        }

        XElement loss = charts[0].Element(Svg + "svg")!;
        Assert.Equal(["loss", "val_loss"], loss.Descendants(Svg + "polyline").Select(line => (string)line.Attribute("data-series")!));
        Assert.Contains(loss.Descendants(Svg + "text"), text => text.Value == "epoch");
        Assert.Equal(["accuracy", "val_accuracy"], charts[1].Element(Svg + "svg")!.Descendants(Svg + "polyline").Select(line => (string)line.Attribute("data-series")!));
    }

    [Theory]
    [InlineData("loss")]
    [InlineData("val_loss")]
    [InlineData("accuracy")]
    [InlineData("val_accuracy")]
    public void History_points_follow_the_epochs_values(string metric)
    {
        History history = TrainedHistory(epochs: 5);
        double[] values = [.. history[metric].Select(value => value!.Value)];
        XElement svg = Figures(Page(new Report("h").AddHistory(history)), "history")[metric.Contains("loss", StringComparison.Ordinal) ? 0 : 1].Element(Svg + "svg")!;
        (double X, double Y)[] points = Points(svg, metric);

        Assert.Equal(values.Length, points.Length);
        // Epochs run left to right at equal spacing, and a larger value is drawn higher (a smaller y), for every pair:
        // a swapped series, a flipped axis or a shuffled epoch fails here.
        double spacing = points[1].X - points[0].X;
        Assert.True(spacing > 0);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.InRange(points[i].X - (points[0].X + (i * spacing)), -0.05, 0.05);
            for (int j = 0; j < values.Length; j++)
            {
                if (Math.Abs(values[i] - values[j]) > 1e-6)
                {
                    Assert.True(values[i] > values[j] == points[i].Y < points[j].Y, $"epochs {i + 1} and {j + 1}: {values[i]} and {values[j]} at y {points[i].Y} and {points[j].Y}");
                }
            }
        }

        // Linear: equal steps in value are equal steps in pixels (checked on the two extremes and one point between).
        int low = Array.IndexOf(values, values.Min());
        int high = Array.IndexOf(values, values.Max());
        if (values.Max() - values.Min() > 1e-6)
        {
            double pixelsPerUnit = (points[low].Y - points[high].Y) / (values[high] - values[low]);
            for (int i = 0; i < values.Length; i++)
            {
                // Coordinates are written with two decimals.
                Assert.InRange(points[i].Y - (points[low].Y - ((values[i] - values[low]) * pixelsPerUnit)), -0.05, 0.05);
            }
        }
    }

    [Fact]
    public void One_epoch_still_draws_a_point()
    {
        XElement svg = Figures(Page(new Report("h").AddHistory(TrainedHistory(epochs: 1))), "history")[0].Element(Svg + "svg")!;
        Assert.Single(Points(svg, "loss"));
        Assert.NotEmpty(svg.Descendants(Svg + "circle"));
    }

    [Fact]
    public void Confusion_heat_map_cells_carry_the_counts_and_the_class_names()
    {
        int[] actual = [0, 0, 0, 1, 1, 2, 2, 2, 2, 2];
        int[] predicted = [0, 0, 1, 1, 2, 2, 2, 2, 0, 2];
        ConfusionMatrix matrix = ConfusionMatrix.Compute(actual, predicted, 3);
        string[] names = ["cat", "dog <&\"", "bird"];
        XElement figure = Figures(Page(new Report("c").AddConfusionMatrix(matrix, names)), "confusion").Single();
        XElement svg = figure.Element(Svg + "svg")!;

        List<XElement> cells = [.. svg.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "tn-cell")];
        Assert.Equal(9, cells.Count);
        foreach (XElement cell in cells)
        {
            int t = int.Parse((string)cell.Attribute("data-true")!, CultureInfo.InvariantCulture);
            int p = int.Parse((string)cell.Attribute("data-predicted")!, CultureInfo.InvariantCulture);
            Assert.Equal(matrix[t, p].ToString(CultureInfo.InvariantCulture), cell.Element(Svg + "text")!.Value);
        }

        // The darkest cell is the largest count (true bird, predicted bird: 4), the lightest an empty one.
        string Fill(int t, int p) => (string)cells.Single(c => (string)c.Attribute("data-true")! == $"{t}" && (string)c.Attribute("data-predicted")! == $"{p}").Element(Svg + "rect")!.Attribute("fill")!;
        Assert.True(Brightness(Fill(2, 2)) < Brightness(Fill(0, 0)));
        Assert.True(Brightness(Fill(0, 0)) < Brightness(Fill(0, 2)));
        Assert.Equal(2, svg.Descendants(Svg + "text").Count(text => text.Value == "dog <&\""));
    }

    private static int Brightness(string hex) => Convert.ToInt32(hex[1..3], 16) + Convert.ToInt32(hex[3..5], 16) + Convert.ToInt32(hex[5..7], 16);

    [Fact]
    public void Saliency_draws_the_image_and_its_attribution_with_a_scale()
    {
        float[] image = new float[2 * 3 * 4];
        float[] attribution = new float[2 * 3 * 4];
        image[5] = 1;
        attribution[6] = 2;
        attribution[12 + 6] = 1;   // the same pixel in the second channel: summed to 3
        attribution[1] = -3;
        XElement figure = Figures(Page(new Report("s").AddSaliency(image, attribution, [2, 3, 4], "sample 0")), "saliency").Single();
        XElement svg = figure.Element(Svg + "svg")!;
        Assert.Equal("sample 0", figure.Element("figcaption")!.Value);

        List<XElement> heat = [.. svg.Descendants(Svg + "g").Single(g => (string?)g.Attribute("class") == "tn-attribution").Elements(Svg + "rect")];
        Assert.Equal(["3", "-3"], heat.Select(rect => (string)rect.Attribute("data-value")!).OrderByDescending(v => v));
        List<XElement> pixels = [.. svg.Descendants(Svg + "g").First(g => (string?)g.Attribute("class") == "tn-image").Elements(Svg + "rect")];
        Assert.Equal(12, pixels.Count);
        Assert.Equal("#ffffff", (string)pixels[5].Attribute("fill")!);
        Assert.Equal("#000000", (string)pixels[0].Attribute("fill")!);
        Assert.Single(svg.Descendants(Svg + "g"), g => (string?)g.Attribute("class") == "tn-scale");
    }

    [Fact]
    public void Token_spans_carry_their_scores_and_escaped_text()
    {
        string[] tokens = ["The", " <b>", "&", "\"q\""];
        float[] scores = [0.5f, -0.25f, 0f, 1f];
        XDocument page = Page(new Report("t").AddTokenImportance(tokens, scores, "why"));
        XElement figure = page.Descendants("figure").Single(f => (string?)f.Attribute("class") == "tn-tokens");
        List<XElement> spans = [.. figure.Descendants("span").Where(span => (string?)span.Attribute("class") == "tn-token")];

        Assert.Equal(tokens, spans.Select(span => span.Value));
        Assert.Equal(["The: +0.5000", " <b>: -0.2500", "&: 0.0000", "\"q\": +1.0000"], spans.Select(span => (string)span.Attribute("title")!));
        Assert.Equal(scores, spans.Select(span => float.Parse((string)span.Attribute("data-score")!, CultureInfo.InvariantCulture)));
        // The largest |score| has the strongest background, a negative score the other colour.
        Assert.Contains("rgba(214, 39, 40, 0.8)", (string)spans[3].Attribute("style")!, StringComparison.Ordinal);
        Assert.Contains("rgba(31, 119, 180, 0.2)", (string)spans[1].Attribute("style")!, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", page.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Feature_attribution_bars_carry_their_values()
    {
        XElement svg = Figures(Page(new Report("a").AddAttribution(["radius", "texture & <area>"], [0.75f, -0.5f])), "attribution").Single().Element(Svg + "svg")!;
        List<XElement> bars = [.. svg.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "tn-bar")];
        Assert.Equal(["radius", "texture & <area>"], bars.Select(bar => (string)bar.Attribute("data-feature")!));
        double Width(XElement bar) => double.Parse((string)bar.Element(Svg + "rect")!.Attribute("width")!, CultureInfo.InvariantCulture);
        Assert.Equal(1.5, Width(bars[0]) / Width(bars[1]), 2);
    }

    [Fact]
    public void Diagram_is_inlined_as_the_networks_svg()
    {
        XDocument page = Page(new Report("d").AddDiagram(BinaryClassifier.DiagramSvg, "BinaryClassifier"));
        XElement figure = page.Descendants("figure").Single(f => (string?)f.Attribute("class") == "tn-diagram");
        XElement svg = figure.Element(Svg + "svg")!;
        Assert.True(XNode.DeepEquals(XDocument.Parse(BinaryClassifier.DiagramSvg).Root, svg));
        Assert.Equal("BinaryClassifier", figure.Element("figcaption")!.Value);
    }

    [Fact]
    public void Every_chart_svg_parses_on_its_own()
    {
        var report = new Report("all")
            .AddHistory(TrainedHistory())
            .AddConfusionMatrix(ConfusionMatrix.Compute([0, 1], [1, 1], 2))
            .AddSaliency(new float[4], [1f, 0f, 0f, 2f], [2, 2])
            .AddAttribution(["a"], [1f])
            .AddLineChart("loss per iteration", "iteration", "loss", new LineSeries("train", [0, 10, 20], [3.2, 2.5, 2.1]));
        string html = report.ToHtml();
        int start = 0;
        int count = 0;
        while ((start = html.IndexOf("<svg", start, StringComparison.Ordinal)) >= 0)
        {
            int end = html.IndexOf("</svg>", start, StringComparison.Ordinal) + "</svg>".Length;
            XElement svg = XDocument.Parse(html[start..end]).Root!;
            Assert.Equal(Svg + "svg", svg.Name);
            start = end;
            count++;
        }

        Assert.Equal(6, count);
    }

    [Fact]
    public void Save_writes_the_page_and_creates_the_directory()
    {
        string directory = Path.Combine(Path.GetTempPath(), "tn-report-" + Guid.NewGuid().ToString("N"));
        try
        {
            string path = Path.Combine(directory, "nested", "report.html");
            var report = new Report("saved").AddText("é ✓");
            report.Save(path);
            Assert.Equal(report.ToHtml(), File.ReadAllText(path, System.Text.Encoding.UTF8));
            Assert.NotEqual(0xEF, File.ReadAllBytes(path)[0]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void A_save_that_fails_half_way_leaves_the_existing_file_intact()
    {
        string directory = Path.Combine(Path.GetTempPath(), "tn-report-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            string path = Path.Combine(directory, "report.html");
            File.WriteAllText(path, "the previous report");
            var report = new Report("broken").AddText(new string('x', 1 << 18));
            report.Add(new FailingSection());
            Assert.Throws<IOException>(() => report.Save(path));
            Assert.Equal("the previous report", File.ReadAllText(path));
            Assert.Equal(["report.html"], Directory.GetFiles(directory).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private sealed class FailingSection : ReportSection
    {
        public override void Write(TextWriter writer) => throw new IOException("disk full");
    }

    [Fact]
    public void Bad_input_names_the_parameter()
    {
        var report = new Report("bad");
        Assert.Equal("title", Assert.Throws<ArgumentException>(() => new Report(" ")).ParamName);
        var empty = new History();
        Assert.Contains("no epochs", Assert.Throws<ArgumentException>(() => report.AddHistory(empty)).Message, StringComparison.Ordinal);
        Assert.Equal("history", Assert.Throws<ArgumentException>(() => report.AddHistory(empty)).ParamName);

        ArgumentException tokens = Assert.Throws<ArgumentException>(() => report.AddTokenImportance(["a", "b"], [1f]));
        Assert.Equal("scores", tokens.ParamName);
        Assert.Contains("2 tokens but 1 scores", tokens.Message, StringComparison.Ordinal);
        Assert.Equal("scores", Assert.Throws<ArgumentException>(() => report.AddTokenImportance(["a"], [float.NaN])).ParamName);
        Assert.Equal("scores", Assert.Throws<ArgumentException>(() => report.AddAttribution(["a"], [float.PositiveInfinity])).ParamName);
        Assert.Equal("tokens", Assert.Throws<ArgumentException>(() => report.AddTokenImportance([], [])).ParamName);

        ArgumentException image = Assert.Throws<ArgumentException>(() => report.AddSaliency(new float[783], new float[784], [1, 28, 28]));
        Assert.Equal("image", image.ParamName);
        Assert.Contains("783 values", image.Message, StringComparison.Ordinal);
        Assert.Equal("attribution", Assert.Throws<ArgumentException>(() => report.AddSaliency(new float[4], [1f, float.NaN, 0f, 0f], [2, 2])).ParamName);
        Assert.Equal("shape", Assert.Throws<ArgumentException>(() => report.AddSaliency(new float[784], new float[784], [784])).ParamName);

        // A flat input's attribution has no image shape: the message says which overload to use.
        var network = new BinaryClassifier(maxBatch: 4, seed: 1);
        AttributionResult flat = Attribution.Saliency(network, BinaryClassifier.Sample.From(new float[10]));
        ArgumentException flatImage = Assert.Throws<ArgumentException>(() => report.AddSaliency(new float[10], flat));
        Assert.Equal("attribution", flatImage.ParamName);
        Assert.Contains("AddSaliency(image, attribution.Values,", flatImage.Message, StringComparison.Ordinal);

        Assert.Equal("series", Assert.Throws<ArgumentException>(() => report.AddLineChart("c", "x", "y", new LineSeries("s", [1, 2], [1]))).ParamName);
        Assert.Equal("series", Assert.Throws<ArgumentException>(() => report.AddLineChart("c", "x", "y", new LineSeries("s", [1], [double.NaN]))).ParamName);
        Assert.Equal("classNames", Assert.Throws<ArgumentException>(() => report.AddConfusionMatrix(ConfusionMatrix.Compute([0], [0], 2), ["one"])).ParamName);
        ArgumentException diagram = Assert.Throws<ArgumentException>(() => report.AddDiagram("Layer 'x': Dense needs a size"));
        Assert.Equal("diagramSvg", diagram.ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => report.AddTable(["a", "b"], [["1"]])).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => report.Save("")).ParamName);
    }
}
