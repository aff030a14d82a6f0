using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

namespace TypedNets.Benchmarks;

/// <summary>The PyTorch timings <c>pytorch_bench.py</c> wrote: per case the median and best time of one call, in seconds.</summary>
internal sealed class PyTorchResults
{
    public required IReadOnlyDictionary<string, (double Median, double Best)> Cases { get; init; }

    public required string Description { get; init; }

    /// <summary>
    /// What <c>gpt_bench.py</c> computed for each GPT case: <c>parameters</c>, <c>flops</c> (training), <c>tokens</c> and
    /// <c>weight_bytes_per_token</c> (generation); <see cref="GptFigures.Check"/> holds the suite's own figures to them.
    /// </summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Gpt { get; init; }

    /// <summary>Test accuracies by case, where the case has one (the epochs of (e) and (h) on Fashion-MNIST).</summary>
    public required IReadOnlyDictionary<string, double> Accuracy { get; init; }

    /// <summary>
    /// The convnet's and the ResNet's <c>parameters</c>, <c>forward_flops</c> and <c>training_flops</c> per sample, as
    /// <c>pytorch_bench.py</c> counted them; <see cref="ConvFigures.Check"/> holds the suite's own to them.
    /// </summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Figures { get; init; }

    /// <summary>The threads PyTorch's two-thread rows ran on (2 unless it could not get them); null without such rows.</summary>
    public int? TwoThreads { get; init; }

    public static PyTorchResults? Load(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement root = document.RootElement;
        var cases = new Dictionary<string, (double, double)>();
        foreach (JsonProperty entry in root.GetProperty("cases").EnumerateObject())
        {
            cases[entry.Name] = (entry.Value.GetProperty("median_s").GetDouble(), entry.Value.GetProperty("best_s").GetDouble());
        }

        var accuracy = new Dictionary<string, double>();
        if (root.TryGetProperty("accuracy", out JsonElement accuracies))
        {
            foreach (JsonProperty entry in accuracies.EnumerateObject())
            {
                accuracy[entry.Name] = entry.Value.GetDouble();
            }
        }

        IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> gpt = Sections(root, "gpt"), figures = Sections(root, "figures");

        JsonElement meta = root.GetProperty("meta");
        string description = string.Create(CultureInfo.InvariantCulture,
            $"PyTorch {meta.GetProperty("torch").GetString()} (OpenBLAS core {meta.GetProperty("blas_core").GetString()}, {meta.GetProperty("threads").GetInt32()} thread, eager mode)");
        int? twoThreads = meta.TryGetProperty("two_threads", out JsonElement two) && two.ValueKind == JsonValueKind.Number ? two.GetInt32() : null;
        return new PyTorchResults { Cases = cases, Description = description, Accuracy = accuracy, Gpt = gpt, Figures = figures, TwoThreads = twoThreads };
    }

    /// <summary>A section of named cases, each a set of named numbers: empty when the file has no such section.</summary>
    private static Dictionary<string, IReadOnlyDictionary<string, double>> Sections(JsonElement root, string name)
    {
        var sections = new Dictionary<string, IReadOnlyDictionary<string, double>>();
        if (root.TryGetProperty(name, out JsonElement entries))
        {
            foreach (JsonProperty entry in entries.EnumerateObject())
            {
                sections[entry.Name] = entry.Value.EnumerateObject().ToDictionary(figure => figure.Name, figure => figure.Value.GetDouble());
            }
        }

        return sections;
    }
}

