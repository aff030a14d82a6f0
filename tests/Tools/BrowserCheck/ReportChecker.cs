using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Tasks;
using PuppeteerSharp;

namespace TypedNets.BrowserCheck;

/// <summary>
/// Renders reports in one headless Chromium, each in a fresh browser context, and judges what the page shows: console
/// errors and uncaught exceptions, requests that leave the file, charts that are missing, empty or blank in a
/// screenshot, and text that runs out of its diagram box or its chart.
/// </summary>
/// <remarks>
/// PuppeteerSharp speaks the DevTools protocol to the Chromium it is given (it downloads nothing when it is given an
/// executable): page events, element screenshots that scroll and clip, and script evaluation, maintained against
/// Chromium's protocol changes, where a hand-written client would redo that work.
/// </remarks>
public sealed class ReportChecker : IAsyncDisposable
{
    private const int ViewportWidth = 1280;
    private const int ViewportHeight = 900;

    // Lists every figure of the report's contract with the boxes of its SVG and of every <text> in it, after the
    // fonts have loaded, so that the boxes are those of the glyphs the screenshot shows. A diagram's text belongs to
    // the box drawn by the <rect> of its group (a node, or a block and its label), as the generator draws them.
    private const string FiguresScript = """
        async () => {
          await document.fonts.ready;
          const box = r => ({ x: r.x, y: r.y, width: r.width, height: r.height });
          const figures = [...document.querySelectorAll('figure.tn-chart, figure.tn-diagram, figure.tn-tokens')];
          return JSON.stringify(figures.map(figure => {
            const kind = figure.classList.contains('tn-chart') ? 'chart' : figure.classList.contains('tn-diagram') ? 'diagram' : 'tokens';
            const svg = kind === 'tokens' ? null : figure.querySelector('svg');
            const texts = [];
            if (svg) {
              for (const text of svg.querySelectorAll('text')) {
                const group = kind === 'diagram' ? text.closest('g') : null;
                const rect = group && svg.contains(group) ? group.querySelector(':scope > rect') : null;
                texts.push({
                  text: text.textContent,
                  box: box(text.getBoundingClientRect()),
                  container: rect ? box(rect.getBoundingClientRect()) : null,
                  node: group ? (group.dataset.id ?? group.dataset.path ?? null) : null,
                });
              }
            }
            return {
              kind,
              dataKind: figure.dataset.kind ?? null,
              caption: (figure.querySelector('figcaption')?.textContent ?? '').trim(),
              figure: box(figure.getBoundingClientRect()),
              svg: svg ? box(svg.getBoundingClientRect()) : null,
              texts,
              tokens: figure.querySelectorAll('.tn-token').length,
            };
          }));
        }
        """;

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private readonly IBrowser browser;

    private ReportChecker(IBrowser browser) => this.browser = browser;

