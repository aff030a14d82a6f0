using System;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;
using static TypedNets.Generator.NetworkGenerator.Emitter;

namespace TypedNets.Generator.Layers;

/// <summary><c>[Add]</c> (and a residual block's sum): its two inputs added, then its activation.</summary>
internal sealed class AddLayer() : JoinLayer(LayerKind.Add)
{
    public override EquatableArray<int> InferShape(ShapeContext context)
    {
        LayerModel layer = context.Layer;
        EquatableArray<int> shape = context.Shape;
        for (int other = 1; other < layer.Inputs.Length; other++)
        {
            EquatableArray<int> otherShape = context.ShapeOf(layer.Inputs[other]);
            if (!otherShape.Equals(shape))
            {
                bool residual = !layer.IsMember && layer.PropertyName.EndsWith("Residual", StringComparison.Ordinal);
                context.Report(
                    DiagnosticDescriptors.JoinShapeMismatch,
                    layer.Label, residual ? "Residual" : "Add", context.NameOf(layer.Inputs[0]), ShapeMath.Format(shape), context.NameOf(layer.Inputs[other]), ShapeMath.Format(otherShape),
                    residual
                        ? "a residual block's layers must keep the shape of its input, or the block needs a [Shortcut] that maps its input to their output's shape (as ResNet's downsample: a 1x1 Conv2D with the block's stride, and a BatchNorm)"
                        : "the two must have the same shape; read a layer of the same shape, or map one to the other's shape with a layer (a 1x1 Conv2D, a Dense) first");
                break;
            }
        }

        return shape;
    }

    public override string? ConstructorOptions(LayerModel layer, NetworkGenerator.Emitter e) => $"global::TypedNets.Activation.{layer.Activation}, {e.InputNames(layer)}";

    public override bool HasBackwardMethod(LayerModel layer) => layer.Activation != Activation.Identity;

    public override string GradientWrite(string dy, string outputLength, string target, bool accumulate, string rows, int width, int offset, int outputWidth)
        => accumulate
            ? $"global::System.Numerics.Tensors.TensorPrimitives.Add<T>({target}, View({dy}, 0, {outputLength}), {target});"
            : $"View({dy}, 0, {outputLength}).CopyTo({target});";

    public override void EmitMethods(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput, string mask)
    {
        string n = Invariant(layer.OutputSize);
        e.Writer.WriteLine($"// {e.Module(layer)}: Add of {InputLabels(e, layer)}, {ShapeMath.Format(layer.OutputShape)}, {layer.Activation}.");
        using (e.Writer.Block($"private void {e.MethodStem(layer)}Forward({e.Head}int batch)"))
        {
            e.Writer.WriteLine($"{Span}<T> y = View({output}, 0, batch * {n});");
            e.Writer.WriteLine($"global::System.Numerics.Tensors.TensorPrimitives.Add<T>(View({e.BufferOf(layer.Inputs[0])}, 0, batch * {n}), View({e.BufferOf(layer.Inputs[1])}, 0, batch * {n}), y);");
            string? activation = ActivationForward(layer.Activation, "y", rowLength: n);
            if (activation is not null)
            {
                e.Writer.WriteLine(activation);
            }
        }

        if (HasBackwardMethod(layer))
        {
            e.Writer.WriteLine();
            e.Writer.WriteLine("// The activation's gradient, in place; BackPropagate hands the result to both inputs.");
            using (e.Writer.Block($"private void {e.MethodStem(layer)}Backward({e.Head}int batch, {Span}<T> dy)"))
            {
                e.Writer.WriteLine($"{Span}<T> dz = dy.Slice(0, batch * {n});");
                e.Writer.WriteLine(ActivationBackward(layer.Activation, $"View({output}, 0, batch * {n})", "default", rowLength: n)!);
            }
        }
    }

    public override bool Decodes(LayerModel layer, int steps) => true;

    public override string EmitDecode(NetworkGenerator.Decoding d, LayerModel layer, string input)
    {
        string row = d.Output(layer);
        d.Lines.Add($"// {layer.ModuleName}: Add, {layer.Activation}.");
        d.Lines.Add($"global::System.Numerics.Tensors.TensorPrimitives.Add<float>({d.RowOf(layer.Inputs[0])}, {d.RowOf(layer.Inputs[1])}, {row});");
        for (int other = 2; other < layer.Inputs.Length; other++)
        {
            d.Lines.Add($"global::System.Numerics.Tensors.TensorPrimitives.Add<float>({row}, {d.RowOf(layer.Inputs[other])}, {row});");
        }

        string? activation = ActivationForward(layer.Activation, "y", rowLength: Invariant(layer.OutputShape[1]));
        if (activation is not null)
        {
            d.Lines.Add("{");
            d.Lines.Add($"    {Span}<float> y = {row};");
            d.Lines.Add("    " + activation.Replace("<T>", "<float>"));
            d.Lines.Add("}");
        }

        return row;
    }
}
