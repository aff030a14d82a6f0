using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;
using TypedNets.Compression;
using TypedNets.Kernels;
using static TypedNets.Serialization.SafeTensorsRules;

namespace TypedNets.Serialization;

/// <summary>
/// How a quantised network's int8 weights lie in a safetensors file, and the checks across tensors that make such a
/// file whole: each int8 weight <c>W</c> (a parameter <c>Quantize</c> turns into int8) is its codes, I8 under
/// <c>W</c>'s own name and shape, with its per-row scales <c>W_scale</c> (F32 <c>[rows]</c>), and for a static
/// quantisation its input's scale <c>W_input_scale</c> (F32 <c>[]</c>) and zero point <c>W_input_zero_point</c>
/// (U8 <c>[]</c>); the metadata says <c>typednets.quantization</c>: <c>int8-dynamic</c> or <c>int8-static</c>.
/// </summary>
/// <remarks>
/// The scalars are 0-d tensors, as PyTorch's quantised modules put <c>scale</c> and <c>zero_point</c> in their
/// <c>state_dict</c>. The zero point is U8 because it is a code of the uint8 activations (ONNX's
/// <c>QuantizeLinear</c> types it so), so no value of the file's type is out of range.
/// </remarks>
internal static class Int8Tensors
{
    /// <summary>The metadata key that says a file is int8, and how its activations are quantised.</summary>
    public const string QuantizationKey = "typednets.quantization";

    /// <summary>The value of <see cref="QuantizationKey"/> for activations quantised per row at each product.</summary>
    public const string Dynamic = "int8-dynamic";

    /// <summary>The value of <see cref="QuantizationKey"/> for activations quantised with calibrated scales and zero points.</summary>
    public const string Static = "int8-static";

    /// <summary>The suffix of an int8 weight's scales.</summary>
    public const string ScaleSuffix = "_scale";

    /// <summary>The suffix of a static int8 weight's input scale.</summary>
    public const string InputScaleSuffix = "_input_scale";

    /// <summary>The suffix of a static int8 weight's input zero point.</summary>
    public const string InputZeroPointSuffix = "_input_zero_point";

    /// <summary>
    /// The parts of the int8 weight <paramref name="weight"/> beside its codes: its scales, one per row (the first
    /// dimension of every weight <c>Quantize</c> takes is its output channels), and when static its input's scale and
    /// zero point.
    /// </summary>
    public static IEnumerable<StateTensor> PartsOf(StateTensor weight, bool isStatic)
    {
        int rows = weight.Shape[0];
        yield return new StateTensor(weight.Name + ScaleSuffix, [rows], StateKind.Int8Scale, weight.Offset, rows);
        if (isStatic)
        {
            yield return new StateTensor(weight.Name + InputScaleSuffix, [], StateKind.Int8InputScale, weight.Offset, 1);
            yield return new StateTensor(weight.Name + InputZeroPointSuffix, [], StateKind.Int8InputZeroPoint, weight.Offset, 1);
        }
    }

    /// <summary>The offsets of the parameters <c>Quantize</c> turns into int8 (<see cref="Quantization.QuantizableWeights"/>).</summary>
    public static HashSet<int> QuantizableOffsets(INetwork network)
        => [.. Quantization.QuantizableWeights(network).Select(weight => weight.Tensor.Offset)];

    /// <summary>
    /// Adds every part an int8 file may hold for each parameter of <paramref name="state"/> that <c>Quantize</c> turns
    /// into int8, after everything else (a part whose name is taken is left out).
    /// </summary>
    public static void AddLoadable(INetwork network, List<StateTensor> state, HashSet<string> names)
    {
        HashSet<int> quantizable = QuantizableOffsets(network);
        int tensors = state.Count;
        for (int i = 0; i < tensors; i++)
        {
            if (state[i].Kind == StateKind.Parameter && quantizable.Contains(state[i].Offset))
            {
                foreach (StateTensor part in PartsOf(state[i], isStatic: true))
                {
                    if (names.Add(part.Name))
                    {
                        state.Add(part);
                    }
                }
            }
        }
    }

