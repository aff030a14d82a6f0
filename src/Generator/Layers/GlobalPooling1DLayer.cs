using System.Collections.Generic;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;
using static TypedNets.Generator.NetworkGenerator.Emitter;

namespace TypedNets.Generator.Layers;

/// <summary><c>[GlobalAveragePooling1D]</c> and <c>[GlobalMaxPooling1D]</c>: a sequence to one vector of its features, skipping padded steps.</summary>
internal sealed class GlobalPooling1DLayer(LayerKind kind) : LayerRule(kind)
{
    private bool Average => Kind == LayerKind.GlobalAveragePooling1D;

    public override EquatableArray<int> InferShape(ShapeContext context)
    {
        RecurrentLayer.RequireSequence(context);
        EquatableArray<int> shape = context.Shape;
        return new[] { shape.Length == 0 ? 0 : shape[shape.Length - 1] }.ToEquatableArray();
    }

    public override void AddWorkBuffers(LayerModel layer, string field, List<BufferPlan> buffers)
    {
        if (!Average)
        {
            buffers.Add(new("int[]", $"{field}ArgMax", $"new int[maxBatch * {Invariant(layer.OutputSize)}]"));
        }
    }

    public override void EmitMethods(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput, string mask)
    {
        string x = $"View({input}, 0, batch * {Invariant(layer.InputSize)})";
        string y = $"View({output}, 0, batch * {Invariant(layer.OutputSize)})";
        string sizes = $"batch, {Invariant(layer.Steps)}, {Invariant(layer.InputFeatures)}";
        string argMax = $"View({e.FieldStem(layer)}ArgMax, 0, batch * {Invariant(layer.OutputSize)})";
        string dy = $"dy.Slice(0, batch * {Invariant(layer.OutputSize)})";
        Pooling.EmitMethods(
            e,
            layer,
            $"{layer.Kind} {ShapeMath.Format(layer.InputShape)} -> {ShapeMath.Format(layer.OutputShape)}.",
            Average ? $"{Kernels}.PoolingKernel.AverageForward<T>({x}, {mask}, {y}, {sizes});" : $"{Kernels}.PoolingKernel.MaxForward<T>({x}, {mask}, {y}, {argMax}, {sizes});",
            Average ? $"{Kernels}.PoolingKernel.AverageBackward<T>({dy}, {mask}, dx, {sizes});" : $"{Kernels}.PoolingKernel.MaxBackward<T>({dy}, {argMax}, dx, {sizes});");
    }
}
