using System;
using System.Collections.Generic;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;
using static TypedNets.Generator.NetworkGenerator.Emitter;

namespace TypedNets.Generator.Layers;

/// <summary><c>[Dense(units, activation)]</c>: a fully connected layer, once per step on a sequence.</summary>
internal sealed class DenseLayer() : LayerRule(LayerKind.Dense)
{
    public override EquatableArray<int> InferShape(ShapeContext context)
    {
        EquatableArray<int> shape = context.Shape;
        LayerModel layer = context.Layer;
        if (shape.Length > 2)
        {
            context.Incompatible("a vector [features] or a sequence [steps, features]", "add a [Flatten] layer before it");
        }

        if (layer.Activation == Activation.Softmax && layer.Units == 1)
        {
            context.Report(DiagnosticDescriptors.SoftmaxOverOneUnit, layer.Label);
        }

        // A tied weight is the Embedding's table, [vocabulary, dimension]: the layer's [units, inputs] must be that.
        if (layer.IsTied)
        {
            LayerModel table = context.Placed(layer.TiedTo);
            int inputs = shape.Length == 0 ? 0 : shape[shape.Length - 1];
            if (layer.Units != table.Vocabulary || inputs != table.Units)
            {
                string fix = layer.Units != table.Vocabulary
                    ? $"declare [Dense({table.Vocabulary})], one output per id" + (inputs != table.Units ? $", on {table.Units} input features, the embedding's dimension" : "")
                    : $"give it {table.Units} input features, the embedding's dimension";
                context.Report(DiagnosticDescriptors.TiedShapeMismatch, layer.Label, $"[{layer.Units}, {inputs}]", table.Label, $"[{table.Vocabulary}, {table.Units}]", fix);
            }
        }

        return shape.Length == 2 ? new[] { shape[0], layer.Units }.ToEquatableArray() : new[] { layer.Units }.ToEquatableArray();
    }

    public override void AddTensors(LayerModel layer, Action<string, int[]> add)
    {
        // A tied weight is the Embedding's tensor, listed (and drawn) once, there.
        if (!layer.IsTied)
        {
            add("weight", [layer.Units, layer.InputFeatures]);
        }

        if (layer.HasBias)
        {
            add("bias", [layer.Units]);
        }
    }

    public override bool PassesMask(LayerModel layer, bool inputMasked) => inputMasked && layer.OutputShape.Length == 2;

    public override bool KeepsPreActivation(LayerModel layer, bool isOutput)
        => layer.IsGelu || (isOutput && layer.Activation is Activation.Softmax or Activation.Sigmoid);

    // A tied layer's description takes the Embedding's description, whose weight it shares, in place of a weight tensor.
    public override string? ConstructorOptions(LayerModel layer, NetworkGenerator.Emitter e)
        => layer.IsTied
            ? $"global::TypedNets.Activation.{layer.Activation}, {GeneratedNames.LayerField(e.Model.Layers[layer.TiedTo].PropertyName)}"
            : $"global::TypedNets.Activation.{layer.Activation}";

    // After the optional bias and only when declared, so an unpenalised layer's call is unchanged; the runtime's
    // description carries them so that a declaration written back from it (structured pruning) keeps them.
    public override void AddConstructorExtras(LayerModel layer, List<string> arguments)
    {
        if (layer.L1 > 0)
        {
            arguments.Add($"l1: {DoubleLiteral(layer.L1)}");
        }

        if (layer.L2 > 0)
        {
            arguments.Add($"l2: {DoubleLiteral(layer.L2)}");
        }
    }

    public override void EmitInitializer(NetworkGenerator.Emitter e, LayerModel layer)
    {
        if (layer.IsTied)
        {
            // The Embedding's initializer draws the table; only a bias of the layer's own starts here.
            e.Writer.WriteLine($"View(Parameters, {e.P(layer.BiasOffset)}, {Invariant(layer.Units)}).Clear();");
            return;
        }

        string weight = $"View(Parameters, {e.P(layer.ParameterOffset)}, {Invariant(layer.WeightLength)})";
        bool he = layer.IsRectified;
        e.Writer.WriteLine(he
            ? $"global::TypedNets.Initializers.HeUniform<T>({weight}, fanIn: {Invariant(layer.InputFeatures)}, ref random);"
            : $"global::TypedNets.Initializers.GlorotUniform<T>({weight}, fanIn: {Invariant(layer.InputFeatures)}, fanOut: {Invariant(layer.Units)}, ref random);");
        if (layer.HasBias)
        {
            e.Writer.WriteLine($"View(Parameters, {e.P(layer.BiasOffset)}, {Invariant(layer.Units)}).Clear();");
        }
    }

    public override void EmitMethods(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput, string mask)
        => EmitDense(e, layer, input, output, Invariant(layer.InputFeatures), Invariant(layer.Units), isOutput);

