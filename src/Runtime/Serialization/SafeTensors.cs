using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using TypedNets.Kernels;

namespace TypedNets.Serialization;

/// <summary>
/// Saves and loads a network's state in the <a href="https://github.com/huggingface/safetensors">safetensors</a>
/// format: its parameters and its buffers (batch normalisation's <c>running_mean</c> and <c>running_var</c>), under
/// PyTorch's <c>state_dict</c> names and shapes, so weights move between TypedNets and PyTorch
/// (<c>safetensors.torch.load_file</c>, then <c>model.load_state_dict</c>) in both directions.
/// </summary>
/// <remarks>
/// <para>
/// A file is an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// <c>{"__metadata__": {...}, "hidden.weight": {"dtype": "F32", "shape": [5, 4], "data_offsets": [0, 80]}, ...}</c>,
/// then the data buffer, in which every tensor's bytes lie at its offsets, row-major and little-endian.
/// </para>
/// <para>
/// Saving writes F32 in <c>state_dict</c> order, which is PyTorch's: layer by layer, each layer's parameters
/// (<see cref="Layer.Parameters"/>) and then its buffers (<see cref="Layer.Buffers"/>), as in
/// <c>norm.weight, norm.bias, norm.running_mean, norm.running_var</c>. The header is padded with spaces to a multiple of
/// 8 bytes as the reference implementation does, and a file is replaced atomically. Loading reads F32, F16 and BF16
/// (converted to float exactly) and trusts nothing: the header length, the JSON, every entry, the tiling of the data
/// buffer and the match with the network's names and shapes are all checked before the first value is written, and
/// every fault is a <see cref="SafeTensorsFormatException"/> that leaves the network's parameters and buffers as they
/// were. What is checked:
/// </para>
/// <list type="bullet">
/// <item>the file holds at least the 8-byte length field; the header length is at least 2, at most
/// <see cref="MaxHeaderLength"/>, and at most the bytes after the field;</item>
/// <item>the header is valid UTF-8 and one JSON object starting with <c>{</c> (no comments, trailing commas, byte-order
/// mark or leading whitespace), with no key twice and no escape that decodes to a lone surrogate;</item>
/// <item><c>__metadata__</c>, when present, maps strings to strings, with no key twice;</item>
/// <item>every other key is a tensor: an object with exactly <c>dtype</c> (<c>F32</c>, <c>F16</c> or <c>BF16</c>; or
/// <c>I64</c> for the BatchNorm counter below), <c>shape</c> (at most 64 non-negative integers whose product fits 64
/// bits) and <c>data_offsets</c> (two non-negative integers <c>[begin, end]</c>, begin &lt;= end &lt;= data length,
/// <c>end - begin</c> = elements x element size); integers are plain digits, without sign, fraction or exponent;</item>
/// <item>sorted by offset, the tensors start at byte 0, follow one another without gap or overlap and end at the end of
/// the file;</item>
/// <item>the tensors are exactly the network's parameters and buffers, by name, each with the network's shape, and
/// nothing else but the optional counters below. Their order in the file is free;</item>
/// <item>every value is finite: a NaN or an infinity, in a parameter or a buffer (a running variance) and in any dtype,
/// is refused, naming the tensor, the element and the value, unless the load is called with
/// <c>allowNonFinite: true</c>. A network with one non-finite weight predicts NaN for every input it reaches, and such
/// weights are almost always those of a training run that diverged, saved without anyone noticing. The check reads
/// the file's bits (all exponent bits set), vectorised, before anything is written into the network.</item>
/// </list>
/// <para>
/// PyTorch's BatchNorm modules also put <c>&lt;module&gt;.num_batches_tracked</c> in their <c>state_dict</c>: the
/// number of training batches seen, an I64 scalar (shape <c>[]</c>). PyTorch reads it only to average the running
/// statistics when <c>momentum=None</c>; TypedNets' BatchNorm always has a momentum and keeps no such count. So a load
/// <b>accepts and ignores</b> it: for each <see cref="BatchNormLayer"/>, a file may hold
/// <c>&lt;its name&gt;.num_batches_tracked</c>, which must then be dtype <c>I64</c> and shape <c>[]</c> (8 bytes, checked
/// and tiled like any other tensor, its value skipped), and which is never required. I64 is refused everywhere else. A
/// save <b>does not write</b> it, having no count to write; PyTorch's <c>load_state_dict</c>, even with
/// <c>strict=True</c>, accepts a <c>state_dict</c> without it (from a plain dictionary such as
/// <c>safetensors.torch.load_file</c> returns, it fills in 0). Without a network, <see cref="ReadMetadata(string)"/>
/// accepts an I64 scalar under any name ending in <c>.num_batches_tracked</c>, since any module may be a BatchNorm.
/// </para>
/// <para>
/// <b>Int8 files.</b> A network quantised with <c>Quantize()</c> (dynamic) or <c>Quantize(calibration)</c> (static)
/// saves each int8 weight <c>W</c> (every weight <see cref="Compression.Quantization.QuantizableWeights"/> lists: Dense
/// weights not tied to an embedding, ungrouped Conv2D weights, LSTM and GRU <c>weight_ih</c> and <c>weight_hh</c>) as
/// </para>
/// <list type="bullet">
/// <item><c>W</c>: I8, the float weight's shape (<c>[out, in]</c>, <c>[filters, channels, kh, kw]</c>, <c>[4H, in]</c>),
/// the codes row-major, a row per output channel;</item>
/// <item><c>W_scale</c>: F32 <c>[rows]</c>, each row's scale (positive and finite): the weight is <c>scale[row] * code</c>;</item>
/// <item>for a static quantisation, <c>W_input_scale</c>: F32 <c>[]</c>, and <c>W_input_zero_point</c>: U8 <c>[]</c>, the
/// calibrated quantisation of the product's input, <c>x = scale * (q - zero_point)</c>. Scalars are 0-d tensors, as
/// PyTorch's quantised modules save their <c>scale</c> and <c>zero_point</c>; the zero point is U8 as ONNX's
/// <c>QuantizeLinear</c> types it, so no value of its type is out of range;</item>
/// </list>
/// <para>
/// with every other parameter and buffer F32 as in a float file, and <c>"typednets.quantization"</c>:
/// <c>"int8-dynamic"</c> or <c>"int8-static"</c> in <c>__metadata__</c> (a key a save writes itself: the caller's
/// metadata may not give it another value). The header lists the tensors in <c>state_dict</c> order, each weight's
/// scales and input quantisation right after it; the data buffer holds the F32 tensors first and the one-byte tensors
/// after them, as the reference implementation orders tensors by element size, so that every F32 tensor stays 4-byte
/// aligned. The file of the MLP 784-256-128-10 is 0.254 times the float one (238,664 bytes against 941,064).
/// </para>
/// <para>
/// A load of such a file into a network of the same type, float or quantised, makes it quantised as the file says
/// (<see cref="NetworkEngine{T}.Int8Weights"/>, with float parameters holding <c>scale * code</c>, exactly as
/// <c>Quantize</c> leaves them), and it predicts bit for bit as the network that was saved. A load of a float file
/// makes a quantised network float again, as loading any file makes the network what the file holds; quantise it again
/// for int8 inference. A file is int8 when it holds an I8 tensor or an int8 weight's part, or when its metadata says
/// so; it may quantise any of the weights <c>Quantize</c> would, but all of them the same way. Beyond the checks
/// above, a load refuses an int8 weight without its scales, a part without its int8 weight, scales whose shape is not
/// <c>[rows]</c>, a scale or input scale that is not positive and finite (whatever <c>allowNonFinite</c> says), an
/// input scale without its zero point or the other way round, I8 for a tensor <c>Quantize</c> keeps float, U8 anywhere
/// but at a zero point, a part of another dtype than its own, weights quantised some statically and some dynamically,
/// and metadata that says otherwise than the tensors; each refusal names the tensor and leaves the network, its float
/// weights and its int8 weights, as it was. Without a network, <see cref="ReadMetadata(string)"/> accepts I8 and U8
/// under any name.
/// </para>
/// <para>
/// Memory: sizes from the header are checked against the file's length before anything is allocated from them, and
/// what the header cannot be trusted with is bounded: names are matched as bytes and never decoded unless they are
/// wrong (with a rename, each is decoded to be passed to it, and tensors it skips are not counted against the network),
/// a header listing more tensors than the network can hold is refused as soon as it does, and metadata keys
/// cost one 8-byte hash each. A load from a span allocates a small constant plus at most the header's length; from a
/// seekable stream or a path, also a copy of the header and staging copies of the parameters and buffers (at most
/// twice the data's length, for F16 or BF16). The metadata is not returned by a load;
/// <see cref="ReadMetadata(string)"/> reads it.
/// </para>
/// </remarks>
public static class SafeTensors
{
    /// <summary>The largest header a file may declare, in bytes; the reference implementation's limit.</summary>
    public const int MaxHeaderLength = SafeTensorsRules.MaxHeaderLength;

