using System.Collections.Generic;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;
using static TypedNets.Generator.NetworkGenerator.Emitter;

namespace TypedNets.Generator.Layers;

/// <summary><c>[Dropout(rate)]</c>: zeroes a random fraction in training, with the mask kept for the backward pass.</summary>
internal sealed class DropoutLayer() : LayerRule(LayerKind.Dropout)
{
    public override bool ForwardTakesTraining(LayerModel layer) => true;

    public override bool PassesMask(LayerModel layer, bool inputMasked) => inputMasked && layer.OutputShape.Length == 2;

    public override string? ConstructorOptions(LayerModel layer, NetworkGenerator.Emitter e) => DoubleLiteral(layer.Rate);

    public override void AddWorkBuffers(LayerModel layer, string field, List<BufferPlan> buffers)
        => buffers.Add(new("T[]", $"{field}Mask", $"new T[maxBatch * {Invariant(layer.OutputSize)}]"));

    public override void EmitMethods(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput, string mask)
    {
        string n = Invariant(layer.OutputSize);
        string dropMask = $"{e.FieldStem(layer)}Mask";
        e.Writer.WriteBlock($$"""
            // {{e.Module(layer)}}: Dropout({{DoubleLiteral(layer.Rate).TrimEnd('d')}}) on {{ShapeMath.Format(layer.InputShape)}}; in inference a copy.
            private void {{e.MethodStem(layer)}}Forward({{e.Head}}int batch, bool training)
                => DropoutForward(View({{input}}, 0, batch * {{n}}), View({{output}}, 0, batch * {{n}}), View({{dropMask}}, 0, batch * {{n}}), {{DoubleLiteral(layer.Rate)}}, training);

            private void {{e.MethodStem(layer)}}Backward({{e.Head}}int batch, {{Span}}<T> dy, {{Span}}<T> dx) => DropoutBackward(View({{dropMask}}, 0, batch * {{n}}), dy.Slice(0, batch * {{n}}), dx);
            """);
    }

    public override bool Decodes(LayerModel layer, int steps) => true;

    // Generation is inference: the layer is the identity, and its output is its input's row.
    public override string EmitDecode(NetworkGenerator.Decoding d, LayerModel layer, string input)
    {
        if (!d.IsOutput(layer))
        {
            return input;
        }

        d.Lines.Add($"{input}.AsSpan().CopyTo(logits);");
        return "logits";
    }
}
