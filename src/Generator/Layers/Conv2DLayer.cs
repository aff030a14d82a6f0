using System;
using System.Collections.Generic;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;
using static TypedNets.Generator.NetworkGenerator.Emitter;

namespace TypedNets.Generator.Layers;

/// <summary><c>[Conv2D(filters, kernel)]</c>: a 2-D convolution over an image, through unfolded columns.</summary>
internal sealed class Conv2DLayer() : LayerRule(LayerKind.Conv2D)
{
    public override EquatableArray<int> InferShape(ShapeContext context) => Windows.InferImage(context, convolution: true);

    public override void AddTensors(LayerModel layer, Action<string, int[]> add)
    {
        add("weight", [layer.Units, layer.Image.Channels / Math.Max(layer.Groups, 1), layer.Kernel, layer.KernelWidth]);
        if (layer.HasBias)
        {
            add("bias", [layer.Units]);
        }
    }

    public override bool KeepsPreActivation(LayerModel layer, bool isOutput) => Convolution.KeepsPreActivation(layer);

    public override string? ConstructorOptions(LayerModel layer, NetworkGenerator.Emitter e)
        => $"stride: {Invariant(layer.Stride)}, padding: {Invariant(layer.Padding)}, global::TypedNets.Activation.{layer.Activation}";

    public override void AddConstructorExtras(LayerModel layer, List<string> arguments)
    {
        // After the optional bias, so a square, undilated layer's call is unchanged.
        if (layer.Dilation != 1)
        {
            arguments.Add($"dilation: {Invariant(layer.Dilation)}");
        }

        if (layer.StrideWidth != layer.Stride)
        {
            arguments.Add($"strideWidth: {Invariant(layer.StrideWidth)}");
        }

        if (layer.PaddingWidth != layer.Padding)
        {
            arguments.Add($"paddingWidth: {Invariant(layer.PaddingWidth)}");
        }

        if (layer.Groups != 1)
        {
            arguments.Add($"groups: {Invariant(layer.Groups)}");
        }
    }

    public override void AddWorkBuffers(LayerModel layer, string field, List<BufferPlan> buffers)
    {
        string columns = Invariant(layer.Image.Channels * layer.Kernel * layer.KernelWidth * layer.OutputShape[1] * layer.OutputShape[2]);
        buffers.Add(new("T[]", $"{field}Columns", $"new T[{columns}]"));
        buffers.Add(new("T[]", $"{field}ColumnGradient", $"new T[{columns}]"));
    }

    public override void EmitInitializer(NetworkGenerator.Emitter e, LayerModel layer)
    {
        int receptive = layer.Kernel * layer.KernelWidth;

        // A filter of a grouped convolution sees channels / groups channels: that is its fan-in, as PyTorch's.
        int groupChannels = layer.Image.Channels / Math.Max(layer.Groups, 1);
        string kernels = $"View(Parameters, {e.P(layer.ParameterOffset)}, {Invariant(layer.Units * groupChannels * receptive)})";
        bool rectified = layer.IsRectified;
        e.Writer.WriteLine(rectified
            ? $"global::TypedNets.Initializers.HeUniform<T>({kernels}, fanIn: {Invariant(groupChannels * receptive)}, ref random);"
            : $"global::TypedNets.Initializers.GlorotUniform<T>({kernels}, fanIn: {Invariant(groupChannels * receptive)}, fanOut: {Invariant(layer.Units * receptive)}, ref random);");
        if (layer.HasBias)
        {
            e.Writer.WriteLine($"View(Parameters, {e.P(layer.Tensors[1].Offset)}, {Invariant(layer.Units)}).Clear();");
        }
    }

    public override void EmitMethods(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput, string mask)
        => EmitConvolution(e, layer, input, output, isOutput);

    /// <summary>A Conv2D size as its comment shows it: the side of a square, or PyTorch's <c>(height, width)</c>.</summary>
    private static string Pair(int height, int width) => height == width ? Invariant(height) : $"({Invariant(height)}, {Invariant(width)})";

    private static void EmitConvolution(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput)
    {
        string camel = e.FieldStem(layer);
        (int channels, int height, int width) = layer.Image;
        // Only the options that differ from a square, undilated convolution are named, so its code is unchanged.
        string options = (layer.Dilation == 1 ? string.Empty : $", Dilation: {Invariant(layer.Dilation)}")
            + (layer.KernelWidth == layer.Kernel ? string.Empty : $", KernelWidth: {Invariant(layer.KernelWidth)}")
            + (layer.StrideWidth == layer.Stride ? string.Empty : $", StrideWidth: {Invariant(layer.StrideWidth)}")
            + (layer.PaddingWidth == layer.Padding ? string.Empty : $", PaddingWidth: {Invariant(layer.PaddingWidth)}")
            + (layer.Groups == 1 ? string.Empty : $", Groups: {Invariant(layer.Groups)}");
        string geometry = $"new {Kernels}.ImageGeometry({Invariant(channels)}, {Invariant(height)}, {Invariant(width)}, {Invariant(layer.Kernel)}, {Invariant(layer.Stride)}, {Invariant(layer.Padding)}{options})";
        string description = $"Conv2D {ShapeMath.Format(layer.InputShape)} -> {ShapeMath.Format(layer.OutputShape)}, kernel {Pair(layer.Kernel, layer.KernelWidth)}, stride {Pair(layer.Stride, layer.StrideWidth)}, padding {Pair(layer.Padding, layer.PaddingWidth)}";
        Convolution.EmitMethods(e, layer, input, output, isOutput, "Conv2DKernel", description, geometry, $"{camel}Columns", $"{camel}Columns, {camel}ColumnGradient");
    }
}
