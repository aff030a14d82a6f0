using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Google.Protobuf;
using TypedNets.Compression;
using TypedNets.Kernels;
using global::Onnx;

namespace TypedNets.Onnx;

/// <summary>
/// Int8-quantised Dense layers, computed as the runtime's int8 product computes them (Int8Weight.Multiply): each row of
/// the input (a sample, or a step of a sequence) quantised to uint8, with its own scale and zero point from its range
/// widened to hold 0 (dynamic, ONNX Runtime's GetQuantizationParameter) or with the calibrated ones (static); the codes
/// multiplied by the int8 weight in int32 (<c>MatMulInteger</c>); the zero point's share taken off with the weight's
/// row sums; then <c>input scale * weight scale * product + bias</c>, the same float operations in the same order.
/// </summary>
internal sealed partial class OnnxGraphBuilder
{
    /// <summary>The network's int8 weights by <c>state_dict</c> name; empty for a float network.</summary>
    private Dictionary<string, Int8Weight> _int8 = new(StringComparer.Ordinal);

    /// <summary>
    /// Refuses a quantised network with an int8 weight the export cannot compute as the runtime does, naming the first
    /// such layer: a Conv2D quantised dynamically (each patch, one row of the unfolded image, gets a scale and zero point
    /// of its own, which no ONNX operator computes short of unfolding the image), an LSTM or a GRU.
    /// </summary>
    private void RefuseInt8(INetwork network, IReadOnlyList<Layer> layers)
    {
        if (!network.IsQuantized)
        {
            return;
        }

        _int8 = network.Int8Weights!.Weights.ToDictionary(weight => weight.Name, StringComparer.Ordinal);
        foreach (Layer layer in layers)
        {
            if (layer is DenseLayer || layer.Parameters.FirstOrDefault(parameter => _int8.ContainsKey(parameter.Name)) is not { } parameter)
            {
                continue;
            }

            Int8Weight weight = _int8[parameter.Name];
            if (layer is Conv2DLayer && !weight.IsStatic)
            {
                throw new NotSupportedException(
                    $"Layer '{layer.Name}' of network '{network.Core.Name}' is a Conv2D layer quantised to int8 dynamically ({weight.Name}): each patch gets a scale of its own, " +
                    "which the ONNX export does not express. Quantise with calibration samples, Quantize(calibration), for one input scale per convolution, or export the float network.");
            }

            if (layer is not Conv2DLayer)
            {
                throw new NotSupportedException(
                    $"Layer '{layer.Name}' of network '{network.Core.Name}' is a {layer.Kind} layer with an int8 weight ({weight.Name}); the ONNX export writes int8 Dense " +
                    "and statically quantised Conv2D layers only, so far. Export the float network before Quantize().");
            }
        }
    }

