using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;
using TypedNets.Benchmarks;
using TypedNets.Kernels;
using Library = TypedNets.Benchmarks.Library;

// The speed suite: TypedNets and ONNX Runtime measured here by BenchmarkDotNet, PyTorch read from the JSON that
// pytorch_bench.py wrote just before (run both through benchmarks/run.sh), printed as one table.
//
//   TypedNets.Benchmarks [--quick | --full] [--artifacts DIR] [--pytorch FILE] [--passes 2] [--no-epoch] [--only key1,key2] [--verbose]
//   TypedNets.Benchmarks --breakdown      time the phases of each training step and the GEMM shapes inside them
//   TypedNets.Benchmarks --breakdown-resnet   time every kernel of a training step of examples/FashionMnist's ResNet, per layer kind
//   TypedNets.Benchmarks --breakdown-convnet  time every kernel of a training step of examples/FashionMnist's convnet, with % of the FMA peak
//   TypedNets.Benchmarks --breakdown-gpt  time the phases of a training step of the baby GPT (f)
//   TypedNets.Benchmarks --denormals      time instructions, kernels and training steps on subnormal against normal values
//   TypedNets.Benchmarks --spin KEY SECONDS   run one case in a loop, for a sampling profiler
bool full = args.Contains("--full");
bool verbose = args.Contains("--verbose");
Settings.ArtifactsDirectory = Path.GetFullPath(ArgumentAfter("--artifacts") ?? Path.Combine("benchmarks", "artifacts"));
string pytorchFile = ArgumentAfter("--pytorch") ?? Path.Combine(Settings.ArtifactsDirectory, "pytorch.json");
HashSet<string>? only = ArgumentAfter("--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
int passes = int.Parse(ArgumentAfter("--passes") ?? "2", CultureInfo.InvariantCulture);
bool epoch = !args.Contains("--no-epoch");
Directory.CreateDirectory(Settings.ArtifactsDirectory);

// One thread per engine, as PyTorch and ONNX Runtime are held to; only the rows that say so use two.
Threading.Use(1);

if (args.Contains("--breakdown"))
{
    Breakdown.Run(full);
    return 0;
}

if (args.Contains("--breakdown-resnet"))
{
    ResNetBreakdown.Run(full);
    return 0;
}

if (args.Contains("--breakdown-convnet"))
{
    ConvnetBreakdown.Run(full);
    return 0;
}

if (args.Contains("--breakdown-gpt"))
{
    GptBreakdown.Run(full);
    return 0;
}

if (args.Contains("--cores"))
{
    CoreToCore.Run(full);
    return 0;
}

if (args.Contains("--denormals"))
{
    Denormals.Run(full);
    return 0;
}

if (ArgumentAfter("--spin") is string spin)
{
    Breakdown.Spin(spin, double.Parse(args[Array.IndexOf(args, "--spin") + 2], CultureInfo.InvariantCulture));
    return 0;
}

bool onnx = OnnxRuntimeBenchmarks.ModelFiles.All(file => File.Exists(Path.Combine(Settings.ArtifactsDirectory, file)));
if (!onnx)
{
    Console.WriteLine($"ONNX models not found in {Settings.ArtifactsDirectory} (run benchmarks/run.sh, which exports them): ONNX Runtime is skipped.");
}

// Quick: a few short iterations (like BenchmarkDotNet's ShortRun, with 100 ms iterations). Full: more and longer ones.
Job job = Job.Default
    .WithToolchain(InProcessEmitToolchain.Instance)
    .WithLaunchCount(1)
    .WithWarmupCount(full ? 6 : 3)
    .WithIterationCount(full ? 15 : 5)
    .WithIterationTime(TimeInterval.FromMilliseconds(full ? 250 : 100))
    .WithId(full ? "Full" : "Quick");

// An epoch takes seconds: one invocation per iteration.
Job epochJob = Job.Default
    .WithToolchain(InProcessEmitToolchain.Instance)
    .WithStrategy(RunStrategy.Monitoring)
    .WithLaunchCount(1)
    .WithWarmupCount(1)
    .WithIterationCount(full ? 5 : 2)
    .WithId(full ? "FullEpoch" : "QuickEpoch");

// The GPT rows turn times into rates with flops and weight bytes computed here and in gpt_bench.py: both must agree,
// and agree with the declared networks, or the rows would compare different work.
PyTorchResults? pytorch = PyTorchResults.Load(pytorchFile);
List<string> gptProblems = [.. GptFigures.Check(pytorch), .. ConvFigures.Check(pytorch)];
if (gptProblems.Count > 0)
{
    Console.WriteLine("The GPT, convnet or ResNet figures disagree:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", gptProblems));
    return 1;
}

