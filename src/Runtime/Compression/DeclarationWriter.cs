using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace TypedNets.Compression;

/// <summary>
/// Writes a network's declaration back as C# from the runtime's description of its layers (<see cref="Layer"/> and its
/// kinds carry every option the attributes declare), with new unit counts where given. Options are written as a user
/// would: defaults left out, a rectangular side only where it differs, numbers in invariant round-trip form.
/// </summary>
internal static class DeclarationWriter
{
    /// <summary>C#'s reserved words, which a class or namespace name cannot be.</summary>
    internal static readonly HashSet<string> Keywords =
    [
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
        "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
        "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock",
        "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
        "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string",
        "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort",
        "using", "virtual", "void", "volatile", "while",
    ];

    public static string Write(INetwork network, string className, string? @namespace, IReadOnlyDictionary<int, int> units, IReadOnlyList<PrunedLayer> pruned)
    {
        IReadOnlyList<Layer> layers = network.Layers;
        string[] attributes = new string[layers.Count];
        for (int i = 0; i < layers.Count; i++)
        {
            attributes[i] = Attribute(network, layers, i, units.TryGetValue(i, out int count) ? count : null);
        }

        var text = new StringBuilder();
        string original = network.GetType().Name;
        text.Append("// ").Append(className).Append(": ").Append(original).Append(" after structured pruning (")
            .Append(string.Join(", ", pruned.Select(p => $"{p.Name} {Number(p.UnitsBefore)} -> {Number(p.UnitsAfter)}")))
            .Append(").\n");
        text.Append("// Written by TypedNets.Compression.StructuredPruning; its weights are ").Append(className).Append(".safetensors.\n");
        text.Append("using TypedNets;\n\n");
        if (!string.IsNullOrEmpty(@namespace))
        {
            text.Append("namespace ").Append(@namespace).Append(";\n\n");
        }

        text.Append('[').Append(string.Join(", ", NetworkAttributes(network))).Append("]\n");
        text.Append("public partial class ").Append(className).Append('\n');
        text.Append("{\n");
        int width = attributes.Max(a => a.Length);
        for (int i = 0; i < layers.Count; i++)
        {
            Layer layer = layers[i];
            text.Append("    ").Append(attributes[i].PadRight(width)).Append(" public partial ").Append(layer.GetType().Name)
                .Append(' ').Append(layer.PropertyName).Append(" { get; }\n");
        }

        text.Append("}\n");
        return text.ToString();
    }

    private static IEnumerable<string> NetworkAttributes(INetwork network)
    {
        yield return "Network";
        NetworkCore core = network.Core;
        yield return core.TokenInput
            ? $"TokenInput({Number(core.InputSize)})"
            : $"Input({string.Join(", ", core.Layers[0].InputShape.ToArray().Select(Number))})";
        if (core.DeclaredLoss is LossFunction loss)
        {
            var options = new List<string> { $"LossKind.{loss.Kind}" };
            if (loss.Delta != 1.0)
            {
                options.Add($"Delta = {Number(loss.Delta)}");
            }

            if (loss.IgnoreIndex is int ignore)
            {
                options.Add($"IgnoreIndex = {Number(ignore)}");
            }

            yield return $"Loss({string.Join(", ", options)})";
        }
    }