    /// <summary>
    /// A statically quantised Conv2D, as the runtime's ForwardInt8: the image encoded with the calibrated scale and zero
    /// point (a padded zero is the zero point's code, which <c>ConvInteger</c> pads with), the codes convolved with the
    /// int8 filters in int32, then <c>input scale * filter scale * sum + bias</c> per filter; false for a float weight.
    /// </summary>
    private bool TryEmitInt8Conv2D(Conv2DLayer conv)
    {
        if (!_int8.TryGetValue(conv.Weight.Name, out Int8Weight? weight))
        {
            return false;
        }

        string name = conv.Name;
        (string codes, string scale, string zeroPoint) = QuantizeStatic(weight, name);
        string zeroCode = Node("Cast", [zeroPoint], [Fresh(name + "/input_zero_code")], name, Int("to", (long)TensorProto.Types.DataType.Uint8));

        // The filters go to ConvInteger as uint8 codes shifted by 128 with 128 as their zero point: the same values, on
        // the (uint8, uint8) type pair ONNX Runtime's CPU kernel has implemented from the start; the int32 sums are the
        // runtime's exactly.
        string filterCodes = Int8Initializer(weight, conv.Weight.Shape.ToArray());
        string? bias = conv.Bias is null ? null : Initializer(conv.Bias);
        string wide = Node("Cast", [filterCodes], [Fresh(name + "/filter_codes_int32")], name, Int("to", (long)TensorProto.Types.DataType.Int32));
        string shifted = Node("Add", [wide, ConstantInt32(name + "/offset", 128)], [Fresh(name + "/filter_codes_shifted")], name);
        string unsigned = Node("Cast", [shifted], [Fresh(name + "/filter_codes_uint8")], name, Int("to", (long)TensorProto.Types.DataType.Uint8));
        string filterZero = Node("Cast", [ConstantInt32(name + "/filter_zero", 128)], [Fresh(name + "/filter_zero_code")], name, Int("to", (long)TensorProto.Types.DataType.Uint8));
        string sums = Node(
            "ConvInteger",
            [codes, unsigned, zeroCode, filterZero],
            [Fresh(name + "/int32_sums")],
            name,
            Ints("kernel_shape", conv.KernelHeight, conv.KernelWidth),
            Ints("strides", conv.Stride, conv.StrideWidth),
            Ints("pads", conv.Padding, conv.PaddingWidth, conv.Padding, conv.PaddingWidth),
            Ints("dilations", conv.Dilation, conv.Dilation),
            Int("group", 1));
        string sumsFloat = Node("Cast", [sums], [Fresh(name + "/sums_float")], name, Int("to", (long)TensorProto.Types.DataType.Float));

        string channelShape = ConstantInts(name + "/channel_shape", weight.Rows, 1, 1);
        string filterScale = Node("Reshape", [Initializer(weight.Name + "_scale", [weight.Rows], weight.Scales), channelShape], [Fresh(name + "/filter_scale")], name);
        string scales = Node("Mul", [scale, filterScale], [Fresh(name + "/scales")], name);
        string value = Node("Mul", [scales, sumsFloat], [Fresh(name + "/dequantized")], name);
        _current = bias is null
            ? value
            : Node("Add", [value, Node("Reshape", [bias, channelShape], [Fresh(name + "/bias_by_channel")], name)], [Fresh(name + "/conv")], name);
        _shape = conv.OutputShape.ToArray();
        return true;
    }