var types = new List<Type>
{
    typeof(PeakBenchmarks), typeof(MemoryBandwidthBenchmarks), typeof(TutorialMlpBenchmarks), typeof(MnistMlpBenchmarks), typeof(TextLstmBenchmarks),
    typeof(GemmBenchmarks), typeof(GptTrainingBenchmarks), typeof(GptGenerationBenchmarks),
};
types.AddRange([typeof(ConvnetBenchmarks), typeof(ResNetBenchmarks)]);
if (onnx)
{
    types.Add(typeof(OnnxRuntimeBenchmarks));
}

if (OnnxRuntimeConvBenchmarks.ModelFiles.All(file => File.Exists(Path.Combine(Settings.ArtifactsDirectory, file))))
{
    types.Add(typeof(OnnxRuntimeConvBenchmarks));
}

var runs = new List<BenchmarkRunInfo>();
foreach (Type type in types)
{
    runs.Add(BenchmarkConverter.TypeToBenchmarks(type, Config(job)));
}

if (epoch)
{
    runs.Add(BenchmarkConverter.TypeToBenchmarks(typeof(EpochBenchmarks), Config(epochJob)));
}

// The convnet's epochs (half a minute each) run once, in the first pass, from a fresh network: no warm-up epoch
// (its first step warms the kernels), one timed epoch in quick mode and three in full mode.
Job convnetEpochJob = epochJob.WithWarmupCount(0).WithIterationCount(full ? 3 : 1).WithId(full ? "FullConvnetEpoch" : "QuickConvnetEpoch");
List<BenchmarkRunInfo> once = epoch ? [BenchmarkConverter.TypeToBenchmarks(typeof(ConvnetEpochBenchmarks), Config(convnetEpochJob))] : [];
runs = Select(runs, c => only is null || only.Contains(CaseOf(c).Key));
once = Select(once, c => only is null || only.Contains(CaseOf(c).Key));

// Two passes over the whole suite, keeping each case's faster pass: BenchmarkDotNet times a case's iterations back to
// back, so a burst of other work on a shared machine can cover all of them; it rarely covers the same case twice.
// The two-thread rows run after the one-thread ones, with both thread knobs at two (the benchmarks run in process).
var results = new Dictionary<(string Key, Library Library), BenchmarkResult>();
for (int pass = 1; pass <= passes; pass++)
{
    Console.WriteLine($"== pass {pass} of {passes}");
    List<BenchmarkRunInfo> inPass = pass == 1 ? [.. runs, .. once] : runs;
    IEnumerable<BenchmarkReport> reports = RunOn(1, Select(inPass, c => CaseOf(c).Threads == 1)).Concat(RunOn(2, Select(inPass, c => CaseOf(c).Threads == 2)));
    foreach (BenchmarkReport report in reports)
    {
        CaseAttribute info = CaseOf(report.BenchmarkCase);
        if (report.ResultStatistics is not { } statistics)
        {
            Console.WriteLine($"{info.Library} {info.Key}: no result (see the BenchmarkDotNet log in {Settings.ArtifactsDirectory}).");
            continue;
        }

        var result = new BenchmarkResult(statistics.Median * 1e-9, statistics.Min * 1e-9);
        results[(info.Key, info.Library)] = results.TryGetValue((info.Key, info.Library), out BenchmarkResult? earlier)
            ? new BenchmarkResult(Math.Min(earlier.Median, result.Median), Math.Min(earlier.Minimum, result.Minimum))
            : result;
    }
}

Console.WriteLine("Counting TypedNets' allocations per call...");
Dictionary<string, double> allocations = Allocations.Measure(results.Keys.Where(k => k.Library == Library.TypedNets).Select(k => k.Key).ToHashSet());
foreach ((string key, double bytes) in ConvnetEpochBenchmarks.AllocatedPerEpoch)
{
    allocations[key] = bytes;
}
if (pytorch is null)
{
    Console.WriteLine($"No PyTorch timings at {pytorchFile} (run benchmarks/run.sh, which writes them first): that column is empty.");
}

