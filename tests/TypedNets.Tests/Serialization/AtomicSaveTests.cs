using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;
using Xunit.Abstractions;

namespace TypedNets.Tests.Serialization;

/// <summary>
/// A save that fails part-way leaves the previous file byte for byte, and no temporary file behind. The failures are
/// injected with <see cref="FailingStream"/> between the safetensors writer and <see cref="AtomicFile"/>'s temporary
/// file, exactly where <see cref="SafeTensors.Save(INetwork, string, IReadOnlyDictionary{string, string})"/> writes.
/// </summary>
public sealed class AtomicSaveTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "typednets-atomic-" + Guid.NewGuid().ToString("N"))).FullName;

    private string Target => Path.Combine(_directory, "model.safetensors");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(nameof(TinyMlp))]
    [InlineData(nameof(TinyTextClassifier))]
    [InlineData(nameof(TinyBatchNormConvNet))]
    public void A_save_interrupted_at_any_write_leaves_the_previous_file_byte_identical(string name)
    {
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        SafeTensors.Save(SafeTensorsTests.Trained(name, 1), Target, metadata);
        byte[] previous = File.ReadAllBytes(Target);
        INetwork next = SafeTensorsTests.Trained(name, 2);

        // How many writes one save makes: the length field, the header, one per tensor (parameter or buffer).
        var counter = new FailingStream(Stream.Null, failOn: 0);
        SafeTensors.Save(next, counter, metadata);
        int writes = counter.Writes;
        Assert.Equal(2 + CountTensors(next), writes);

        for (int k = 1; k <= writes; k++)
        {
            int failOn = k;
            IOException exception = Assert.Throws<IOException>(
                () => AtomicFile.Write(Target, stream => SafeTensors.Save(next, new FailingStream(stream, failOn), metadata)));
            Assert.Equal($"Injected failure on write {k}.", exception.Message);
            Assert.Equal(previous, File.ReadAllBytes(Target));
            Assert.Equal([Target], Directory.GetFiles(_directory));
        }

        // A failure after the last write, when the bytes are flushed, is no different.
        Assert.Throws<IOException>(() => AtomicFile.Write(Target, stream =>
        {
            var failing = new FailingStream(stream, failOn: 0, failOnFlush: true);
            SafeTensors.Save(next, failing, metadata);
            failing.Flush();
        }));
        Assert.Equal(previous, File.ReadAllBytes(Target));
        Assert.Equal([Target], Directory.GetFiles(_directory));

        // And the save that is not interrupted replaces the file with the new weights.
        SafeTensors.Save(next, Target, metadata);
        INetwork loaded = SafeTensorsTests.Create(name, 3);
        SafeTensors.Load(loaded, Target);
        Assert.True(SafeTensorsTesting.SameBits(next.Parameters, loaded.Parameters));
        Assert.True(SafeTensorsTesting.SameBits(next.Buffers, loaded.Buffers));
        Assert.Equal([Target], Directory.GetFiles(_directory));
    }

    [Theory]
    [InlineData(nameof(TinyMlp))]
    [InlineData(nameof(TinyBatchNormConvNet))]
    public void A_save_that_fails_at_any_byte_leaves_the_previous_file_byte_identical_and_no_temporary_file(string name)
    {
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        SafeTensors.Save(SafeTensorsTests.Trained(name, 1), Target, metadata);
        byte[] previous = File.ReadAllBytes(Target);
        INetwork next = SafeTensorsTests.Trained(name, 2);
        byte[] expected = SafeTensorsTesting.SaveToBytes(next, metadata);

        // The disk fills up after 0, 1, 2, ... bytes: every byte position of the file, the last included.
        for (int budget = 0; budget < expected.Length; budget++)
        {
            int bytes = budget;
            IOException exception = Assert.Throws<IOException>(
                () => AtomicFile.Write(Target, stream => SafeTensors.Save(next, new ByteBudgetStream(stream, bytes), metadata)));
            Assert.Equal($"Injected failure after {budget} bytes.", exception.Message);
            Assert.Equal(previous, File.ReadAllBytes(Target));
            Assert.Equal([Target], Directory.GetFiles(_directory));
        }

        // Every byte written, then the flush fails.
        IOException flush = Assert.Throws<IOException>(() => AtomicFile.Write(Target, stream =>
        {
            var failing = new ByteBudgetStream(stream, expected.Length, failOnFlush: true);
            SafeTensors.Save(next, failing, metadata);
            Assert.Equal(expected.Length, failing.Written);
            failing.Flush();
        }));
        Assert.Equal("Injected failure on flush.", flush.Message);
        Assert.Equal(previous, File.ReadAllBytes(Target));
        Assert.Equal([Target], Directory.GetFiles(_directory));

        // With room for every byte, the save goes through.
        AtomicFile.Write(Target, stream => SafeTensors.Save(next, new ByteBudgetStream(stream, expected.Length), metadata));
        Assert.Equal(expected, File.ReadAllBytes(Target));
        Assert.Equal([Target], Directory.GetFiles(_directory));
    }

    [Fact]
    public async Task Loads_while_another_thread_saves_to_the_same_path_always_see_one_whole_weight_set()
    {
        const string Name = nameof(TinyBatchNormConvNet);
        const int Saves = 150;
        INetwork[] sets = [SafeTensorsTests.Trained(Name, 1), SafeTensorsTests.Trained(Name, 2)];
        float[][] states = [SafeTensorsTesting.State(sets[0]), SafeTensorsTesting.State(sets[1])];
        SafeTensors.Save(sets[0], Target);

        var failures = new ConcurrentQueue<string>();
        int[] seen = new int[2];
        using var saved = new CancellationTokenSource();
        Task saver = Task.Run(() =>
        {
            try
            {
                for (int i = 1; i <= Saves; i++)
                {
                    SafeTensors.Save(sets[i % 2], Target);
                }
            }
            finally
            {
                saved.Cancel();
            }
        });
        Task loader = Task.Run(() =>
        {
            INetwork network = SafeTensorsTests.Create(Name, 3);
            while (!saved.IsCancellationRequested && failures.Count < 10)
            {
                try
                {
                    SafeTensors.Load(network, Target);
                }
                catch (Exception exception)
                {
                    failures.Enqueue($"load threw {exception.GetType().Name}: {exception.Message}");
                    continue;
                }

                float[] state = SafeTensorsTesting.State(network);
                int which = SafeTensorsTesting.SameBits(states[0], state) ? 0 : SafeTensorsTesting.SameBits(states[1], state) ? 1 : -1;
                if (which < 0)
                {
                    failures.Enqueue("a load gave weights of neither set");
                }
                else
                {
                    seen[which]++;
                }
            }
        });

        await Task.WhenAll(saver, loader).WaitAsync(TimeSpan.FromMinutes(3));
        output.WriteLine($"{Saves} saves; {seen[0]} loads saw the first set, {seen[1]} the second");
        Assert.Empty(failures);
        Assert.True(seen[0] + seen[1] > 0, "no load ran while the saves did");
        Assert.Equal([Target], Directory.GetFiles(_directory));
    }

    [Fact]
    public async Task Two_threads_saving_to_one_path_never_remove_each_others_temporary_files()
    {
        // Each save cleans up while the other may be creating, writing or renaming its own temporary file: none may
        // fail, and the file ends as one of the two.
        const string Name = nameof(TinyMlp);
        const int Saves = 150;
        INetwork[] sets = [SafeTensorsTests.Trained(Name, 1), SafeTensorsTests.Trained(Name, 2)];
        Task[] savers = [.. sets.Select(set => Task.Run(() =>
        {
            for (int i = 0; i < Saves; i++)
            {
                SafeTensors.Save(set, Target);
            }
        }))];
        await Task.WhenAll(savers).WaitAsync(TimeSpan.FromMinutes(3));

        INetwork loaded = SafeTensorsTests.Create(Name, 3);
        SafeTensors.Load(loaded, Target);
        Assert.Contains(sets, set => SafeTensorsTesting.SameBits(set.Parameters, loaded.Parameters));
        Assert.Equal([Target], Directory.GetFiles(_directory));
    }

    [Fact]
    public void Any_exception_from_the_writer_is_rethrown_as_is_and_the_temporary_file_removed()
    {
        File.WriteAllText(Target, "previous");
        var thrown = new InvalidOperationException("the writer's own failure");
        InvalidOperationException caught = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(Target, stream =>
        {
            stream.Write([1, 2, 3]);
            throw thrown;
        }));
        Assert.Same(thrown, caught);
        Assert.Equal("previous", File.ReadAllText(Target));
        Assert.Equal([Target], Directory.GetFiles(_directory));
    }

    [Fact]
    public void A_save_that_cannot_be_put_in_place_leaves_the_directory_as_it_was()
    {
        // The target is a directory: the bytes are written and flushed, then the rename fails.
        string target = Path.Combine(_directory, "a directory");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "inside.txt"), "kept");
        Exception exception = Assert.ThrowsAny<Exception>(() => SafeTensors.Save(SafeTensorsTests.Trained(nameof(TinyMlp), 1), target));
        Assert.True(exception is IOException or UnauthorizedAccessException, exception.ToString());
        Assert.Empty(Directory.GetFiles(_directory));
        Assert.Equal("kept", File.ReadAllText(Path.Combine(target, "inside.txt")));

        // The directory does not exist: nothing is created anywhere.
        Assert.Throws<DirectoryNotFoundException>(() => SafeTensors.Save(SafeTensorsTests.Trained(nameof(TinyMlp), 1), Path.Combine(_directory, "missing", "model.safetensors")));
        Assert.Equal([target], Directory.GetDirectories(_directory));
    }

    [Fact]
    public void A_network_that_cannot_be_saved_creates_no_file()
    {
        File.WriteAllText(Target, "previous");
        var bad = new Dictionary<string, string> { ["format"] = null! };
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(SafeTensorsTests.Trained(nameof(TinyMlp), 1), Target, bad));
        Assert.Equal("previous", File.ReadAllText(Target));
        Assert.Equal([Target], Directory.GetFiles(_directory));
    }

    private static int CountTensors(INetwork network)
    {
        int count = 0;
        foreach (Layer layer in network.Layers)
        {
            count += layer.Parameters.Count + layer.Buffers.Count;
        }

        return count;
    }
}
