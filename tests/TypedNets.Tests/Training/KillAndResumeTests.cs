using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using TypedNets.Training;
using Xunit.Abstractions;

namespace TypedNets.Tests.Training;

/// <summary>
/// A training process killed with SIGKILL at random moments (mid-epoch, and sometimes mid-save) and started again
/// resumes from its last checkpoint and ends with weights and history bit-identical to a run that was never killed.
/// The child is tests/Tools/TrainUntilKilled, a separate program this project builds but does not reference.
/// </summary>
public sealed class KillAndResumeTests(ITestOutputHelper output) : IDisposable
{
    private const int Epochs = 8;

    // Bounds on waiting for the child, generous for a loaded two-core machine: they only turn a hang into a failure.
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(4);

    private readonly string _directory = Directory.CreateTempSubdirectory("typednets-kill-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_run_killed_at_random_moments_ends_bit_identical_to_one_never_killed()
    {
        string referenceWeights = Path.Combine(_directory, "reference.safetensors");
        (int exitCode, string log) = await RunChild(Path.Combine(_directory, "reference.checkpoint.safetensors"), referenceWeights, killAfter: null);
        Assert.True(exitCode == 0, $"The uninterrupted run failed with exit code {exitCode}:\n{log}");

        string checkpoint = Path.Combine(_directory, "killed.checkpoint.safetensors");
        string weights = Path.Combine(_directory, "killed.safetensors");
        int seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"kill moments drawn with seed {seed}");
        int kills = 0;
        int resumes = 0;
        for (int attempt = 0; ; attempt++)
        {
            Assert.True(attempt < 30, "The killed run did not finish in 30 starts.");

            // At least three kills, and more until one has left a checkpoint to resume from; each at a random moment of
            // what is left: after a random number of the remaining epochs, and a random part of the next (or, after
            // the last, of writing the final weights).
            int done = File.Exists(checkpoint) ? Checkpoint.ReadProgress(checkpoint)!.Epoch : 0;
            Kill? kill = kills < 3 || resumes == 0 ? new Kill(random.Next(0, Epochs - done), random.NextDouble()) : null;
            (exitCode, log) = await RunChild(checkpoint, weights, kill);
            resumes += log.Contains("resumed", StringComparison.Ordinal) ? 1 : 0;
            if (exitCode == 0 && resumes == 0)
            {
                // The run finished before a kill came (a slow epoch stretched the delay) or without ever resuming:
                // start again from nothing, so that the run that counts is killed and resumed.
                output.WriteLine($"finished without a resume ({log.Replace('\n', ' ')}); starting over");
                File.Delete(checkpoint);
                File.Delete(weights);
                kills = 0;
                continue;
            }

            if (exitCode == 0)
            {
                break;
            }

            Assert.True(kill is not null, $"The run failed with exit code {exitCode} without being killed:\n{log}");
            kills++;
            output.WriteLine($"killed after {kill.Epochs} epochs and {kill.Fraction:P0} of the next ({log.Replace('\n', ' ')})");

            // The last checkpoint survives any kill whole, even one during its replacement.
            if (File.Exists(checkpoint))
            {
                Assert.NotNull(Checkpoint.ReadProgress(checkpoint));
            }
        }

        Assert.True(kills >= 1 && resumes >= 1, $"{kills} kills and {resumes} resumes: the test did not exercise a resume.");
        Assert.Equal(File.ReadAllBytes(referenceWeights), File.ReadAllBytes(weights));
        Assert.Equal(File.ReadAllText(referenceWeights + ".history"), File.ReadAllText(weights + ".history"));
    }

    /// <summary>Runs the child; with <paramref name="killAfter"/>, kills it at that moment. Returns the exit code and what it printed.</summary>
    private static async Task<(int ExitCode, string Log)> RunChild(string checkpoint, string weights, Kill? killAfter)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ChildPath());
        start.ArgumentList.Add(checkpoint);
        start.ArgumentList.Add(weights);

        using var process = Process.Start(start) ?? throw new InvalidOperationException("The child process did not start.");
        using var limit = new CancellationTokenSource(RunLimit);
        Task<string> errors = process.StandardError.ReadToEndAsync(limit.Token);
        var log = new System.Text.StringBuilder();
        try
        {
            int epochs = -1;
            var clock = Stopwatch.StartNew();
            TimeSpan lastLine = TimeSpan.Zero, epochTime = TimeSpan.Zero;
            while (await process.StandardOutput.ReadLineAsync(limit.Token) is string line)
            {
                log.Append(line).Append('\n');
                if (line == "started" || line.StartsWith("resumed", StringComparison.Ordinal) || line.StartsWith("epoch", StringComparison.Ordinal))
                {
                    epochs++;
                    epochTime = epochs > 0 ? clock.Elapsed - lastLine : epochTime;
                    lastLine = clock.Elapsed;
                }

                if (killAfter is not null && epochs >= killAfter.Epochs)
                {
                    // A random part of one epoch's time (as the last one took, or 200 ms before any finished).
                    TimeSpan span = epochTime > TimeSpan.Zero ? epochTime : TimeSpan.FromMilliseconds(200);
                    await Task.Delay(span * killAfter.Fraction, limit.Token);
                    try
                    {
                        // SIGKILL on Linux and macOS, TerminateProcess on Windows: no handler, no flush, no finally.
                        process.Kill();
                    }
                    catch (InvalidOperationException)
                    {
                        // It finished first.
                    }

                    break;
                }
            }

            await process.WaitForExitAsync(limit.Token);
            log.Append(await errors);
            return (process.ExitCode, log.ToString());
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The child did not finish within {RunLimit}:\n{log}");
        }
    }

    /// <summary>The dotnet executable running this test (the test host runs under it), else the one the SDK names, else the one on the path.</summary>
    private static string DotnetHost()
    {
        string? current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return current;
        }

        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
    }

    /// <summary>
    /// tests/Tools/TrainUntilKilled's assembly, built by this project's build (a reference that does not reference its
    /// output) into the same configuration and framework folders as this one.
    /// </summary>
    private static string ChildPath()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = here.Name;
        string configuration = here.Parent!.Name;
        DirectoryInfo tests = here.Parent.Parent!.Parent!.Parent!;
        string path = Path.Combine(tests.FullName, "Tools", "TrainUntilKilled", "bin", configuration, framework, "TrainUntilKilled.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"The child program is not built at {path}; build tests/TypedNets.Tests, which builds it.", path);
    }

    /// <summary>When to kill: once <paramref name="Epochs"/> epochs have finished (0: once training starts), after <paramref name="Fraction"/> of an epoch's time.</summary>
    private sealed record Kill(int Epochs, double Fraction);
}