    /// <summary>The name of the int8 weight <paramref name="part"/> belongs to: its own name without the part's suffix.</summary>
    public static string WeightOf(StateTensor part)
        => part.Name[..^(part.Kind switch { StateKind.Int8Scale => ScaleSuffix, StateKind.Int8InputScale => InputScaleSuffix, _ => InputZeroPointSuffix }).Length];

    /// <summary>
    /// The value of <see cref="QuantizationKey"/> a save of <paramref name="network"/> writes (<see langword="null"/>
    /// for a float network), after checking that <paramref name="metadata"/> does not say otherwise.
    /// </summary>
    /// <exception cref="ArgumentException">The metadata gives the key another value (ParamName <c>metadata</c>).</exception>
    public static string? QuantizationOf(INetwork network, Int8Weights? int8, IReadOnlyDictionary<string, string>? metadata)
    {
        string? value = int8 is null ? null : int8.IsStatic ? Static : Dynamic;
        if (metadata is not null && metadata.TryGetValue(QuantizationKey, out string? given) && given != value)
        {
            string name = SafeTensorsHeader.NameOf(network);
            throw new ArgumentException(
                value is null
                    ? $"Metadata key '{QuantizationKey}' is '{given}', but {name} is a float network; Save writes that key for a quantised network only, so leave it out."
                    : $"Metadata key '{QuantizationKey}' is '{given}', but {name} is quantised {value}; Save writes that key itself, so leave it out (or give it as '{value}').",
                nameof(metadata));
        }

        return value;
    }

    /// <summary>The name of a part of <paramref name="weight"/>, by its kind.</summary>
    public static string PartName(string weight, StateKind kind) => weight + kind switch
    {
        StateKind.Int8Scale => ScaleSuffix,
        StateKind.Int8InputScale => InputScaleSuffix,
        _ => InputZeroPointSuffix,
    };

    /// <summary>What a part holds, for messages: "the scales", "the input scale", "the input zero point".</summary>
    public static string Describe(StateKind kind) => kind switch
    {
        StateKind.Int8Scale => "the scales",
        StateKind.Int8InputScale => "the input scale",
        _ => "the input zero point",
    };
}

/// <summary>
/// The int8 weights of a file whose header passed every check, each as the indices of its codes, scales and input
/// quantisation among the file's tensors; <see cref="Create"/> checks that they make whole weights, all quantised
/// one way and as the metadata says, and <see cref="Build"/> checks their values and makes the weights.
/// </summary>
internal sealed class Int8Plan
{
    private readonly PlannedTensor[] _tensors;
    private readonly Weight[] _weights;
    private readonly long[] _staged;

    private Int8Plan(PlannedTensor[] tensors, Weight[] weights, bool isStatic)
    {
        _tensors = tensors;
        _weights = weights;
        IsStatic = isStatic;

        // A load from a stream reads the int8 tensors into one array, one after another in the order of the file.
        _staged = new long[tensors.Length];
        for (int i = 0; i < tensors.Length; i++)
        {
            bool int8 = IsCodes(tensors[i]) || tensors[i].Target.IsInt8Part;
            _staged[i] = int8 ? StagedLength : -1;
            StagedLength += int8 ? tensors[i].End - tensors[i].Begin : 0;
        }
    }

    /// <summary>Whether the weights' inputs are quantised with calibrated scales and zero points.</summary>
    public bool IsStatic { get; }

    /// <summary>The bytes of all the int8 tensors together: what a load from a stream stages.</summary>
    public long StagedLength { get; }

    /// <summary>Where the bytes of the file's tensor <paramref name="index"/> go in the staging array, or -1 when it is a float tensor.</summary>
    public long StagedStart(int index) => _staged[index];

