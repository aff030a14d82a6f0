using System;
using System.Buffers;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;
using System.Text.Encodings.Web;
using System.Text.Json;
using TypedNets.Kernels;
using static TypedNets.Serialization.SafeTensorsRules;

namespace TypedNets.Serialization;

/// <summary>
/// The element types TypedNets reads from a safetensors file: the floats, each converted to <see cref="float"/>
/// exactly, and the integers of PyTorch's BatchNorm counter and of an int8 file, which are never converted.
/// </summary>
internal enum SafeTensorsDtype
{
    /// <summary>IEEE 754 binary32, little-endian.</summary>
    F32,

    /// <summary>IEEE 754 binary16, little-endian.</summary>
    F16,

    /// <summary>bfloat16 (the upper half of a binary32), little-endian.</summary>
    BF16,

    /// <summary>
    /// 64-bit signed integer, little-endian: read only as PyTorch's BatchNorm counter <c>num_batches_tracked</c>, whose
    /// bytes are checked and skipped, never converted.
    /// </summary>
    I64,

    /// <summary>8-bit signed integer: the codes of an int8 weight.</summary>
    I8,

    /// <summary>8-bit unsigned integer: the input zero point of a statically quantised int8 weight.</summary>
    U8,
}

/// <summary>Where the values of a file's tensor go.</summary>
internal enum StateKind
{
    /// <summary>Into the network's <c>Parameters</c>.</summary>
    Parameter,

    /// <summary>Into the network's <c>Buffers</c>.</summary>
    Buffer,

    /// <summary>Nowhere: PyTorch's BatchNorm <c>num_batches_tracked</c>, which a file may hold and a load skips.</summary>
    Ignored,

    /// <summary>
    /// Nowhere: a tied Dense's weight under its own name (<c>head.weight</c>), which PyTorch's <c>state_dict()</c> lists
    /// besides the embedding's <c>tokens.weight</c>; a file may hold it, a load checks its shape and skips its values
    /// (the table is read from the embedding's name), and a save leaves it out.
    /// </summary>
    Alias,

    /// <summary>
    /// Into an optimizer's per-parameter state in a checkpoint: the buffer <see cref="StateTensor.Slot"/> of
    /// <c>Optimizer.StateNames</c>, at the offset of the parameter tensor it belongs to.
    /// </summary>
    OptimizerState,

    /// <summary>
    /// From an int8 weight's codes, which a save writes as I8 under the weight's name and shape; a load reads them as
    /// the <see cref="Parameter"/> they stand for.
    /// </summary>
    Int8Codes,

    /// <summary>
    /// Into the scales of an int8 weight (<c>&lt;weight&gt;_scale</c>, F32 <c>[rows]</c>), which an int8 file holds beside
    /// the weight's I8 codes. The parts of an int8 weight are named after it and have its <see cref="StateTensor.Offset"/>.
    /// </summary>
    Int8Scale,

    /// <summary>Into the input scale of a statically quantised int8 weight (<c>&lt;weight&gt;_input_scale</c>, F32 <c>[]</c>).</summary>
    Int8InputScale,

    /// <summary>Into the input zero point of a statically quantised int8 weight (<c>&lt;weight&gt;_input_zero_point</c>, U8 <c>[]</c>).</summary>
    Int8InputZeroPoint,
}

