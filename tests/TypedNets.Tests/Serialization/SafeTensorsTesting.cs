using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using TypedNets.Serialization;

namespace TypedNets.Tests.Serialization;

/// <summary>Builds and takes apart safetensors files by hand, independently of <see cref="SafeTensors"/>, for the tests.</summary>
internal static class SafeTensorsTesting
{
    public static byte[] SaveToBytes(INetwork network, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var stream = new MemoryStream();
        SafeTensors.Save(network, stream, metadata);
        return stream.ToArray();
    }

    /// <summary>A file of the given header text (taken as is: no padding) and data buffer.</summary>
    public static byte[] Assemble(string header, ReadOnlySpan<byte> data) => Assemble(Encoding.UTF8.GetBytes(header), data);

    public static byte[] Assemble(ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
    {
        byte[] file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file.AsSpan(8));
        data.CopyTo(file.AsSpan(8 + header.Length));
        return file;
    }

    /// <summary>The header text and the data buffer of a well-formed file.</summary>
    public static (string Header, byte[] Data) Split(byte[] file)
    {
        int length = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file));
        return (Encoding.UTF8.GetString(file, 8, length), file[(8 + length)..]);
    }

    /// <summary>
    /// A file holding the network's parameters in the given dtype, in the given order, written by hand (not by
    /// <see cref="SafeTensors.Save(INetwork, Stream, IReadOnlyDictionary{string, string})"/>), with the values the network then holds.
    /// </summary>
    public static byte[] Build(INetwork network, string dtype, IEnumerable<ParameterTensor>? order = null, string? metadataJson = null)
        => BuildState(network, dtype, (order ?? Tensors(network)).Select(tensor => tensor.Name), metadataJson);

    /// <summary>
    /// A file holding the named tensors of the network's state (parameters and buffers; by default all of them in
    /// <c>state_dict</c> order) in the given dtype and order, written by hand with the values the network then holds. A
    /// name ending in <c>.num_batches_tracked</c> that is not the network's is written as PyTorch's BatchNorm counter:
    /// an I64 scalar holding <paramref name="counter"/>.
    /// </summary>
    public static byte[] BuildState(INetwork network, string dtype, IEnumerable<string>? names = null, string? metadataJson = null, long counter = 20)
    {
        var header = new StringBuilder("{");
        if (metadataJson is not null)
        {
            header.Append("\"__metadata__\":").Append(metadataJson).Append(',');
        }

        List<NamedTensor> tensors = StateTensors(network);
        Dictionary<string, NamedTensor> state = tensors.ToDictionary(tensor => tensor.Name, StringComparer.Ordinal);
        var data = new MemoryStream();
        Span<byte> bytes = stackalloc byte[8];
        foreach (string name in names ?? tensors.Select(tensor => tensor.Name))
        {
            long begin = data.Length;
            if (!state.TryGetValue(name, out NamedTensor? tensor))
            {
                Assert.EndsWith(".num_batches_tracked", name, StringComparison.Ordinal);
                BinaryPrimitives.WriteInt64LittleEndian(bytes, counter);
                data.Write(bytes);
                header.Append($"\"{name}\":{{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[{begin},{data.Length}]}},");
                continue;
            }

            foreach (float value in tensor.Values(network))
            {
                switch (dtype)
                {
                    case "F32":
                        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
                        data.Write(bytes[..4]);
                        break;
                    case "F16":
                        BinaryPrimitives.WriteHalfLittleEndian(bytes, (Half)value);
                        data.Write(bytes[..2]);
                        break;
                    case "BF16":
                        BinaryPrimitives.WriteUInt16LittleEndian(bytes, ToBFloat16Bits(value));
                        data.Write(bytes[..2]);
                        break;
                    default:
                        throw new ArgumentException(dtype);
                }
            }

            header.Append($"\"{tensor.Name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", tensor.Shape)}],\"data_offsets\":[{begin},{data.Length}]}},");
        }

        if (header[^1] == ',')
        {
            header.Length--;
        }

        header.Append('}');
        return Assemble(header.ToString(), data.ToArray());
    }

    /// <summary>Rounds to the nearest bfloat16, ties to even (as PyTorch's <c>.to(torch.bfloat16)</c> does for finite values).</summary>
    public static ushort ToBFloat16Bits(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    public static float FromBFloat16Bits(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    public static IEnumerable<ParameterTensor> Tensors(INetwork network) => network.Layers.SelectMany(layer => layer.Parameters);

    /// <summary>The network's <c>state_dict</c> in PyTorch's order: per layer, its parameters and then its buffers.</summary>
    public static List<NamedTensor> StateTensors(INetwork network)
    {
        var state = new List<NamedTensor>();
        foreach (Layer layer in network.Layers)
        {
            state.AddRange(layer.Parameters.Select(tensor => new NamedTensor(tensor.Name, tensor.Shape.ToArray(), false, tensor.Offset, tensor.Length)));
            state.AddRange(layer.Buffers.Select(tensor => new NamedTensor(tensor.Name, tensor.Shape.ToArray(), true, tensor.Offset, tensor.Length)));
        }

        return state;
    }

    /// <summary>The names of the BatchNorm counters a file for the network may hold: <c>&lt;module&gt;.num_batches_tracked</c>.</summary>
    public static List<string> CounterNames(INetwork network)
        => network.Layers.OfType<BatchNormLayer>().Select(layer => layer.Name + ".num_batches_tracked").ToList();

    /// <summary>The network's parameters followed by its buffers, copied.</summary>
    public static float[] State(INetwork network) => [.. network.Parameters, .. network.Buffers];

    /// <summary>Sets the network's parameters and buffers from <see cref="State(INetwork)"/>'s layout.</summary>
    public static void SetState(INetwork network, float[] state)
    {
        int parameters = network.Parameters.Length;
        Assert.Equal(parameters + network.Buffers.Length, state.Length);
        state.AsSpan(0, parameters).CopyTo(network.Parameters);
        state.AsSpan(parameters).CopyTo(network.Buffers);
    }

    /// <summary>True when the two buffers hold the same bits (NaNs of any payload count as equal).</summary>
    public static bool SameBits(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        if (expected.Length != actual.Length)
        {
            return false;
        }

        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]) && !(float.IsNaN(expected[i]) && float.IsNaN(actual[i])))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The repository root, found from the test binaries by walking up to <c>TypedNets.sln</c>.</summary>
    public static string RepositoryRoot()
    {
        for (string? directory = AppContext.BaseDirectory; directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(Path.Combine(directory, "TypedNets.sln")))
            {
                return directory;
            }
        }

        throw new DirectoryNotFoundException($"No TypedNets.sln above {AppContext.BaseDirectory}.");
    }
}

