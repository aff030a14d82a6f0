using System;
using System.Collections.Generic;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;
using static TypedNets.Generator.NetworkGenerator.Emitter;

namespace TypedNets.Generator.Layers;

/// <summary><c>[Conv1D(filters, kernelSize)]</c>: a convolution over the steps of a sequence.</summary>
internal sealed class Conv1DLayer() : LayerRule(LayerKind.Conv1D)
{
    public override EquatableArray<int> InferShape(ShapeContext context) => Windows.InferSteps(context, convolution: true, imageTwin: "Conv2D");

    public override void AddTensors(LayerModel layer, Action<string, int[]> add)
    {
        add("weight", [layer.Units, layer.InputFeatures / Math.Max(layer.Groups, 1), layer.Kernel]);
        if (layer.HasBias)
        {
            add("bias", [layer.Units]);
        }
    }

    public override bool KeepsPreActivation(LayerModel layer, bool isOutput) => Convolution.KeepsPreActivation(layer);

    public override string? ConstructorOptions(LayerModel layer, NetworkGenerator.Emitter e)
        => $"stride: {Invariant(layer.Stride)}, padding: {Invariant(layer.Padding)}, dilation: {Invariant(layer.Dilation)}, groups: {Invariant(layer.Groups)}, global::TypedNets.Activation.{layer.Activation}";

    public override void AddWorkBuffers(LayerModel layer, string field, List<BufferPlan> buffers)
    {
        // Per sample, as Conv2D's: the unfolded steps and their gradient, and the kernel's scratch, sized by the
        // kernel, which chooses how to compute the layer from its geometry.
        string geometry = Windows.SequenceGeometry(layer, convolution: true);
        string unfolded = $"{Kernels}.Conv1DKernel.ColumnLength({geometry})";
        buffers.Add(new("T[]", $"{field}Columns", $"new T[{unfolded}]"));
        buffers.Add(new("T[]", $"{field}ColumnGradient", $"new T[{unfolded}]"));
        buffers.Add(new("T[]", $"{field}Scratch", $"new T[{Kernels}.Conv1DKernel.ScratchLength({Invariant(layer.Units)}, {geometry})]"));
    }

    public override void EmitInitializer(NetworkGenerator.Emitter e, LayerModel layer)
    {
        // As Conv2D's: a filter sees features / groups features over its taps.
        int taps = layer.Kernel;
        int groupFeatures = layer.InputFeatures / Math.Max(layer.Groups, 1);
        string taps1D = $"View(Parameters, {e.P(layer.ParameterOffset)}, {Invariant(layer.Units * groupFeatures * taps)})";
        e.Writer.WriteLine(layer.IsRectified
            ? $"global::TypedNets.Initializers.HeUniform<T>({taps1D}, fanIn: {Invariant(groupFeatures * taps)}, ref random);"
            : $"global::TypedNets.Initializers.GlorotUniform<T>({taps1D}, fanIn: {Invariant(groupFeatures * taps)}, fanOut: {Invariant(layer.Units * taps)}, ref random);");
        if (layer.HasBias)
        {
            e.Writer.WriteLine($"View(Parameters, {e.P(layer.Tensors[1].Offset)}, {Invariant(layer.Units)}).Clear();");
        }
    }

    public override void EmitMethods(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput, string mask)
        => EmitSequenceConvolution(e, layer, input, output, isOutput);

    private static void EmitSequenceConvolution(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput)
    {
        string camel = e.FieldStem(layer);
        string description = $"Conv1D {ShapeMath.Format(layer.InputShape)} -> {ShapeMath.Format(layer.OutputShape)}, kernel {Invariant(layer.Kernel)}, stride {Invariant(layer.Stride)}, padding {Invariant(layer.Padding)}";
        Convolution.EmitMethods(
            e, layer, input, output, isOutput, "Conv1DKernel", description, Windows.SequenceGeometry(layer, convolution: true),
            $"{camel}Columns, {camel}Scratch", $"{camel}Columns, {camel}ColumnGradient, {camel}Scratch");
    }
}
