using System;
using System.Collections.Generic;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;
using static TypedNets.Generator.NetworkGenerator.Emitter;

namespace TypedNets.Generator.Layers;

/// <summary>
/// <c>[Lstm(units)]</c> and <c>[Gru(units)]</c>: a recurrent layer over a sequence, one layer through the one-layer
/// kernel, stacked or bidirectional ones through the stack kernel; it passes a padding mask on when it returns sequences.
/// </summary>
internal sealed class RecurrentLayer(LayerKind kind, string name, string runtimeType, string kernelClass, int gates) : LayerRule(kind, name, runtimeType)
{
    /// <summary>The gates per unit: LSTM 4, GRU 3.</summary>
    public int Gates => gates;

    public override EquatableArray<int> InferShape(ShapeContext context)
    {
        LayerModel layer = context.Layer;
        RequireSequence(context);
        EquatableArray<int> shape = context.Shape;
        int steps = shape.Length == 2 ? shape[0] : 1;
        return (layer.ReturnSequences ? new[] { steps, layer.Directions * layer.Units } : new[] { layer.Directions * layer.Units }).ToEquatableArray();
    }

    /// <summary>Reports TN0002 unless the layer receives a sequence <c>[steps, features]</c> (recurrent layers, global 1-D pooling).</summary>
    internal static void RequireSequence(ShapeContext context)
    {
        if (context.Shape.Length != 2)
        {
            context.Incompatible(
                "a sequence [steps, features]",
                context.Previous is { IsRecurrent: true, ReturnSequences: false }
                    ? $"set ReturnSequences = true on '{context.Previous.Label}'"
                    : "feed it from an Embedding, a recurrent layer with ReturnSequences = true, or an [Input(steps, features)]");
        }
    }

    public override void AddTensors(LayerModel layer, Action<string, int[]> add)
    {
        // PyTorch's state_dict order: layer by layer, the forward direction then the reverse one; layer
        // k > 0 reads both directions of layer k - 1.
        for (int k = 0; k < Math.Max(layer.NumLayers, 1); k++)
        {
            for (int direction = 0; direction < layer.Directions; direction++)
            {
                string suffix = $"_l{k}{(direction == 1 ? "_reverse" : "")}";
                add("weight_ih" + suffix, [gates * layer.Units, k == 0 ? layer.InputFeatures : layer.Directions * layer.Units]);
                add("weight_hh" + suffix, [gates * layer.Units, layer.Units]);
                add("bias_ih" + suffix, [gates * layer.Units]);
                add("bias_hh" + suffix, [gates * layer.Units]);
            }
        }
    }

    public override bool PassesMask(LayerModel layer, bool inputMasked) => inputMasked && layer.ReturnSequences;

    public override string? ConstructorOptions(LayerModel layer, NetworkGenerator.Emitter e)
        => (layer.ReturnSequences ? "returnSequences: true" : "returnSequences: false")
            + (layer.IsRecurrentStack ? $", numLayers: {Invariant(layer.NumLayers)}, bidirectional: {(layer.Bidirectional ? "true" : "false")}, dropout: {DoubleLiteral(layer.Rate)}" : "");

    public override void AddWorkBuffers(LayerModel layer, string field, List<BufferPlan> buffers)
    {
        if (layer.IsRecurrentStack)
        {
            buffers.Add(new(
                $"{Kernels}.RecurrentStackWorkspace<T>",
                $"{field}Workspace",
                $"new {Kernels}.RecurrentStackWorkspace<T>(maxBatch, {Invariant(layer.Steps)}, {Invariant(layer.InputFeatures)}, {Invariant(layer.Units)}, {Invariant(gates)}, " +
                $"layers: {Invariant(layer.NumLayers)}, bidirectional: {(layer.Bidirectional ? "true" : "false")}, dropout: {(layer.Rate > 0 ? "true" : "false")})"));
        }
        else
        {
            buffers.Add(new(
                $"{Kernels}.RecurrentWorkspace<T>",
                $"{field}Workspace",
                $"new {Kernels}.RecurrentWorkspace<T>(maxBatch, {Invariant(layer.Steps)}, {Invariant(layer.Units)}, {Invariant(gates)})"));
        }
    }

    public override void EmitInitializer(NetworkGenerator.Emitter e, LayerModel layer)
    {
        e.Writer.WriteLine($"// {e.Module(layer)}: every weight and bias from U(-1/sqrt(units), 1/sqrt(units)), as PyTorch.");
        e.Writer.WriteLine($"global::TypedNets.Initializers.Uniform<T>(View(Parameters, {e.P(layer.ParameterOffset)}, {Invariant(layer.ParameterCount)}), {DoubleLiteral(1.0 / Math.Sqrt(layer.Units))}, ref random);");
    }

    public override void EmitMethods(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput, string mask)
        => EmitRecurrent(e, layer, input, output, mask);

