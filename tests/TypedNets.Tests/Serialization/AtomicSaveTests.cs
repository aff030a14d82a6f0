using System;
using System.Collections.Generic;
using System.IO;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;

namespace TypedNets.Tests.Serialization;

/// <summary>
/// A save that fails part-way leaves the previous file byte for byte, and no temporary file behind. The failures are
/// injected with <see cref="FailingStream"/> between the safetensors writer and <see cref="AtomicFile"/>'s temporary
/// file, exactly where <see cref="SafeTensors.Save(INetwork, string, IReadOnlyDictionary{string, string})"/> writes.
/// </summary>
public sealed class AtomicSaveTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "typednets-atomic-" + Guid.NewGuid().ToString("N"));
    private readonly string _path;

    public AtomicSaveTests()
    {
        Directory.CreateDirectory(_directory);
        _path = Path.Combine(_directory, "model.safetensors");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(nameof(TinyMlp))]
    [InlineData(nameof(TinyTextClassifier))]
    [InlineData(nameof(TinyBatchNormConvNet))]
    public void A_save_interrupted_at_any_write_leaves_the_previous_file_byte_identical(string name)
    {
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        SafeTensors.Save(SafeTensorsTests.Trained(name, 1), _path, metadata);
        byte[] previous = File.ReadAllBytes(_path);
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
                () => AtomicFile.Write(_path, stream => SafeTensors.Save(next, new FailingStream(stream, failOn), metadata)));
            Assert.Equal($"Injected failure on write {k}.", exception.Message);
            Assert.Equal(previous, File.ReadAllBytes(_path));
            Assert.Equal([_path], Directory.GetFiles(_directory));
        }

        // A failure after the last write, when the bytes are flushed, is no different.
        Assert.Throws<IOException>(() => AtomicFile.Write(_path, stream =>
        {
            var failing = new FailingStream(stream, failOn: 0, failOnFlush: true);
            SafeTensors.Save(next, failing, metadata);
            failing.Flush();
        }));
        Assert.Equal(previous, File.ReadAllBytes(_path));
        Assert.Equal([_path], Directory.GetFiles(_directory));

        // And the save that is not interrupted replaces the file with the new weights.
        SafeTensors.Save(next, _path, metadata);
        INetwork loaded = SafeTensorsTests.Create(name, 3);
        SafeTensors.Load(loaded, _path);
        Assert.True(SafeTensorsTesting.SameBits(next.Parameters, loaded.Parameters));
        Assert.True(SafeTensorsTesting.SameBits(next.Buffers, loaded.Buffers));
        Assert.Equal([_path], Directory.GetFiles(_directory));
    }

    [Fact]
    public void Any_exception_from_the_writer_is_rethrown_as_is_and_the_temporary_file_removed()
    {
        File.WriteAllText(_path, "previous");
        var thrown = new InvalidOperationException("the writer's own failure");
        InvalidOperationException caught = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(_path, stream =>
        {
            stream.Write([1, 2, 3]);
            throw thrown;
        }));
        Assert.Same(thrown, caught);
        Assert.Equal("previous", File.ReadAllText(_path));
        Assert.Equal([_path], Directory.GetFiles(_directory));
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
        File.WriteAllText(_path, "previous");
        var bad = new Dictionary<string, string> { ["format"] = null! };
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(SafeTensorsTests.Trained(nameof(TinyMlp), 1), _path, bad));
        Assert.Equal("previous", File.ReadAllText(_path));
        Assert.Equal([_path], Directory.GetFiles(_directory));
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
