// What the generator knows about one kind of layer lives in one class of this folder: its shape rule (what it takes
// and what it gives, and the diagnostics when it cannot take its input), its parameter tensors in state_dict order,
// its part of the plan (the engine arrays it keeps, whether it keeps a pre-activation, whether a padding mask passes
// it), its runtime layer object, its initializer and its forward and backward methods. The stages dispatch through
// LayerRule.For(kind), one table, rather than through a switch on the kind in each stage.
//
// A rule's emission writes through the Emitter it is handed (its writer, the scope's names and offsets), so that the
// code it prints is exactly what the emitter printed when it held these methods itself. Helpers that several kinds
// share stay shared: Convolution.cs writes the methods of Conv2D and Conv1D, Windows.cs holds the size rule of every
// windowed layer (convolutions and poolings, over images and sequences), Pooling.cs the methods every pooling writes,
// Join.cs what Add and Concatenate share. Reading a kind's attribute arguments stays with the parser, which reads the
// attribute's syntax for the diagnostics' locations: one method per kind, in NetworkGenerator.Parser.Layers.cs.
using System;
using System.Collections.Generic;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;

namespace TypedNets.Generator.Layers;

/// <summary>One kind of layer: its shape rule, parameters, plan and emission.</summary>
internal abstract class LayerRule
{
    private static readonly LayerRule[] Rules = CreateTable();

    protected LayerRule(LayerKind kind, string? name = null, string? runtimeType = null)
    {
        Kind = kind;
        Name = name ?? kind.ToString();
        RuntimeType = runtimeType ?? kind + "Layer";
    }

    /// <summary>The kind the rule describes.</summary>
    public LayerKind Kind { get; }

    /// <summary>The kind as messages and summaries name it (<c>LSTM</c>, <c>Conv2D</c>).</summary>
    public string Name { get; }

    /// <summary>The runtime's layer class the network's property returns, in <c>TypedNets</c>.</summary>
    public string RuntimeType { get; }

    /// <summary>The DSL attribute that declares the kind, such as <c>TypedNets.DenseAttribute</c>.</summary>
    public string AttributeName => $"TypedNets.{Kind}Attribute";

    /// <summary>Every kind's rule, in the order of <see cref="LayerKind"/>.</summary>
    public static IReadOnlyList<LayerRule> All => Rules;

    /// <summary>Whether the layer computes anything; Flatten only renames its input's shape.</summary>
    public virtual bool MovesData => true;

    /// <summary>Whether the layer reads more than one earlier layer (Add, Concatenate).</summary>
    public virtual bool IsJoin => false;

    /// <summary>Whether the layer reads token ids rather than floats (Embedding): it must come first, and no block's shared code holds it.</summary>
    public virtual bool ReadsTokens => false;

    /// <summary>Whether the forward method takes the <c>training</c> flag (Dropout, BatchNorm, SelfAttention with dropout).</summary>
    public virtual bool ForwardTakesTraining(LayerModel layer) => false;

    /// <summary>The rule of a kind.</summary>
    public static LayerRule For(LayerKind kind) => Rules[(int)kind];

    /// <summary>
    /// The output shape for the input shape in <paramref name="context"/>; reports through the context when the
    /// layer cannot take that input. The default keeps the shape.
    /// </summary>
    public virtual EquatableArray<int> InferShape(ShapeContext context) => context.Shape;

    /// <summary>Adds the layer's parameter tensors, name and shape, in <c>state_dict</c> order.</summary>
    public virtual void AddTensors(LayerModel layer, Action<string, int[]> add)
    {
    }

    /// <summary>The layer's non-trainable state (PyTorch's buffers), in <c>state_dict</c> order, from <see cref="LayerModel.BufferOffset"/>.</summary>
    public virtual EquatableArray<TensorModel> Buffers(LayerModel layer) => EquatableArray<TensorModel>.Empty;

    /// <summary>Whether a padding mask reaches past the layer, given whether one reaches its input. The default drops it.</summary>
    public virtual bool PassesMask(LayerModel layer, bool inputMasked) => false;

    /// <summary>Whether the layer keeps its pre-activation: a GELU's backward reads it, and a loss fuses with Softmax and Sigmoid through it.</summary>
    public virtual bool KeepsPreActivation(LayerModel layer, bool isOutput) => false;