/// <summary>One entry of a network's <c>state_dict</c> as a file may hold it: a parameter, a buffer or an ignored counter.</summary>
/// <param name="Name">The <c>state_dict</c> name, such as <c>norm.running_mean</c>.</param>
/// <param name="Shape">The shape the file must give it (<c>[]</c> for the ignored counter).</param>
/// <param name="Kind">Where its values go.</param>
/// <param name="Offset">Where it starts in the network's parameter or buffer array (0 when ignored).</param>
/// <param name="Length">The number of elements (1 for the ignored counter).</param>
/// <param name="Slot">For optimizer state, the index of its buffer in the optimizer's state names; otherwise 0.</param>
internal sealed record StateTensor(string Name, int[] Shape, StateKind Kind, int Offset, int Length, int Slot = 0)
{
    /// <summary>
    /// Whether the file must hold it, and its values go somewhere: every parameter and buffer must be there, an
    /// ignored counter or a tied weight's alias may be, and an int8 weight's scales must be there exactly when the
    /// weight is int8 (which <see cref="Int8Tensors"/> checks across the file).
    /// </summary>
    public bool Required => Kind is StateKind.Parameter or StateKind.Buffer or StateKind.OptimizerState;

    /// <summary>Whether it is one of an int8 weight's scales or its input's quantisation.</summary>
    public bool IsInt8Part => Kind is StateKind.Int8Scale or StateKind.Int8InputScale or StateKind.Int8InputZeroPoint;

    /// <summary>Whether a save writes it: every tensor a file must hold, with an int8 weight's codes and parts.</summary>
    public bool Written => Required || IsInt8Part || Kind == StateKind.Int8Codes;

    /// <summary>The dtype a save writes it in: F32 but for an int8 weight's codes (I8) and input zero point (U8).</summary>
    public SafeTensorsDtype Dtype => Kind switch
    {
        StateKind.Int8Codes => SafeTensorsDtype.I8,
        StateKind.Int8InputZeroPoint => SafeTensorsDtype.U8,
        _ => SafeTensorsDtype.F32,
    };
}

/// <summary>One tensor of a validated file: where its bytes are in the data buffer and which network tensor they fill.</summary>
/// <param name="Dtype">The element type of the bytes.</param>
/// <param name="Begin">The first byte, relative to the start of the data buffer.</param>
/// <param name="End">One past the last byte, relative to the start of the data buffer.</param>
/// <param name="Target">The network tensor of the same name and shape, or the ignored counter.</param>
internal readonly record struct PlannedTensor(SafeTensorsDtype Dtype, long Begin, long End, StateTensor Target)
{
    /// <summary>The number of bytes of one element.</summary>
    public int ElementSize => SafeTensorsHeader.SizeOf(Dtype);
}

/// <summary>A header that passed every check: its tensors in data-buffer order, the buffer's length and the metadata.</summary>
/// <param name="Tensors">The tensors sorted by <see cref="PlannedTensor.Begin"/>; they follow one another from byte 0 without gaps.</param>
/// <param name="BufferLength">The length of the data buffer, which the tensors cover exactly.</param>
/// <param name="Metadata">The <c>__metadata__</c> object when it was asked for, else (and when the file has none) empty.</param>
/// <param name="Int8">For an int8 file loaded into a network, which of <paramref name="Tensors"/> make up each int8 weight; otherwise <see langword="null"/>.</param>
internal sealed record SafeTensorsLayout(PlannedTensor[] Tensors, long BufferLength, IReadOnlyDictionary<string, string> Metadata, Int8Plan? Int8 = null);

