using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Google.Protobuf;
using TypedNets.Compression;
using global::Onnx;

namespace TypedNets.Onnx;

/// <summary>
/// Loads a network's weights from an ONNX model, such as one <c>torch.onnx.export</c> wrote from the PyTorch module the
/// network mirrors: each parameter and buffer (<c>hidden.weight</c>, <c>norm.running_mean</c>) is read from the graph's
/// initializer of its <c>state_dict</c> name, with the checks <see cref="Serialization.SafeTensors"/> makes of a
/// safetensors file, and the network is unchanged when any fails.
/// </summary>
/// <remarks>
/// <para>
/// Where a tensor is found: an initializer of its name, the value of a <c>Constant</c> node whose output has its name, or
/// the output of an <c>Identity</c> node of that name reading one of those (<c>torch.onnx.export</c> keeps one copy of
/// initializers with equal values and names the others so). Every other initializer (shape constants, and the tensors
/// torch computed from the weights rather than copied) is ignored. Element types: <c>FLOAT</c> in <c>raw_data</c> or
/// <c>float_data</c>, and <c>FLOAT16</c> and <c>BFLOAT16</c> in <c>raw_data</c> or <c>int32_data</c>, widened to float
/// exactly. <c>DOUBLE</c> is refused rather than rounded, and so is every integer type; so are tensors stored outside
/// the file (<c>data_location = EXTERNAL</c>) and segmented ones.
/// </para>
/// <para>
/// Checked before the first value is written: the bytes are an ONNX model with a graph; every parameter and buffer of the
/// network is there once, with the network's shape (PyTorch's shapes, which TypedNets keeps), one of those element types
/// and exactly the data its shape takes; and every value is finite unless <c>allowNonFinite</c>. Each fault is an
/// <see cref="OnnxFormatException"/> naming the tensor, what the file holds, what the network expects and the fix.
/// </para>
/// <para>
/// What <c>torch.onnx.export</c> (torch 1.13, opset 17) does to the names, and how to export so that they survive:
/// Linear layers on vectors keep theirs in every mode. In eval mode (the default <c>training=TrainingMode.EVAL</c>) a BatchNorm is
/// fused into the convolution before it, whatever <c>do_constant_folding</c> says, leaving two initializers named
/// <c>onnx::Conv_&lt;n&gt;</c> and no BatchNorm tensor; and constant folding (on by default) concatenates an LSTM's or
/// GRU's <c>weight_ih</c>, <c>weight_hh</c> and biases into the ONNX operator's W, R and B in ONNX's gate order, named
/// <c>onnx::LSTM_&lt;n&gt;</c>, and stores the weight of a Linear applied to a sequence transposed, as <c>onnx::MatMul_&lt;n&gt;</c>.
/// <c>torch.onnx.export(model.eval(), example, path,
/// training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)</c> keeps every <c>state_dict</c> name and
/// still computes in eval mode (BatchNormalization on the running statistics); <c>keep_initializers_as_inputs=True</c>
/// does not help. A load that misses tensors and finds such renamed initializers says so. The import does not map the
/// fused or concatenated tensors back: a fused BatchNorm cannot be split again, and an export that keeps the names is one
/// option away.
/// </para>
/// </remarks>
public static class OnnxWeights
{
    private const string PreservingExport =
        "torch.onnx.export(model.eval(), example, path, training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)";

    /// <summary>
    /// Loads <paramref name="network"/>'s parameters and buffers from the initializers of the ONNX model at
    /// <paramref name="path"/>, by <c>state_dict</c> name, after checking all of them (see <see cref="OnnxWeights"/>); the
    /// network is unchanged when it throws.
    /// </summary>
    /// <param name="network">The network to fill; a float network (not quantised).</param>
    /// <param name="path">The ONNX file to read.</param>
    /// <param name="allowNonFinite">Whether to load NaN and infinite values as they are rather than refuse them.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="network"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException">When <paramref name="path"/> is empty, or the network is quantised to int8 (ParamName <c>network</c>).</exception>
    /// <exception cref="OnnxFormatException">
    /// The file is not an ONNX model, or a tensor of the network is missing, given twice, of another shape, of an element
    /// type the import does not read, with data of the wrong length, or (unless <paramref name="allowNonFinite"/>) NaN or
    /// infinite; the message names the tensor, both sides and the fix.
    /// </exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="InvalidOperationException">When other threads are predicting with, or training, the network; it is unchanged.</exception>
    public static void Load(INetwork network, string path, bool allowNonFinite = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(path);
        Load(network, File.ReadAllBytes(path), path, allowNonFinite);
    }