/// <summary>Builds the table: one row per case, times as medians, ratios as TypedNets' time over the peer's.</summary>
internal static class Report
{
    public static string Table(
        IReadOnlyDictionary<(string Key, Library Library), BenchmarkResult> results, IReadOnlyDictionary<string, double> allocations,
        IReadOnlyDictionary<string, double> accuracy, PyTorchResults? pytorch, bool full, IReadOnlyList<string> threadNotes)
    {
        CultureInfo invariant = CultureInfo.InvariantCulture;
        // The peak is a ceiling: its fastest iteration, since noise from other work on the machine only ever slows it down.
        double? peakFlops = results.TryGetValue(("fma_peak", Library.TypedNets), out BenchmarkResult? peak) ? PeakBenchmarks.FlopsPerInvoke / peak.Minimum : null;
        var text = new StringBuilder();
        text.AppendLine(string.Create(invariant,
            $"{DateTime.UtcNow:yyyy-MM-dd}, {(full ? "full" : "quick")} mode, {CpuName()}, {Environment.ProcessorCount} cores, one thread per engine; " +
            $".NET {Environment.Version}, ONNX Runtime {OnnxRuntimeVersion()}, {pytorch?.Description ?? "PyTorch: not run"}."));
        text.AppendLine("Times per call, best of the timed loops (timeit's advice on a shared machine: other work only ever adds time; "
            + "medians are in BenchmarkDotNet's reports and pytorch.json). A ratio is TypedNets' time over the peer's (above 1: TypedNets is slower). "
            + "% of peak: matrix-product flops per second over the FMA peak row. Allocations: bytes per call on the calling thread.");
        text.AppendLine();
        text.AppendLine("| case | TypedNets | ONNX Runtime | PyTorch | TN / ORT | TN / PyTorch | % peak TN | % peak PyTorch | TN alloc/call |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (CaseInfo info in Cases.All)
        {
            results.TryGetValue((info.Key, Library.TypedNets), out BenchmarkResult? typedNets);
            results.TryGetValue((info.Key, Library.OnnxRuntime), out BenchmarkResult? onnx);
            double? torch = pytorch?.Cases.TryGetValue(info.Key, out var timing) == true ? timing.Best : null;
            if (info.Key == "fma_peak")
            {
                string gflops = peakFlops is double value ? string.Create(invariant, $"{value / 1e9:F0} GFLOP/s") : "—";
                text.AppendLine($"| {info.Label} | {gflops} | — | — | | | 100% | | |");
                continue;
            }

            if (info.Key == "fma_peak_256")
            {
                if (typedNets is not null)
                {
                    double gflops = PeakBenchmarks.FlopsPerInvoke256 / typedNets.Minimum;
                    text.AppendLine(string.Create(invariant, $"| {info.Label} | {gflops / 1e9:F0} GFLOP/s | — | — | | | {Percent(gflops, peakFlops)} | | |"));
                }

                continue;
            }

            if (info.Key == "memory_bandwidth")
            {
                if (Bandwidth(results) is double bandwidth)
                {
                    text.AppendLine(string.Create(invariant, $"| {info.Label} | {bandwidth / 1e9:F1} GB/s | — | — | | | | | |"));
                }

                continue;
            }

            if ((typedNets is null && onnx is null && torch is null) || Cases.IsTwoThreadTraining(info.Key))
            {
                continue;
            }

            string label = info.Label;
            if (accuracy.TryGetValue(info.Key, out double ours))
            {
                string theirs = pytorch?.Accuracy.TryGetValue(info.Key, out double value) == true ? value.ToString("F4", invariant) : "—";
                label += string.Create(invariant, $" (Fashion-MNIST; test accuracy after the epoch: TypedNets {ours:F4}, PyTorch {theirs})");
            }

            text.AppendLine(string.Join(" | ",
                "| " + label,
                Time(typedNets?.Minimum),
                Time(onnx?.Minimum),
                Time(torch),
                Ratio(typedNets?.Minimum, onnx?.Minimum),
                Ratio(typedNets?.Minimum, torch),
                Percent(info.Flops, typedNets?.Minimum, peakFlops),
                Percent(info.Flops, torch, peakFlops),
                Bytes(allocations.TryGetValue(info.Key, out double bytes) ? bytes : null)) + " |");
        }

        ThreadTable(text, results, allocations, pytorch, peakFlops, threadNotes);
        GptTables(text, results, pytorch, peakFlops);
        return text.ToString();
    }

    /// <summary>
    /// The training rows on one thread and on two: each engine's speed-up (its one-thread time over its two-thread
    /// time; above 1: two threads are faster), TypedNets over PyTorch at both, and what the two-thread step allocates
    /// on all threads together.
    /// </summary>
    private static void ThreadTable(
        StringBuilder text, IReadOnlyDictionary<(string Key, Library Library), BenchmarkResult> results, IReadOnlyDictionary<string, double> allocations,
        PyTorchResults? pytorch, double? peakFlops, IReadOnlyList<string> notes)
    {
        double? TypedNetsTime(string key) => results.TryGetValue((key, Library.TypedNets), out BenchmarkResult? r) ? r.Minimum : null;
        double? TorchTime(string key) => pytorch?.Cases.TryGetValue(key, out var timing) == true ? timing.Best : null;
        string[] keys = [.. Cases.ThreadedTraining.Where(key => TypedNetsTime(key + Cases.TwoThreads) is not null || TorchTime(key + Cases.TwoThreads) is not null)];
        if (keys.Length == 0)
        {
            return;
        }

        text.AppendLine();
        text.AppendLine("Training on one and on two threads: TypedNets with Gemm.MaxThreads and Trainer.Threads at 1 and at 2, PyTorch with "
            + "torch.set_num_threads and OpenBLAS' threads at 1 and at 2. Speed-up: the one-thread time over the two-thread time. "
            + "% peak at two threads is of the one-core peak (200% is both cores at it).");
        text.AppendLine();
        text.AppendLine("| training case | TN 1 thread | TN 2 threads | TN speed-up | PyTorch 1 thread | PyTorch 2 threads | PyTorch speed-up | TN / PyTorch, 1 thread | TN / PyTorch, 2 threads | % peak TN, 2 threads | TN alloc/call, 2 threads (all threads) |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (string key in keys)
        {
            CaseInfo info = Cases.All.Single(row => row.Key == key);
            string two = key + Cases.TwoThreads;
            double? ours1 = TypedNetsTime(key), ours2 = TypedNetsTime(two), theirs1 = TorchTime(key), theirs2 = TorchTime(two);
            text.AppendLine(string.Join(" | ",
                "| " + info.Label, Time(ours1), Time(ours2), Ratio(ours1, ours2), Time(theirs1), Time(theirs2), Ratio(theirs1, theirs2),
                Ratio(ours1, theirs1), Ratio(ours2, theirs2), Percent(info.Flops, ours2, peakFlops),
                Bytes(allocations.TryGetValue(two, out double bytes) ? bytes : null)) + " |");
        }

        foreach (string note in notes)
        {
            text.AppendLine();
            text.AppendLine(note);
        }
    }

    /// <summary>The fastest pass over 512 MiB, in bytes per second: the ceiling of a single-core stream.</summary>
    private static double? Bandwidth(IReadOnlyDictionary<(string Key, Library Library), BenchmarkResult> results)
        => results.TryGetValue(("memory_bandwidth", Library.TypedNets), out BenchmarkResult? read)
            ? MemoryBandwidthBenchmarks.Floats * (double)sizeof(float) / read.Minimum
            : null;

    /// <summary>
    /// The GPT rows as rates: the training step in GFLOP/s against the FMA peak, generation in tokens per second against
    /// the memory floor (the weight bytes a token must read, at the measured single-core bandwidth). Speed-ups are the
    /// peer's time over TypedNets' (above 1: TypedNets is faster), the other way round from the main table's ratios.
    /// </summary>
    private static void GptTables(
        StringBuilder text, IReadOnlyDictionary<(string Key, Library Library), BenchmarkResult> results, PyTorchResults? pytorch, double? peakFlops)
    {
        CultureInfo invariant = CultureInfo.InvariantCulture;
        // The two-thread run of (f) is in the table of thread counts.
        CaseInfo[] training = [.. Cases.All.Where(info => info.Key.StartsWith("gpt", StringComparison.Ordinal) && info.Tokens is null && !Cases.IsTwoThreadTraining(info.Key))];
        CaseInfo[] generation = [.. Cases.All.Where(info => info.Tokens is not null)];
        double? TypedNetsTime(CaseInfo info) => results.TryGetValue((info.Key, Library.TypedNets), out BenchmarkResult? r) ? r.Minimum : null;
        double? TorchTime(CaseInfo info) => pytorch?.Cases.TryGetValue(info.Key, out var timing) == true ? timing.Best : null;
        if (!training.Concat(generation).Any(info => TypedNetsTime(info) is not null || TorchTime(info) is not null))
        {
            return;
        }

        text.AppendLine();
        text.AppendLine("GPT training: matrix-product flops per step (formula in Gpt.Shape.TrainingFlops and gpt_bench.py), one thread.");
        text.AppendLine();
        text.AppendLine("| case | TypedNets | PyTorch | speed-up over PyTorch | GFLOP/s TN | GFLOP/s PyTorch | % peak TN | % peak PyTorch |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (CaseInfo info in training)
        {
            double? ours = TypedNetsTime(info), theirs = TorchTime(info);
            double? oursRate = ours is double o ? info.Flops / o : null, theirsRate = theirs is double t ? info.Flops / t : null;
            text.AppendLine(string.Join(" | ",
                "| " + info.Label, Time(ours), Time(theirs), Ratio(theirs, ours), Gflops(oursRate), Gflops(theirsRate),
                Percent(oursRate, peakFlops), Percent(theirsRate, peakFlops)) + " |");
        }

        double? bandwidth = Bandwidth(results);
        text.AppendLine();
        text.AppendLine(string.Create(invariant,
            $"GPT generation: tokens per second from a one-token prompt, batch 1, one thread; memory floor = bandwidth ({(bandwidth is double b ? (b / 1e9).ToString("F1", invariant) + " GB/s" : "not measured")}) over the float32 weight bytes each token must read."));
        text.AppendLine();
        text.AppendLine("| case | weights read per token | tokens/s TN | tokens/s PyTorch | speed-up over PyTorch | memory floor (tokens/s) | % floor TN | % floor PyTorch |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (CaseInfo info in generation)
        {
            double? ours = TypedNetsTime(info), theirs = TorchTime(info);
            double? oursRate = info.Tokens / ours, theirsRate = info.Tokens / theirs;
            double? floor = bandwidth / info.WeightBytesPerToken;
            text.AppendLine(string.Join(" | ",
                "| " + info.Label, string.Create(invariant, $"{info.WeightBytesPerToken / 1048576.0:F1} MiB"), Rate(oursRate), Rate(theirsRate),
                Ratio(theirs, ours), Rate(floor), Percent(oursRate, floor), Percent(theirsRate, floor)) + " |");
        }
    }

    private static string Gflops(double? flopsPerSecond)
        => flopsPerSecond is double f ? (f / 1e9).ToString(f >= 1e10 ? "F0" : "F1", CultureInfo.InvariantCulture) : "—";

    private static string Rate(double? perSecond)
        => perSecond is double r ? r.ToString(r >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture) : "—";

    private static string Percent(double? rate, double? ceiling)
    {
        if (rate is not double r || ceiling is not double c)
        {
            return "";
        }

        double percent = 100 * r / c;
        return percent.ToString(percent >= 10 ? "F0" : "F1", CultureInfo.InvariantCulture) + "%";
    }

    public static string Time(double? seconds)
    {
        if (seconds is not double s)
        {
            return "—";
        }

        (double value, string unit) = s switch
        {
            < 1e-6 => (s * 1e9, "ns"),
            < 1e-3 => (s * 1e6, "µs"),
            < 1 => (s * 1e3, "ms"),
            _ => (s, "s"),
        };
        string format = value >= 100 ? "F0" : value >= 10 ? "F1" : "F2";
        return value.ToString(format, CultureInfo.InvariantCulture) + " " + unit;
    }

    private static string Ratio(double? numerator, double? denominator)
        => numerator is double n && denominator is double d && d > 0
            ? (n / d).ToString(n / d >= 10 ? "F1" : "F2", CultureInfo.InvariantCulture) + "x"
            : "—";

    private static string Percent(double? flops, double? seconds, double? peakFlops)
    {
        if (flops is not double f || seconds is not double s || peakFlops is not double p)
        {
            return "";
        }

        double percent = 100 * f / s / p;
        return percent.ToString(percent >= 10 ? "F0" : "F1", CultureInfo.InvariantCulture) + "%";
    }

    private static string Bytes(double? bytes) => bytes switch
    {
        null => "—",
        < 1024 => bytes.Value.ToString("F0", CultureInfo.InvariantCulture) + " B",
        _ => (bytes.Value / 1024.0).ToString("F0", CultureInfo.InvariantCulture) + " KiB",
    };

    private static string CpuName()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown CPU" : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }

    private static string OnnxRuntimeVersion()
    {
        try
        {
            return OrtEnv.Instance().GetVersionString();
        }
        catch (Exception exception) when (exception is TypeInitializationException or DllNotFoundException or OnnxRuntimeException)
        {
            return "not loaded";
        }
    }
}
