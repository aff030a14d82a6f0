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
/// Int8-quantised Dense, Conv2D, LSTM and GRU weights, their products computed as the runtime's int8 product computes
/// them (Int8Weight.Multiply): each row of the input (a sample, a step of a sequence, a convolution's patch, a recurrent
/// state) quantised to uint8, with its own scale and zero point from its range
/// widened to hold 0 (dynamic, ONNX Runtime's GetQuantizationParameter) or with the calibrated ones (static); the codes
/// multiplied by the int8 weight in int32 (<c>MatMulInteger</c>); the zero point's share taken off with the weight's
/// row sums; then <c>input scale * weight scale * product + bias</c>, the same float operations in the same order.
/// </summary>
internal sealed partial class OnnxGraphBuilder
{
    /// <summary>The network's int8 weights by <c>state_dict</c> name; empty for a float network.</summary>
    private Dictionary<string, Int8Weight> _int8 = new(StringComparer.Ordinal);

    /// <summary>
    /// Reads a quantised network's int8 weights by name. Every weight Quantize turns into int8 is exported as the
    /// runtime computes it: Dense, ungrouped Conv2D (grouped ones stay float in the runtime, and in the graph), and the
    /// <c>weight_ih</c> and <c>weight_hh</c> of LSTM and GRU layers.
    /// </summary>
    private void ReadInt8(INetwork network)
    {
        if (network.IsQuantized)
        {
            _int8 = network.Int8Weights!.Weights.ToDictionary(weight => weight.Name, StringComparer.Ordinal);
        }
    }

    /// <summary>Whether a recurrent layer runs on int8 weights, and so is unrolled step by step.</summary>
    private bool IsInt8(RecurrentLayer recurrent) => recurrent.Parameters.Any(parameter => _int8.ContainsKey(parameter.Name));

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
        if (!weight.IsStatic)
        {
            EmitInt8Conv2DDynamic(conv, weight);
            return true;
        }

        (string codes, string scale, string zeroPoint) = QuantizeStatic(weight, _current, name);
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

