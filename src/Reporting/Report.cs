using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using TypedNets.Explain;
using TypedNets.Metrics;
using TypedNets.Reporting.Charts;
using TypedNets.Serialization;
using TypedNets.Training;
using static TypedNets.Reporting.Markup;

namespace TypedNets.Reporting;

/// <summary>
/// A self-contained HTML page about a model: its diagram, training curves, confusion matrix, attributions, tables and
/// notes, in the order they are added, saved as one file with every chart as inline SVG (no script, style sheet, font
/// or image to fetch, so it opens offline and can be attached to a pull request or an e-mail).
/// </summary>
/// <remarks>
/// <para>
/// Each <c>Add</c> method checks its data and draws it at once, from a copy: changing an array afterwards does not
/// change the report, and bad data throws where it was added rather than at <see cref="Save"/>. The methods return the
/// report, so calls can be chained.
/// </para>
/// <para>
/// The page's structure is stable for tools that read it: a chart is a <c>&lt;figure class="tn-chart"
/// data-kind="history|confusion|saliency|attribution"&gt;</c> holding one <c>&lt;svg&gt;</c> with its width and height and
/// a <c>&lt;figcaption&gt;</c>; a network drawing is a <c>&lt;figure class="tn-diagram"&gt;</c>; highlighted text is a
/// <c>&lt;figure class="tn-tokens"&gt;</c> with a <c>&lt;span class="tn-token" title="..."&gt;</c> per token.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var report = new Report("Quickstart");
/// report.AddDiagram(BinaryClassifier.DiagramSvg, "BinaryClassifier");
/// report.AddHistory(history);
/// report.AddConfusionMatrix(matrix, ["malignant", "benign"]);
/// report.Save("artifacts/quickstart-report.html");
/// </code>
/// </example>
public sealed class Report
{
    private readonly List<ReportSection> _sections = [];

    /// <summary>Starts an empty report.</summary>
    /// <param name="title">The page's title, shown as its heading and in the browser's tab.</param>
    /// <exception cref="ArgumentException"><paramref name="title"/> is null, empty or white space (ParamName <c>title</c>).</exception>
    public Report(string title)
    {
        if (string.IsNullOrWhiteSpace(title))
        {
            throw new ArgumentException("A report needs a title (it heads the page and names the browser tab); pass the model's or the run's name.", nameof(title));
        }

        Title = title;
    }

    /// <summary>The page's title.</summary>
    public string Title { get; }

    /// <summary>Adds a section heading.</summary>
    /// <param name="text">The heading.</param>
    /// <returns>This report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null (ParamName <c>text</c>).</exception>
    public Report AddHeading(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Add($"<h2>{Escape(text)}</h2>\n");
    }