    private static string Attribute(INetwork network, IReadOnlyList<Layer> layers, int index, int? units)
    {
        Layer layer = layers[index];
        var a = new List<string>();
        string name;
        switch (layer)
        {
            case DenseLayer dense:
                name = "Dense";
                a.Add(Number(units ?? dense.Units));
                if (dense.Activation != Activation.Identity)
                {
                    a.Add($"Activation.{dense.Activation}");
                }

                Flag(a, "Bias", dense.Bias is not null, true);
                Option(a, "L1", dense.L1, 0);
                Option(a, "L2", dense.L2, 0);
                if (dense.TiedTo is not null)
                {
                    a.Add($"TiedTo = nameof({dense.TiedTo.PropertyName})");
                }

                break;
            case DropoutLayer dropout:
                name = "Dropout";
                a.Add(Number(dropout.Rate));
                break;
            case FlattenLayer:
                name = "Flatten";
                break;
            case EmbeddingLayer embedding:
                name = "Embedding";
                a.Add(Number(embedding.Vocabulary));
                a.Add(Number(embedding.Dimension));
                Flag(a, "MaskZero", embedding.MaskZero, false);
                if (embedding.PaddingIndex is int padding)
                {
                    a.Add($"PaddingIndex = {Number(padding)}");
                }

                break;
            case RecurrentLayer recurrent:
                name = recurrent is LstmLayer ? "Lstm" : "Gru";
                a.Add(Number(recurrent.Units));
                Flag(a, "ReturnSequences", recurrent.ReturnSequences, false);
                Option(a, "NumLayers", recurrent.NumLayers, 1);
                Flag(a, "Bidirectional", recurrent.Bidirectional, false);
                Option(a, "Dropout", recurrent.Dropout, 0);
                break;
            case Conv2DLayer conv:
                name = "Conv2D";
                a.Add(Number(units ?? conv.Weight.Shape[0]));
                a.Add(Number(conv.KernelHeight));
                Option(a, "KernelWidth", conv.KernelWidth, conv.KernelHeight);
                Option(a, "Stride", conv.Stride, 1);
                Option(a, "StrideWidth", conv.StrideWidth, conv.Stride);
                Option(a, "Padding", conv.Padding, 0);
                Option(a, "PaddingWidth", conv.PaddingWidth, conv.Padding);
                Option(a, "Dilation", conv.Dilation, 1);
                Option(a, "Groups", conv.Groups, 1);
                ActivationOption(a, conv.Activation);
                Flag(a, "Bias", conv.Bias is not null, true);
                break;
            case Conv1DLayer conv:
                name = "Conv1D";
                a.Add(Number(units ?? conv.Filters));
                a.Add(Number(conv.Kernel));
                Option(a, "Stride", conv.Stride, 1);
                Option(a, "Padding", conv.Padding, 0);
                Option(a, "Dilation", conv.Dilation, 1);
                Option(a, "Groups", conv.Groups, 1);
                ActivationOption(a, conv.Activation);
                Flag(a, "Bias", conv.Bias is not null, true);
                break;
            case Pool2DLayer pool:
                name = pool.Kind;
                a.Add(Number(pool.Size));
                Option(a, "Stride", pool.Stride, pool.Size);
                Option(a, "Padding", pool.Padding, 0);
                break;
            case Pool1DLayer pool:
                name = pool.Kind;
                a.Add(Number(pool.Size));
                Option(a, "Stride", pool.Stride, pool.Size);
                Option(a, "Padding", pool.Padding, 0);
                break;
            case GlobalAveragePooling2DLayer or GlobalAveragePooling1DLayer or GlobalMaxPooling1DLayer:
                name = layer.Kind;
                break;
            case BatchNormLayer norm:
                name = "BatchNorm";
                Option(a, "Momentum", norm.Momentum, 0.1);
                Option(a, "Epsilon", norm.Epsilon, 1e-5);
                ActivationOption(a, norm.Activation);
                break;
            case LayerNormLayer norm:
                name = "LayerNorm";
                Option(a, "Epsilon", norm.Epsilon, 1e-5);
                break;
            case PositionEmbeddingLayer position:
                name = "PositionEmbedding";
                a.Add(Number(position.Positions));
                break;
            case SelfAttentionLayer attention:
                name = "SelfAttention";
                a.Add(Number(attention.Heads));
                Flag(a, "Causal", attention.Causal, true);
                Option(a, "Dropout", attention.Dropout, 0);
                break;
            default:
                throw new ArgumentException(
                    $"{network.GetType().Name}'s layer '{layer.Name}' is a {layer.Kind}, which structured pruning cannot write into a declaration.",
                    nameof(network));
        }

        return a.Count == 0 ? $"[{name}]" : $"[{name}({string.Join(", ", a)})]";
    }

    private static void Option(List<string> a, string name, int value, int byDefault)
    {
        if (value != byDefault)
        {
            a.Add($"{name} = {Number(value)}");
        }
    }

    private static void Option(List<string> a, string name, double value, double byDefault)
    {
        if (value != byDefault)
        {
            a.Add($"{name} = {Number(value)}");
        }
    }

    private static void Flag(List<string> a, string name, bool value, bool byDefault)
    {
        if (value != byDefault)
        {
            a.Add($"{name} = {(value ? "true" : "false")}");
        }
    }

    private static void ActivationOption(List<string> a, Activation activation)
    {
        if (activation != Activation.Identity)
        {
            a.Add($"Activation = Activation.{activation}");
        }
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    // Round-trip form, so the declared double is the same double; "E" forms such as 1E-05 are C# literals as they stand.
    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