    /// <summary>
    /// Loads <paramref name="network"/>'s parameters and buffers from an ONNX model read from <paramref name="stream"/> to
    /// its end (see <see cref="Load(INetwork, string, bool)"/>); the network is unchanged when it throws.
    /// </summary>
    /// <param name="network">The network to fill; a float network (not quantised).</param>
    /// <param name="stream">A readable stream, from its current position; it is left open.</param>
    /// <param name="allowNonFinite">Whether to load NaN and infinite values as they are rather than refuse them.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="network"/> or <paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException">When <paramref name="stream"/> cannot be read (ParamName <c>stream</c>), or the network is quantised to int8 (ParamName <c>network</c>).</exception>
    /// <exception cref="OnnxFormatException">The bytes are not an ONNX model holding this network's tensors (see <see cref="Load(INetwork, string, bool)"/>).</exception>
    /// <exception cref="InvalidOperationException">When other threads are predicting with, or training, the network; it is unchanged.</exception>
    public static void Load(INetwork network, Stream stream, bool allowNonFinite = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream cannot be read; pass a readable stream, such as a FileStream opened for reading.", nameof(stream));
        }

        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        Load(network, copy.GetBuffer().AsSpan(0, (int)copy.Length), path: null, allowNonFinite);
    }

    /// <summary>
    /// Loads <paramref name="network"/>'s parameters and buffers from the bytes of an ONNX model, such as
    /// <see cref="Onnx.ToBytes(INetwork)"/> returns (see <see cref="Load(INetwork, string, bool)"/>); the network is
    /// unchanged when it throws.
    /// </summary>
    /// <param name="network">The network to fill; a float network (not quantised).</param>
    /// <param name="model">The serialised <c>ModelProto</c>.</param>
    /// <param name="allowNonFinite">Whether to load NaN and infinite values as they are rather than refuse them.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="network"/> is null.</exception>
    /// <exception cref="ArgumentException">When the network is quantised to int8 (ParamName <c>network</c>).</exception>
    /// <exception cref="OnnxFormatException">The bytes are not an ONNX model holding this network's tensors (see <see cref="Load(INetwork, string, bool)"/>).</exception>
    /// <exception cref="InvalidOperationException">When other threads are predicting with, or training, the network; it is unchanged.</exception>
    public static void Load(INetwork network, ReadOnlySpan<byte> model, bool allowNonFinite = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        Load(network, model, path: null, allowNonFinite);
    }

    private static void Load(INetwork network, ReadOnlySpan<byte> bytes, string? path, bool allowNonFinite)
    {
        string networkName = network.Core.Name;
        if (network.IsQuantized)
        {
            // The int8 weights are made from the float ones by Quantize and would not follow a load of floats.
            throw new ArgumentException(
                $"Network '{networkName}' is quantised to int8; an ONNX import loads float weights, which its int8 weights would not follow. " +
                "Load them into the float network and call Quantize() on it again.",
                nameof(network));
        }

        GraphProto graph = Parse(bytes, path);
        List<Target> targets = TargetsOf(network);
        Dictionary<string, TensorProto> sources = Sources(graph, targets, networkName, path);
        var missing = targets.Where(target => !sources.ContainsKey(target.Name)).ToList();
        if (missing.Count > 0)
        {
            throw Error(path, missing[0].Name, Missing(network, missing, graph, targets));
        }

        // Every tensor is checked and converted into a staging copy before the first value is written, so that a
        // failed load leaves the network as it was.
        var staged = new float[targets.Count][];
        for (int i = 0; i < targets.Count; i++)
        {
            Target target = targets[i];
            TensorProto tensor = sources[target.Name];
            if (!tensor.Dims.SequenceEqual(target.Shape.Select(dim => (long)dim)))
            {
                throw Error(
                    path,
                    target.Name,
                    $"Tensor '{target.Name}' has shape {Format(tensor.Dims)} in the ONNX file, but {networkName}'s {target.Name} is {Format(target.Shape)}; " +
                    "the model was exported from a module with other layer sizes: declare the network with the exported module's layer sizes, " +
                    "or load a model exported from the module this network mirrors.");
            }

            staged[i] = Decode(tensor, target, path);
            if (!allowNonFinite)
            {
                ThrowIfNonFinite(staged[i], target.Name, path);
            }
        }

        // Predictions on other threads would read a mix of old and new weights, so the network is taken for the copy.
        using NetworkAccess.Scope exclusive = network.Access.Exclusive("OnnxWeights.Load");
        for (int i = 0; i < targets.Count; i++)
        {
            Target target = targets[i];
            Span<float> state = target.IsBuffer ? network.Buffers : network.Parameters;
            staged[i].AsSpan().CopyTo(state.Slice(target.Offset, target.Length));
        }
    }

    private static GraphProto Parse(ReadOnlySpan<byte> bytes, string? path)
    {
        if (bytes.IsEmpty)
        {
            throw Error(path, null, "The file is empty (0 bytes), so it holds no ONNX model; export the model again.");
        }

        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException exception)
        {
            throw Error(
                path,
                null,
                $"The {bytes.Length} bytes are not a valid ONNX model ({exception.Message}); the file is truncated, corrupted or in another format.",
                exception);
        }

        return model.Graph ?? throw Error(
            path,
            null,
            $"The {bytes.Length} bytes hold no graph, so they are not an ONNX model (a ModelProto); the file is corrupted or in another format.");
    }

    /// <summary>
    /// The tensors of the graph by the name a node reads them under: its initializers, the values of its Constant nodes
    /// and the outputs of Identity nodes that read one of those. A network tensor given twice is refused.
    /// </summary>
    private static Dictionary<string, TensorProto> Sources(GraphProto graph, List<Target> targets, string networkName, string? path)
    {
        var networkNames = new HashSet<string>(targets.Select(target => target.Name), StringComparer.Ordinal);
        var sources = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (TensorProto tensor in graph.Initializer)
        {
            Add(tensor.Name, tensor, "an initializer");
        }

        foreach (NodeProto node in graph.Node)
        {
            if (node.Domain.Length != 0 || node.Output.Count != 1)
            {
                continue;
            }

            if (node.OpType == "Constant" && node.Attribute.FirstOrDefault(attribute => attribute.Name == "value") is { T: { } value })
            {
                Add(node.Output[0], value, $"the Constant node '{node.Name}'");
            }
            else if (node.OpType == "Identity" && node.Input.Count == 1 && sources.TryGetValue(node.Input[0], out TensorProto? shared))
            {
                Add(node.Output[0], shared, $"the Identity node '{node.Name}' (of '{node.Input[0]}')");
            }
        }

        return sources;

        void Add(string name, TensorProto tensor, string source)
        {
            if (!sources.TryAdd(name, tensor) && networkNames.Contains(name))
            {
                throw Error(
                    path,
                    name,
                    $"The ONNX file holds '{name}' twice (again as {source}); a graph names each value once, so it cannot say which is {networkName}'s. " +
                    "The file was edited or corrupted; export the model again.");
            }
        }
    }

    private static string Missing(INetwork network, List<Target> missing, GraphProto graph, List<Target> targets)
    {
        string networkName = network.Core.Name;
        var message = new StringBuilder($"The ONNX file's tensors are not {networkName}'s: it lacks ")
            .AppendJoin(", ", missing.Select(target => $"'{target.Name}' {Format(target.Shape)}"))
            .Append('.');

        // Floating-point initializers that are none of the network's: under torch's own onnx::<Op>_<n> names, what
        // torch.onnx.export computed from the weights (a fused BatchNorm, an LSTM's W, R and B, a transposed weight);
        // under other names, most likely another module's state_dict.
        var names = new HashSet<string>(targets.Select(target => target.Name), StringComparer.Ordinal);
        var unmatched = graph.Initializer
            .Where(tensor => !names.Contains(tensor.Name) && tensor.Dims.Count > 0 && IsFloatingPoint(tensor.DataType))
            .ToList();
        var renamed = unmatched.Where(tensor => tensor.Name.StartsWith("onnx::", StringComparison.Ordinal)).ToList();
        if (renamed.Count == 0)
        {
            if (unmatched.Count > 0)
            {
                message.Append(CultureInfo.InvariantCulture, $" It holds instead {List(unmatched)}, which {networkName} does not have: the model was exported from another module.");
            }

            return message.Append(" Load a model exported from the module this network mirrors, or declare the network with that module's layers and names.").ToString();
        }

        message.Append(CultureInfo.InvariantCulture, $" It holds {List(renamed)}, initializers torch.onnx.export computed from the module's weights and named itself.");

        var missingNames = new HashSet<string>(missing.Select(target => target.Name), StringComparer.Ordinal);
        bool Lost(Layer layer) => layer.Parameters.Any(tensor => missingNames.Contains(tensor.Name)) || layer.Buffers.Any(tensor => missingNames.Contains(tensor.Name));
        if (network.Layers.Any(layer => layer is BatchNormLayer && Lost(layer)))
        {
            message.Append(
                " In eval mode (training=torch.onnx.TrainingMode.EVAL, the default) it fuses a BatchNorm that follows a convolution into the convolution, " +
                "whatever do_constant_folding says: the BatchNorm's tensors are gone and the convolution's hold the fused values, as onnx::Conv_<n>.");
        }

        if (network.Layers.Any(layer => layer is LstmLayer or GruLayer && Lost(layer)))
        {
            message.Append(
                " Constant folding (do_constant_folding=True, the default) concatenates each LSTM's or GRU's weight_ih, weight_hh and biases into the ONNX " +
                "operator's W, R and B, in ONNX's gate order (i, o, f, c for an LSTM, z, r, h for a GRU), as onnx::LSTM_<n> or onnx::GRU_<n>.");
        }

        if (network.Layers.Any(layer => layer is DenseLayer && Lost(layer)))
        {
            message.Append(
                " Constant folding also stores the weight of a Linear applied to a sequence (an input of more than two dimensions) transposed, " +
                "[in, out], as onnx::MatMul_<n>.");
        }

        return message
            .Append(" Export the module again with ").Append(PreservingExport)
            .Append(", which keeps every state_dict name and still computes as in eval mode (keep_initializers_as_inputs=True does not keep the names).")
            .ToString();

        static string List(List<TensorProto> tensors)
        {
            const int Shown = 8;
            string shown = string.Join(", ", tensors.Take(Shown).Select(tensor => $"'{tensor.Name}' {Format(tensor.Dims)}"));
            return tensors.Count > Shown ? $"{shown} and {tensors.Count - Shown} more" : shown;
        }
    }

    private static float[] Decode(TensorProto tensor, Target target, string? path)
    {
        string name = target.Name;
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw Error(
                path,
                name,
                $"Tensor '{name}' is stored outside the ONNX file (external data), which the import does not read. " +
                "Save the model with its weights inside: onnx.save_model(onnx.load(path), path, save_as_external_data=False), for a model under 2 GB.");
        }

        if (tensor.Segment is not null)
        {
            throw Error(path, name, $"Tensor '{name}' is segmented, which the import does not read; save the model again with onnx.save_model.");
        }

        int length = target.Length;
        var values = new float[length];
        ReadOnlySpan<byte> raw = tensor.RawData.Span;
        var type = (TensorProto.Types.DataType)tensor.DataType;
        switch (type)
        {
            case TensorProto.Types.DataType.Float when raw.Length > 0 || tensor.FloatData.Count == 0:
                CheckLength(raw.Length, length * 4L, "bytes of raw_data");
                for (int i = 0; i < length; i++)
                {
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(i * 4, 4));
                }

                break;
            case TensorProto.Types.DataType.Float:
                CheckLength(tensor.FloatData.Count, length, "values in float_data");
                tensor.FloatData.CopyTo(values, 0);
                break;
            case TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16 when raw.Length > 0 || tensor.Int32Data.Count == 0:
                CheckLength(raw.Length, length * 2L, "bytes of raw_data");
                for (int i = 0; i < length; i++)
                {
                    values[i] = Widen(type, BinaryPrimitives.ReadUInt16LittleEndian(raw.Slice(i * 2, 2)));
                }

                break;
            case TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16:
                // onnx.proto keeps each 16-bit value's bits in the low half of an int32_data element.
                CheckLength(tensor.Int32Data.Count, length, "values in int32_data");
                for (int i = 0; i < length; i++)
                {
                    int bits = tensor.Int32Data[i];
                    if (bits is < 0 or > ushort.MaxValue)
                    {
                        throw Error(path, name, $"Tensor '{name}' holds {bits} at element {i} of its int32_data, which is not the bits of a {TypeName(tensor.DataType)} (0 to 65535); the file is corrupted.");
                    }

                    values[i] = Widen(type, (ushort)bits);
                }

                break;
            case TensorProto.Types.DataType.Double:
                throw Error(
                    path,
                    name,
                    $"Tensor '{name}' is DOUBLE in the ONNX file; the import reads FLOAT (and FLOAT16 and BFLOAT16, widened exactly), and does not round " +
                    "doubles to float behind your back. Export the module in float32: torch.onnx.export(model.float(), example.float(), path, ...).");
            default:
                throw Error(
                    path,
                    name,
                    $"Tensor '{name}' is {TypeName(tensor.DataType)} in the ONNX file, but {target.Name} is a float tensor; the import reads FLOAT " +
                    "(and FLOAT16 and BFLOAT16, widened exactly). The model is not the export of a float module (a quantised one?); export the float module.");
        }

        return values;

        void CheckLength(long found, long expected, string what)
        {
            if (found != expected)
            {
                throw Error(
                    path,
                    name,
                    $"Tensor '{name}' holds {found} {what}, but {TypeName(tensor.DataType)} {Format(target.Shape)} takes {expected}; the file is truncated or corrupted.");
            }
        }
    }

    private static float Widen(TensorProto.Types.DataType type, ushort bits)
        => type == TensorProto.Types.DataType.Float16
            ? (float)BitConverter.UInt16BitsToHalf(bits)
            : BitConverter.Int32BitsToSingle(bits << 16);

    private static void ThrowIfNonFinite(float[] values, string name, string? path)
    {
        int index = Array.FindIndex(values, value => !float.IsFinite(value));
        if (index >= 0)
        {
            throw Error(
                path,
                name,
                $"Tensor '{name}' holds {values[index].ToString(CultureInfo.InvariantCulture)} at element {index}: a network with a NaN or infinite weight " +
                "predicts NaN, and such weights are nearly always those of a training run that diverged. Pass allowNonFinite: true to load them anyway.");
        }
    }

    private static bool IsFloatingPoint(int type)
        => (TensorProto.Types.DataType)type is TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Float16
            or TensorProto.Types.DataType.Bfloat16 or TensorProto.Types.DataType.Double;

    /// <summary>An element type as onnx.proto spells it (FLOAT, INT64), or its number when it has no name.</summary>
    private static string TypeName(int type)
        => Enum.IsDefined((TensorProto.Types.DataType)type)
            ? ((TensorProto.Types.DataType)type).ToString().ToUpperInvariant()
            : $"element type {type.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The network's parameters and buffers in <c>state_dict</c> order, each where its values go.</summary>
    private static List<Target> TargetsOf(INetwork network)
    {
        var targets = new List<Target>();
        foreach (Layer layer in network.Layers)
        {
            foreach (ParameterTensor tensor in layer.Parameters)
            {
                targets.Add(new Target(tensor.Name, tensor.Shape.ToArray(), IsBuffer: false, tensor.Offset, tensor.Length));
            }

            foreach (BufferTensor tensor in layer.Buffers)
            {
                targets.Add(new Target(tensor.Name, tensor.Shape.ToArray(), IsBuffer: true, tensor.Offset, tensor.Length));
            }
        }

        return targets;
    }

    private static string Format(IEnumerable<int> shape) => $"[{string.Join(", ", shape)}]";

    private static string Format(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";

    private static OnnxFormatException Error(string? path, string? tensor, string message, Exception? inner = null)
        => new(path is null ? message : $"ONNX file '{path}': {message}", path, tensor, inner);

    private sealed record Target(string Name, int[] Shape, bool IsBuffer, int Offset, int Length);
}
