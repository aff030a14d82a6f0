using System;
using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace TypedNets.Generator.Tests.Infrastructure;

/// <summary>
/// Base64 safetensors files for the embedded-weights tests, built byte by byte here (not with the runtime's writer),
/// so that a test can also build the broken files the generator must refuse.
/// </summary>
internal static class WeightsFiles
{
    /// <summary>
    /// A tensor to write: its name, dtype, shape, and the value of its first element (the others count up by 0.25),
    /// but for the elements <paramref name="Replaced"/> gives another value (a NaN, an infinity).
    /// </summary>
    public sealed record Tensor(string Name, int[] Shape, string Dtype = "F32", float First = 0, (int Index, float Value)[]? Replaced = null)
    {
        public int Elements => Shape.Aggregate(1, (product, dimension) => product * dimension);

        public int ElementSize => Dtype is "F16" or "BF16" ? 2 : Dtype is "F64" or "I64" ? 8 : 4;

        public float Value(int index)
        {
            foreach ((int replaced, float value) in Replaced ?? [])
            {
                if (replaced == index)
                {
                    return value;
                }
            }

            return First + (0.25f * index);
        }
    }

    /// <summary>A safetensors file of <paramref name="tensors"/> in the given order, contiguous, as SafeTensors.Save lays one out.</summary>
    public static byte[] SafeTensors(params Tensor[] tensors)
    {
        var header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        foreach (Tensor tensor in tensors)
        {
            long end = offset + ((long)tensor.Elements * tensor.ElementSize);
            header.Append(CultureInfo.InvariantCulture, $",\"{tensor.Name}\":{{\"dtype\":\"{tensor.Dtype}\",\"shape\":[{string.Join(",", tensor.Shape)}],\"data_offsets\":[{offset},{end}]}}");
            offset = end;
        }

        byte[] data = new byte[offset];
        int position = 0;
        foreach (Tensor tensor in tensors)
        {
            for (int i = 0; i < tensor.Elements; i++)
            {
                if (tensor.ElementSize == 4)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(position), tensor.Value(i));
                }

                position += tensor.ElementSize;
            }
        }

        return File(header.Append('}').ToString(), data);
    }

    /// <summary>A file of exactly this header text (no padding added) and data buffer.</summary>
    public static byte[] File(string header, byte[] data)
    {
        byte[] headerBytes = Encoding.UTF8.GetBytes(header);
        byte[] file = new byte[8 + headerBytes.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)headerBytes.Length);
        headerBytes.CopyTo(file, 8);
        data.CopyTo(file, 8 + headerBytes.Length);
        return file;
    }

    /// <summary>Base64 in lines of 76 characters, as SafeTensors.SaveBase64 writes it.</summary>
    public static string Base64(byte[] bytes)
    {
        string text = Convert.ToBase64String(bytes);
        var lines = new StringBuilder();
        for (int start = 0; start < text.Length; start += 76)
        {
            lines.Append(text, start, Math.Min(76, text.Length - start)).Append('\n');
        }

        return lines.ToString();
    }

    /// <summary>An additional file of the project, as MSBuild's AdditionalFiles items reach a generator.</summary>
    public static AdditionalText Text(string path, string text) => new InMemoryText(path, SourceText.From(text, Encoding.UTF8));

    public static AdditionalText Base64File(string path, params Tensor[] tensors) => Text(path, Base64(SafeTensors(tensors)));

    private sealed class InMemoryText(string path, SourceText text) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => text;
    }
}