    /// <summary>
    /// The engine's arrays the layer keeps besides its output and pre-activation (masks, workspaces, unfolded
    /// columns, saved statistics), as (type, field suffix, initializer); <paramref name="field"/> is the layer's field stem.
    /// </summary>
    public virtual void AddWorkBuffers(LayerModel layer, string field, List<BufferPlan> buffers)
    {
    }

    /// <summary>The runtime layer's arguments after its name, module and shapes (activation, sizes, options), or <see langword="null"/>.</summary>
    public virtual string? ConstructorOptions(LayerModel layer, NetworkGenerator.Emitter e) => null;

    /// <summary>The runtime layer's arguments after its tensors (optional named ones).</summary>
    public virtual void AddConstructorExtras(LayerModel layer, List<string> arguments)
    {
    }

    /// <summary>Writes the draw of the layer's initial weights (only called for a layer with parameters).</summary>
    public virtual void EmitInitializer(NetworkGenerator.Emitter e, LayerModel layer)
    {
    }

    /// <summary>Writes the layer's forward and backward methods, reading <paramref name="input"/> and writing <paramref name="output"/>.</summary>
    public abstract void EmitMethods(NetworkGenerator.Emitter e, LayerModel layer, string input, string output, bool isOutput, string mask);

    /// <summary>
    /// Whether generation can run the layer one position at a time on a sequence of <paramref name="steps"/>: a
    /// position's output row depends only on the rows of that position and earlier ones. The default: it cannot.
    /// </summary>
    public virtual bool Decodes(LayerModel layer, int steps) => false;

    /// <summary>
    /// Writes the layer's code for one position into the decoder's step, reading the row <paramref name="input"/>
    /// (<c>token</c> for a layer that reads token ids); returns the row that holds its output. Only called when
    /// <see cref="Decodes"/> holds.
    /// </summary>
    public virtual string EmitDecode(NetworkGenerator.Decoding d, LayerModel layer, string input)
        => throw new InvalidOperationException($"{Name} has no decode path.");

    /// <summary>Writes a normalisation's scale of ones and shift of zeros, its first two tensors, as PyTorch starts them.</summary>
    protected static void EmitUnitScaleAndZeroShift(NetworkGenerator.Emitter e, LayerModel layer)
    {
        e.Writer.WriteLine($"View(Parameters, {e.P(layer.Tensors[0].Offset)}, {NetworkGenerator.Emitter.Invariant(layer.Tensors[0].Length)}).Fill(T.One);");
        e.Writer.WriteLine($"View(Parameters, {e.P(layer.Tensors[1].Offset)}, {NetworkGenerator.Emitter.Invariant(layer.Tensors[1].Length)}).Clear();");
    }

    private static LayerRule[] CreateTable()
    {
        LayerRule[] all =
        [
            new DenseLayer(),
            new DropoutLayer(),
            new FlattenLayer(),
            new EmbeddingLayer(),
            new RecurrentLayer(LayerKind.Lstm, "LSTM", "LstmLayer", "LstmKernel", gates: 4),
            new RecurrentLayer(LayerKind.Gru, "GRU", "GruLayer", "GruKernel", gates: 3),
            new GlobalPooling1DLayer(LayerKind.GlobalAveragePooling1D),
            new GlobalPooling1DLayer(LayerKind.GlobalMaxPooling1D),
            new Conv2DLayer(),
            new Pool2DLayer(LayerKind.MaxPool2D),
            new Pool2DLayer(LayerKind.AvgPool2D),
            new Conv1DLayer(),
            new Pool1DLayer(LayerKind.MaxPool1D),
            new Pool1DLayer(LayerKind.AvgPool1D),
            new GlobalAveragePooling2DLayer(),
            new BatchNormLayer(),
            new LayerNormLayer(),
            new AddLayer(),
            new ConcatenateLayer(),
            new PositionEmbeddingLayer(),
            new SelfAttentionLayer(),
        ];
        var table = new LayerRule[all.Length];
        foreach (LayerRule rule in all)
        {
            table[(int)rule.Kind] = rule;
        }

        foreach (LayerKind kind in (LayerKind[])Enum.GetValues(typeof(LayerKind)))
        {
            if ((int)kind >= table.Length || table[(int)kind] is null)
            {
                throw new InvalidOperationException($"No layer rule for {kind}.");
            }
        }

        return table;
    }
}

/// <summary>One array of the engine's: its type, field name and initializer.</summary>
internal sealed record BufferPlan(string Type, string Field, string Initializer);
