using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;

namespace TypedNets.Generator.Layers;

/// <summary><c>[Flatten]</c>: renames its input's shape to one vector and moves no data; its readers read its input's buffer.</summary>
internal sealed class FlattenLayer() : LayerRule(LayerKind.Flatten)
{
    public override bool MovesData => false;

    public override EquatableArray<int> InferShape(ShapeContext context) => new[] { ShapeMath.Size(context.Shape) }.ToEquatableArray();

    public override void EmitMethods(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput, string mask)
    {
    }
}
