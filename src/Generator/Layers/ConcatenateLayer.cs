using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;
using static TypedNets.Generator.NetworkGenerator.Emitter;

namespace TypedNets.Generator.Layers;

/// <summary><c>[Concatenate]</c>: its inputs side by side in every row: an image's channels, a vector's or a sequence's features.</summary>
internal sealed class ConcatenateLayer() : JoinLayer(LayerKind.Concatenate)
{
    public override EquatableArray<int> InferShape(ShapeContext context)
    {
        LayerModel layer = context.Layer;
        EquatableArray<int> shape = context.Shape;

        // Images join their channels, vectors and sequences their features (the last axis).
        int axis = shape.Length == 3 ? 0 : shape.Length - 1;
        int[] joined = shape.AsSpan().ToArray();
        for (int other = 1; other < layer.Inputs.Length && shape.Length > 0; other++)
        {
            EquatableArray<int> otherShape = context.ShapeOf(layer.Inputs[other]);
            bool agrees = otherShape.Length == shape.Length;
            for (int d = 0; agrees && d < shape.Length; d++)
            {
                agrees = d == axis || otherShape[d] == shape[d];
            }

            if (!agrees)
            {
                string over = shape.Length == 3 ? "channels" : "features";
                context.Report(
                    DiagnosticDescriptors.JoinShapeMismatch,
                    layer.Label, "Concatenate", context.NameOf(layer.Inputs[0]), ShapeMath.Format(shape), context.NameOf(layer.Inputs[other]), ShapeMath.Format(otherShape),
                    $"a concatenation joins the {over} and needs every other dimension to agree; pool, stride or flatten one of them to the other's shape first");
                break;
            }

            joined[axis] += otherShape[axis];
        }

        return joined.ToEquatableArray();
    }

    public override string GradientWrite(string dy, string outputLength, string target, bool accumulate, string rows, int width, int offset, int outputWidth)
        => $"{Kernels}.ConcatenateKernel.Backward<T>(View({dy}, 0, {outputLength}), {target}, {rows}, {Invariant(width)}, {Invariant(offset)}, {Invariant(outputWidth)}, accumulate: {(accumulate ? "true" : "false")});";

    public override void EmitMethods(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput, string mask)
    {
        string n = Invariant(layer.OutputSize);
        e.Writer.WriteLine($"// {e.Module(layer)}: Concatenate {InputLabels(e, layer)} -> {ShapeMath.Format(layer.OutputShape)}.");
        using (e.Writer.Block($"private void {e.MethodStem(layer)}Forward({e.Head}int batch)"))
        {
            e.Writer.WriteLine($"{Span}<T> y = View({output}, 0, batch * {n});");
            (int rowsPerSample, int outputWidth) = JoinRows(layer.OutputShape);
            string rows = rowsPerSample == 1 ? "batch" : $"batch * {Invariant(rowsPerSample)}";
            int offset = 0;
            foreach (int read in layer.Inputs)
            {
                int inputSize = ShapeMath.Size(e.ShapeOf(read));
                int width = inputSize / rowsPerSample;
                e.Writer.WriteLine($"{Kernels}.ConcatenateKernel.Forward<T>(View({e.BufferOf(read)}, 0, batch * {Invariant(inputSize)}), y, {rows}, {Invariant(width)}, {Invariant(offset)}, {Invariant(outputWidth)});");
                offset += width;
            }
        }
    }
}