    private void EmitRecurrent(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, string mask)
    {
        string kernel = kernelClass;
        string workspace = $"{e.FieldStem(layer)}Workspace";
        EquatableArray<TensorModel> tensors = layer.Tensors;
        string Parameter(int index) => $"View(Parameters, {e.P(tensors[index].Offset)}, {Invariant(tensors[index].Length)})";
        string Gradient(int index) => $"View(Gradients, {e.P(tensors[index].Offset)}, {Invariant(tensors[index].Length)})";
        string x = $"View({input}, 0, batch * {Invariant(layer.InputSize)})";
        string features = Invariant(layer.InputFeatures);
        string sequences = layer.ReturnSequences ? "true" : "false";
        if (layer.IsRecurrentStack)
        {
            EmitRecurrentStack(e, layer, kernel, workspace, x, output, mask, sequences);
            return;
        }

        e.Writer.WriteLine(
            $"// {e.Module(layer)}: {Name}({Invariant(layer.Units)}) {ShapeMath.Format(layer.InputShape)} -> {ShapeMath.Format(layer.OutputShape)}; " +
            $"weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 from {e.P(layer.ParameterOffset)}.");
        using (e.Writer.Block($"private void {e.MethodStem(layer)}Forward({e.Head}int batch)"))
        {
            e.Writer.WriteLine($"{Kernels}.{kernel}.Forward<T>(");
            using (e.Indent())
            {
                e.Writer.WriteLine($"{x}, {Parameter(0)}, {Parameter(1)}, {Parameter(2)}, {Parameter(3)},");
                e.Writer.WriteLine($"{mask}, {workspace}, View({output}, 0, batch * {Invariant(layer.OutputSize)}), batch, {features}, returnSequences: {sequences},");
                e.Writer.WriteLine($"Int8At({e.P(tensors[0].Offset)}), Int8At({e.P(tensors[1].Offset)}));");
            }
        }

        e.Writer.WriteLine();
        using (e.Writer.Block($"private void {e.MethodStem(layer)}Backward({e.Head}int batch, {Span}<T> dy, {Span}<T> dx)"))
        {
            e.Writer.WriteLine($"{Kernels}.{kernel}.Backward<T>(");
            using (e.Indent())
            {
                e.Writer.WriteLine($"{x}, {Parameter(0)}, {Parameter(1)}, {mask}, {workspace},");
                e.Writer.WriteLine($"dy.Slice(0, batch * {Invariant(layer.OutputSize)}), {Gradient(0)}, {Gradient(1)}, {Gradient(2)}, {Gradient(3)},");
                e.Writer.WriteLine($"dx, batch, {features}, returnSequences: {sequences});");
            }
        }
    }

    /// <summary>A stacked or bidirectional layer: one kernel call over the layer's whole parameter range, with constant sizes.</summary>
    private void EmitRecurrentStack(NetworkGenerator.Emitter e, LayerModel layer, string kernel, string workspace, string x, string output, string mask, string sequences)
    {
        string parameters = $"View(Parameters, {e.P(layer.ParameterOffset)}, {Invariant(layer.ParameterCount)})";
        string gradients = $"View(Gradients, {e.P(layer.ParameterOffset)}, {Invariant(layer.ParameterCount)})";
        string stack = (layer.NumLayers > 1 ? $", {Invariant(layer.NumLayers)} layers" : "") + (layer.Bidirectional ? ", bidirectional" : "")
            + (layer.Rate > 0 ? $", dropout {DoubleLiteral(layer.Rate).TrimEnd('d')} between layers" : "");
        e.Writer.WriteLine(
            $"// {e.Module(layer)}: {Name}({Invariant(layer.Units)}{stack}) {ShapeMath.Format(layer.InputShape)} -> {ShapeMath.Format(layer.OutputShape)}; " +
            $"{Invariant(layer.Tensors.Length)} tensors in state_dict order from {e.P(layer.ParameterOffset)}.");
        using (e.Writer.Block($"private void {e.MethodStem(layer)}Forward({e.Head}int batch)"))
        {
            e.Writer.WriteLine($"{Kernels}.{kernel}.Forward<T>(");
            using (e.Indent())
            {
                e.Writer.WriteLine($"{x}, {parameters}, {mask}, {workspace},");
                e.Writer.WriteLine($"View({output}, 0, batch * {Invariant(layer.OutputSize)}), batch, returnSequences: {sequences}, dropout: {DoubleLiteral(layer.Rate)}, Training, ref DropoutStream,");
                e.Writer.WriteLine($"Int8Weights, {e.P(layer.ParameterOffset)});");
            }
        }

        e.Writer.WriteLine();
        using (e.Writer.Block($"private void {e.MethodStem(layer)}Backward({e.Head}int batch, {Span}<T> dy, {Span}<T> dx)"))
        {
            e.Writer.WriteLine($"{Kernels}.{kernel}.Backward<T>(");
            using (e.Indent())
            {
                e.Writer.WriteLine($"{x}, {parameters}, {mask}, {workspace},");
                e.Writer.WriteLine($"dy.Slice(0, batch * {Invariant(layer.OutputSize)}), {gradients}, dx, batch, returnSequences: {sequences});");
            }
        }
    }
}
