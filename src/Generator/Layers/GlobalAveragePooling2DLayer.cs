using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;
using static TypedNets.Generator.NetworkGenerator.Emitter;

namespace TypedNets.Generator.Layers;

/// <summary><c>[GlobalAveragePooling2D]</c>: an image to the mean of each channel.</summary>
internal sealed class GlobalAveragePooling2DLayer() : LayerRule(LayerKind.GlobalAveragePooling2D)
{
    public override EquatableArray<int> InferShape(ShapeContext context)
    {
        if (context.Shape.Length < 2)
        {
            context.Incompatible("an image [channels, height, width]", "declare the input as [Input(channels, height, width)] or remove the [Flatten] before it");
        }

        return new[] { context.Shape.Length == 3 ? context.Shape[0] : 1 }.ToEquatableArray();
    }

    public override void EmitMethods(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput, string mask)
    {
        (int channels, int height, int width) = layer.Image;
        string x = $"View({input}, 0, batch * {Invariant(layer.InputSize)})";
        string y = $"View({output}, 0, batch * {Invariant(layer.OutputSize)})";
        string dy = $"dy.Slice(0, batch * {Invariant(layer.OutputSize)})";
        Pooling.EmitMethods(
            e,
            layer,
            $"{layer.Kind} {ShapeMath.Format(layer.InputShape)} -> {ShapeMath.Format(layer.OutputShape)}.",
            $"{Kernels}.Pool2DKernel.GlobalAverageForward<T>({x}, {y}, batch, {Invariant(channels)}, {Invariant(height * width)});",
            $"{Kernels}.Pool2DKernel.GlobalAverageBackward<T>({dy}, dx, batch, {Invariant(channels)}, {Invariant(height * width)});");
    }
}