    private static void EmitDense(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, string m, string n, bool isOutput)
    {
        string camel = e.FieldStem(layer);

        // On a sequence, a dense layer runs once per step: its rows are batch x steps.
        string rows = layer.Steps == 1 ? "batch" : $"batch * {Invariant(layer.Steps)}";
        // A tied weight is the Embedding's table: the kernel's backward accumulates into the table's gradient, which the
        // Embedding's backward (run after it) accumulates into too, so the gradient is the sum of both uses.
        string weight = $"View(Parameters, {e.P(layer.WeightOffset)}, {Invariant(layer.WeightLength)})";
        // Without a bias the kernels get empty spans: nothing is added, no gradient is kept.
        string bias = layer.HasBias ? $"View(Parameters, {e.P(layer.BiasOffset)}, {n})" : $"{ReadOnlySpan}<T>.Empty";
        string weightGradient = $"View(Gradients, {e.P(layer.WeightOffset)}, {Invariant(layer.WeightLength)})";
        string biasGradient = layer.HasBias ? $"View(Gradients, {e.P(layer.BiasOffset)}, {n})" : $"{Span}<T>.Empty";
        bool keepsPreActivation = layer.KeepsPreActivation(isOutput);
        bool fusable = isOutput && layer.Activation != Activation.Identity;

        string weightNote = layer.IsTied
            ? $"weight [{n}, {m}] tied to the table of {e.Module(e.Model.Layers[layer.TiedTo])} at {e.P(layer.WeightOffset)}"
            : $"weight [{n}, {m}] at {e.P(layer.ParameterOffset)}";
        e.Writer.WriteLine($"// {e.Module(layer)}: Dense {ShapeMath.Format(layer.InputShape)} -> {ShapeMath.Format(layer.OutputShape)}, {layer.Activation}; " + (layer.HasBias
            ? $"{weightNote}, bias [{n}] at {e.P(layer.BiasOffset)}."
            : $"{weightNote}, no bias."));
        string x = $"View({input}, 0, {rows} * {m})";
        string y = $"View({output}, 0, {rows} * {n})";
        string preActivation = keepsPreActivation ? $"View({camel}PreActivation, 0, {rows} * {n})" : "default";
        string activation = $"global::TypedNets.Activation.{layer.Activation}";

        // The kernel applies the activation (a ReLU as the product's epilogue) and, backward, its derivative.
        e.Writer.WriteLine($"private void {e.MethodStem(layer)}Forward({e.Head}int batch)");
        // Int8At finds the weight's int8 form in a quantised network (null, the float product, otherwise); PackedAt, in
        // an inference pass, its form packed for the GEMM, kept while the weights do not change.
        e.Writer.WriteLine($"    => {Kernels}.DenseKernel.Layer<T>({x}, {weight}, {bias}, {preActivation}, {y}, {rows}, {m}, {n}, {activation}, Int8At({e.P(layer.WeightOffset)}), PackedAt({e.P(layer.WeightOffset)}));");
        e.Writer.WriteLine();
        if (fusable)
        {
            e.Writer.WriteLine("// A loss fused with the activation hands over dL/dz directly (dyIsPreActivation).");
            e.Writer.WriteLine($"private void {e.MethodStem(layer)}Backward({e.Head}int batch, {Span}<T> dy, {Span}<T> dx, bool dyIsPreActivation)");
        }
        else
        {
            e.Writer.WriteLine($"private void {e.MethodStem(layer)}Backward({e.Head}int batch, {Span}<T> dy, {Span}<T> dx)");
        }

        e.Writer.WriteLine($"    => {Kernels}.DenseKernel.LayerBackward<T>(");
        e.Writer.WriteLine($"        {x}, {weight}, {y}, {preActivation}, dy, {weightGradient}, {biasGradient}, dx, {rows}, {m}, {n}, {activation}{(fusable ? ", dyIsPreActivation" : "")});");
    }

    public override bool Decodes(LayerModel layer, int steps) => layer.InputShape.Length == 2;

    // One row through the GEMM is a matrix-vector product. The head's softmax is left out: generation samples from the logits.
    public override string EmitDecode(NetworkGenerator.Decoding d, LayerModel layer, string input)
    {
        string row = d.Output(layer);
        int m = layer.InputFeatures;
        int n = layer.Units;
        Activation activation = d.IsOutput(layer) && layer.Activation == Activation.Softmax ? Activation.Identity : layer.Activation;
        string weight = NetworkGenerator.Decoding.Weights(layer.WeightOffset, m * n);
        string bias = layer.HasBias ? NetworkGenerator.Decoding.Weights(layer.BiasOffset, n) : $"{ReadOnlySpan}<float>.Empty";
        d.Lines.Add($"// {layer.ModuleName}: Dense {Invariant(m)} -> {Invariant(n)}, {activation}{(activation != layer.Activation ? " (the logits before the softmax)" : "")}.");
        d.Lines.Add($"{Kernels}.DenseKernel.Layer<float>({input}, {weight}, {bias}, default, {row}, 1, {Invariant(m)}, {Invariant(n)}, global::TypedNets.Activation.{activation}, _engine.Int8At({Invariant(layer.WeightOffset)}));");
        return row;
    }
}