    /// <summary>
    /// The int8 weights among <paramref name="tensors"/>, or <see langword="null"/> for a float file, after checking
    /// that every int8 weight has its scales, that every scale or input quantisation belongs to an int8 weight, that
    /// all weights are quantised the same way, and that <paramref name="quantization"/> (the metadata's value of
    /// <see cref="Int8Tensors.QuantizationKey"/>, or <see langword="null"/>) agrees.
    /// </summary>
    /// <param name="tensors">The file's tensors, matched to the network's (codes only to parameters <c>Quantize</c> turns into int8).</param>
    /// <param name="quantization">The metadata's value, or <see langword="null"/> when the file has none.</param>
    /// <param name="path">The file, for messages, or <see langword="null"/>.</param>
    /// <exception cref="SafeTensorsFormatException">The int8 tensors do not make whole weights, or contradict the metadata.</exception>
    public static Int8Plan? Create(PlannedTensor[] tensors, string? quantization, string? path)
    {
        if (quantization is not null and not (Int8Tensors.Dynamic or Int8Tensors.Static))
        {
            throw SafeTensorsHeader.Error(
                path,
                null,
                $"{MetadataKey} says {Int8Tensors.QuantizationKey} is {Quote(quantization)}, but TypedNets writes {Int8Tensors.Dynamic} or {Int8Tensors.Static} " +
                "there, for an int8 file (and nothing, for a float one); the file was written by something else, or edited.");
        }

        // A float file, the common case, costs one pass and no allocation.
        bool int8 = false;
        foreach (PlannedTensor tensor in tensors)
        {
            int8 |= IsCodes(tensor) || tensor.Target.IsInt8Part;
        }

        if (!int8)
        {
            if (quantization is not null)
            {
                throw SafeTensorsHeader.Error(
                    path,
                    null,
                    $"{MetadataKey} says {Int8Tensors.QuantizationKey} is {Quote(quantization)}, but the file holds no I8 tensor, while an int8 file holds " +
                    "each int8 weight's codes as I8; the file is incomplete or its metadata is wrong.");
            }

            return null;
        }

        // The codes by the network's order of parameters, so that messages name the first weight at fault.
        var codes = new List<int>();
        var parts = new Dictionary<(string Weight, StateKind Kind), int>();
        var fileDtypes = new Dictionary<string, SafeTensorsDtype>(StringComparer.Ordinal);
        for (int i = 0; i < tensors.Length; i++)
        {
            StateTensor target = tensors[i].Target;
            if (IsCodes(tensors[i]))
            {
                codes.Add(i);
            }
            else if (target.IsInt8Part)
            {
                parts.Add((Int8Tensors.WeightOf(target), target.Kind), i);
            }

            if (target.Kind == StateKind.Parameter)
            {
                fileDtypes[target.Name] = tensors[i].Dtype;
            }
        }

        codes.Sort((a, b) => tensors[a].Target.Offset.CompareTo(tensors[b].Target.Offset));
        foreach (PlannedTensor part in Parts(tensors))
        {
            string weight = Int8Tensors.WeightOf(part.Target);
            if (fileDtypes[weight] != SafeTensorsDtype.I8)
            {
                string what = Int8Tensors.Describe(part.Target.Kind);
                throw SafeTensorsHeader.Error(
                    path,
                    part.Target.Name,
                    $"Tensor {Quote(part.Target.Name)} is {(what == "the scales" ? "the scale" : what)} of an int8 weight, but {Quote(weight)} is {fileDtypes[weight]} " +
                    $"in the file, not int8 codes (I8); leave {what} of a float weight out, or save its codes with them.");
            }
        }

        var weights = new Weight[codes.Count];
        int statics = 0;
        for (int w = 0; w < codes.Count; w++)
        {
            StateTensor weight = tensors[codes[w]].Target;
            string scaleName = Int8Tensors.PartName(weight.Name, StateKind.Int8Scale);
            if (!parts.TryGetValue((weight.Name, StateKind.Int8Scale), out int scale))
            {
                throw SafeTensorsHeader.Error(
                    path,
                    scaleName,
                    $"Tensor {Quote(weight.Name)} holds int8 codes (I8), but the file has no {Quote(scaleName)}, the F32 [{weight.Shape[0]}] of its scales, one per row; " +
                    "save a quantised network with SafeTensors.Save, which writes both.");
            }

            bool hasScale = parts.TryGetValue((weight.Name, StateKind.Int8InputScale), out int inputScale);
            bool hasZeroPoint = parts.TryGetValue((weight.Name, StateKind.Int8InputZeroPoint), out int zeroPoint);
            if (hasScale != hasZeroPoint)
            {
                string present = Int8Tensors.PartName(weight.Name, hasScale ? StateKind.Int8InputScale : StateKind.Int8InputZeroPoint);
                string absent = Int8Tensors.PartName(weight.Name, hasScale ? StateKind.Int8InputZeroPoint : StateKind.Int8InputScale);
                throw SafeTensorsHeader.Error(
                    path,
                    absent,
                    $"Tensor {Quote(present)} is {Int8Tensors.Describe(hasScale ? StateKind.Int8InputScale : StateKind.Int8InputZeroPoint)} of a static int8 weight, " +
                    $"but the file has no {Quote(absent)} ({(hasScale ? "U8" : "F32")} []) to go with it; a static int8 weight has both, a dynamic one neither.");
            }

            statics += hasScale ? 1 : 0;
            weights[w] = new Weight(weight, codes[w], scale, hasScale ? inputScale : -1, hasZeroPoint ? zeroPoint : -1);
        }

        CheckOneWay(weights, quantization, path);
        return new Int8Plan(tensors, weights, statics > 0);
    }