/// <summary>A parameter or a buffer of a network, by where it lies in <see cref="INetwork.Parameters"/> or <see cref="INetwork.Buffers"/>.</summary>
internal sealed record NamedTensor(string Name, int[] Shape, bool IsBuffer, int Offset, int Length)
{
    /// <summary>Where the tensor lies in <see cref="SafeTensorsTesting.State(INetwork)"/>'s layout.</summary>
    public int StateOffset(INetwork network) => IsBuffer ? network.Parameters.Length + Offset : Offset;

    public float[] Values(INetwork network) => (IsBuffer ? network.Buffers : network.Parameters).Slice(Offset, Length).ToArray();
}

/// <summary>A read-only view of a stream that cannot seek and hands out at most <c>chunk</c> bytes per read, like a socket.</summary>
internal sealed class ForwardOnlyStream(Stream inner, int chunk = 7) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, chunk));

    public override int Read(Span<byte> buffer) => inner.Read(buffer[..Math.Min(buffer.Length, chunk)]);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A write-through stream that throws <see cref="IOException"/> on its <c>failOn</c>-th write (1-based), or on flush.</summary>
internal sealed class FailingStream(Stream inner, int failOn, bool failOnFlush = false) : Stream
{
    public int Writes { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => inner.Length;

    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Writes++;
        if (Writes == failOn)
        {
            // Half the bytes reach the file first, as when a disk fills up mid-write.
            inner.Write(buffer[..(buffer.Length / 2)]);
            throw new IOException($"Injected failure on write {Writes}.");
        }

        inner.Write(buffer);
    }

    public override void Flush()
    {
        if (failOnFlush)
        {
            throw new IOException("Injected failure on flush.");
        }

        inner.Flush();
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>
/// A write-through stream with room for <c>budget</c> bytes, as a disk that fills up: the write that would pass the
/// budget writes what still fits and throws <see cref="IOException"/>; with <c>failOnFlush</c>, so does a flush.
/// </summary>
internal sealed class ByteBudgetStream(Stream inner, int budget, bool failOnFlush = false) : Stream
{
    public int Written { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => Written; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        int room = budget - Written;
        if (buffer.Length > room)
        {
            inner.Write(buffer[..room]);
            Written = budget;
            throw new IOException($"Injected failure after {budget} bytes.");
        }

        inner.Write(buffer);
        Written += buffer.Length;
    }

    public override void Flush()
    {
        if (failOnFlush)
        {
            throw new IOException("Injected failure on flush.");
        }

        inner.Flush();
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
