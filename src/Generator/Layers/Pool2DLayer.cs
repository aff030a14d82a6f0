using System.Collections.Generic;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;
using static TypedNets.Generator.NetworkGenerator.Emitter;

namespace TypedNets.Generator.Layers;

/// <summary><c>[MaxPool2D(size)]</c> and <c>[AvgPool2D(size)]</c>: a window over each channel of an image.</summary>
internal sealed class Pool2DLayer(LayerKind kind) : LayerRule(kind, runtimeType: "Pool2DLayer")
{
    private bool Max => Kind == LayerKind.MaxPool2D;

    public override EquatableArray<int> InferShape(ShapeContext context) => Windows.InferImage(context, convolution: false);

    public override string? ConstructorOptions(LayerModel layer, NetworkGenerator.Emitter e)
        => $"\"{layer.Kind}\", size: {Invariant(layer.Kernel)}, stride: {Invariant(layer.Stride)}" + (layer.Padding == 0 ? "" : $", padding: {Invariant(layer.Padding)}");

    public override void AddWorkBuffers(LayerModel layer, string field, List<BufferPlan> buffers)
    {
        if (Max)
        {
            buffers.Add(new("int[]", $"{field}ArgMax", $"new int[maxBatch * {Invariant(layer.OutputSize)}]"));
        }
    }

    public override void EmitMethods(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput, string mask)
    {
        (int channels, int height, int width) = layer.Image;
        string geometry = $"new {Kernels}.ImageGeometry({Invariant(channels)}, {Invariant(height)}, {Invariant(width)}, {Invariant(layer.Kernel)}, {Invariant(layer.Stride)}, {Invariant(layer.Padding)})";
        string x = $"View({input}, 0, batch * {Invariant(layer.InputSize)})";
        string y = $"View({output}, 0, batch * {Invariant(layer.OutputSize)})";
        string dy = $"dy.Slice(0, batch * {Invariant(layer.OutputSize)})";
        string argMax = $"View({e.FieldStem(layer)}ArgMax, 0, batch * {Invariant(layer.OutputSize)})";
        // Which position won each window is kept only where a backward pass may follow (not in a prediction workspace).
        string keptArgMax = $"KeepsBackwardState ? {argMax} : default";
        Pooling.EmitMethods(
            e,
            layer,
            $"{layer.Kind} {ShapeMath.Format(layer.InputShape)} -> {ShapeMath.Format(layer.OutputShape)}.",
            Max ? $"{Kernels}.Pool2DKernel.MaxForward<T>({x}, {y}, {keptArgMax}, batch, {geometry});" : $"{Kernels}.Pool2DKernel.AverageForward<T>({x}, {y}, batch, {geometry});",
            Max ? $"{Kernels}.Pool2DKernel.MaxBackward<T>({dy}, {argMax}, dx, batch, {geometry});" : $"{Kernels}.Pool2DKernel.AverageBackward<T>({dy}, dx, batch, {geometry});");
    }
}