        string? bias = dense.Bias is null ? null : Initializer(dense.Bias);
        string value = Int8Product(_current, weight, dense.Name);
        _current = bias is null ? value : Node("Add", [value, bias], [Fresh(dense.Name + "/linear")], dense.Name);
        _shape = [.. _shape[..^1], dense.Units];
        return true;
    }

    /// <summary>
    /// <c>x Wᵀ</c> over the last axis of <paramref name="input"/> as Int8Weight.Multiply computes it, without a bias:
    /// each row quantised (dynamically or with the calibrated scale), the codes multiplied in int32, the zero point's
    /// share taken off, then <c>input scale * weight scale * sum</c>.
    /// </summary>
    private string Int8Product(string input, Int8Weight weight, string name)
    {
        (string codes, string scale, string zeroPoint) = weight.IsStatic ? QuantizeStatic(weight, input, name) : QuantizeDynamic(input, name);

        // The weight's codes under its state_dict name, int8 [units, inputs]; MatMulInteger reads them transposed.
        string weightCodes = Int8Initializer(weight);
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
        return Node("Mul", [scales, centredFloat], [Fresh(name + "/dequantized")], name);
    }

    /// <summary>
    /// A dynamically quantised Conv2D, as the runtime's ForwardInt8: the image unfolded one row per output position
    /// (im2col: the zero-padded image, then a Gather with the constant index of every patch value, channel by channel,
    /// kernel row by kernel row, as Conv2DKernel.Unfold orders them), each patch quantised as a row of its own, the
    /// int8 product with the filters and the bias, then the positions laid back out as feature maps.
    /// </summary>
    private void EmitInt8Conv2DDynamic(Conv2DLayer conv, Int8Weight weight)
    {
        string name = conv.Name;
        (int channels, int height, int width) = (_shape[0], _shape[1], _shape[2]);
        int paddedHeight = height + (2 * conv.Padding);
        int paddedWidth = width + (2 * conv.PaddingWidth);
        int[] output = conv.OutputShape.ToArray();
        (int filters, int outHeight, int outWidth) = (output[0], output[1], output[2]);
        int kernelHeight = conv.KernelHeight;
        int kernelWidth = conv.KernelWidth;
        int patch = channels * kernelHeight * kernelWidth;

        var indices = new long[outHeight * outWidth * patch];
        int n = 0;
        for (int oy = 0; oy < outHeight; oy++)
        {
            for (int ox = 0; ox < outWidth; ox++)
            {
                for (int c = 0; c < channels; c++)
                {
                    for (int ky = 0; ky < kernelHeight; ky++)
                    {
                        for (int kx = 0; kx < kernelWidth; kx++)
                        {
                            int y = (oy * conv.Stride) + (ky * conv.Dilation);
                            int x = (ox * conv.StrideWidth) + (kx * conv.Dilation);
                            indices[n++] = (((long)c * paddedHeight) + y) * paddedWidth + x;
                        }
                    }
                }
            }
        }

        string pads = ConstantInts(name + "/pads", 0, 0, conv.Padding, conv.PaddingWidth, 0, 0, conv.Padding, conv.PaddingWidth);
        string padded = Node("Pad", [_current, pads], [Fresh(name + "/padded")], name);
        string flat = Node("Flatten", [padded], [Fresh(name + "/padded_flat")], name, Int("axis", 1));
        string index = Int64Initializer(name + "/patch_indices", [outHeight * outWidth, patch], indices);
        string patches = Node("Gather", [flat, index], [Fresh(name + "/patches")], name, Int("axis", 1));

        string value = Int8Product(patches, weight, name);
        if (conv.Bias is not null)
        {
            value = Node("Add", [value, Initializer(conv.Bias)], [Fresh(name + "/linear")], name);
        }

        string maps = Node("Transpose", [value], [Fresh(name + "/positions_last")], name, Ints("perm", 0, 2, 1));
        _current = Node("Reshape", [maps, ConstantInts(name + "/maps_shape", -1, filters, outHeight, outWidth)], [Fresh(name + "/conv")], name);
        _shape = output;
    }

    private string Int64Initializer(string stem, int[] shape, long[] values)
    {
        string name = Fresh(stem);
        _initializers.Add(name);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(shape.Select(d => (long)d));
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Each row's scale and zero point from its range widened to hold 0, as Int8Quantization.QuantizeRowsDynamic.</summary>
    private (string Codes, string Scale, string ZeroPoint) QuantizeDynamic(string input, string name)
    {
        string zero = Constant(name + "/zero", 0f);
        string low = Node("ReduceMin", [input], [Fresh(name + "/row_min")], name, Ints("axes", -1), Int("keepdims", 1));
        string high = Node("ReduceMax", [input], [Fresh(name + "/row_max")], name, Ints("axes", -1), Int("keepdims", 1));
        string min = Node("Min", [low, zero], [Fresh(name + "/min")], name);
        string max = Node("Max", [high, zero], [Fresh(name + "/max")], name);
        string range = Node("Sub", [max, min], [Fresh(name + "/range")], name);
        string steps = Node("Div", [range, Constant(name + "/levels", 255f)], [Fresh(name + "/range_scale")], name);
        string empty = Node("Equal", [max, min], [Fresh(name + "/empty_range")], name);
        string scale = Node("Where", [empty, Constant(name + "/unit_scale", 1f), steps], [Fresh(name + "/input_scale")], name);
        string negated = Node("Neg", [Node("Div", [min, scale], [Fresh(name + "/min_codes")], name)], [Fresh(name + "/zero_codes")], name);
        string zeroPoint = Node("Round", [Clip(negated, name)], [Fresh(name + "/input_zero_point")], name);
        return (Encode(input, scale, zeroPoint, name), scale, zeroPoint);
    }

    /// <summary>The calibrated scale and zero point, constants of the graph.</summary>
    private (string Codes, string Scale, string ZeroPoint) QuantizeStatic(Int8Weight weight, string input, string name)
    {
        string scale = Constant(name + "/input_scale", weight.InputScale);
        string zeroPoint = Constant(name + "/input_zero_point", weight.InputZeroPoint);
        return (Encode(input, scale, zeroPoint, name), scale, zeroPoint);
    }

    /// <summary>uint8 codes <c>clamp(round(x / scale) + zero point, 0, 255)</c>, rounding halves to even as the runtime's Encode.</summary>
    private string Encode(string input, string scale, string zeroPoint, string name)
    {
        string steps = Node("Round", [Node("Div", [input, scale], [Fresh(name + "/scaled")], name)], [Fresh(name + "/rounded")], name);
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