    /// <summary>Starts <paramref name="chromium"/> headless.</summary>
    public static async Task<ReportChecker> StartAsync(string chromium)
    {
        var options = new LaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,

            // No sandbox: CI runs as root, where Chromium's sandbox refuses to start. The pages are the project's own.
            Args = ["--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-color-profile=srgb"],
            DefaultViewport = new ViewPortOptions { Width = ViewportWidth, Height = ViewportHeight, DeviceScaleFactor = 1 },
        };
        return new ReportChecker(await Puppeteer.LaunchAsync(options).ConfigureAwait(false));
    }

    /// <summary>Renders <paramref name="file"/> and judges it; with <paramref name="screenshot"/>, writes the whole page there as a PNG.</summary>
    public async Task<Verdict> CheckAsync(string file, string? screenshot)
    {
        var clock = Stopwatch.StartNew();
        var findings = new List<Finding>();
        int consoleErrors = 0;
        await using IBrowserContext context = await browser.CreateBrowserContextAsync().ConfigureAwait(false);
        await using IPage page = await context.NewPageAsync().ConfigureAwait(false);
        page.Console += (_, e) =>
        {
            if (e.Message.Type is ConsoleType.Error or ConsoleType.Assert)
            {
                // A resource that failed to load is reported here too (Log.entryAdded); its URL is in the location.
                string where = Uri.TryCreate(e.Message.Location?.URL, UriKind.Absolute, out Uri? source)
                    ? $" ({Path.GetFileName(source.LocalPath)}:{e.Message.Location!.LineNumber})"
                    : "";
                lock (findings)
                {
                    consoleErrors++;
                    findings.Add(new Finding("console-error", e.Message.Text + where));
                }
            }
        };
        page.PageError += (_, e) =>
        {
            lock (findings)
            {
                consoleErrors++;
                findings.Add(new Finding("page-error", e.Message));
            }
        };
        page.Request += (_, e) =>
        {
            // A report is one self-contained file: anything but the file itself and inline data is a dependency.
            string scheme = Uri.TryCreate(e.Request.Url, UriKind.Absolute, out Uri? target) ? target.Scheme : "";
            if (scheme is not ("file" or "data" or "blob" or "about"))
            {
                lock (findings)
                {
                    findings.Add(new Finding("external-request", e.Request.Url));
                }
            }
        };

        string url = new Uri(Path.GetFullPath(file)).AbsoluteUri;
        try
        {
            await page.GoToAsync(url, new NavigationOptions { WaitUntil = [WaitUntilNavigation.Load], Timeout = 30_000 }).ConfigureAwait(false);
        }
        catch (Exception error) when (error is NavigationException or TimeoutException)
        {
            findings.Add(new Finding("load-failed", error.Message));
            return new Verdict(file, 0, 0, 0, consoleErrors, findings, clock.Elapsed.TotalSeconds);
        }

        string json = await page.EvaluateFunctionAsync<string>(FiguresScript).ConfigureAwait(false);
        FigureBoxes[] figures = JsonSerializer.Deserialize<FigureBoxes[]>(json, Json) ?? [];
        IElementHandle[] handles = await page.QuerySelectorAllAsync("figure.tn-chart, figure.tn-diagram, figure.tn-tokens").ConfigureAwait(false);

        int charts = figures.Count(figure => figure.Kind == "chart");
        if (charts == 0)
        {
            findings.Add(new Finding("no-chart", "the report has no figure.tn-chart"));
        }

        int number = 0;
        foreach ((FigureBoxes figure, IElementHandle handle) in figures.Zip(handles))
        {
            number++;
            string name = Describe(figure, number);
            if (figure.Figure.IsEmpty)
            {
                findings.Add(new Finding("zero-size", $"{name} is {N(figure.Figure.Width)} × {N(figure.Figure.Height)} px"));
                continue;
            }

            if (figure.Kind == "tokens")
            {
                if (figure.Tokens == 0)
                {
                    findings.Add(new Finding("empty-tokens", $"{name} holds no span.tn-token"));
                }

                continue;
            }

            if (figure.Svg is not { } svg)
            {
                findings.Add(new Finding("missing-svg", $"{name} holds no <svg>"));
                continue;
            }

            if (svg.IsEmpty)
            {
                findings.Add(new Finding("zero-size", $"{name}'s svg is {N(svg.Width)} × {N(svg.Height)} px"));
                continue;
            }

            await using IElementHandle? svgHandle = await handle.QuerySelectorAsync("svg").ConfigureAwait(false);
            if (svgHandle is not null)
            {
                byte[] png = await svgHandle.ScreenshotDataAsync(new ElementScreenshotOptions { Type = ScreenshotType.Png }).ConfigureAwait(false);
                Ink ink = InkMeter.Measure(RgbaImage.DecodePng(png));
                if (InkMeter.IsBlank(ink))
                {
                    findings.Add(new Finding("blank", $"{name} shows {ink}"));
                }
            }

            foreach (TextBox text in figure.Texts.Where(text => !text.Box.IsEmpty))
            {
                // A diagram's text must stay in its node's box; every text, in the drawing, which clips at its edge.
                if (text.Container is { } container && Overflow.Of(text.Box, container) is var inBox && inBox.Exceeds(Overflow.Tolerance))
                {
                    findings.Add(new Finding("text-overflow", $"{name}: \"{text.Text}\" runs out of the box of node {text.Node} by {inBox}"));
                }
                else if (Overflow.Of(text.Box, svg) is var inSvg && inSvg.Exceeds(Overflow.Tolerance))
                {
                    findings.Add(new Finding("text-overflow", $"{name}: \"{text.Text}\" runs out of the drawing by {inSvg}"));
                }
            }
        }

        if (screenshot is not null)
        {
            await page.ScreenshotAsync(screenshot, new ScreenshotOptions { FullPage = true, Type = ScreenshotType.Png }).ConfigureAwait(false);
        }

        int diagrams = figures.Count(figure => figure.Kind == "diagram");
        int tokens = figures.Count(figure => figure.Kind == "tokens");
        lock (findings)
        {
            return new Verdict(file, charts, diagrams, tokens, consoleErrors, findings.ToList(), clock.Elapsed.TotalSeconds);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await browser.DisposeAsync().ConfigureAwait(false);

    private static string Describe(FigureBoxes figure, int number)
    {
        string kind = figure.Kind + (figure.DataKind is { Length: > 0 } dataKind ? " " + dataKind : "");
        return figure.Caption.Length == 0 ? $"figure {number} ({kind})" : $"figure {number} ({kind}, \"{figure.Caption}\")";
    }

    private static string N(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private sealed record FigureBoxes(string Kind, string? DataKind, string Caption, Box Figure, Box? Svg, TextBox[] Texts, int Tokens);

    private sealed record TextBox(string Text, Box Box, Box? Container, string? Node);
}
