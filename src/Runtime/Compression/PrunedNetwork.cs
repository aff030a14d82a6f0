using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using TypedNets.Serialization;

namespace TypedNets.Compression;

/// <summary>One layer that <see cref="StructuredPruning"/> shrank.</summary>
/// <param name="Name">The layer's <c>state_dict</c> name.</param>
/// <param name="Kind">The layer's kind, such as <c>Dense</c> or <c>Conv2D</c>.</param>
/// <param name="UnitsBefore">Its units (filters) before pruning.</param>
/// <param name="Kept">The original indices of the units it keeps, ascending: unit <c>i</c> of the pruned layer is unit <c>Kept[i]</c> of the original.</param>
public sealed record PrunedLayer(string Name, string Kind, int UnitsBefore, IReadOnlyList<int> Kept)
{
    /// <summary>Its units (filters) after pruning.</summary>
    public int UnitsAfter => Kept.Count;
}

/// <summary>One tensor of the pruned network's <c>state_dict</c>.</summary>
/// <param name="Name">The <c>state_dict</c> name, the same as in the original network.</param>
/// <param name="Shape">The new shape.</param>
/// <param name="Values">The values, row-major.</param>
public sealed record PrunedTensor(string Name, IReadOnlyList<int> Shape, ReadOnlyMemory<float> Values);

/// <summary>
/// What <see cref="StructuredPruning.Prune(INetwork, double, string?, string?)"/> returns: the smaller network's declaration as
/// C# source, its weights, and the parameters and FLOPs before and after. <see cref="Save"/> writes
/// <c>&lt;ClassName&gt;.cs</c> and <c>&lt;ClassName&gt;.safetensors</c>: add the source to the project, rebuild, and load the
/// weights into the new network with <see cref="SafeTensors.Load(INetwork, string, bool)"/>.
/// </summary>
public sealed class PrunedNetwork
{
    private readonly string _originalName;

    internal PrunedNetwork(
        string className, string? @namespace, string source, IReadOnlyList<PrunedTensor> tensors, IReadOnlyList<PrunedLayer> layers,
        long parametersBefore, long parametersAfter, long flopsBefore, long flopsAfter, string originalName)
    {
        ClassName = className;
        Namespace = string.IsNullOrEmpty(@namespace) ? null : @namespace;
        Source = source;
        Tensors = tensors;
        Layers = layers;
        ParametersBefore = parametersBefore;
        ParametersAfter = parametersAfter;
        FlopsBefore = flopsBefore;
        FlopsAfter = flopsAfter;
        _originalName = originalName;
    }

    /// <summary>The new network's class name.</summary>
    public string ClassName { get; }

    /// <summary>The new class's namespace, or <see langword="null"/> for the global namespace.</summary>
    public string? Namespace { get; }

    /// <summary>The declaration: a <c>[Network]</c> partial class with the new unit and filter counts and every other option as declared.</summary>
    public string Source { get; }

    /// <summary>The pruned weights and buffers, in <c>state_dict</c> order, under the original names.</summary>
    public IReadOnlyList<PrunedTensor> Tensors { get; }

    /// <summary>The layers pruned, in the network's order (with <c>keep</c>, every layer that can be; a layer of one unit keeps it).</summary>
    public IReadOnlyList<PrunedLayer> Layers { get; }

    /// <summary>The original network's trainable parameters (its <c>ParameterCount</c>).</summary>
    public long ParametersBefore { get; }

    /// <summary>The pruned network's trainable parameters (its <c>ParameterCount</c>).</summary>
    public long ParametersAfter { get; }

    /// <summary>
    /// FLOPs of one sample through the original network: two per multiply-add of the dense, convolutional and recurrent
    /// kernels; elementwise work (activations, normalisation, pooling) is not counted.
    /// </summary>
    public long FlopsBefore { get; }

    /// <summary>FLOPs of one sample through the pruned network, counted as <see cref="FlopsBefore"/>.</summary>
    public long FlopsAfter { get; }

    /// <summary>The file name of the weights <see cref="Save"/> writes: <c>&lt;ClassName&gt;.safetensors</c>.</summary>
    public string WeightsFileName => ClassName + ".safetensors";

    /// <summary>The file name of the source <see cref="Save"/> writes: <c>&lt;ClassName&gt;.cs</c>.</summary>
    public string SourceFileName => ClassName + ".cs";

    /// <summary>Each pruned layer's units before and after, then the parameters and FLOPs before and after, as a table.</summary>
    public string Report
    {
        get
        {
            var text = new StringBuilder();
            text.AppendLine(CultureInfo.InvariantCulture, $"{_originalName} -> {ClassName} (structured pruning, smallest L1 norm of incoming weights removed)");
            int width = Math.Max(Layers.Max(l => l.Name.Length + l.Kind.Length + 3), "parameters".Length);
            foreach (PrunedLayer layer in Layers)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {$"{layer.Name} ({layer.Kind})".PadRight(width)}  {layer.UnitsBefore,11:N0} -> {layer.UnitsAfter,11:N0} units");
            }

            Line("parameters", ParametersBefore, ParametersAfter);
            Line("FLOPs", FlopsBefore, FlopsAfter);
            return text.ToString();

            void Line(string what, long before, long after)
                => text.AppendLine(CultureInfo.InvariantCulture, $"  {what.PadRight(width)}  {before,11:N0} -> {after,11:N0} ({(double)after / before * 100:F1}%)");
        }
    }

    /// <summary>
    /// Writes <see cref="SourceFileName"/> (the declaration) and <see cref="WeightsFileName"/> (the weights) into
    /// <paramref name="directory"/>, creating it if needed; each file is replaced atomically.
    /// </summary>
    /// <param name="directory">Where to write, such as the project's folder for the source.</param>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is <see langword="null"/> or empty.</exception>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        SaveWeights(Path.Combine(directory, WeightsFileName));
        byte[] source = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(Source);
        AtomicFile.Write(Path.Combine(directory, SourceFileName), stream => stream.Write(source));
    }

    /// <summary>
    /// Writes the weights to <paramref name="path"/> as safetensors (F32, <c>state_dict</c> names and the new shapes),
    /// replacing the file atomically; <see cref="SafeTensors.Load(INetwork, string, bool)"/> reads them into the new network.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is <see langword="null"/> or empty.</exception>
    public void SaveWeights(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        SafeTensors.Save(
            [.. Tensors.Select(t => (t.Name, t.Shape.ToArray(), t.Values.ToArray()))],
            path,
            new Dictionary<string, string> { ["format"] = "pt", ["typednets.network"] = ClassName });
    }

    /// <inheritdoc/>
    public override string ToString() => Report;
}