/// <summary>
/// Writes and checks the JSON header of a safetensors file. Checking is strict and complete: a header that passes
/// describes tensors that exactly tile the data buffer and exactly match the network's parameters and buffers (and
/// the BatchNorm counters it may hold), so copying can no longer fail.
/// </summary>
internal static class SafeTensorsHeader
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Tensor names and metadata are written as UTF-8, as the reference implementation does; the relaxed encoder
        // still escapes quotes, backslashes and control characters, so the header stays valid JSON.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>The suffix of the one tensor name a file may hold beyond the network's, for each BatchNorm layer.</summary>
    public const string CounterSuffix = ".num_batches_tracked";

    /// <summary>The suffix of a layer's weight in <c>state_dict</c>, under which PyTorch also lists a tied weight.</summary>
    public const string WeightSuffix = ".weight";

    /// <summary>The size in bytes of one element of <paramref name="dtype"/>.</summary>
    public static int SizeOf(SafeTensorsDtype dtype) => dtype switch
    {
        SafeTensorsDtype.F32 => 4,
        SafeTensorsDtype.I64 => 8,
        SafeTensorsDtype.I8 or SafeTensorsDtype.U8 => 1,
        _ => 2,
    };

    /// <summary>
    /// The network's <c>state_dict</c> in order (per layer, its parameters and then its buffers), followed by the
    /// counter <c>&lt;module&gt;.num_batches_tracked</c> of each BatchNorm layer, which a file may hold and a load ignores.
    /// With <paramref name="int8"/>, the parts an int8 file may hold for each parameter <c>Quantize</c> turns into int8
    /// (<see cref="Int8Tensors.PartsOf"/>) follow at the end.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="int8">Whether to describe the tensors of an int8 file as well as those of a float one.</param>
    /// <exception cref="InvalidOperationException">Two of the network's tensors have the same name.</exception>
    public static List<StateTensor> StateOf(INetwork network, bool int8 = false)
    {
        var state = new List<StateTensor>();
        var names = new HashSet<string>(StringComparer.Ordinal) { MetadataKey };
        foreach (Layer layer in network.Layers)
        {
            foreach (ParameterTensor tensor in layer.Parameters)
            {
                Add(new StateTensor(tensor.Name, tensor.Shape.ToArray(), StateKind.Parameter, tensor.Offset, tensor.Length));
            }

            foreach (BufferTensor tensor in layer.Buffers)
            {
                Add(new StateTensor(tensor.Name, tensor.Shape.ToArray(), StateKind.Buffer, tensor.Offset, tensor.Length));
            }
        }

        // After every real tensor, so that a real tensor of the same name (none has one today) would win.
        foreach (Layer layer in network.Layers)
        {
            if (layer is DenseLayer { TiedTo: not null } tied && names.Add(tied.Name + WeightSuffix))
            {
                state.Add(new StateTensor(tied.Name + WeightSuffix, tied.Weight.Shape.ToArray(), StateKind.Alias, tied.Weight.Offset, tied.Weight.Length));
            }

            if (layer is BatchNormLayer && names.Add(layer.Name + CounterSuffix))
            {
                state.Add(new StateTensor(layer.Name + CounterSuffix, [], StateKind.Ignored, 0, 1));
            }
        }

        if (int8)
        {
            Int8Tensors.AddLoadable(network, state, names);
        }

        return state;

        void Add(StateTensor tensor)
        {
            if (!names.Add(tensor.Name))
            {
                throw new InvalidOperationException(
                    $"{NameOf(network)} has two tensors named {Quote(tensor.Name)} (or one named {MetadataKey}); " +
                    "a safetensors file holds each name once, so it could not say which is which.");
            }

            state.Add(tensor);
        }
    }

    /// <summary>
    /// The tensors a save of <paramref name="network"/> writes, in <c>state_dict</c> order (per layer, its parameters
    /// and then its buffers; no <c>num_batches_tracked</c>), all F32 unless the network is quantised: then each weight
    /// of <paramref name="int8"/> is written as its I8 codes, followed by its scales and, when static, its input's
    /// scale and zero point (see <see cref="Int8Tensors"/>).
    /// </summary>
    /// <param name="network">The network to save.</param>
    /// <param name="int8">The network's int8 weights, read once by the caller, or <see langword="null"/> for a float network.</param>
    public static List<StateTensor> SavedStateOf(INetwork network, Int8Weights? int8)
    {
        var saved = new List<StateTensor>();
        foreach (StateTensor tensor in StateOf(network))
        {
            if (!tensor.Required)
            {
                continue;
            }

            Int8Weight? weight = tensor.Kind == StateKind.Parameter ? int8?.Find(tensor.Offset) : null;
            if (weight is null)
            {
                saved.Add(tensor);
                continue;
            }

            saved.Add(tensor with { Kind = StateKind.Int8Codes });
            saved.AddRange(Int8Tensors.PartsOf(tensor, weight.IsStatic));
        }

        return saved;
    }

    /// <summary>
    /// The tensors of <paramref name="tensors"/> a save writes (<see cref="StateTensor.Written"/>) in the order of their
    /// bytes in the data buffer: by element size, largest first, and otherwise in the order given, as the reference
    /// implementation orders them, so that every tensor starts at a multiple of its element size (the data buffer
    /// starts 8-byte aligned) and can be read in place. A float network's tensors stay in <c>state_dict</c> order.
    /// </summary>
    /// <param name="tensors">The tensors, in the header's order.</param>
    public static List<StateTensor> DataOrder(IEnumerable<StateTensor> tensors)
        => [.. tensors.Where(tensor => tensor.Written).OrderByDescending(tensor => SizeOf(tensor.Dtype))];

    /// <summary>
    /// The header of <paramref name="tensors"/> in the order given, each in its <see cref="StateTensor.Dtype"/>,
    /// skipping those not <see cref="StateTensor.Written"/>, with offsets in <see cref="DataOrder"/> and
    /// <c>__metadata__</c> first when there is any (keys in ordinal order, so equal inputs give equal bytes), padded
    /// with spaces to a multiple of 8 bytes so that the data buffer starts 8-byte aligned.
    /// </summary>
    /// <param name="tensors">The tensors, with distinct names.</param>
    /// <param name="metadata">Free-form strings to store, or <see langword="null"/>.</param>
    /// <param name="quantization">
    /// The value of <see cref="Int8Tensors.QuantizationKey"/> to store in the metadata as well (which must then hold that
    /// value or not hold the key), or <see langword="null"/>.
    /// </param>
    /// <exception cref="ArgumentException">A metadata key or value is <see langword="null"/>.</exception>
    public static byte[] Write(IReadOnlyList<StateTensor> tensors, IReadOnlyDictionary<string, string>? metadata, string? quantization = null)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            writer.WriteStartObject();
            if (metadata is not null || quantization is not null)
            {
                var keys = new List<string>((metadata?.Count ?? 0) + 1);
                foreach (KeyValuePair<string, string> pair in metadata ?? ReadOnlyDictionary<string, string>.Empty)
                {
                    if (pair.Key is null || pair.Value is null)
                    {
                        throw new ArgumentException(
                            $"Metadata entry '{pair.Key}' has a null {(pair.Key is null ? "key" : "value")}; safetensors metadata maps strings to strings.",
                            nameof(metadata));
                    }

                    keys.Add(pair.Key);
                }

                if (quantization is not null && metadata?.ContainsKey(Int8Tensors.QuantizationKey) != true)
                {
                    keys.Add(Int8Tensors.QuantizationKey);
                }

                keys.Sort(StringComparer.Ordinal);
                writer.WriteStartObject(MetadataKey);
                foreach (string key in keys)
                {
                    writer.WriteString(key, quantization is not null && key == Int8Tensors.QuantizationKey ? quantization : metadata![key]);
                }

                writer.WriteEndObject();
            }

            var begins = new Dictionary<StateTensor, long>(ReferenceEqualityComparer.Instance);
            long offset = 0;
            foreach (StateTensor tensor in DataOrder(tensors))
            {
                begins.Add(tensor, offset);
                offset += (long)SizeOf(tensor.Dtype) * tensor.Length;
            }

            foreach (StateTensor tensor in tensors)
            {
                if (!tensor.Written)
                {
                    continue;
                }

                writer.WriteStartObject(tensor.Name);
                writer.WriteString("dtype", tensor.Dtype.ToString());
                writer.WriteStartArray("shape");
                foreach (int dimension in tensor.Shape)
                {
                    writer.WriteNumberValue(dimension);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                long begin = begins[tensor];
                writer.WriteNumberValue(begin);
                writer.WriteNumberValue(begin + ((long)SizeOf(tensor.Dtype) * tensor.Length));
                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        int padded = (output.WrittenCount + 7) / 8 * 8;
        byte[] header = new byte[padded];
        output.WrittenSpan.CopyTo(header);
        header.AsSpan(output.WrittenCount).Fill((byte)' ');
        return header;
    }

    /// <summary>
    /// Checks that <paramref name="header"/> is a well-formed safetensors header whose tensors tile the data buffer and,
    /// when a network is given, match its names and shapes, and returns where each tensor's bytes are.
    /// </summary>
    /// <param name="header">The header's bytes (the length field excluded).</param>
    /// <param name="bufferLength">
    /// The length of the data buffer that follows the header, or <see langword="null"/> when it is not known yet (a
    /// stream that cannot seek); then the tensors' extent defines it and the caller checks the stream ends there.
    /// </param>
    /// <param name="network">The network the file must match, or <see langword="null"/> to check the file alone.</param>
    /// <param name="path">The file, for messages, or <see langword="null"/>.</param>
    /// <param name="readMetadata">Whether to return the metadata's strings, rather than only check them.</param>
    /// <param name="rename">Maps the file's names to the network's (<see langword="null"/> to skip a tensor), or <see langword="null"/> to match them as they are.</param>
    /// <exception cref="SafeTensorsFormatException">The header is malformed or does not match the network.</exception>
    /// <exception cref="ArgumentException">The rename maps two of the file's tensors to one of the network's.</exception>
    public static SafeTensorsLayout Parse(ReadOnlySpan<byte> header, long? bufferLength, INetwork? network, string? path, bool readMetadata, Func<string, string?>? rename = null)
        => new SafeTensorsHeaderReader(network, bufferLength, path, rename).Read(header, readMetadata);

    /// <summary>
    /// As <see cref="Parse(ReadOnlySpan{byte}, long?, INetwork?, string?, bool, Func{string, string}?)"/>, against an explicit list of tensors
    /// (a checkpoint's: the network's and the optimizer's), named <paramref name="owner"/> in messages.
    /// </summary>
    /// <param name="header">The header's bytes (the length field excluded).</param>
    /// <param name="bufferLength">The length of the data buffer that follows the header.</param>
    /// <param name="owner">What the tensors belong to, for messages, such as the network's name.</param>
    /// <param name="tensors">The tensors the file must hold, with distinct names.</param>
    /// <param name="path">The file, for messages, or <see langword="null"/>.</param>
    /// <exception cref="SafeTensorsFormatException">The header is malformed or does not hold exactly these tensors.</exception>
    public static SafeTensorsLayout Parse(ReadOnlySpan<byte> header, long bufferLength, string owner, StateTensor[] tensors, string? path)
        => new SafeTensorsHeaderReader(owner, tensors, bufferLength, path).Read(header, readMetadata: false);

    /// <summary>
    /// Checks the header length field against the limits and against the bytes that follow it, and returns it as an int.
    /// </summary>
    /// <param name="declared">The value of the 8-byte length field.</param>
    /// <param name="following">The number of bytes after the length field, or <see langword="null"/> when not known.</param>
    /// <param name="path">The file, for messages, or <see langword="null"/>.</param>
    public static int CheckLength(ulong declared, long? following, string? path)
        => SafeTensorsRules.HeaderLengthProblem(declared, following) is string problem ? throw Error(path, null, problem) : (int)declared;

    /// <summary>The exception for a malformed file, its message prefixed with the file's path when there is one.</summary>
    public static SafeTensorsFormatException Error(string? path, string? tensor, string message, Exception? inner = null)
        => new(path is null ? message : $"Safetensors file '{path}': {message}", path, tensor, inner);

    /// <summary>The name of a network for messages: its type's name.</summary>
    public static string NameOf(INetwork network) => network.GetType().Name;

    /// <summary>A shape for messages, such as <c>[5, 4]</c>.</summary>
    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";
}
