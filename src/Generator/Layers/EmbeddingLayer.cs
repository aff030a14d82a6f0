using System;
using System.Collections.Generic;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;
using static TypedNets.Generator.NetworkGenerator.Emitter;

namespace TypedNets.Generator.Layers;

/// <summary><c>[Embedding(vocabulary, dimension)]</c>: a row of its weight per token id; with MaskZero it starts a padding mask.</summary>
internal sealed class EmbeddingLayer() : LayerRule(LayerKind.Embedding)
{
    public override bool ReadsTokens => true;

    public override EquatableArray<int> InferShape(ShapeContext context)
    {
        if (!context.TokenInput || context.Index != 0)
        {
            context.Incompatible("token ids from [TokenInput(length)]", "make it the first layer of a network declared with [TokenInput(length)]");
        }

        return new[] { context.Shape.Length > 0 ? context.Shape[0] : 1, context.Layer.Units }.ToEquatableArray();
    }

    public override void AddTensors(LayerModel layer, Action<string, int[]> add) => add("weight", [layer.Vocabulary, layer.Units]);

    public override bool PassesMask(LayerModel layer, bool inputMasked) => layer.MaskZero;

    public override string? ConstructorOptions(LayerModel layer, NetworkGenerator.Emitter e) => layer.MaskZero ? "maskZero: true" : "maskZero: false";

    public override void AddConstructorExtras(LayerModel layer, List<string> arguments)
    {
        if (layer.PaddingIndex >= 0)
        {
            // The constructor's last parameter, after the weight.
            arguments.Add($"paddingIndex: {Invariant(layer.PaddingIndex)}");
        }
    }

    public override void EmitInitializer(NetworkGenerator.Emitter e, LayerModel layer)
    {
        e.Writer.WriteLine($"// {e.Module(layer)}: N(0, 1), as PyTorch's nn.Embedding.");
        e.Writer.WriteLine($"global::TypedNets.Initializers.StandardNormal<T>(View(Parameters, {e.P(layer.ParameterOffset)}, {Invariant(layer.ParameterCount)}), ref random);");
        if (layer.PaddingIndex >= 0)
        {
            e.Writer.WriteLine($"View(Parameters, {e.P(layer.ParameterOffset + (layer.PaddingIndex * layer.Units))}, {Invariant(layer.Units)}).Clear(); // the padding row, as padding_idx");
        }
    }

    public override void EmitMethods(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput, string mask)
        => EmitEmbedding(e, layer, output);

    private static void EmitEmbedding(NetworkGenerator.Emitter e, LayerModel layer, string output)
    {
        string weight = $"View(Parameters, {e.P(layer.ParameterOffset)}, {Invariant(layer.ParameterCount)})";
        string weightGradient = $"View(Gradients, {e.P(layer.ParameterOffset)}, {Invariant(layer.ParameterCount)})";
        string tokens = $"View(_input, 0, batch * {Invariant(layer.InputSize)})";
        string vocabulary = Invariant(layer.Vocabulary);
        string dimension = Invariant(layer.Units);
        e.Writer.WriteLine($"// {e.Module(layer)}: Embedding of {vocabulary} ids into {dimension} dimensions; weight [{vocabulary}, {dimension}] at {e.P(layer.ParameterOffset)}.");
        using (e.Writer.Block($"private void {e.MethodStem(layer)}Forward({e.Head}int batch)"))
        {
            // The base class looks the tokens up, or takes the vectors an attribution gives in their place.
            e.Writer.WriteLine($"EmbedTokens({tokens}, {weight}, View({output}, 0, batch * {Invariant(layer.OutputSize)}), {vocabulary}, {dimension});");
            if (layer.MaskZero)
            {
                e.Writer.WriteLine($"{Kernels}.EmbeddingKernel.Mask<T>({tokens}, View(_sequenceMask, 0, batch * {Invariant(layer.InputSize)}));");
            }
        }

        e.Writer.WriteLine();
        e.Writer.WriteLine("// Token ids have no gradient; dx, when given, takes the gradient with respect to the embedding vectors (for attributions).");
        using (e.Writer.Block($"private void {e.MethodStem(layer)}Backward({e.Head}int batch, {Span}<T> dy, {Span}<T> dx)"))
        {
            string padding = layer.PaddingIndex >= 0 ? $", paddingIndex: {Invariant(layer.PaddingIndex)}" : "";
            e.Writer.WriteLine($"{Kernels}.EmbeddingKernel.Backward<T>({tokens}, dy.Slice(0, batch * {Invariant(layer.OutputSize)}), {weightGradient}, {vocabulary}, {dimension}{padding});");
            e.Writer.WriteLine($"if (!dx.IsEmpty) dy.Slice(0, batch * {Invariant(layer.OutputSize)}).CopyTo(dx);");
        }
    }

    public override bool Decodes(LayerModel layer, int steps) => true;

    public override string EmitDecode(NetworkGenerator.Decoding d, LayerModel layer, string input)
    {
        string row = d.Output(layer);
        string dimension = Invariant(layer.Units);
        d.Lines.Add($"// {layer.ModuleName}: the token's row of the table [{Invariant(layer.Vocabulary)}, {dimension}] at {Invariant(layer.ParameterOffset)}.");
        string start = layer.ParameterOffset == 0 ? $"{input} * {dimension}" : $"{Invariant(layer.ParameterOffset)} + ({input} * {dimension})";
        d.Lines.Add($"new {ReadOnlySpan}<float>(_parameters, {start}, {dimension}).CopyTo({row});");
        return row;
    }
}
