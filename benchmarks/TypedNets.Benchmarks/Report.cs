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

    /// <summary>Test accuracies by case, where the case has one (the epoch of (e) on Fashion-MNIST).</summary>
    public required IReadOnlyDictionary<string, double> Accuracy { get; init; }

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

        JsonElement meta = root.GetProperty("meta");
        string description = string.Create(CultureInfo.InvariantCulture,
            $"PyTorch {meta.GetProperty("torch").GetString()} (OpenBLAS core {meta.GetProperty("blas_core").GetString()}, {meta.GetProperty("threads").GetInt32()} thread, eager mode)");
        return new PyTorchResults { Cases = cases, Description = description, Accuracy = accuracy };
    }
}

/// <summary>Builds the table: one row per case, times as medians, ratios as TypedNets' time over the peer's.</summary>
internal static class Report
{
    public static string Table(
        IReadOnlyDictionary<(string Key, Library Library), BenchmarkResult> results, IReadOnlyDictionary<string, double> allocations,
        IReadOnlyDictionary<string, double> accuracy, PyTorchResults? pytorch, bool full)
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

            if (typedNets is null && onnx is null && torch is null)
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

        return text.ToString();
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
