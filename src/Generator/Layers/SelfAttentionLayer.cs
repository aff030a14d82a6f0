using System.Collections.Generic;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;
using static TypedNets.Generator.NetworkGenerator.Emitter;

namespace TypedNets.Generator.Layers;

/// <summary>
/// <c>[SelfAttention(heads)]</c>: multi-head scaled dot-product attention over the fused projection <c>[steps, 3 x width]</c>
/// a Dense before it makes (nanoGPT's <c>c_attn</c>), giving <c>[steps, width]</c>; no parameters.
/// </summary>
/// <remarks>
/// It drops a padding mask (the default of <see cref="LayerRule.PassesMask"/>): every position attends to every key it
/// may see, padded or not, as nanoGPT's, whose sequences are never padded.
/// </remarks>
internal sealed class SelfAttentionLayer() : LayerRule(LayerKind.SelfAttention)
{
    private const string Needs = "a sequence [steps, 3 x width] (query, key and value side by side)";

    public override bool ForwardTakesTraining(LayerModel layer) => layer.Rate > 0;

    public override EquatableArray<int> InferShape(ShapeContext context)
    {
        LayerModel layer = context.Layer;
        EquatableArray<int> shape = context.Shape;
        if (shape.Length != 2)
        {
            context.Incompatible(Needs, "feed it a sequence [steps, features] through a [Dense] of 3 x width units, as GPT-2's c_attn");
            return shape;
        }

        int features = shape[1];
        if (features % 3 != 0)
        {
            context.Incompatible(Needs, $"project it with a [Dense({Invariant(3 * features)})] before it, 3 x the width {Invariant(features)}, as GPT-2's c_attn");
            return shape;
        }

        int width = features / 3;
        int heads = layer.Units;
        if (heads >= 1 && width % heads != 0)
        {
            context.Report(DiagnosticDescriptors.HeadsDoNotDivideWidth, layer.Label, Invariant(heads), Invariant(width), Invariant(features), Invariant(LargestDivisorUpTo(width, heads)));
        }

        return new[] { shape[0], width }.ToEquatableArray();
    }

    public override string? ConstructorOptions(LayerModel layer, NetworkGenerator.Emitter e)
        => $"heads: {Invariant(layer.Units)}, causal: {(layer.Causal ? "true" : "false")}, dropout: {DoubleLiteral(layer.Rate)}";

    public override void AddWorkBuffers(LayerModel layer, string field, List<BufferPlan> buffers)
    {
        // Each score row's log-sum-exp, from which the backward pass recomputes the softmax; the kernel's scratch (one
        // head's blocks and score matrices at a time); with dropout, the seed of the last training pass's mask.
        buffers.Add(new("T[]", $"{field}LogSumExp", $"new T[maxBatch * {Invariant(layer.Units * layer.Steps)}]"));
        buffers.Add(new("T[]", $"{field}Scratch", $"new T[{Kernels}.AttentionKernel.ScratchLength({Invariant(layer.Steps)}, {Invariant(layer.OutputShape[1])}, {Invariant(layer.Units)})]"));
        if (layer.Rate > 0)
        {
            buffers.Add(new("ulong[]", $"{field}Seed", "new ulong[1]"));
        }
    }

