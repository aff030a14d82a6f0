using System.Collections.Generic;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;
using static TypedNets.Generator.NetworkGenerator.Emitter;

namespace TypedNets.Generator.Layers;

/// <summary><c>[MaxPool1D(pool)]</c> and <c>[AvgPool1D(pool)]</c>: a window over the steps of a sequence, per feature.</summary>
internal sealed class Pool1DLayer(LayerKind kind) : LayerRule(kind, runtimeType: "Pool1DLayer")
{
    private bool Max => Kind == LayerKind.MaxPool1D;

    public override EquatableArray<int> InferShape(ShapeContext context)
        => Windows.InferSteps(context, convolution: false, imageTwin: Max ? "MaxPool2D" : "AvgPool2D");

    public override string? ConstructorOptions(LayerModel layer, NetworkGenerator.Emitter e)
        => $"\"{layer.Kind}\", size: {Invariant(layer.Kernel)}, stride: {Invariant(layer.Stride)}, padding: {Invariant(layer.Padding)}";

    public override void AddWorkBuffers(LayerModel layer, string field, List<BufferPlan> buffers)
    {
        if (Max)
        {
            buffers.Add(new("int[]", $"{field}ArgMax", $"new int[maxBatch * {Invariant(layer.OutputSize)}]"));
        }
    }

    public override void EmitMethods(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput, string mask)
    {
        string geometry = Windows.SequenceGeometry(layer, convolution: false);
        string x = $"View({input}, 0, batch * {Invariant(layer.InputSize)})";
        string y = $"View({output}, 0, batch * {Invariant(layer.OutputSize)})";
        string dy = $"dy.Slice(0, batch * {Invariant(layer.OutputSize)})";
        string argMax = $"View({e.FieldStem(layer)}ArgMax, 0, batch * {Invariant(layer.OutputSize)})";
        Pooling.EmitMethods(
            e,
            layer,
            $"{layer.Kind} {ShapeMath.Format(layer.InputShape)} -> {ShapeMath.Format(layer.OutputShape)}, over the steps.",
            Max ? $"{Kernels}.Pool1DKernel.MaxForward<T>({x}, {y}, {argMax}, batch, {geometry});" : $"{Kernels}.Pool1DKernel.AverageForward<T>({x}, {y}, batch, {geometry});",
            Max ? $"{Kernels}.Pool1DKernel.MaxBackward<T>({dy}, {argMax}, dx, batch, {geometry});" : $"{Kernels}.Pool1DKernel.AverageBackward<T>({dy}, dx, batch, {geometry});");
    }
}