var accuracy = new Dictionary<string, double>();
if (results.ContainsKey(("mlp784_epoch", Library.TypedNets)) && EpochBenchmarks.TestAccuracyAfterOneEpoch() is double epochAccuracy)
{
    accuracy["mlp784_epoch"] = epochAccuracy;
}

if (results.ContainsKey(("convnet_epoch", Library.TypedNets)) && ConvnetEpochBenchmarks.TestAccuracyAfterOneEpoch() is double convnetAccuracy)
{
    accuracy["convnet_epoch"] = convnetAccuracy;
}

var threadNotes = new List<string>();
if (pytorch?.TwoThreads is int torchThreads && torchThreads != 2)
{
    threadNotes.Add($"PyTorch could only get {torchThreads} thread(s) for its two-thread rows.");
}

if (ConvnetEpochBenchmarks.SameWeightsOnTwoThreads() is bool same)
{
    threadNotes.Add(same
        ? "The convnet's first epoch ended with the same weights, bit for bit, on one thread and on two."
        : "The convnet's first epoch ended with different weights on one thread and on two.");
}

string table = Report.Table(results, allocations, accuracy, pytorch, full, threadNotes);
Console.WriteLine();
Console.WriteLine(table);
string tablePath = Path.Combine(Settings.ArtifactsDirectory, "table.md");
File.WriteAllText(tablePath, table);
Console.WriteLine($"(written to {tablePath}; BenchmarkDotNet's reports are in {Path.Combine(Settings.ArtifactsDirectory, "BenchmarkDotNet")})");
return results.Count == runs.Concat(once).Sum(run => run.BenchmarksCases.Length) ? 0 : 1;

List<BenchmarkRunInfo> Select(List<BenchmarkRunInfo> from, Func<BenchmarkDotNet.Running.BenchmarkCase, bool> keep)
    => [.. from.Select(run => new BenchmarkRunInfo([.. run.BenchmarksCases.Where(keep)], run.Type, run.Config)).Where(run => run.BenchmarksCases.Length > 0)];

static List<BenchmarkReport> RunOn(int threads, List<BenchmarkRunInfo> selected)
{
    if (selected.Count == 0)
    {
        return [];
    }

    Threading.Use(threads);
    try
    {
        return [.. BenchmarkRunner.Run([.. selected]).SelectMany(summary => summary.Reports)];
    }
    finally
    {
        Threading.Use(1);
    }
}

IConfig Config(Job chosen)
{
    ManualConfig config = ManualConfig.CreateEmpty()
        .AddJob(chosen)
        .AddColumnProvider(DefaultColumnProviders.Instance)
        .AddExporter(MarkdownExporter.GitHub)
        .AddLogger(verbose ? ConsoleLogger.Default : new ProgressLogger())
        .WithArtifactsPath(Path.Combine(Settings.ArtifactsDirectory, "BenchmarkDotNet"))
        .WithSummaryStyle(SummaryStyle.Default.WithCultureInfo(CultureInfo.InvariantCulture));
    return config;
}

static CaseAttribute CaseOf(BenchmarkDotNet.Running.BenchmarkCase benchmark)
    => benchmark.Descriptor.WorkloadMethod.GetCustomAttributes(typeof(CaseAttribute), false).Cast<CaseAttribute>().Single();

string? ArgumentAfter(string name)
{
    int position = Array.IndexOf(args, name);
    return position >= 0 && position + 1 < args.Length ? args[position + 1] : null;
}

/// <summary>One benchmark's median and fastest iteration, as seconds per operation (the lower of the passes).</summary>
internal sealed record BenchmarkResult(double Median, double Minimum);

/// <summary>Shows which benchmark is running and any error, instead of BenchmarkDotNet's full log (<c>--verbose</c>).</summary>
internal sealed class ProgressLogger : ILogger
{
    public string Id => nameof(ProgressLogger);

    public int Priority => 0;

    public void Write(LogKind logKind, string text)
    {
    }

    public void WriteLine()
    {
    }

    public void WriteLine(LogKind logKind, string text)
    {
        if (logKind == LogKind.Error || text.StartsWith("// Benchmark: ", StringComparison.Ordinal))
        {
            Console.WriteLine(text);
        }
    }

    public void Flush() => Console.Out.Flush();
}