    // Data is read through a pooled chunk of this size and decoded into the staging buffer as it arrives.
    private const int ChunkSize = 1 << 16;

    /// <summary>
    /// Saves <paramref name="network"/>'s parameters and buffers to <paramref name="path"/> as F32 in <c>state_dict</c>
    /// order (without BatchNorm's <c>num_batches_tracked</c>; a quantised network's int8 weights as I8 codes with their
    /// scales; see <see cref="SafeTensors"/>), replacing the file atomically:
    /// the bytes go to a temporary file in the same directory, are flushed to the disk and then renamed over
    /// <paramref name="path"/>, so a failed or interrupted save leaves any previous file untouched (see <see cref="AtomicFile"/>).
    /// </summary>
    /// <param name="network">The network whose parameters and buffers to save.</param>
    /// <param name="path">The file to create or replace, conventionally <c>*.safetensors</c>.</param>
    /// <param name="metadata">Strings to store in the header's <c>__metadata__</c> (PyTorch's writer adds <c>"format": "pt"</c>), or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">
    /// A metadata key or value is <see langword="null"/>, or the metadata gives <c>typednets.quantization</c> another value
    /// than the save writes (ParamName <c>metadata</c>); no file is created or changed.
    /// </exception>
    /// <exception cref="InvalidOperationException">When another thread is training the network or loading its weights.</exception>
    public static void Save(INetwork network, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(path);

        // A save reads the weights as predictions do, so it may run beside them, but not beside training or a load on
        // another thread, which would leave a file mixing two weight sets (or int8 weights the header does not list).
        using NetworkAccess.SharedScope reading = network.Access.Shared("SafeTensors.Save");

        // The header is built first, so a network or metadata that cannot be saved creates no file at all.
        SavePlan plan = Plan(network, metadata);
        AtomicFile.Write(path, stream => Write(network, plan, stream));
    }

