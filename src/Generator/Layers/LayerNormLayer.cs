using System.Collections.Generic;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;
using static TypedNets.Generator.NetworkGenerator.Emitter;

namespace TypedNets.Generator.Layers;

/// <summary><c>[LayerNorm]</c>: normalises the last axis of each sample, or of each step of a sequence.</summary>
internal sealed class LayerNormLayer() : LayerRule(LayerKind.LayerNorm)
{
    public override EquatableArray<int> InferShape(ShapeContext context)
    {
        if (context.Shape.Length == 3)
        {
            context.Incompatible("a vector [features] or a sequence [steps, features]", "add a [Flatten] before it, or use [BatchNorm] to normalise image channels");
        }

        return context.Shape;
    }

    public override void AddTensors(LayerModel layer, System.Action<string, int[]> add)
    {
        add("weight", [layer.InputFeatures]);
        add("bias", [layer.InputFeatures]);
    }

    public override bool PassesMask(LayerModel layer, bool inputMasked) => inputMasked && layer.OutputShape.Length == 2;

    public override string? ConstructorOptions(LayerModel layer, NetworkGenerator.Emitter e) => $"epsilon: {DoubleLiteral(layer.Epsilon)}";

    public override void AddWorkBuffers(LayerModel layer, string field, List<BufferPlan> buffers)
    {
        buffers.Add(new("T[]", $"{field}Normalized", $"new T[maxBatch * {Invariant(layer.OutputSize)}]"));
        buffers.Add(new("T[]", $"{field}InverseDeviation", $"new T[maxBatch * {Invariant(layer.Steps)}]"));
    }

    public override void EmitInitializer(NetworkGenerator.Emitter e, LayerModel layer)
    {
        e.Writer.WriteLine($"// {e.Module(layer)}: scale 1, shift 0, as PyTorch.");
        EmitUnitScaleAndZeroShift(e, layer);
    }

    public override void EmitMethods(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput, string mask)
        => EmitLayerNorm(e, layer, input, output);

    private static void EmitLayerNorm(NetworkGenerator.Emitter e, LayerModel layer, string input, string output)
    {
        string camel = e.FieldStem(layer);
        string size = Invariant(layer.InputSize);
        string features = Invariant(layer.InputFeatures);

        // One row per sample, or per step of a sequence.
        string rows = layer.Steps == 1 ? "batch" : $"batch * {Invariant(layer.Steps)}";
        string normalized = $"View({camel}Normalized, 0, batch * {size})";
        string inverse = $"View({camel}InverseDeviation, 0, {rows})";
        e.Writer.WriteLine($"// {e.Module(layer)}: LayerNorm over the last axis of {ShapeMath.Format(layer.InputShape)}, eps {DoubleLiteral(layer.Epsilon).TrimEnd('d')}; weight [{features}] at {e.P(layer.Tensors[0].Offset)}, bias [{features}] at {e.P(layer.Tensors[1].Offset)}.");
        using (e.Writer.Block($"private void {e.MethodStem(layer)}Forward({e.Head}int batch)"))
        {
            e.Writer.WriteLine($"{Kernels}.LayerNormKernel.Forward<T>(");
            using (e.Indent())
            {
                e.Writer.WriteLine($"View({input}, 0, batch * {size}), {e.ParameterView(layer.Tensors[0])}, {e.ParameterView(layer.Tensors[1])},");
                e.Writer.WriteLine($"View({output}, 0, batch * {size}), {normalized}, {inverse}, {rows}, {features}, {DoubleLiteral(layer.Epsilon)});");
            }
        }

        e.Writer.WriteLine();
        using (e.Writer.Block($"private void {e.MethodStem(layer)}Backward({e.Head}int batch, {Span}<T> dy, {Span}<T> dx)"))
        {
            e.Writer.WriteLine($"{Kernels}.LayerNormKernel.Backward<T>(");
            using (e.Indent())
            {
                e.Writer.WriteLine($"dy.Slice(0, batch * {size}), {e.ParameterView(layer.Tensors[0])}, {normalized}, {inverse},");
                e.Writer.WriteLine($"{e.GradientView(layer.Tensors[0])}, {e.GradientView(layer.Tensors[1])}, dx.IsEmpty ? dx : dx.Slice(0, batch * {size}), {rows}, {features});");
            }
        }
    }

    public override bool Decodes(LayerModel layer, int steps) => layer.InputShape.Length == 2;

    public override string EmitDecode(NetworkGenerator.Decoding d, LayerModel layer, string input)
    {
        string row = d.Output(layer);
        string stem = NetworkGenerator.Decoding.Stem(layer);
        string normalized = d.Array(stem + "Normalized", layer.InputFeatures);
        string inverse = d.Array(stem + "InverseDeviation", 1);
        d.Lines.Add($"// {layer.ModuleName}: LayerNorm of the row.");
        d.Lines.Add($"{Kernels}.LayerNormKernel.Forward<float>({input}, {NetworkGenerator.Decoding.Weights(layer.Tensors[0].Offset, layer.Tensors[0].Length)}, {NetworkGenerator.Decoding.Weights(layer.Tensors[1].Offset, layer.Tensors[1].Length)}, {row}, {normalized}, {inverse}, 1, {Invariant(layer.InputFeatures)}, {DoubleLiteral(layer.Epsilon)});");
        return row;
    }
}