    private string ConstantInt32(string name, int value)
    {
        string output = Fresh(name);
        var tensor = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int32 };
        tensor.Int32Data.Add(value);
        Node("Constant", [], [output], name, new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = tensor });
        return output;
    }

    /// <summary>The int8 product of a Dense layer into the current tensor, before its activation; false for a float weight.</summary>
    private bool TryEmitInt8Dense(DenseLayer dense)
    {
        if (!_int8.TryGetValue(dense.Weight.Name, out Int8Weight? weight) || dense.TiedTo is not null)
        {
            return false;
        }

        string name = dense.Name;
        (string codes, string scale, string zeroPoint) = weight.IsStatic ? QuantizeStatic(weight, name) : QuantizeDynamic(name);

        // The weight's codes under its state_dict name, int8 [units, inputs]; MatMulInteger reads them transposed.
        string weightCodes = Int8Initializer(weight);
        string? bias = dense.Bias is null ? null : Initializer(dense.Bias);
        string transposed = Node("Transpose", [weightCodes], [Fresh(name + "/weight_codes_t")], name, Ints("perm", 1, 0));
        string product = Node("MatMulInteger", [codes, transposed], [Fresh(name + "/int32_product")], name);

        // sum_k (q_k - zero) w_k = product - zero * sum_k w_k, exactly, in int32 as the runtime's kernel.
        string wide = Node("Cast", [weightCodes], [Fresh(name + "/weight_codes_int32")], name, Int("to", (long)TensorProto.Types.DataType.Int32));
        string rowSums = Node("ReduceSum", [wide, ConstantInts(name + "/inputs_axis", 1)], [Fresh(name + "/weight_row_sums")], name, Int("keepdims", 0));
        string zeroInt = Node("Cast", [zeroPoint], [Fresh(name + "/zero_point_int32")], name, Int("to", (long)TensorProto.Types.DataType.Int32));
        string correction = Node("Mul", [zeroInt, rowSums], [Fresh(name + "/zero_point_share")], name);
        string centred = Node("Sub", [product, correction], [Fresh(name + "/centred")], name);
        string centredFloat = Node("Cast", [centred], [Fresh(name + "/centred_float")], name, Int("to", (long)TensorProto.Types.DataType.Float));

        string weightScale = Initializer(weight.Name + "_scale", [weight.Rows], weight.Scales);
        string scales = Node("Mul", [scale, weightScale], [Fresh(name + "/scales")], name);
        string value = Node("Mul", [scales, centredFloat], [Fresh(name + "/dequantized")], name);
        _current = bias is null ? value : Node("Add", [value, bias], [Fresh(name + "/linear")], name);
        _shape = [.. _shape[..^1], dense.Units];
        return true;
    }

    /// <summary>Each row's scale and zero point from its range widened to hold 0, as Int8Quantization.QuantizeRowsDynamic.</summary>
    private (string Codes, string Scale, string ZeroPoint) QuantizeDynamic(string name)
    {
        string zero = Constant(name + "/zero", 0f);
        string low = Node("ReduceMin", [_current], [Fresh(name + "/row_min")], name, Ints("axes", -1), Int("keepdims", 1));
        string high = Node("ReduceMax", [_current], [Fresh(name + "/row_max")], name, Ints("axes", -1), Int("keepdims", 1));
        string min = Node("Min", [low, zero], [Fresh(name + "/min")], name);
        string max = Node("Max", [high, zero], [Fresh(name + "/max")], name);
        string range = Node("Sub", [max, min], [Fresh(name + "/range")], name);
        string steps = Node("Div", [range, Constant(name + "/levels", 255f)], [Fresh(name + "/range_scale")], name);
        string empty = Node("Equal", [max, min], [Fresh(name + "/empty_range")], name);
        string scale = Node("Where", [empty, Constant(name + "/unit_scale", 1f), steps], [Fresh(name + "/input_scale")], name);
        string negated = Node("Neg", [Node("Div", [min, scale], [Fresh(name + "/min_codes")], name)], [Fresh(name + "/zero_codes")], name);
        string zeroPoint = Node("Round", [Clip(negated, name)], [Fresh(name + "/input_zero_point")], name);
        return (Encode(scale, zeroPoint, name), scale, zeroPoint);
    }

    /// <summary>The calibrated scale and zero point, constants of the graph.</summary>
    private (string Codes, string Scale, string ZeroPoint) QuantizeStatic(Int8Weight weight, string name)
    {
        string scale = Constant(name + "/input_scale", weight.InputScale);
        string zeroPoint = Constant(name + "/input_zero_point", weight.InputZeroPoint);
        return (Encode(scale, zeroPoint, name), scale, zeroPoint);
    }

    /// <summary>uint8 codes <c>clamp(round(x / scale) + zero point, 0, 255)</c>, rounding halves to even as the runtime's Encode.</summary>
    private string Encode(string scale, string zeroPoint, string name)
    {
        string steps = Node("Round", [Node("Div", [_current, scale], [Fresh(name + "/scaled")], name)], [Fresh(name + "/rounded")], name);
        string shifted = Node("Add", [steps, zeroPoint], [Fresh(name + "/shifted")], name);
        return Node("Cast", [Clip(shifted, name)], [Fresh(name + "/input_codes")], name, Int("to", (long)TensorProto.Types.DataType.Uint8));
    }

    private string Clip(string x, string name) =>
        Node("Clip", [x, Constant(name + "/code_min", 0f), Constant(name + "/code_max", 255f)], [Fresh(name + "/clipped")], name);

    /// <summary>An int8 weight's codes, <c>[rows, columns]</c> or the float parameter's <paramref name="shape"/>, as an int8 initializer under its <c>state_dict</c> name.</summary>
    private string Int8Initializer(Int8Weight weight, int[]? shape = null)
    {
        if (_initializers.Add(weight.Name))
        {
            _names.Add(weight.Name);
            var codes = new sbyte[weight.Rows * weight.Columns];
            weight.CopyCodes(codes);
            var tensor = new TensorProto { Name = weight.Name, DataType = (int)TensorProto.Types.DataType.Int8 };
            tensor.Dims.Add((shape ?? [weight.Rows, weight.Columns]).Select(d => (long)d));
            tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(codes.AsSpan()));
            _graph.Initializer.Add(tensor);
        }

        return weight.Name;
    }
}
