using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace Compression;

/// <summary>
/// Runs reference/pytorch/compression_pytorch.py with Debian's PyTorch on the MLP this program trained, and turns its
/// JSON into rows: PyTorch's float model and its <c>quantize_dynamic</c> int8 model, timed on one thread as here.
/// </summary>
internal static class PyTorchSide
{
    private const string Python = "/usr/bin/python3";

    /// <summary>The rows, or none (with the reason printed) when Python, PyTorch or the script is missing or fails.</summary>
    /// <param name="repositoryRoot">Where reference/ and benchmarks/ are.</param>
    /// <param name="weightsFile">The float MLP's safetensors file.</param>
    /// <param name="dataDirectory">data/fashion-mnist.</param>
    /// <param name="outputFile">Where the script writes its JSON.</param>
    /// <param name="testRows">How many test images the C# side scored (the first ones).</param>
    /// <param name="roundSeconds">The length of one timing round, as the C# side's.</param>
    /// <param name="rounds">The timing rounds, as the C# side's.</param>
    /// <param name="engine">The quantized engine PyTorch used, when it ran.</param>
    public static IReadOnlyList<Row> Measure(
        string repositoryRoot, string weightsFile, string dataDirectory, string outputFile, int testRows, double roundSeconds, int rounds, out string? engine)
    {
        engine = null;
        string script = Path.Combine(repositoryRoot, "reference", "pytorch", "compression_pytorch.py");
        if (!File.Exists(Python))
        {
            Console.WriteLine($"PyTorch rows skipped: {Python} is not there (Debian: apt-get install python3-torch libopenblas0-pthread).");
            return [];
        }

        if (!File.Exists(script))
        {
            Console.WriteLine($"PyTorch rows skipped: {script} is not there; run from a clone of the repository.");
            return [];
        }

        if (Run(["-c", "import torch"], repositoryRoot, keepBlasCore: true, echo: false) != 0)
        {
            Console.WriteLine($"PyTorch rows skipped: {Python} cannot import torch (Debian: apt-get install python3-torch libopenblas0-pthread).");
            return [];
        }

        // Some machines set OPENBLAS_CORETYPE because old OpenBLAS builds misbehave on their processor; it also slows
        // OpenBLAS down. As benchmarks/run.sh does, PyTorch runs without it when OpenBLAS' own choice multiplies correctly.
        bool coreForced = Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") is not null || Environment.GetEnvironmentVariable("OPENBLAS_L2_SIZE") is not null;
        bool dropForcedCore = coreForced
            && Run([Path.Combine(repositoryRoot, "benchmarks", "pytorch_bench.py"), "--check-blas"], repositoryRoot, keepBlasCore: false, echo: false) == 0;
        File.Delete(outputFile);
        int exitCode = Run(
            [
                script, "--weights", weightsFile, "--output", outputFile, "--data", dataDirectory,
                "--test-rows", testRows.ToString(CultureInfo.InvariantCulture),
                "--round-seconds", roundSeconds.ToString(CultureInfo.InvariantCulture), "--rounds", rounds.ToString(CultureInfo.InvariantCulture),
            ],
            repositoryRoot, keepBlasCore: !dropForcedCore, echo: true);
        if (exitCode != 0 || !File.Exists(outputFile))
        {
            Console.WriteLine($"PyTorch rows skipped: compression_pytorch.py failed (exit code {exitCode}).");
            return [];
        }

        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(outputFile));
        JsonElement root = document.RootElement;
        engine = root.GetProperty("engine").GetString();
        string version = root.GetProperty("torch").GetString() ?? "?";
        string quantizedEngine = engine ?? "?";
        return [.. root.GetProperty("rows").EnumerateArray().Select(row => new Row(
            "MLP 784-256-128-10",
            row.GetProperty("variant").GetString()!,
            row.GetProperty("accuracy").GetDouble(),
            row.GetProperty("bytes").GetInt64(),
            row.GetProperty("batch1_us").GetDouble(),
            row.GetProperty("batch256_ms").GetDouble(),
            $"torch {version}, one thread; {(row.GetProperty("variant").GetString()!.Contains("int8", StringComparison.Ordinal) ? $"engine {quantizedEngine}; " : "")}bytes: {row.GetProperty("bytes_counted").GetString()}"))];
    }

    private static int Run(IReadOnlyList<string> arguments, string workingDirectory, bool keepBlasCore, bool echo)
    {
        var start = new ProcessStartInfo(Python)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = !echo,
            RedirectStandardError = !echo,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["OMP_NUM_THREADS"] = "1";
        start.Environment["OPENBLAS_NUM_THREADS"] = "1";
        start.Environment["MKL_NUM_THREADS"] = "1";
        if (!keepBlasCore)
        {
            start.Environment.Remove("OPENBLAS_CORETYPE");
            start.Environment.Remove("OPENBLAS_L2_SIZE");
        }

        try
        {
            using Process process = Process.Start(start)!;
            if (!echo)
            {
                // Read both streams to the end so that a chatty child cannot fill a pipe and stall.
                var error = process.StandardError.ReadToEndAsync();
                process.StandardOutput.ReadToEnd();
                error.Wait();
            }

            process.WaitForExit();
            return process.ExitCode;
        }
        catch (Win32Exception exception)
        {
            Console.WriteLine($"{Python} could not be started: {exception.Message}");
            return -1;
        }
    }
}
