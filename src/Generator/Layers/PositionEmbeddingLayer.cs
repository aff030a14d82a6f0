using System;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;
using static TypedNets.Generator.NetworkGenerator.Emitter;

namespace TypedNets.Generator.Layers;

/// <summary><c>[PositionEmbedding(positions)]</c>: row <c>t</c> of a learned table added to step <c>t</c> of a sequence, GPT-2's <c>wpe</c>.</summary>
internal sealed class PositionEmbeddingLayer() : LayerRule(LayerKind.PositionEmbedding)
{
    public override EquatableArray<int> InferShape(ShapeContext context)
    {
        RecurrentLayer.RequireSequence(context);
        LayerModel layer = context.Layer;
        if (context.Shape.Length == 2 && layer.Vocabulary >= 1 && context.Shape[0] > layer.Vocabulary)
        {
            context.Report(DiagnosticDescriptors.SequenceLongerThanPositions, layer.Label, Invariant(layer.Vocabulary), Invariant(context.Shape[0]), context.Source);
        }

        return context.Shape;
    }

    public override void AddTensors(LayerModel layer, Action<string, int[]> add) => add("weight", [layer.Vocabulary, layer.InputFeatures]);

    // An addition step by step: a padded step stays padded.
    public override bool PassesMask(LayerModel layer, bool inputMasked) => inputMasked;

    public override void EmitInitializer(NetworkGenerator.Emitter e, LayerModel layer)
    {
        e.Writer.WriteLine($"// {e.Module(layer)}: N(0, 1), as PyTorch's nn.Embedding (GPT-2's wpe).");
        e.Writer.WriteLine($"global::TypedNets.Initializers.StandardNormal<T>({e.ParameterView(layer.Tensors[0])}, ref random);");
    }

    public override void EmitMethods(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput, string mask)
    {
        string n = Invariant(layer.OutputSize);
        string sizes = $"batch, {Invariant(layer.Steps)}, {Invariant(layer.InputFeatures)}";
        e.Writer.WriteBlock($$"""
            // {{e.Module(layer)}}: PositionEmbedding, x + weight[0..{{Invariant(layer.Steps)}}) on {{ShapeMath.Format(layer.InputShape)}}; weight [{{Invariant(layer.Vocabulary)}}, {{Invariant(layer.InputFeatures)}}] at {{e.P(layer.ParameterOffset)}}.
            private void {{e.MethodStem(layer)}}Forward({{e.Head}}int batch)
                => {{Kernels}}.PositionEmbeddingKernel.Forward<T>(View({{input}}, 0, batch * {{n}}), {{e.ParameterView(layer.Tensors[0])}}, View({{output}}, 0, batch * {{n}}), {{sizes}});

            // The addition passes the gradient through to the input unchanged.
            private void {{e.MethodStem(layer)}}Backward({{e.Head}}int batch, {{Span}}<T> dy, {{Span}}<T> dx)
            {
                {{Kernels}}.PositionEmbeddingKernel.Backward<T>(dy.Slice(0, batch * {{n}}), {{e.GradientView(layer.Tensors[0])}}, {{sizes}});
                if (!dx.IsEmpty)
                {
                    dy.Slice(0, batch * {{n}}).CopyTo(dx);
                }
            }
            """);
    }

    public override bool Decodes(LayerModel layer, int steps) => layer.InputShape.Length == 2;

    public override string EmitDecode(NetworkGenerator.Decoding d, LayerModel layer, string input)
    {
        string row = d.Output(layer);
        string features = Invariant(layer.InputFeatures);
        d.Lines.Add($"// {layer.ModuleName}: x + the position's row of the table [{Invariant(layer.Vocabulary)}, {features}] at {Invariant(layer.ParameterOffset)}.");
        d.Lines.Add($"global::System.Numerics.Tensors.TensorPrimitives.Add<float>({input}, new {ReadOnlySpan}<float>(_parameters, {Invariant(layer.ParameterOffset)} + (position * {features}), {features}), {row});");
        return row;
    }
}