    /// <summary>
    /// The int8 weights, made from their bytes in <paramref name="source"/>: the whole data buffer, or with
    /// <paramref name="staged"/> the staging array laid out as <see cref="StagedStart"/> says. Every scale is checked
    /// first (positive and finite); nothing else can be wrong by now.
    /// </summary>
    /// <exception cref="SafeTensorsFormatException">A scale or an input scale is not positive and finite.</exception>
    public Int8Weights Build(ReadOnlySpan<byte> source, bool staged, string? path)
    {
        var built = new Int8Weight[_weights.Length];
        Span<float> inputScale = stackalloc float[1];
        for (int w = 0; w < _weights.Length; w++)
        {
            Weight weight = _weights[w];
            StateTensor tensor = weight.Tensor;
            int rows = tensor.Shape[0], columns = tensor.Length / rows;
            float[] scales = new float[rows];
            SafeTensors.Decode(Bytes(source, staged, weight.Scale), SafeTensorsDtype.F32, scales);
            for (int r = 0; r < rows; r++)
            {
                if (!(scales[r] > 0 && float.IsFinite(scales[r])))
                {
                    string name = _tensors[weight.Scale].Target.Name;
                    throw SafeTensorsHeader.Error(
                        path,
                        name,
                        $"Tensor {Quote(name)} holds {scales[r].ToString(CultureInfo.InvariantCulture)} for row {r} of {Quote(tensor.Name)}, but a scale must be " +
                        "positive and finite (each weight is its row's scale times its code); the file is corrupted or was not written by SafeTensors.Save.");
                }
            }

            inputScale[0] = 0;
            int zeroPoint = 0;
            if (IsStatic)
            {
                SafeTensors.Decode(Bytes(source, staged, weight.InputScale), SafeTensorsDtype.F32, inputScale);
                if (!(inputScale[0] > 0 && float.IsFinite(inputScale[0])))
                {
                    string name = _tensors[weight.InputScale].Target.Name;
                    throw SafeTensorsHeader.Error(
                        path,
                        name,
                        $"Tensor {Quote(name)} holds {inputScale[0].ToString(CultureInfo.InvariantCulture)}, but an input scale must be positive and finite " +
                        "(each input is its scale times its code less the zero point); the file is corrupted or was not written by SafeTensors.Save.");
                }

                zeroPoint = Bytes(source, staged, weight.ZeroPoint)[0];
            }

            ReadOnlySpan<sbyte> codes = MemoryMarshal.Cast<byte, sbyte>(Bytes(source, staged, weight.Codes));
            built[w] = Int8Weight.FromCodes(tensor.Name, tensor.Offset, codes, scales, rows, columns, inputScale[0], zeroPoint);
        }

        return new Int8Weights(built);
    }