    /// <summary>
    /// Writes <paramref name="network"/>'s parameters and buffers to <paramref name="stream"/> as a safetensors file of F32
    /// tensors in <c>state_dict</c> order (without BatchNorm's <c>num_batches_tracked</c>; a quantised network's int8
    /// weights as I8 codes with their scales, see <see cref="SafeTensors"/>).
    /// </summary>
    /// <param name="network">The network whose parameters and buffers to save.</param>
    /// <param name="stream">Where to write, from its current position; it is neither flushed nor closed.</param>
    /// <param name="metadata">Strings to store in the header's <c>__metadata__</c>, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">
    /// The stream cannot be written (ParamName <c>stream</c>), or a metadata key or value is <see langword="null"/>, or the
    /// metadata gives <c>typednets.quantization</c> another value than the save writes (ParamName <c>metadata</c>).
    /// </exception>
    /// <exception cref="InvalidOperationException">When another thread is training the network or loading its weights.</exception>
    public static void Save(INetwork network, Stream stream, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream cannot be written; pass a writable stream.", nameof(stream));
        }

        using NetworkAccess.SharedScope reading = network.Access.Shared("SafeTensors.Save");
        Write(network, Plan(network, metadata), stream);
    }

    /// <summary>
    /// Saves <paramref name="network"/>'s parameters and buffers as a safetensors file encoded in base64 text, the file that
    /// <see cref="EmbeddedWeightsAttribute"/> compiles into a network: the bytes <see cref="Save(INetwork, string, IReadOnlyDictionary{string, string})"/>
    /// writes, in lines of 76 base64 characters ending in <c>'\n'</c>. The file is replaced atomically, as by <c>Save</c>.
    /// </summary>
    /// <remarks>
    /// A source generator receives a project's <c>AdditionalFiles</c> as text, not bytes, so embedded weights travel
    /// as base64 (a third larger than the binary file). List the file as
    /// <c>&lt;AdditionalFiles Include="name.safetensors.b64" /&gt;</c> and name it in <c>[EmbeddedWeights("name.safetensors.b64")]</c>.
    /// <see cref="LoadBase64(INetwork, string, bool)"/> reads it back at run time.
    /// </remarks>
    /// <param name="network">The network whose parameters to save.</param>
    /// <param name="path">The file to create or replace, conventionally <c>*.safetensors.b64</c>.</param>
    /// <param name="metadata">Strings to store in the header's <c>__metadata__</c>, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">
    /// A metadata key or value is <see langword="null"/>, or the metadata gives <c>typednets.quantization</c> another value
    /// than the save writes (ParamName <c>metadata</c>); no file is created or changed.
    /// </exception>
    /// <exception cref="InvalidOperationException">When another thread is training the network or loading its weights.</exception>
    public static void SaveBase64(INetwork network, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(path);

        // Encoded before the file is opened, so a network or metadata that cannot be saved creates no file at all.
        byte[] text = ToBase64Lines(ToBytes(network, metadata));
        AtomicFile.Write(path, stream => stream.Write(text));
    }

    /// <summary>
    /// Loads <paramref name="network"/>'s parameters from a base64-encoded safetensors file written by
    /// <see cref="SaveBase64(INetwork, string, IReadOnlyDictionary{string, string})"/> (whitespace between the base64
    /// characters is ignored), after checking all of it; the network is unchanged when it throws.
    /// </summary>
    /// <param name="network">The network to fill.</param>
    /// <param name="path">The file to read.</param>
    /// <param name="allowNonFinite">Whether to load NaN and infinite values rather than refuse them (see <see cref="Load(INetwork, string, bool)"/>).</param>
    /// <exception cref="SafeTensorsFormatException">
    /// The text is not base64, or its bytes are not a safetensors file for this network, or (unless
    /// <paramref name="allowNonFinite"/>) a value is NaN or infinite.
    /// </exception>
    /// <exception cref="InvalidOperationException">When other threads are predicting with, or training, the network; it is unchanged.</exception>
    public static void LoadBase64(INetwork network, string path, bool allowNonFinite = false)
        => LoadBase64Text(network, path, rename: null, allowNonFinite);

    /// <summary>
    /// As <see cref="LoadBase64(INetwork, string, bool)"/>, loading each of the file's tensors under the network's name
    /// <paramref name="rename"/> gives it (see <see cref="Load(INetwork, string, Func{string, string}, bool)"/>).
    /// </summary>
    /// <param name="network">The network to fill.</param>
    /// <param name="path">The file to read.</param>
    /// <param name="rename">Maps each of the file's tensor names to the network's name it is loaded as, or to <see langword="null"/> to skip the tensor.</param>
    /// <param name="allowNonFinite">Whether to load NaN and infinite values rather than refuse them (see <see cref="Load(INetwork, string, bool)"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="rename"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The rename maps two of the file's tensors to one of the network's (ParamName <c>rename</c>).</exception>
    /// <exception cref="SafeTensorsFormatException">
    /// The text is not base64, or its bytes are not a safetensors file whose tensors, renamed, are this network's, or
    /// (unless <paramref name="allowNonFinite"/>) a value is NaN or infinite.
    /// </exception>
    /// <exception cref="InvalidOperationException">When other threads are predicting with, or training, the network; it is unchanged.</exception>
    public static void LoadBase64(INetwork network, string path, Func<string, string?> rename, bool allowNonFinite = false)
    {
        ArgumentNullException.ThrowIfNull(rename);
        LoadBase64Text(network, path, rename, allowNonFinite);
    }

    private static void LoadBase64Text(INetwork network, string path, Func<string, string?>? rename, bool allowNonFinite)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text = File.ReadAllText(path);
        byte[] file;
        try
        {
            file = Convert.FromBase64String(text);
        }
        catch (FormatException exception)
        {
            throw SafeTensorsHeader.Error(path, null, $"The text is not base64 ({exception.Message}); write the file with SafeTensors.SaveBase64.", exception);
        }

        Load(network, file, path, rename, allowNonFinite);
    }

    /// <summary>
    /// Loads <paramref name="network"/>'s parameters and buffers from the safetensors file at <paramref name="path"/>,
    /// after checking all of it (see <see cref="SafeTensors"/>), values included: a NaN or an infinity is refused
    /// unless <paramref name="allowNonFinite"/>. The network's parameters and buffers are unchanged when it throws.
    /// An int8 file makes the network quantised, a float file makes it float (see <see cref="SafeTensors"/>); its int8
    /// weights, too, are unchanged when it throws.
    /// </summary>
    /// <param name="network">
    /// The network to fill; the file must hold exactly its parameters and buffers, by name and shape, as F32, F16 or BF16
    /// (in an int8 file, its int8 weights as I8 with their scales), and may also hold each BatchNorm layer's
    /// <c>num_batches_tracked</c> (I64, shape <c>[]</c>), which is ignored.
    /// </param>
    /// <param name="path">The file to read.</param>
    /// <param name="allowNonFinite">
    /// Whether to load NaN and infinite values as they are. By default they are refused: a network with one predicts
    /// NaN, and such weights are nearly always the mark of a training run that diverged before it was saved.
    /// </param>
    /// <exception cref="SafeTensorsFormatException">
    /// The file is malformed or does not match the network, its int8 tensors do not make whole int8 weights of this
    /// network, or (unless <paramref name="allowNonFinite"/>) a value is NaN or infinite; the message says where and how,
    /// and names the tensor, the element and the value.
    /// </exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="InvalidOperationException">When other threads are predicting with, or training, the network; it is unchanged.</exception>
    public static void Load(INetwork network, string path, bool allowNonFinite = false)
        => LoadPath(network, path, rename: null, allowNonFinite);

    /// <summary>
    /// Loads <paramref name="network"/>'s parameters and buffers from a safetensors file whose tensor names are not the
    /// network's, such as a PyTorch <c>state_dict</c> of modules named otherwise: each of the file's tensors is loaded
    /// into the network's tensor <paramref name="rename"/> names, or skipped when it returns <see langword="null"/>. The
    /// checks are <see cref="Load(INetwork, string, bool)"/>'s, after renaming: every tensor of the network must be
    /// named exactly once, with its shape, and nothing not skipped may be left over. The network is unchanged when it throws.
    /// </summary>
    /// <remarks>
    /// The rename is called once for each tensor of the file, with the name as the file spells it; the messages name
    /// both the file's name and the network's. <see cref="AttentionNames.FromMultiheadAttention"/> is the rename for
    /// PyTorch's <c>nn.MultiheadAttention</c>; a dictionary <c>map</c> of some names is
    /// <c>name =&gt; map.GetValueOrDefault(name, name)</c>. A skipped tensor is still checked as part of the file (its
    /// dtype must be F32, F16, BF16 or I64), but its shape and values are not.
    /// </remarks>
    /// <param name="network">The network to fill.</param>
    /// <param name="path">The file to read.</param>
    /// <param name="rename">Maps each of the file's tensor names to the network's name it is loaded as, or to <see langword="null"/> to skip the tensor.</param>
    /// <param name="allowNonFinite">Whether to load NaN and infinite values rather than refuse them (see <see cref="Load(INetwork, string, bool)"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="rename"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The rename maps two of the file's tensors to one of the network's (ParamName <c>rename</c>); the message names all three.</exception>
    /// <exception cref="SafeTensorsFormatException">
    /// The file is malformed, or after renaming a tensor of the network is missing, a name is not the network's or a
    /// shape differs, or (unless <paramref name="allowNonFinite"/>) a value is NaN or infinite. <see cref="SafeTensorsFormatException.TensorName"/>
    /// is the file's name of the tensor at fault (the network's name of a missing one).
    /// </exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="InvalidOperationException">When other threads are predicting with, or training, the network; it is unchanged.</exception>
    public static void Load(INetwork network, string path, Func<string, string?> rename, bool allowNonFinite = false)
    {
        ArgumentNullException.ThrowIfNull(rename);
        LoadPath(network, path, rename, allowNonFinite);
    }

    private static void LoadPath(INetwork network, string path, Func<string, string?>? rename, bool allowNonFinite)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(path);

        // Unbuffered: the reads are already large, and the header and the data go straight to their own buffers.
        // FileShare.Delete lets a save replace the file while it is read (Windows asks for it; POSIX never minds).
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 0, FileOptions.SequentialScan);
        Load(network, stream, path, rename, allowNonFinite);
    }

    /// <summary>
    /// Loads <paramref name="network"/>'s parameters and buffers from a safetensors file that fills
    /// <paramref name="stream"/> from its current position to its end, after checking all of it; the network's
    /// parameters and buffers are unchanged when it throws.
    /// </summary>
    /// <remarks>
    /// A seekable stream's length bounds every size in the header before anything is allocated. A stream that cannot
    /// seek is read as its bytes arrive: the header grows with the bytes actually read, the tensors are staged in copies
    /// of the network's parameters and buffers (allocated once the header matched the network), and the stream must end
    /// exactly where the last tensor does.
    /// </remarks>
    /// <param name="network">The network to fill.</param>
    /// <param name="stream">The stream to read; it is read to its end and not closed.</param>
    /// <param name="allowNonFinite">Whether to load NaN and infinite values rather than refuse them (see <see cref="Load(INetwork, string, bool)"/>).</param>
    /// <exception cref="SafeTensorsFormatException">
    /// The bytes are not a safetensors file for this network, or (unless <paramref name="allowNonFinite"/>) a value is
    /// NaN or infinite.
    /// </exception>
    /// <exception cref="InvalidOperationException">When other threads are predicting with, or training, the network; it is unchanged.</exception>
    public static void Load(INetwork network, Stream stream, bool allowNonFinite = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        Load(network, stream, path: null, rename: null, allowNonFinite);
    }

    /// <summary>
    /// As <see cref="Load(INetwork, Stream, bool)"/>, loading each of the file's tensors under the network's name
    /// <paramref name="rename"/> gives it (see <see cref="Load(INetwork, string, Func{string, string}, bool)"/>).
    /// </summary>
    /// <param name="network">The network to fill.</param>
    /// <param name="stream">The stream to read; it is read to its end and not closed.</param>
    /// <param name="rename">Maps each of the file's tensor names to the network's name it is loaded as, or to <see langword="null"/> to skip the tensor.</param>
    /// <param name="allowNonFinite">Whether to load NaN and infinite values rather than refuse them (see <see cref="Load(INetwork, string, bool)"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="rename"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The rename maps two of the file's tensors to one of the network's (ParamName <c>rename</c>).</exception>
    /// <exception cref="SafeTensorsFormatException">
    /// The bytes are not a safetensors file whose tensors, renamed, are this network's, or (unless
    /// <paramref name="allowNonFinite"/>) a value is NaN or infinite.
    /// </exception>
    /// <exception cref="InvalidOperationException">When other threads are predicting with, or training, the network; it is unchanged.</exception>
    public static void Load(INetwork network, Stream stream, Func<string, string?> rename, bool allowNonFinite = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(rename);
        Load(network, stream, path: null, rename, allowNonFinite);
    }

    /// <summary>
    /// Loads <paramref name="network"/>'s parameters and buffers from a whole safetensors file held in memory, after
    /// checking all of it; the network's parameters and buffers are unchanged when it throws.
    /// </summary>
    /// <param name="network">The network to fill.</param>
    /// <param name="file">The file's bytes, exactly: the header length field, the header and the data buffer.</param>
    /// <param name="allowNonFinite">Whether to load NaN and infinite values rather than refuse them (see <see cref="Load(INetwork, string, bool)"/>).</param>
    /// <exception cref="SafeTensorsFormatException">
    /// The bytes are not a safetensors file for this network, or (unless <paramref name="allowNonFinite"/>) a value is
    /// NaN or infinite.
    /// </exception>
    /// <exception cref="InvalidOperationException">When other threads are predicting with, or training, the network; it is unchanged.</exception>
    public static void Load(INetwork network, ReadOnlySpan<byte> file, bool allowNonFinite = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        Load(network, file, path: null, rename: null, allowNonFinite);
    }

    /// <summary>
    /// As <see cref="Load(INetwork, ReadOnlySpan{byte}, bool)"/>, loading each of the file's tensors under the network's
    /// name <paramref name="rename"/> gives it (see <see cref="Load(INetwork, string, Func{string, string}, bool)"/>).
    /// </summary>
    /// <param name="network">The network to fill.</param>
    /// <param name="file">The file's bytes, exactly: the header length field, the header and the data buffer.</param>
    /// <param name="rename">Maps each of the file's tensor names to the network's name it is loaded as, or to <see langword="null"/> to skip the tensor.</param>
    /// <param name="allowNonFinite">Whether to load NaN and infinite values rather than refuse them (see <see cref="Load(INetwork, string, bool)"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="rename"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The rename maps two of the file's tensors to one of the network's (ParamName <c>rename</c>).</exception>
    /// <exception cref="SafeTensorsFormatException">
    /// The bytes are not a safetensors file whose tensors, renamed, are this network's, or (unless
    /// <paramref name="allowNonFinite"/>) a value is NaN or infinite.
    /// </exception>
    /// <exception cref="InvalidOperationException">When other threads are predicting with, or training, the network; it is unchanged.</exception>
    public static void Load(INetwork network, ReadOnlySpan<byte> file, Func<string, string?> rename, bool allowNonFinite = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(rename);
        Load(network, file, path: null, rename, allowNonFinite);
    }

    /// <summary>
    /// The <c>__metadata__</c> of the safetensors file at <paramref name="path"/>, read from its header without the
    /// tensor data; the header is checked as <see cref="Load(INetwork, string, bool)"/> checks it, short of matching a network
    /// (an I64 scalar is accepted under any name ending in <c>.num_batches_tracked</c>).
    /// </summary>
    /// <remarks>Unlike a load, this allocates the metadata's strings and the tensor names, in proportion to the header.</remarks>
    /// <param name="path">The file to read.</param>
    /// <returns>The metadata, empty when the file has none.</returns>
    /// <exception cref="SafeTensorsFormatException">The file is malformed.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        long length = stream.Length;
        Span<byte> prefix = stackalloc byte[8];
        int prefixRead = ReadAtMost(stream, prefix);
        if (prefixRead < 8)
        {
            throw TooShort(prefixRead, path);
        }

        int headerLength = SafeTensorsHeader.CheckLength(BinaryPrimitives.ReadUInt64LittleEndian(prefix), length - 8, path);
        byte[] header = ReadExactly(stream, new byte[headerLength], 8, null, path);
        return SafeTensorsHeader.Parse(header, length - 8 - headerLength, null, path, readMetadata: true).Metadata;
    }

    /// <summary>The <c>__metadata__</c> of a whole safetensors file held in memory, after checking its header.</summary>
    /// <param name="file">The file's bytes.</param>
    /// <returns>The metadata, empty when the file has none.</returns>
    /// <exception cref="SafeTensorsFormatException">The file is malformed.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(ReadOnlySpan<byte> file)
    {
        if (file.Length < 8)
        {
            throw TooShort(file.Length, null);
        }

        int headerLength = SafeTensorsHeader.CheckLength(BinaryPrimitives.ReadUInt64LittleEndian(file), file.Length - 8, null);
        return SafeTensorsHeader.Parse(file.Slice(8, headerLength), file.Length - 8 - headerLength, null, null, readMetadata: true).Metadata;
    }

    private static void Load(INetwork network, ReadOnlySpan<byte> file, string? path, Func<string, string?>? rename, bool allowNonFinite)
    {
        if (file.Length < 8)
        {
            throw TooShort(file.Length, path);
        }

        int headerLength = SafeTensorsHeader.CheckLength(BinaryPrimitives.ReadUInt64LittleEndian(file), file.Length - 8, path);
        ReadOnlySpan<byte> buffer = file[(8 + headerLength)..];
        SafeTensorsLayout layout = SafeTensorsHeader.Parse(file.Slice(8, headerLength), buffer.Length, network, path, readMetadata: false, rename);

        // Every value is checked before the first is written, in the order of the file as a stream load meets them, so
        // that the same non-finite value is reported either way.
        if (!allowNonFinite)
        {
            foreach (PlannedTensor tensor in layout.Tensors)
            {
                if (tensor.Target.Required)
                {
                    ThrowIfNonFinite(buffer[(int)tensor.Begin..(int)tensor.End], tensor, 0, path);
                }
            }
        }

        // The int8 weights are made (their scales checked) before anything is written, from the file's own bytes.
        Int8Weights? int8 = layout.Int8?.Build(buffer, staged: false, path);

        // Everything that can be wrong has been checked, and decoding cannot fail, so the bytes go straight into the
        // network: no staging copy is needed to keep a failed load from changing it. Predictions on other threads
        // would read a mix of old and new weights, so the network is taken for the copy.
        using NetworkAccess.Scope exclusive = network.Access.Exclusive("SafeTensors.Load");
        foreach (PlannedTensor tensor in layout.Tensors)
        {
            StateTensor target = tensor.Target;
            if (target.Required && tensor.Dtype != SafeTensorsDtype.I8)
            {
                Span<float> state = target.Kind == StateKind.Parameter ? network.Parameters : network.Buffers;
                Decode(buffer[(int)tensor.Begin..(int)tensor.End], tensor.Dtype, state.Slice(target.Offset, target.Length));
            }
        }

        Quantize(network, network.Parameters, int8);
    }

    /// <summary>
    /// Makes the network what the file holds: writes each int8 weight's dequantised values (<c>scale * code</c>, what
    /// <c>Quantize</c> leaves in a quantised network's float parameters) into <paramref name="parameters"/> and sets
    /// the network's int8 weights, or clears them for a float file. The caller holds the network exclusively.
    /// </summary>
    private static void Quantize(INetwork network, Span<float> parameters, Int8Weights? int8)
    {
        foreach (Int8Weight weight in int8?.Weights ?? [])
        {
            weight.Dequantize(parameters.Slice(weight.Offset, weight.Rows * weight.Columns));
        }

        network.Core.Engine.Int8Weights = int8;
    }

    private static void Load(INetwork network, Stream stream, string? path, Func<string, string?>? rename, bool allowNonFinite)
    {
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream cannot be read; pass a readable stream.", nameof(stream));
        }

        long? available = stream.CanSeek ? Math.Max(0, stream.Length - stream.Position) : null;
        Span<byte> prefix = stackalloc byte[8];
        int prefixRead = ReadAtMost(stream, prefix);
        if (prefixRead < 8)
        {
            throw TooShort(prefixRead, path);
        }

        int headerLength = SafeTensorsHeader.CheckLength(BinaryPrimitives.ReadUInt64LittleEndian(prefix), available - 8, path);
        byte[] header = available is null ? ReadGrowing(stream, headerLength, path) : ReadExactly(stream, new byte[headerLength], 8, null, path);
        SafeTensorsLayout layout = SafeTensorsHeader.Parse(header, available - 8 - headerLength, network, path, readMetadata: false, rename);

        // A read can still fail (an I/O error, a file cut short since its length was taken), so the tensors are decoded
        // into copies of the parameters and the buffers, copied into the network only when all of them have arrived.
        // The int8 tensors (codes, scales, zero points) arrive whole in one staging array of their own.
        float[] parameters = network.Parameters.ToArray();
        float[] buffers = network.Buffers.ToArray();
        Int8Plan? plan = layout.Int8;
        byte[] staged = plan is null ? [] : new byte[plan.StagedLength];
        byte[] chunk = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(layout.BufferLength, 1, ChunkSize));
        try
        {
            long position = 8L + headerLength;
            for (int index = 0; index < layout.Tensors.Length; index++)
            {
                PlannedTensor tensor = layout.Tensors[index];
                StateTensor target = tensor.Target;
                if (plan is not null && plan.StagedStart(index) >= 0)
                {
                    int length = (int)(tensor.End - tensor.Begin);
                    ReadExactly(stream, staged.AsSpan((int)plan.StagedStart(index), length), position, target.Name, path);
                    position += length;
                    continue;
                }

                // An ignored counter's bytes are read through and dropped: the destination stays empty.
                Span<float> destination = target.Kind switch
                {
                    StateKind.Parameter => parameters.AsSpan(target.Offset, target.Length),
                    StateKind.Buffer => buffers.AsSpan(target.Offset, target.Length),
                    _ => default,
                };
                int elementsPerChunk = chunk.Length / tensor.ElementSize;
                long remaining = tensor.End - tensor.Begin;
                while (remaining > 0)
                {
                    int bytes = (int)Math.Min(remaining, (long)elementsPerChunk * tensor.ElementSize);
                    ReadExactly(stream, chunk.AsSpan(0, bytes), position, target.Name, path);
                    if (target.Required)
                    {
                        if (!allowNonFinite)
                        {
                            ThrowIfNonFinite(chunk.AsSpan(0, bytes), tensor, target.Length - destination.Length, path);
                        }

                        int elements = bytes / tensor.ElementSize;
                        Decode(chunk.AsSpan(0, bytes), tensor.Dtype, destination[..elements]);
                        destination = destination[elements..];
                    }

                    remaining -= bytes;
                    position += bytes;
                }
            }

            if (available is null && ReadAtMost(stream, chunk.AsSpan(0, 1)) > 0)
            {
                throw SafeTensorsHeader.Error(
                    path,
                    null,
                    $"The stream goes on after byte {position}, where the last tensor ends; a safetensors file ends where its last tensor does.");
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        Int8Weights? int8 = plan?.Build(staged, staged: true, path);
        using NetworkAccess.Scope exclusive = network.Access.Exclusive("SafeTensors.Load");
        parameters.CopyTo(network.Parameters);
        buffers.CopyTo(network.Buffers);
        Quantize(network, network.Parameters, int8);
    }

    /// <summary>Refuses the first NaN or infinity among <paramref name="source"/>, elements of <paramref name="tensor"/> from <paramref name="first"/> on.</summary>
    private static void ThrowIfNonFinite(ReadOnlySpan<byte> source, PlannedTensor tensor, long first, string? path)
    {
        int index = NonFiniteValues.IndexOfFirst(source, tensor.Dtype);
        if (index >= 0)
        {
            Span<float> value = stackalloc float[1];
            Decode(source.Slice(index * tensor.ElementSize, tensor.ElementSize), tensor.Dtype, value);
            throw NonFiniteValues.Refusal(path, tensor.Target, first + index, value[0]);
        }
    }

    private static byte[] ToBytes(INetwork network, IReadOnlyDictionary<string, string>? metadata)
    {
        using NetworkAccess.SharedScope reading = network.Access.Shared("SafeTensors.Save");
        using var memory = new MemoryStream();
        Write(network, Plan(network, metadata), memory);
        return memory.ToArray();
    }

    /// <summary>Base64 in lines of 76 characters (MIME's length), each ending in '\n', so that the text diffs and reads well.</summary>
    private static byte[] ToBase64Lines(byte[] bytes)
    {
        const int LineLength = 76;
        string base64 = Convert.ToBase64String(bytes);
        int lines = (base64.Length + LineLength - 1) / LineLength;
        byte[] text = new byte[base64.Length + lines];
        int position = 0;
        for (int start = 0; start < base64.Length; start += LineLength)
        {
            int length = Math.Min(LineLength, base64.Length - start);
            for (int i = 0; i < length; i++)
            {
                text[position++] = (byte)base64[start + i];
            }

            text[position++] = (byte)'\n';
        }

        return text;
    }

    /// <summary>
    /// What a save of <paramref name="network"/> writes: its header, its tensors in the order of their bytes, and the
    /// int8 weights they come from, read once so that the header and the bytes describe the same weights. The caller
    /// holds the network for reading until the bytes are written.
    /// </summary>
    private static SavePlan Plan(INetwork network, IReadOnlyDictionary<string, string>? metadata)
    {
        Int8Weights? int8 = network.Core.Engine.Int8Weights;
        string? quantization = Int8Tensors.QuantizationOf(network, int8, metadata);
        List<StateTensor> tensors = SafeTensorsHeader.SavedStateOf(network, int8);
        return new SavePlan(SafeTensorsHeader.Write(tensors, metadata, quantization), SafeTensorsHeader.DataOrder(tensors), int8);
    }

    private static void Write(INetwork network, SavePlan plan, Stream stream)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)plan.Header.Length);
        stream.Write(prefix);
        stream.Write(plan.Header);

        // One write per tensor, in the order of the data buffer: the float tensors in state_dict order, then the bytes.
        Span<float> scalar = stackalloc float[1];
        Span<byte> zeroPoint = stackalloc byte[1];
        foreach (StateTensor tensor in plan.DataOrder)
        {
            Int8Weight? weight = tensor.Kind == StateKind.Int8Codes || tensor.IsInt8Part ? plan.Int8!.Find(tensor.Offset) : null;
            switch (tensor.Kind)
            {
                case StateKind.Int8Codes:
                    WriteCodes(stream, weight!);
                    break;
                case StateKind.Parameter:
                    // The engine's array rather than the public view, which would move the weight version on: a save changes nothing.
                    WriteLittleEndian(stream, network.Core.Engine.Parameters.AsSpan(tensor.Offset, tensor.Length));
                    break;
                case StateKind.Buffer:
                    WriteLittleEndian(stream, network.Buffers.Slice(tensor.Offset, tensor.Length));
                    break;
                case StateKind.Int8Scale:
                    WriteLittleEndian(stream, weight!.Scales);
                    break;
                case StateKind.Int8InputScale:
                    scalar[0] = weight!.InputScale;
                    WriteLittleEndian(stream, scalar);
                    break;
                case StateKind.Int8InputZeroPoint:
                    zeroPoint[0] = (byte)weight!.InputZeroPoint;
                    stream.Write(zeroPoint);
                    break;
                default:
                    throw new InvalidOperationException($"{tensor.Name} ({tensor.Kind}) is not written to a weights file.");
            }
        }
    }

    /// <summary>
    /// Saves named tensors that belong to no network object yet (the weights of a declaration still to be compiled, as
    /// <see cref="Compression.StructuredPruning"/> writes) as F32 in the order given, atomically, in the format of
    /// <see cref="Save(INetwork, string, IReadOnlyDictionary{string, string})"/>.
    /// </summary>
    internal static void Save(IReadOnlyList<(string Name, int[] Shape, float[] Values)> tensors, string path, IReadOnlyDictionary<string, string>? metadata)
    {
        var state = new List<StateTensor>(tensors.Count);
        foreach ((string name, int[] shape, float[] values) in tensors)
        {
            state.Add(new StateTensor(name, shape, StateKind.Parameter, 0, values.Length));
        }

        byte[] header = SafeTensorsHeader.Write(state, metadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            stream.Write(prefix);
            stream.Write(header);
            foreach ((_, _, float[] values) in tensors)
            {
                WriteLittleEndian(stream, values);
            }
        });
    }

    private static void WriteCodes(Stream stream, Int8Weight weight)
    {
        int length = weight.Rows * weight.Columns;
        byte[] codes = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            weight.CopyCodes(MemoryMarshal.Cast<byte, sbyte>(codes.AsSpan(0, length)));
            stream.Write(codes, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(codes);
        }
    }

    /// <summary>A save's header, its tensors in the order of their bytes, and the int8 weights they come from (<see langword="null"/> for a float network).</summary>
    private sealed record SavePlan(byte[] Header, List<StateTensor> DataOrder, Int8Weights? Int8);

    internal static void WriteLittleEndian(Stream stream, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }

        Span<byte> chunk = stackalloc byte[4096];
        while (!values.IsEmpty)
        {
            int count = Math.Min(values.Length, chunk.Length / 4);
            for (int i = 0; i < count; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(chunk[(4 * i)..], values[i]);
            }

            stream.Write(chunk[..(4 * count)]);
            values = values[count..];
        }
    }

    /// <summary>Converts little-endian elements of <paramref name="dtype"/> to floats; every conversion is exact.</summary>
    internal static void Decode(ReadOnlySpan<byte> source, SafeTensorsDtype dtype, Span<float> destination)
    {
        switch (dtype)
        {
            case SafeTensorsDtype.F32 when BitConverter.IsLittleEndian:
                MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
                break;
            case SafeTensorsDtype.F32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(4 * i)..]);
                }

                break;
            case SafeTensorsDtype.F16 when BitConverter.IsLittleEndian:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source), destination);
                break;
            case SafeTensorsDtype.F16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source[(2 * i)..]);
                }

                break;
            case SafeTensorsDtype.BF16:
                // A bfloat16 is the upper 16 bits of the float32 with the same sign, exponent and leading mantissa bits.
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]) << 16);
                }

                break;
            default:
                // I64 is only ever the ignored BatchNorm counter, whose bytes are never converted.
                throw new InvalidOperationException($"{dtype} is not converted to float.");
        }
    }

    private static byte[] ReadGrowing(Stream stream, int length, string? path)
    {
        // The length is not yet checked against the stream, so the buffer grows with the bytes that actually arrive.
        byte[] buffer = new byte[Math.Min(length, 4096)];
        int filled = 0;
        while (filled < length)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(length, 2L * buffer.Length));
            }

            int read = stream.Read(buffer, filled, buffer.Length - filled);
            if (read == 0)
            {
                throw Truncated(8L + filled, "inside the header", path);
            }

            filled += read;
        }

        return buffer;
    }

    private static byte[] ReadExactly(Stream stream, byte[] buffer, long position, string? tensor, string? path)
    {
        ReadExactly(stream, buffer.AsSpan(), position, tensor, path);
        return buffer;
    }

    /// <summary>Fills <paramref name="buffer"/> from the stream, or throws naming where the file ended: in <paramref name="tensor"/>, or in the header when it is null.</summary>
    private static void ReadExactly(Stream stream, Span<byte> buffer, long position, string? tensor, string? path)
    {
        int read = ReadAtMost(stream, buffer);
        if (read < buffer.Length)
        {
            throw Truncated(position + read, tensor is null ? "inside the header" : $"inside tensor {SafeTensorsRules.Quote(tensor)}", path);
        }
    }

    private static int ReadAtMost(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = stream.Read(buffer[total..]);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    internal static SafeTensorsFormatException TooShort(int length, string? path)
        => SafeTensorsHeader.Error(
            path,
            null,
            $"The file is {length} bytes long, too short for the 8-byte header length a safetensors file starts with; it is truncated or not a safetensors file.");

    private static SafeTensorsFormatException Truncated(long position, string where, string? path)
        => SafeTensorsHeader.Error(
            path,
            null,
            $"The file ends at byte {position}, {where}, before the length its header declares; it is truncated (or changed while it was read).");
}
