using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;
using TypedNets.Tools.SaveLoop;
using Xunit.Abstractions;

namespace TypedNets.Tests.Serialization;

/// <summary>
/// What a save killed part-way leaves behind, and that the next save to the same place cleans it up without ever
/// touching the temporary file of a save that is still running. The killed saves run in a child process
/// (tests/Tools/SaveLoop) that is stopped with SIGKILL, as <c>kill -9</c> would.
/// </summary>
public sealed class InterruptedSaveTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromMinutes(2);

    private readonly string _directory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "typednets-interrupted-" + Guid.NewGuid().ToString("N"))).FullName;

    private string Target => Path.Combine(_directory, "model.safetensors");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_save_killed_mid_write_leaves_the_old_file_and_the_next_save_removes_its_temporary_file()
    {
        SafeTensors.Save(new SaveLoopNetwork(maxBatch: 1, seed: 7), Target);
        byte[] previous = File.ReadAllBytes(Target);

        using (Child child = Child.Start("pause", Target, "1"))
        {
            child.WaitFor("paused");
            child.Kill();
        }

        // The kill left the old file whole and one temporary file of half the new one.
        Assert.Equal(previous, File.ReadAllBytes(Target));
        string leftover = Assert.Single(Temporaries());
        Assert.StartsWith(".model.safetensors.", Path.GetFileName(leftover), StringComparison.Ordinal);

        // The next save to the same path removes it.
        var next = new SaveLoopNetwork(maxBatch: 1, seed: 8);
        SafeTensors.Save(next, Target);
        Assert.Empty(Temporaries());
        Assert.Equal([Target], Directory.GetFiles(_directory));
        var loaded = new SaveLoopNetwork(maxBatch: 1, seed: 9);
        SafeTensors.Load(loaded, Target);
        Assert.True(SafeTensorsTesting.SameBits(next.Parameters, loaded.Parameters));
    }

    [Fact]
    public void Saves_killed_at_random_moments_never_corrupt_the_file_and_leave_no_temporary_file_after_the_next_save()
    {
        INetwork[] sets = [new SaveLoopNetwork(maxBatch: 1, seed: 1), new SaveLoopNetwork(maxBatch: 1, seed: 2)];
        var random = new Xoshiro256(2026);
        int leftovers = 0;
        for (int round = 0; round < 6; round++)
        {
            using (Child child = Child.Start("loop", Target))
            {
                // A few complete saves, then a kill at a moment that varies from round to round.
                child.WaitFor($"saved {2 + random.NextInt(3)}");
                Thread.Sleep(random.NextInt(40));
                child.Kill();
            }

            var loaded = new SaveLoopNetwork(maxBatch: 1, seed: 99);
            SafeTensors.Load(loaded, Target);
            Assert.True(
                sets.Any(set => SafeTensorsTesting.SameBits(set.Parameters, loaded.Parameters)),
                $"round {round}: the file holds neither weight set");
            leftovers += Temporaries().Length;

            SafeTensors.Save(sets[round % 2], Target);
            Assert.Empty(Temporaries());
        }

        // Not asserted (the kill may land between two saves), but shown: how often a kill left a temporary file.
        output.WriteLine($"{leftovers} of 6 kills left a temporary file");
    }

    [Fact]
    public void A_save_does_not_remove_the_temporary_file_of_a_save_running_in_another_process()
    {
        using Child child = Child.Start("pause", Target, "1");
        child.WaitFor("paused");
        string running = Assert.Single(Temporaries());

        // Another save to the same path while the child is half-way through its own.
        SafeTensors.Save(new SaveLoopNetwork(maxBatch: 1, seed: 2), Target);
        Assert.Equal([running], Temporaries());

        // The child finishes its save: its file replaces ours, whole.
        child.Send("");
        child.WaitFor("saved");
        Assert.Equal(0, child.WaitForExit());
        var loaded = new SaveLoopNetwork(maxBatch: 1, seed: 9);
        SafeTensors.Load(loaded, Target);
        Assert.True(SafeTensorsTesting.SameBits(new SaveLoopNetwork(maxBatch: 1, seed: 1).Parameters, loaded.Parameters));
        Assert.Equal([Target], Directory.GetFiles(_directory));
    }

    [Fact]
    public async Task A_save_does_not_remove_the_temporary_file_of_a_save_running_in_another_thread()
    {
        INetwork first = SafeTensorsTests.Trained(nameof(TinyMlp), 1);
        INetwork second = SafeTensorsTests.Trained(nameof(TinyMlp), 2);
        byte[] firstFile = SafeTensorsTesting.SaveToBytes(first);
        using var paused = new ManualResetEventSlim();
        using var resume = new ManualResetEventSlim();
        Task running = Task.Run(() => AtomicFile.Write(Target, stream =>
        {
            stream.Write(firstFile.AsSpan(0, firstFile.Length / 2));
            stream.Flush();
            paused.Set();
            Assert.True(resume.Wait(ChildTimeout), "the test never resumed the paused save");
            stream.Write(firstFile.AsSpan(firstFile.Length / 2));
        }));
        Assert.True(paused.Wait(ChildTimeout), "the paused save never started");
        string held = Assert.Single(Temporaries());

        SafeTensors.Save(second, Target);
        Assert.Equal([held], Temporaries());

        resume.Set();
        await running.WaitAsync(ChildTimeout);
        Assert.Equal(firstFile, File.ReadAllBytes(Target));
        Assert.Equal([Target], Directory.GetFiles(_directory));
    }

    [Fact]
    public void Where_file_locks_are_off_a_save_removes_nothing_since_it_cannot_tell_an_abandoned_file_from_a_running_save()
    {
        string abandoned = Temporary("model.safetensors");
        File.WriteAllText(abandoned, "x");
        using (Child child = Child.Start(new Dictionary<string, string> { ["DOTNET_SYSTEM_IO_DISABLEFILELOCKING"] = "1" }, "save", Target, "1"))
        {
            child.WaitFor("saved");
            Assert.Equal(0, child.WaitForExit());
        }

        Assert.True(File.Exists(abandoned));
        SafeTensors.Save(new SaveLoopNetwork(maxBatch: 1, seed: 2), Target);
        Assert.False(File.Exists(abandoned));
    }

    [Fact]
    public void Only_abandoned_temporary_files_of_the_same_target_are_removed()
    {
        // Two abandoned temporary files of this target, as a killed save leaves them.
        string[] abandoned = [Temporary("model.safetensors"), Temporary("model.safetensors")];

        // Files that only look alike: another target's, a name that is not a save's, a directory.
        string[] kept =
        [
            Temporary("other.safetensors"),
            Temporary("model.safetensors.b64"),
            Path.Combine(_directory, ".model.safetensors.backup.tmp"),
            Path.Combine(_directory, "model.safetensors." + Guid.NewGuid().ToString("N") + ".tmp"),
            Path.Combine(_directory, ".model.safetensors." + Guid.NewGuid().ToString("N") + ".tmp.keep"),
            Path.Combine(_directory, ".model.safetensors." + Guid.NewGuid().ToString("N")[..31] + ".tmp"),
        ];
        foreach (string file in abandoned.Concat(kept))
        {
            File.WriteAllText(file, "x");
        }

        string directoryLikeATemporary = Temporary("model.safetensors");
        Directory.CreateDirectory(directoryLikeATemporary);

        SafeTensors.Save(SafeTensorsTests.Trained(nameof(TinyMlp), 1), Target);
        Assert.All(abandoned, file => Assert.False(File.Exists(file), $"{file} should have been removed"));
        Assert.All(kept, file => Assert.True(File.Exists(file), $"{file} should have been kept"));
        Assert.True(Directory.Exists(directoryLikeATemporary));

        // The base64 form cleans up after itself in the same way.
        string base64 = Path.Combine(_directory, "model.safetensors.b64");
        SafeTensors.SaveBase64(SafeTensorsTests.Trained(nameof(TinyMlp), 1), base64);
        Assert.False(File.Exists(kept[1]));
    }

    private string Temporary(string target) => Path.Combine(_directory, $".{target}.{Guid.NewGuid():N}.tmp");

    private string[] Temporaries()
        => Directory.GetFiles(_directory, ".model.safetensors.*.tmp").Order(StringComparer.Ordinal).ToArray();

    /// <summary>A running SaveLoop process, read line by line; killed (SIGKILL) when disposed if still running.</summary>
    private sealed class Child : IDisposable
    {
        private readonly Process _process;

        private Child(Process process) => _process = process;

        public static Child Start(params string[] arguments) => Start(new Dictionary<string, string>(), arguments);

        public static Child Start(Dictionary<string, string> environment, params string[] arguments)
        {
            string program = Path.Combine(AppContext.BaseDirectory, "SaveLoop.dll");
            Assert.True(File.Exists(program), $"{program} is missing; build tests/TypedNets.Tests, which references tests/Tools/SaveLoop.");
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach ((string name, string value) in environment)
            {
                start.Environment[name] = value;
            }

            start.ArgumentList.Add(program);
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            return new Child(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"));
        }

        /// <summary>Reads lines until one equals <paramref name="line"/>; fails if the child ends or takes too long.</summary>
        public void WaitFor(string line)
        {
            var seen = new List<string>();
            Task<bool> found = Task.Run(() =>
            {
                while (_process.StandardOutput.ReadLine() is string read)
                {
                    seen.Add(read);
                    if (read == line)
                    {
                        return true;
                    }
                }

                return false;
            });
            Assert.True(found.Wait(ChildTimeout), $"SaveLoop did not print '{line}' within {ChildTimeout}");
            if (!found.Result)
            {
                // The child has ended, so its standard error can be read to the end.
                Assert.Fail($"SaveLoop ended before printing '{line}' (printed {seen.Count} lines; stderr: {_process.StandardError.ReadToEnd()})");
            }
        }

        public void Send(string line)
        {
            _process.StandardInput.WriteLine(line);
            _process.StandardInput.Flush();
        }

        /// <summary>SIGKILL on Unix (TerminateProcess on Windows): the process gets no chance to clean up.</summary>
        public void Kill()
        {
            _process.Kill();
            Assert.True(_process.WaitForExit(ChildTimeout), "SaveLoop survived SIGKILL");
        }

        public int WaitForExit()
        {
            Assert.True(_process.WaitForExit(ChildTimeout), "SaveLoop did not exit");
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(ChildTimeout);
            }

            _process.Dispose();
        }
    }
}