    /// <summary>Adds a paragraph of plain text.</summary>
    /// <param name="text">The paragraph; markup in it is shown as text, not interpreted.</param>
    /// <returns>This report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null (ParamName <c>text</c>).</exception>
    public Report AddText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Add($"<p>{Escape(text)}</p>\n");
    }

    /// <summary>Adds text in a fixed-width font with its line breaks and spacing kept: a network's <c>Summary</c>, a metrics table.</summary>
    /// <param name="text">The text.</param>
    /// <returns>This report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null (ParamName <c>text</c>).</exception>
    public Report AddPreformatted(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Add($"<pre>{Escape(text)}</pre>\n");
    }

    /// <summary>Adds a table.</summary>
    /// <param name="header">The column names.</param>
    /// <param name="rows">The rows, each with one cell per column.</param>
    /// <param name="caption">A caption above the table, or null for none.</param>
    /// <returns>This report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="header"/> or <paramref name="rows"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="header"/> is empty (ParamName <c>header</c>), or a row has a different number of cells than the
    /// header or a null cell (ParamName <c>rows</c>).
    /// </exception>
    public Report AddTable(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        if (header.Count == 0)
        {
            throw new ArgumentException("A table needs at least one column; pass the column names as header.", nameof(header));
        }

        var html = new StringBuilder("<table class=\"tn-table\">\n");
        if (caption is not null)
        {
            html.Append($"<caption>{Escape(caption)}</caption>\n");
        }

        html.Append("<thead><tr>").AppendJoin("", header.Select(name => $"<th>{Escape(name ?? "")}</th>")).Append("</tr></thead>\n<tbody>\n");
        int index = 0;
        foreach (IReadOnlyList<string> row in rows)
        {
            if (row is null || row.Count != header.Count || row.Any(cell => cell is null))
            {
                throw new ArgumentException(
                    $"Row {index} of the table has {(row is null ? "no cells (it is null)" : row.Any(cell => cell is null) ? "a null cell" : $"{row.Count} cells")}, " +
                    $"but the header has {header.Count} columns; give every row one string per column.", nameof(rows));
            }

            html.Append("<tr>").AppendJoin("", row.Select(cell => $"<td>{Escape(cell)}</td>")).Append("</tr>\n");
            index++;
        }

        return Add(html.Append("</tbody></table>\n").ToString());
    }

    /// <summary>Adds a network's drawing: the <c>DiagramSvg</c> constant the generator gives every network.</summary>
    /// <param name="diagramSvg">The drawing, such as <c>BinaryClassifier.DiagramSvg</c>.</param>
    /// <param name="caption">The caption, such as the network's name; null for "Network".</param>
    /// <returns>This report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="diagramSvg"/> is null (ParamName <c>diagramSvg</c>).</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="diagramSvg"/> is not an SVG document (ParamName <c>diagramSvg</c>); a network with declaration
    /// errors holds its error message there instead of a drawing.
    /// </exception>
    public Report AddDiagram(string diagramSvg, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(diagramSvg);
        // A shape check, not an XML parse: System.Xml would add megabytes to the NativeAOT examples that write reports,
        // and the constant is the generator's own well-formed output; what this catches is the error message a network
        // with declaration errors holds instead, or a Mermaid Diagram passed by mistake.
        string trimmed = diagramSvg.Trim();
        if (!trimmed.StartsWith("<svg ", StringComparison.Ordinal) || !trimmed.EndsWith("</svg>", StringComparison.Ordinal))
        {
            string start = diagramSvg.Length > 60 ? diagramSvg[..60] + "..." : diagramSvg;
            throw new ArgumentException(
                $"diagramSvg is not an SVG drawing (it starts \"{start}\"); pass a network's generated DiagramSvg constant (not the Mermaid Diagram). " +
                "A network with declaration errors holds its error message there instead: fix the errors the compiler reports.", nameof(diagramSvg));
        }

        return Add($"<figure class=\"tn-diagram\">\n{diagramSvg}\n<figcaption>{Escape(caption ?? "Network")}</figcaption>\n</figure>\n");
    }

    /// <summary>
    /// Adds a training run's curves, as Keras users plot <c>history.history</c>: a chart of the loss per epoch, training
    /// against validation when there is validation data, then one of the accuracy for classifiers, then one of the
    /// learning rate when it changed during the run.
    /// </summary>
    /// <param name="history">What <c>Trainer.Fit</c> returned.</param>
    /// <param name="caption">A name for the run, put before each chart's caption; null for none.</param>
    /// <returns>This report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="history"/> is null (ParamName <c>history</c>).</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="history"/> has no epochs, or an epoch's loss, accuracy or learning rate is NaN or infinite
    /// (ParamName <c>history</c>).
    /// </exception>
    public Report AddHistory(History history, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        IReadOnlyList<EpochResult> epochs = history.Epochs;
        if (epochs.Count == 0)
        {
            throw new ArgumentException("The history has no epochs, so there is nothing to plot; add it after Trainer.Fit has run at least one epoch.", nameof(history));
        }

        string prefix = caption is null ? "" : caption + ": ";
        string stopped = history.StoppedAt is int epoch ? $" (stopped early at epoch {epoch})" : "";
        var charts = new StringBuilder();
        foreach ((string train, string validation, string label) in new[] { ("loss", "val_loss", "loss"), ("accuracy", "val_accuracy", "accuracy") })
        {
            var lines = new List<PlotLine>();
            AddMetric(lines, history, train, "#1f77b4", dashed: false);
            AddMetric(lines, history, validation, "#ff7f0e", dashed: true);
            if (lines.Count > 0)
            {
                string against = lines.Count == 2 ? "training and validation " : lines[0].Name == train ? "training " : "validation ";
                charts.Append(Chart("history", LineChart.Render("epoch", label, lines, integerX: true), $"{prefix}{against}{label} per epoch{stopped}"));
            }
        }

        double[] rates = epochs.Select(result => result.LearningRate).ToArray();
        CheckFinite(rates, index => $"epoch {epochs[index].Epoch}'s learning rate", nameof(history));
        if (rates.Distinct().Count() > 1)
        {
            var line = new PlotLine("learning rate", epochs.Select(result => (double)result.Epoch).ToArray(), rates, "#2ca02c", Dashed: false);
            charts.Append(Chart("history", LineChart.Render("epoch", "learning rate", [line], integerX: true), $"{prefix}learning rate per epoch"));
        }

        return Add(charts.ToString());
    }

    /// <summary>
    /// Adds a line chart of any series over a shared x axis, such as a language model's loss per iteration when the
    /// training loop is the user's own; it is marked as a history chart.
    /// </summary>
    /// <param name="caption">What the chart shows.</param>
    /// <param name="xLabel">The x axis' label, such as "iteration".</param>
    /// <param name="yLabel">The y axis' label, such as "loss".</param>
    /// <param name="series">The lines, each with a name for the legend.</param>
    /// <returns>This report.</returns>
    /// <exception cref="ArgumentNullException">An argument or a series is null.</exception>
    /// <exception cref="ArgumentException">
    /// There is no series, a series has no points, different numbers of x and y values, or a NaN or infinite value
    /// (ParamName <c>series</c>).
    /// </exception>
    public Report AddLineChart(string caption, string xLabel, string yLabel, params IReadOnlyList<LineSeries> series)
    {
        ArgumentNullException.ThrowIfNull(caption);
        ArgumentNullException.ThrowIfNull(xLabel);
        ArgumentNullException.ThrowIfNull(yLabel);
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0)
        {
            throw new ArgumentException("A line chart needs at least one series; pass new LineSeries(name, x, y).", nameof(series));
        }

        string[] palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];
        var lines = new List<PlotLine>();
        for (int index = 0; index < series.Count; index++)
        {
            LineSeries line = series[index] ?? throw new ArgumentNullException(nameof(series), $"Series {index} is null.");
            if (line.X is null || line.Y is null || line.X.Count == 0 || line.X.Count != line.Y.Count)
            {
                throw new ArgumentException(
                    $"Series '{line.Name}' has {line.X?.Count ?? 0} x and {line.Y?.Count ?? 0} y values; give it at least one point and one y per x.", nameof(series));
            }

            double[] x = [.. line.X];
            double[] y = [.. line.Y];
            CheckFinite(x, point => $"series '{line.Name}' x[{point}]", nameof(series));
            CheckFinite(y, point => $"series '{line.Name}' y[{point}]", nameof(series));
            lines.Add(new PlotLine(line.Name ?? $"series {index}", x, y, palette[index % palette.Length], Dashed: false));
        }

        bool integers = lines.All(line => line.X.All(value => value == Math.Round(value)));
        return Add(Chart("history", LineChart.Render(xLabel, yLabel, lines, integers), caption));
    }

    /// <summary>Adds a confusion matrix as a heat map with the count in each cell, true classes down the side, predicted along the bottom.</summary>
    /// <param name="matrix">The counts, from <c>ConfusionMatrix.Compute</c>.</param>
    /// <param name="classNames">A name per class, or null for the class indices.</param>
    /// <param name="caption">The caption; null for "Confusion matrix".</param>
    /// <returns>This report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="matrix"/> is null (ParamName <c>matrix</c>).</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="classNames"/> does not hold one non-null name per class (ParamName <c>classNames</c>).
    /// </exception>
    public Report AddConfusionMatrix(ConfusionMatrix matrix, IReadOnlyList<string>? classNames = null, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        string[] names = classNames is null
            ? [.. Enumerable.Range(0, matrix.Classes).Select(index => index.ToString(CultureInfo.InvariantCulture))]
            : [.. classNames];
        if (names.Length != matrix.Classes || names.Any(name => name is null))
        {
            throw new ArgumentException(
                $"classNames has {names.Length} names{(names.Any(name => name is null) ? ", some null," : "")} for a confusion matrix of {matrix.Classes} classes; " +
                "give one name per class in class-index order, or null for the indices.", nameof(classNames));
        }

        return Add(Chart("confusion", ConfusionHeatMap.Render(matrix, names), caption ?? $"Confusion matrix ({matrix.Total} samples, {matrix.Correct} correct)"));
    }

    /// <summary>
    /// Adds an image and its attribution (saliency, SmoothGrad, Integrated Gradients, occlusion) as heat maps: the
    /// image in grey, the attribution over it (red positive, blue negative) and a colour scale.
    /// </summary>
    /// <param name="image">The input the attribution explains, row-major in <paramref name="shape"/>.</param>
    /// <param name="attribution">The attribution, one value per input value, as <c>AttributionResult.Values</c>.</param>
    /// <param name="shape"><c>[height, width]</c> or <c>[channels, height, width]</c>; channels are averaged for the grey image and summed for the attribution.</param>
    /// <param name="caption">The caption; null for "Attribution".</param>
    /// <returns>This report.</returns>
    /// <exception cref="ArgumentException">
    /// <paramref name="shape"/> is not two or three positive sizes (ParamName <c>shape</c>); <paramref name="image"/> or
    /// <paramref name="attribution"/> does not hold the shape's number of values or holds a NaN or infinite value
    /// (ParamName <c>image</c> or <c>attribution</c>).
    /// </exception>
    public Report AddSaliency(ReadOnlySpan<float> image, ReadOnlySpan<float> attribution, ReadOnlySpan<int> shape, string? caption = null)
    {
        if (shape.Length is not (2 or 3) || shape.ToArray().Any(size => size <= 0))
        {
            throw new ArgumentException(
                $"The shape [{string.Join(", ", shape.ToArray())}] is not an image's; pass [height, width] or [channels, height, width], " +
                "such as [1, 28, 28] for a flattened 784-value Fashion-MNIST image.", nameof(shape));
        }

        int channels = shape.Length == 3 ? shape[0] : 1;
        int height = shape[^2];
        int width = shape[^1];
        int size = channels * height * width;
        CheckLength(image.Length, size, shape, nameof(image));
        CheckLength(attribution.Length, size, shape, nameof(attribution));
        float[] pixels = image.ToArray();
        float[] scores = attribution.ToArray();
        CheckFinite(pixels, index => $"image[{index}]", nameof(image));
        CheckFinite(scores, index => $"attribution[{index}]", nameof(attribution));

        var grey = new float[height * width];
        var summed = new float[height * width];
        for (int channel = 0; channel < channels; channel++)
        {
            for (int pixel = 0; pixel < grey.Length; pixel++)
            {
                grey[pixel] += pixels[(channel * grey.Length) + pixel] / channels;
                summed[pixel] += scores[(channel * grey.Length) + pixel];
            }
        }

        // The grey image is stretched to its own range, so that normalised (even negative) inputs still show.
        float low = grey.Min();
        float range = grey.Max() - low;
        for (int pixel = 0; pixel < grey.Length; pixel++)
        {
            grey[pixel] = range > 0 ? (grey[pixel] - low) / range : 0.5f;
        }

        return Add(Chart("saliency", SaliencyMap.Render(grey, summed, height, width), caption ?? "Attribution"));
    }

    /// <summary>Adds an image and its attribution as heat maps, taking the shape from <see cref="AttributionResult.Shape"/>.</summary>
    /// <param name="image">The input the attribution explains.</param>
    /// <param name="attribution">What an <c>Attribution</c> method returned for an image input (<c>[channels, height, width]</c>).</param>
    /// <param name="caption">The caption; null for one naming the explained output.</param>
    /// <returns>This report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="attribution"/> is null (ParamName <c>attribution</c>).</exception>
    /// <exception cref="ArgumentException">
    /// The attribution's shape is not an image's (a flat input: use the overload taking a shape), or the image does
    /// not match it (see <see cref="AddSaliency(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, string?)"/>).
    /// </exception>
    public Report AddSaliency(ReadOnlySpan<float> image, AttributionResult attribution, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(attribution);
        if (attribution.Shape.Length is not (2 or 3))
        {
            throw new ArgumentException(
                $"The attribution's shape [{string.Join(", ", attribution.Shape)}] is not an image's; for a network with a flat input " +
                "pass the image's shape yourself: AddSaliency(image, attribution.Values, [1, 28, 28]).", nameof(attribution));
        }

        return AddSaliency(image, attribution.Values, attribution.Shape, caption ?? $"Attribution for output {attribution.Target}");
    }

    /// <summary>Adds one attribution per named feature as a bar chart (tabular inputs): right and red for positive, left and blue for negative.</summary>
    /// <param name="features">The features' names.</param>
    /// <param name="scores">One attribution per feature, such as <c>AttributionResult.Values</c> of a flat input.</param>
    /// <param name="caption">The caption; null for "Attribution per feature".</param>
    /// <returns>This report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is null (ParamName <c>features</c>).</exception>
    /// <exception cref="ArgumentException">
    /// There are no features or a null name (ParamName <c>features</c>), or <paramref name="scores"/> has a different
    /// length or a NaN or infinite value (ParamName <c>scores</c>).
    /// </exception>
    public Report AddAttribution(IReadOnlyList<string> features, ReadOnlySpan<float> scores, string? caption = null)
    {
        double[] values = CheckScores(features, scores, nameof(features), "feature");
        return Add(Chart("attribution", AttributionBars.Render([.. features], values), caption ?? "Attribution per feature"));
    }

    /// <summary>
    /// Adds text with each token's background showing its attribution, as Captum's text visualisation does: red for
    /// tokens that push towards the explained output, blue for those that push away, stronger for larger values; the
    /// value is in each token's tooltip.
    /// </summary>
    /// <param name="tokens">The tokens' text, in order (a character, a word or a subword each).</param>
    /// <param name="scores">One attribution per token, such as <c>AttributionResult.Values</c> of a token input.</param>
    /// <param name="caption">The caption; null for "Token importance".</param>
    /// <returns>This report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> is null (ParamName <c>tokens</c>).</exception>
    /// <exception cref="ArgumentException">
    /// There are no tokens or a null token (ParamName <c>tokens</c>), or <paramref name="scores"/> has a different
    /// length or a NaN or infinite value (ParamName <c>scores</c>).
    /// </exception>
    public Report AddTokenImportance(IReadOnlyList<string> tokens, ReadOnlySpan<float> scores, string? caption = null)
    {
        double[] values = CheckScores(tokens, scores, nameof(tokens), "token");
        double largest = values.Max(Math.Abs);
        var html = new StringBuilder("<figure class=\"tn-tokens\">\n<p class=\"tn-token-text\">");
        for (int index = 0; index < values.Length; index++)
        {
            double share = largest > 0 ? Math.Abs(values[index]) / largest : 0;
            var (red, green, blue) = SignColour(values[index]);
            string score = values[index].ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture);
            html.Append(CultureInfo.InvariantCulture,
                $"<span class=\"tn-token\" data-score=\"{values[index].ToString("R", CultureInfo.InvariantCulture)}\" title=\"{Escape(tokens[index])}: {score}\" style=\"background-color: rgba({red}, {green}, {blue}, {N(share * 0.8)})\">{Escape(tokens[index])}</span>");
        }

        html.Append($"</p>\n<figcaption>{Escape(caption ?? "Token importance")} (red: towards the output, blue: against; largest |attribution| {Value(largest)})</figcaption>\n</figure>\n");
        return Add(html.ToString());
    }

    /// <summary>The whole page as HTML.</summary>
    public string ToHtml()
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        Write(writer);
        return writer.ToString();
    }

    /// <summary>Writes the page to a stream as UTF-8 (without a byte-order mark), leaving the stream open.</summary>
    /// <param name="stream">Where to write.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null (ParamName <c>stream</c>).</exception>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 16, leaveOpen: true);
        Write(writer);
    }

    /// <summary>
    /// Saves the page to a file, atomically: it is written to a temporary file next to <paramref name="path"/> and
    /// renamed over it, so a failed save leaves an existing file as it was. A missing directory is created.
    /// </summary>
    /// <param name="path">The file to create or replace, such as <c>artifacts/report.html</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty (ParamName <c>path</c>).</exception>
    /// <exception cref="IOException">Writing or renaming failed; the file at <paramref name="path"/> is unchanged.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        AtomicFile.Write(path, WriteTo);
    }

    /// <summary>Adds a section that writes itself when the report is written (tests use it to make a save fail half-way).</summary>
    internal Report Add(ReportSection section)
    {
        _sections.Add(section);
        return this;
    }

    private Report Add(string html) => Add(new HtmlSection(html));

    private void Write(TextWriter writer)
    {
        writer.Write($"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8"/>
            <meta name="viewport" content="width=device-width, initial-scale=1"/>
            <meta name="generator" content="TypedNets.Reporting"/>
            <title>{Escape(Title)}</title>
            <style>{Style}</style>
            </head>
            <body>
            <main>
            <h1>{Escape(Title)}</h1>

            """);
        foreach (ReportSection section in _sections)
        {
            section.Write(writer);
        }

        writer.Write("</main>\n</body>\n</html>\n");
    }

    private const string Style = """

        body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222222; margin: 0; background: #ffffff; }
        main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 48px; }
        h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #dddddd; }
        figure { margin: 16px 0; overflow-x: auto; }
        figcaption { font-size: 0.9em; color: #555555; margin-top: 4px; }
        figure svg { display: block; max-width: none; }
        pre { background: #f6f8fa; padding: 8px 12px; overflow-x: auto; font-size: 0.85em; white-space: pre-wrap; }
        table.tn-table { border-collapse: collapse; margin: 12px 0; font-size: 0.9em; }
        table.tn-table caption { text-align: left; color: #555555; padding-bottom: 4px; }
        table.tn-table th, table.tn-table td { border: 1px solid #dddddd; padding: 3px 8px; text-align: left; }
        .tn-token-text { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; line-height: 1.9; white-space: pre-wrap; }
        .tn-token { border-radius: 3px; padding: 1px 0; }

        """;

    private static string Chart(string kind, string svg, string caption)
        => $"<figure class=\"tn-chart\" data-kind=\"{kind}\">\n{svg}\n<figcaption>{Escape(caption)}</figcaption>\n</figure>\n";

    private static void AddMetric(List<PlotLine> lines, History history, string metric, string color, bool dashed)
    {
        var x = new List<double>();
        var y = new List<double>();
        foreach (EpochResult epoch in history.Epochs)
        {
            if (epoch.Get(metric) is double value)
            {
                if (!double.IsFinite(value))
                {
                    throw new ArgumentException(
                        $"Epoch {epoch.Epoch}'s {metric} is {value.ToString(CultureInfo.InvariantCulture)}, which cannot be plotted; the run diverged " +
                        "(a smaller learning rate, gradient clipping or TerminateOnNaN help), or plot the epochs before it.", nameof(history));
                }

                x.Add(epoch.Epoch);
                y.Add(value);
            }
        }

        if (x.Count > 0)
        {
            lines.Add(new PlotLine(metric, [.. x], [.. y], color, dashed));
        }
    }

    private static void CheckFinite(double[] values, Func<int, string> name, string parameter)
    {
        for (int index = 0; index < values.Length; index++)
        {
            if (!double.IsFinite(values[index]))
            {
                throw new ArgumentException(
                    $"{name(index)} is {values[index].ToString(CultureInfo.InvariantCulture)}; a chart needs finite values.", parameter);
            }
        }
    }

    private static void CheckFinite(float[] values, Func<int, string> name, string parameter)
    {
        for (int index = 0; index < values.Length; index++)
        {
            if (!float.IsFinite(values[index]))
            {
                throw new ArgumentException(
                    $"{name(index)} is {values[index].ToString(CultureInfo.InvariantCulture)}; a chart needs finite values (an attribution of a " +
                    "network whose outputs overflow is not finite: check the input's scaling).", parameter);
            }
        }
    }

    private static void CheckLength(int length, int size, ReadOnlySpan<int> shape, string parameter)
    {
        if (length != size)
        {
            throw new ArgumentException(
                $"{parameter} has {length} values, but the shape [{string.Join(", ", shape.ToArray())}] holds {size}; pass the image and its attribution " +
                "with the shape of the network's input.", parameter);
        }
    }

    private static double[] CheckScores(IReadOnlyList<string> names, ReadOnlySpan<float> scores, string namesParameter, string what)
    {
        ArgumentNullException.ThrowIfNull(names, namesParameter);
        if (names.Count == 0 || names.Any(name => name is null))
        {
            throw new ArgumentException(
                names.Count == 0 ? $"There are no {what}s to show; pass one name per {what}." : $"A {what} is null; pass its text (an empty string for none).",
                namesParameter);
        }

        if (scores.Length != names.Count)
        {
            throw new ArgumentException(
                $"There are {names.Count} {what}s but {scores.Length} scores; pass one score per {what}, such as the Values of an attribution of this input.",
                nameof(scores));
        }

        float[] copy = scores.ToArray();
        CheckFinite(copy, index => $"scores[{index}] ({what} '{names[index]}')", nameof(scores));
        return [.. copy.Select(score => (double)score)];
    }
}