    /// <summary>Whether <paramref name="tensor"/> is an int8 weight's codes (an I8 tensor skipped by a rename is not).</summary>
    private static bool IsCodes(PlannedTensor tensor) => tensor.Dtype == SafeTensorsDtype.I8 && tensor.Target.Kind == StateKind.Parameter;

    /// <summary>The parts of int8 weights among <paramref name="tensors"/>, in the network's order of their weights.</summary>
    private static List<PlannedTensor> Parts(PlannedTensor[] tensors)
    {
        var parts = new List<PlannedTensor>();
        foreach (PlannedTensor tensor in tensors)
        {
            if (tensor.Target.IsInt8Part)
            {
                parts.Add(tensor);
            }
        }

        parts.Sort((a, b) => a.Target.Offset != b.Target.Offset ? a.Target.Offset.CompareTo(b.Target.Offset) : a.Target.Kind.CompareTo(b.Target.Kind));
        return parts;
    }

    /// <summary>Refuses weights quantised some statically and some dynamically, or otherwise than the metadata says.</summary>
    private static void CheckOneWay(Weight[] weights, string? quantization, string? path)
    {
        Weight? firstStatic = null, firstDynamic = null;
        foreach (Weight weight in weights)
        {
            if (weight.InputScale >= 0)
            {
                firstStatic ??= weight;
            }
            else
            {
                firstDynamic ??= weight;
            }
        }

        if (quantization == Int8Tensors.Static && firstDynamic is Weight dynamic)
        {
            string name = dynamic.Tensor.Name;
            throw SafeTensorsHeader.Error(
                path,
                Int8Tensors.PartName(name, StateKind.Int8InputScale),
                $"{MetadataKey} says {Int8Tensors.QuantizationKey} is '{Int8Tensors.Static}', but {Quote(name)} has no {Quote(Int8Tensors.PartName(name, StateKind.Int8InputScale))} " +
                $"(F32 []) and {Quote(Int8Tensors.PartName(name, StateKind.Int8InputZeroPoint))} (U8 []): every weight of a static quantisation has its input's scale and zero point.");
        }

        if (quantization == Int8Tensors.Dynamic && firstStatic is Weight calibrated)
        {
            string name = Int8Tensors.PartName(calibrated.Tensor.Name, StateKind.Int8InputScale);
            throw SafeTensorsHeader.Error(
                path,
                name,
                $"{MetadataKey} says {Int8Tensors.QuantizationKey} is '{Int8Tensors.Dynamic}', but the file holds {Quote(name)}, the input scale of a static " +
                "quantisation; a dynamic quantisation quantises each input as it comes and has none.");
        }

        if (firstStatic is Weight one && firstDynamic is Weight other)
        {
            string missing = Int8Tensors.PartName(other.Tensor.Name, StateKind.Int8InputScale);
            throw SafeTensorsHeader.Error(
                path,
                missing,
                $"{Quote(one.Tensor.Name)} is quantised statically (the file holds its input scale and zero point) and {Quote(other.Tensor.Name)} dynamically " +
                $"(the file has no {Quote(missing)}), but a network's int8 weights are all one way, as Quantize makes them: give every weight its input scale " +
                "and zero point, or none.");
        }
    }

    private ReadOnlySpan<byte> Bytes(ReadOnlySpan<byte> source, bool staged, int index)
    {
        PlannedTensor tensor = _tensors[index];
        return source.Slice((int)(staged ? _staged[index] : tensor.Begin), (int)(tensor.End - tensor.Begin));
    }

    /// <summary>One int8 weight: its parameter and the indices among the file's tensors of its codes, scales, and input scale and zero point (-1 when dynamic).</summary>
    private readonly record struct Weight(StateTensor Tensor, int Codes, int Scale, int InputScale, int ZeroPoint);
}