    public override void EmitMethods(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput, string mask)
    {
        string camel = e.FieldStem(layer);
        string x = $"View({input}, 0, batch * {Invariant(layer.InputSize)})";
        string y = $"View({output}, 0, batch * {Invariant(layer.OutputSize)})";
        string logSumExp = $"View({camel}LogSumExp, 0, batch * {Invariant(layer.Units * layer.Steps)})";
        string sizes = $"batch, {Invariant(layer.Steps)}, {Invariant(layer.OutputShape[1])}, {Invariant(layer.Units)}, causal: {(layer.Causal ? "true" : "false")}";
        string rate = DoubleLiteral(layer.Rate);
        bool dropout = layer.Rate > 0;
        e.Writer.WriteLine($"// {e.Module(layer)}: SelfAttention {ShapeMath.Format(layer.InputShape)} -> {ShapeMath.Format(layer.OutputShape)}, {Invariant(layer.Units)} head{(layer.Units == 1 ? "" : "s")}, {(layer.Causal ? "causal" : "not causal")}{(dropout ? $", dropout {rate.TrimEnd('d')} on the attention weights" : "")}.");
        if (dropout)
        {
            // The mask is a hash of a seed drawn per training pass from the dropout stream; the backward pass hashes
            // the same seed again rather than storing the mask.
            e.Writer.WriteBlock($$"""
                private void {{e.MethodStem(layer)}}Forward({{e.Head}}int batch, bool training)
                {
                    {{camel}}Seed[0] = training ? DropoutStream.NextUInt64() : 0;
                    {{Kernels}}.AttentionKernel.Forward<T>({{x}}, {{y}}, {{logSumExp}}, {{camel}}Scratch, {{sizes}}, dropout: training ? {{rate}} : 0, seed: {{camel}}Seed[0]);
                }

                // After an inference pass, the gradient of attention without dropout.
                private void {{e.MethodStem(layer)}}Backward({{e.Head}}int batch, {{Span}}<T> dy, {{Span}}<T> dx)
                {
                    if (!dx.IsEmpty)
                    {
                        {{Kernels}}.AttentionKernel.Backward<T>({{x}}, {{y}}, {{logSumExp}}, dy.Slice(0, batch * {{Invariant(layer.OutputSize)}}), dx.Slice(0, batch * {{Invariant(layer.InputSize)}}), {{camel}}Scratch,
                            {{sizes}}, dropout: Training ? {{rate}} : 0, seed: {{camel}}Seed[0]);
                    }
                }
                """);
            return;
        }

        e.Writer.WriteBlock($$"""
            private void {{e.MethodStem(layer)}}Forward({{e.Head}}int batch)
                => {{Kernels}}.AttentionKernel.Forward<T>({{x}}, {{y}}, {{logSumExp}}, {{camel}}Scratch, {{sizes}});

            // No parameters: with no input gradient wanted there is nothing to do.
            private void {{e.MethodStem(layer)}}Backward({{e.Head}}int batch, {{Span}}<T> dy, {{Span}}<T> dx)
            {
                if (!dx.IsEmpty)
                {
                    {{Kernels}}.AttentionKernel.Backward<T>({{x}}, {{y}}, {{logSumExp}}, dy.Slice(0, batch * {{Invariant(layer.OutputSize)}}), dx.Slice(0, batch * {{Invariant(layer.InputSize)}}), {{camel}}Scratch, {{sizes}});
                }
            }
            """);
    }

    /// <summary>The largest head count up to <paramref name="heads"/> that divides <paramref name="width"/> (1 divides any).</summary>
    private static int LargestDivisorUpTo(int width, int heads)
    {
        for (int candidate = System.Math.Min(heads, width); candidate > 1; candidate--)
        {
            if (width % candidate == 0)
            {
                return candidate;
            }
        }

        return 1;
    }

    // A causal layer's row for a position reads the keys and values of that position and earlier ones only, which
    // the caches hold; a bidirectional one reads later positions too.
    public override bool Decodes(LayerModel layer, int steps) => layer.Causal && layer.Steps == steps;

    public override string EmitDecode(NetworkGenerator.Decoding d, LayerModel layer, string input)
    {
        string row = d.Output(layer);
        string stem = NetworkGenerator.Decoding.Stem(layer);
        int width = layer.OutputShape[1];
        string keys = d.Array(stem + "Keys", d.Context * width);
        string values = d.Array(stem + "Values", d.Context * width);
        string scores = d.Array(stem + "Scores", d.Context);
        d.Lines.Add($"// {layer.ModuleName}: causal attention of the position, {Invariant(layer.Units)} head{(layer.Units == 1 ? "" : "s")}; its key and value join the caches [{Invariant(layer.Units)}, {Invariant(d.Context)}, {Invariant(width / layer.Units)}].");
        d.Lines.Add($"{Kernels}.AttentionKernel.Decode<float>({input}, {keys}, {values}, {row}, {scores}, position, {Invariant(d.Context)}, {Invariant(width)}, {Invariant(layer.Units)});");
        return row;
    }
}
