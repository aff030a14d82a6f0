using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using TypedNets.BrowserCheck;

// Renders TypedNets' HTML reports in headless Chromium and fails on what a reader would see wrong. One line per report:
//   ok <file>: 3 charts, 1 diagram, 1 token figure, 0 console errors (0.4 s)
//   FAIL <file>: ... followed by one indented line per fault.
// Exit code 0 when every report passes, 1 when one fails, 2 for a usage error.
const string Usage = """
    usage: BrowserCheck [--chromium PATH] [--screenshot DIR] REPORT.html|FOLDER ...
           BrowserCheck [--chromium PATH] --self-test [FIXTURES]

      REPORT.html|FOLDER  reports to check; a folder stands for the .html files in it
      --screenshot DIR    also write each report's whole page to DIR/<name>.png
      --self-test         check the pages under tests/Fixtures/browser (copied next to this program) and require the
                          verdict each names in <meta name="tn-self-test-expect">
      --chromium PATH     the browser (default: chromium on PATH, or $CHROMIUM)
    """;

var inputs = new List<string>();
string? screenshots = null;
string? chromium = Environment.GetEnvironmentVariable("CHROMIUM");
bool selfTest = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--screenshot" when i + 1 < args.Length:
            screenshots = args[++i];
            break;
        case "--chromium" when i + 1 < args.Length:
            chromium = args[++i];
            break;
        case "--self-test":
            selfTest = true;
            break;
        case "-h" or "--help":
            Console.WriteLine(Usage);
            return 0;
        case var option when option.StartsWith("--", StringComparison.Ordinal):
            Console.Error.WriteLine($"unknown option or missing value: {option}\n{Usage}");
            return 2;
        default:
            inputs.Add(args[i]);
            break;
    }
}

if (selfTest && inputs.Count == 0)
{
    inputs.Add(Path.Combine(AppContext.BaseDirectory, "fixtures"));
}

// A file named but not there is a report its example did not write: it fails like a broken one, and the others are
// still checked.
var files = new List<string>();
var missing = new List<string>();
foreach (string input in inputs)
{
    if (Directory.Exists(input))
    {
        files.AddRange(Directory.GetFiles(input, "*.html").Order(StringComparer.Ordinal));
    }
    else if (File.Exists(input))
    {
        files.Add(input);
    }
    else
    {
        missing.Add(input);
    }
}

foreach (string file in missing)
{
    Console.WriteLine($"FAIL {file}: no report at this path (was it written with --report?)");
}

if (files.Count == 0 && missing.Count == 0)
{
    Console.Error.WriteLine($"no .html report in {string.Join(", ", inputs)}\n{Usage}");
    return 2;
}

chromium ??= FindOnPath("chromium") ?? FindOnPath("chromium-browser");
if (chromium is null || !File.Exists(chromium))
{
    Console.Error.WriteLine($"Chromium was not found ({chromium ?? "not on PATH"}): install Debian's chromium (apt-get install chromium) or pass --chromium PATH.");
    return 2;
}

if (screenshots is not null)
{
    Directory.CreateDirectory(screenshots);
}

// A page whose script never ends would hold CI until its own limit; a report renders in seconds.
var reportTimeout = TimeSpan.FromSeconds(120);
int failures = missing.Count;
if (files.Count == 0)
{
    return 1;
}

await using (ReportChecker checker = await ReportChecker.StartAsync(chromium))
{
    foreach (string file in files)
    {
        string? screenshot = screenshots is null ? null : Path.Combine(screenshots, Path.GetFileNameWithoutExtension(file) + ".png");
        Verdict verdict;
        try
        {
            verdict = await checker.CheckAsync(file, screenshot).WaitAsync(reportTimeout);
        }
        catch (TimeoutException)
        {
            verdict = new Verdict(file, 0, 0, 0, 0, [new Finding("timeout", $"the page was not checked within {reportTimeout.TotalSeconds} s")], reportTimeout.TotalSeconds);
        }

        bool passed = selfTest ? Judge(file, verdict) : Print(verdict);
        failures += passed ? 0 : 1;
    }
}

return failures == 0 ? 0 : 1;

static bool Print(Verdict verdict)
{
    string time = verdict.Seconds.ToString("0.00", CultureInfo.InvariantCulture);
    if (verdict.Passed)
    {
        Console.WriteLine($"ok {verdict.File}: {verdict.Summary} ({time} s)");
        return true;
    }

    Console.WriteLine($"FAIL {verdict.File}: {verdict.Findings.Count} fault{(verdict.Findings.Count == 1 ? "" : "s")}; {verdict.Summary} ({time} s)");
    foreach (Finding finding in verdict.Findings)
    {
        Console.WriteLine($"  {finding}");
    }

    return false;
}

// A fixture passes the self-test when its verdict is the one it names: "ok", or exactly that one kind of fault, so
// that a bad page is caught for its own fault and the checks it should pass do not fire on it.
static bool Judge(string file, Verdict verdict)
{
    Match expect = Regex.Match(File.ReadAllText(file), "<meta name=\"tn-self-test-expect\" content=\"([a-z-]+)\">");
    string name = Path.GetFileName(file);
    string time = verdict.Seconds.ToString("0.00", CultureInfo.InvariantCulture);
    if (!expect.Success)
    {
        Console.WriteLine($"FAIL self-test {name}: the page names no verdict in <meta name=\"tn-self-test-expect\" content=\"...\">");
        return false;
    }

    string expected = expect.Groups[1].Value;
    bool asExpected = expected == "ok" ? verdict.Passed : verdict.Kinds.SetEquals([expected]);
    string got = verdict.Passed ? "ok" : string.Join(", ", verdict.Kinds.Order(StringComparer.Ordinal));
    Console.WriteLine(asExpected
        ? $"ok self-test {name}: {(expected == "ok" ? "passed" : $"failed as it must ({expected})")}; {verdict.Summary} ({time} s)"
        : $"FAIL self-test {name}: expected {expected}, got {got}; {verdict.Summary} ({time} s)");
    foreach (Finding finding in verdict.Findings)
    {
        Console.WriteLine($"  {finding}");
    }

    return asExpected;
}

static string? FindOnPath(string name)
    => (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(folder => Path.Combine(folder, name))
        .FirstOrDefault(File.Exists);
