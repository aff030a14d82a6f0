using System;
using System.Collections.Generic;

namespace TypedNets;

/// <summary>A layer of a generated network: its name, its shapes and its parameter tensors.</summary>
public abstract class Layer
{
    private readonly int[] _inputShape;
    private readonly int[] _outputShape;

    /// <summary>Creates the description of a layer; generated code calls this.</summary>
    protected Layer(string propertyName, string name, int[] inputShape, int[] outputShape, params ParameterTensor[] parameters)
    {
        PropertyName = propertyName;
        Name = name;
        _inputShape = inputShape;
        _outputShape = outputShape;
        Parameters = parameters;
    }

    /// <summary>The property that declares the layer, such as <c>Hidden</c>.</summary>
    public string PropertyName { get; }

    /// <summary>The module name used in <c>state_dict</c> keys and summaries, such as <c>hidden</c>.</summary>
    public string Name { get; }

    /// <summary>The layer's kind as a summary shows it, such as <c>Dense</c>.</summary>
    public abstract string Kind { get; }

    /// <summary>The per-sample shape the layer receives.</summary>
    public ReadOnlySpan<int> InputShape => _inputShape;

    /// <summary>The per-sample shape the layer produces.</summary>
    public ReadOnlySpan<int> OutputShape => _outputShape;

    /// <summary>The layer's parameter tensors, in <c>state_dict</c> order.</summary>
    public IReadOnlyList<ParameterTensor> Parameters { get; }

    /// <summary>The layer's non-trainable state in <c>state_dict</c> order, such as batch normalisation's running statistics.</summary>
    public IReadOnlyList<BufferTensor> Buffers { get; protected init; } = [];

    /// <summary>
    /// The module names of the layers this one reads, in order, with <c>input</c> for the network's input: the layer
    /// before it, another with <c>[From]</c>, two for Add, two or more for Concatenate. The network's graph, as
    /// exporters and summaries walk it; generated code sets it.
    /// </summary>
    public IReadOnlyList<string> Sources { get; init; } = [];

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Kind}) [{string.Join(", ", _inputShape)}] -> [{string.Join(", ", _outputShape)}]";
}

/// <summary>A fully connected layer: <see cref="Weight"/> <c>[units, inputs]</c> and <see cref="Bias"/> <c>[units]</c> if it has one.</summary>
public sealed class DenseLayer : Layer
{
    /// <summary>
    /// Creates the description of a dense layer; generated code calls this (without a bias for <c>Bias = false</c>, with
    /// <paramref name="l1"/> and <paramref name="l2"/> for the declared weight penalties).
    /// </summary>
    public DenseLayer(string propertyName, string name, int[] inputShape, int[] outputShape, Activation activation, ParameterTensor weight, ParameterTensor? bias = null, double l1 = 0, double l2 = 0)
        : base(propertyName, name, inputShape, outputShape, bias is null ? [weight] : [weight, bias])
    {
        Activation = activation;
        Weight = weight;
        Bias = bias;
        L1 = l1;
        L2 = l2;
    }

    /// <summary>
    /// Creates the description of a dense layer whose weight is <paramref name="tiedTo"/>'s table (<c>TiedTo</c>);
    /// generated code calls this. Its <see cref="Layer.Parameters"/> hold only its bias, if any: the table is the embedding's.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="tiedTo"/> is <see langword="null"/>.</exception>
    public DenseLayer(string propertyName, string name, int[] inputShape, int[] outputShape, Activation activation, EmbeddingLayer tiedTo, ParameterTensor? bias = null, double l1 = 0, double l2 = 0)
        : base(propertyName, name, inputShape, outputShape, bias is null ? [] : [bias])
    {
        ArgumentNullException.ThrowIfNull(tiedTo);
        Activation = activation;
        Weight = tiedTo.Weight;
        Bias = bias;
        TiedTo = tiedTo;
        L1 = l1;
        L2 = l2;
    }

    /// <inheritdoc/>
    public override string Kind => "Dense";

    /// <summary>The activation applied to the outputs.</summary>
    public Activation Activation { get; }

    /// <summary>The weight, <c>[units, inputs]</c>: for a tied layer, the embedding's table, its <c>[vocabulary, dimension]</c>.</summary>
    public ParameterTensor Weight { get; }

    /// <summary>
    /// The embedding whose table is the weight, for a layer declared with <c>TiedTo</c> (GPT-2's head tied to its token
    /// embedding), or <see langword="null"/> for a weight of its own. A tied weight is listed once, with the embedding's parameters.
    /// </summary>
    public EmbeddingLayer? TiedTo { get; }

    /// <summary>The bias, <c>[units]</c>, or <see langword="null"/> for a layer declared with <c>Bias = false</c> (PyTorch's <c>bias=False</c>).</summary>
    public ParameterTensor? Bias { get; }

    /// <summary>The factor of the L1 penalty on the weight declared with <c>L1 = ...</c>, or 0 for none.</summary>
    public double L1 { get; }

    /// <summary>The factor of the L2 penalty on the weight declared with <c>L2 = ...</c>, or 0 for none.</summary>
    public double L2 { get; }

    /// <summary>The number of outputs.</summary>
    public int Units => Weight.Shape[0];

    /// <summary>The number of inputs.</summary>
    public int Inputs => Weight.Shape[1];
}

/// <summary>An inverted-dropout layer; it has no parameters.</summary>
public sealed class DropoutLayer : Layer
{
    /// <summary>Creates the description of a dropout layer; generated code calls this.</summary>
    public DropoutLayer(string propertyName, string name, int[] inputShape, int[] outputShape, double rate)
        : base(propertyName, name, inputShape, outputShape)
    {
        Rate = rate;
    }

    /// <inheritdoc/>
    public override string Kind => "Dropout";

    /// <summary>The probability of dropping an element in training.</summary>
    public double Rate { get; }
}

/// <summary>A layer that flattens the per-sample shape; it has no parameters and moves no data.</summary>
public sealed class FlattenLayer : Layer
{
    /// <summary>Creates the description of a flatten layer; generated code calls this.</summary>
    public FlattenLayer(string propertyName, string name, int[] inputShape, int[] outputShape)
        : base(propertyName, name, inputShape, outputShape)
    {
    }

    /// <inheritdoc/>
    public override string Kind => "Flatten";
}

/// <summary>An embedding: <see cref="Weight"/> <c>[vocabulary, dimension]</c>.</summary>
public sealed class EmbeddingLayer : Layer
{
    /// <summary>Creates the description of an embedding; generated code calls this.</summary>
    public EmbeddingLayer(string propertyName, string name, int[] inputShape, int[] outputShape, bool maskZero, ParameterTensor weight, int paddingIndex = -1)
        : base(propertyName, name, inputShape, outputShape, weight)
    {
        MaskZero = maskZero;
        Weight = weight;
        PaddingIndex = paddingIndex >= 0 ? paddingIndex : null;
    }

    /// <inheritdoc/>
    public override string Kind => "Embedding";

    /// <summary>Whether id 0 is padding that later layers skip.</summary>
    public bool MaskZero { get; }

    /// <summary>The id whose row is frozen (PyTorch's <c>padding_idx</c>: it gets no gradient), or <see langword="null"/> for none.</summary>
    public int? PaddingIndex { get; }

    /// <summary>The table, <c>[vocabulary, dimension]</c>.</summary>
    public ParameterTensor Weight { get; }

    /// <summary>The number of distinct ids.</summary>
    public int Vocabulary => Weight.Shape[0];

    /// <summary>The length of each vector.</summary>
    public int Dimension => Weight.Shape[1];
}

/// <summary>
/// A recurrent layer (LSTM or GRU) with PyTorch's parameters: per layer of the stack (<see cref="NumLayers"/>) and per
/// direction (two when <see cref="Bidirectional"/>), <c>weight_ih_l{k}</c>, <c>weight_hh_l{k}</c>, <c>bias_ih_l{k}</c>
/// and <c>bias_hh_l{k}</c>, the reverse direction's suffixed <c>_reverse</c>, in <c>state_dict</c> order.
/// </summary>
public abstract class RecurrentLayer : Layer
{
    /// <summary>Creates the description of a one-layer, one-direction recurrent layer; generated code calls this.</summary>
    protected RecurrentLayer(
        string propertyName, string name, int[] inputShape, int[] outputShape, bool returnSequences,
        ParameterTensor weightIh, ParameterTensor weightHh, ParameterTensor biasIh, ParameterTensor biasHh)
        : this(propertyName, name, inputShape, outputShape, returnSequences, 1, false, 0, [weightIh, weightHh, biasIh, biasHh])
    {
    }

    /// <summary>Creates the description of a stacked or bidirectional recurrent layer; generated code calls this.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numLayers"/> is below 1.</exception>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> is not four tensors per layer and direction.</exception>
    protected RecurrentLayer(
        string propertyName, string name, int[] inputShape, int[] outputShape, bool returnSequences,
        int numLayers, bool bidirectional, double dropout, ParameterTensor[] parameters)
        : base(propertyName, name, inputShape, outputShape, parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(numLayers, 1);
        int directions = bidirectional ? 2 : 1;
        if (parameters.Length != 4 * numLayers * directions)
        {
            throw new ArgumentException(
                $"A recurrent layer of {numLayers} layer(s) in {directions} direction(s) has {4 * numLayers * directions} parameter tensors, got {parameters.Length}.",
                nameof(parameters));
        }

        ReturnSequences = returnSequences;
        NumLayers = numLayers;
        Bidirectional = bidirectional;
        Dropout = dropout;
        WeightIh = parameters[0];
        WeightHh = parameters[1];
        BiasIh = parameters[2];
        BiasHh = parameters[3];
    }

    /// <summary>Whether the layer outputs every step's state rather than the last.</summary>
    public bool ReturnSequences { get; }

    /// <summary>The number of stacked layers (PyTorch's <c>num_layers</c>); layer <c>k &gt; 0</c> reads the states of layer <c>k - 1</c>.</summary>
    public int NumLayers { get; }

    /// <summary>Whether every layer also runs from the last step to the first (PyTorch's <c>bidirectional</c>), its states after the forward ones.</summary>
    public bool Bidirectional { get; }

    /// <summary>The dropout on the states passed between stacked layers, in training only (PyTorch's <c>dropout</c>).</summary>
    public double Dropout { get; }

    /// <summary>The first layer's input weights, <c>[gates * units, inputs]</c> (<c>weight_ih_l0</c>).</summary>
    public ParameterTensor WeightIh { get; }

    /// <summary>The first layer's recurrent weights, <c>[gates * units, units]</c> (<c>weight_hh_l0</c>).</summary>
    public ParameterTensor WeightHh { get; }

    /// <summary>The first layer's input bias, <c>[gates * units]</c> (<c>bias_ih_l0</c>).</summary>
    public ParameterTensor BiasIh { get; }

    /// <summary>The first layer's recurrent bias, <c>[gates * units]</c> (<c>bias_hh_l0</c>).</summary>
    public ParameterTensor BiasHh { get; }

    /// <summary>The size of the hidden state of every layer and direction.</summary>
    public int Units => WeightHh.Shape[1];

    /// <summary>The four tensors of one layer of the stack in one direction: <c>weight_ih_l{layer}</c> and the rest, suffixed <c>_reverse</c> for the reverse direction.</summary>
    /// <param name="layer">The layer of the stack, 0 to <see cref="NumLayers"/> - 1.</param>
    /// <param name="reverse">Whether to take the reverse direction, which only a <see cref="Bidirectional"/> layer has.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layer"/> is not a layer of the stack.</exception>
    /// <exception cref="ArgumentException"><paramref name="reverse"/> is true on a layer that is not bidirectional.</exception>
    public RecurrentWeights Weights(int layer, bool reverse = false)
    {
        if (layer < 0 || layer >= NumLayers)
        {
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"'{Name}' stacks {NumLayers} layer(s), numbered 0 to {NumLayers - 1}.");
        }

        if (reverse && !Bidirectional)
        {
            throw new ArgumentException($"'{Name}' runs in one direction; only a layer declared with Bidirectional = true has a reverse one.", nameof(reverse));
        }

        int first = 4 * ((layer * (Bidirectional ? 2 : 1)) + (reverse ? 1 : 0));
        return new RecurrentWeights(Parameters[first], Parameters[first + 1], Parameters[first + 2], Parameters[first + 3]);
    }
}

/// <summary>One direction of one layer of a recurrent stack, in PyTorch's names and shapes.</summary>
/// <param name="WeightIh">The input weights, <c>[gates * units, inputs of the layer]</c>: the features for layer 0, <c>directions * units</c> above it.</param>
/// <param name="WeightHh">The recurrent weights, <c>[gates * units, units]</c>.</param>
/// <param name="BiasIh">The input bias, <c>[gates * units]</c>.</param>
/// <param name="BiasHh">The recurrent bias, <c>[gates * units]</c>.</param>
public sealed record RecurrentWeights(ParameterTensor WeightIh, ParameterTensor WeightHh, ParameterTensor BiasIh, ParameterTensor BiasHh);

/// <summary>A long short-term memory layer; gates <c>i, f, g, o</c>.</summary>
public sealed class LstmLayer : RecurrentLayer
{
    /// <summary>Creates the description of an LSTM; generated code calls this.</summary>
    public LstmLayer(
        string propertyName, string name, int[] inputShape, int[] outputShape, bool returnSequences,
        ParameterTensor weightIh, ParameterTensor weightHh, ParameterTensor biasIh, ParameterTensor biasHh)
        : base(propertyName, name, inputShape, outputShape, returnSequences, weightIh, weightHh, biasIh, biasHh)
    {
    }

    /// <summary>Creates the description of a stacked or bidirectional LSTM; generated code calls this.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numLayers"/> is below 1.</exception>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> is not four tensors per layer and direction.</exception>
    public LstmLayer(
        string propertyName, string name, int[] inputShape, int[] outputShape, bool returnSequences,
        int numLayers, bool bidirectional, double dropout, params ParameterTensor[] parameters)
        : base(propertyName, name, inputShape, outputShape, returnSequences, numLayers, bidirectional, dropout, parameters)
    {
    }

    /// <inheritdoc/>
    public override string Kind => "LSTM";
}

/// <summary>A gated recurrent unit layer; gates <c>r, z, n</c>.</summary>
public sealed class GruLayer : RecurrentLayer
{
    /// <summary>Creates the description of a GRU; generated code calls this.</summary>
    public GruLayer(
        string propertyName, string name, int[] inputShape, int[] outputShape, bool returnSequences,
        ParameterTensor weightIh, ParameterTensor weightHh, ParameterTensor biasIh, ParameterTensor biasHh)
        : base(propertyName, name, inputShape, outputShape, returnSequences, weightIh, weightHh, biasIh, biasHh)
    {
    }

    /// <summary>Creates the description of a stacked or bidirectional GRU; generated code calls this.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numLayers"/> is below 1.</exception>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> is not four tensors per layer and direction.</exception>
    public GruLayer(
        string propertyName, string name, int[] inputShape, int[] outputShape, bool returnSequences,
        int numLayers, bool bidirectional, double dropout, params ParameterTensor[] parameters)
        : base(propertyName, name, inputShape, outputShape, returnSequences, numLayers, bidirectional, dropout, parameters)
    {
    }

    /// <inheritdoc/>
    public override string Kind => "GRU";
}

/// <summary>The mean over the time axis; no parameters.</summary>
public sealed class GlobalAveragePooling1DLayer : Layer
{
    /// <summary>Creates the description of the layer; generated code calls this.</summary>
    public GlobalAveragePooling1DLayer(string propertyName, string name, int[] inputShape, int[] outputShape)
        : base(propertyName, name, inputShape, outputShape)
    {
    }

    /// <inheritdoc/>
    public override string Kind => "GlobalAveragePooling1D";
}

/// <summary>The maximum over the time axis; no parameters.</summary>
public sealed class GlobalMaxPooling1DLayer : Layer
{
    /// <summary>Creates the description of the layer; generated code calls this.</summary>
    public GlobalMaxPooling1DLayer(string propertyName, string name, int[] inputShape, int[] outputShape)
        : base(propertyName, name, inputShape, outputShape)
    {
    }

    /// <inheritdoc/>
    public override string Kind => "GlobalMaxPooling1D";
}

/// <summary>A 2-D convolution: <see cref="Weight"/> <c>[filters, channels, kernel height, kernel width]</c> and <see cref="Bias"/> <c>[filters]</c> if it has one.</summary>
public sealed class Conv2DLayer : Layer
{
    /// <summary>Creates the description of a convolution; generated code calls this (without a bias for <c>Bias = false</c>).</summary>
    public Conv2DLayer(string propertyName, string name, int[] inputShape, int[] outputShape, int stride, int padding, Activation activation, ParameterTensor weight, ParameterTensor? bias = null, int dilation = 1, int? strideWidth = null, int? paddingWidth = null, int groups = 1)
        : base(propertyName, name, inputShape, outputShape, bias is null ? [weight] : [weight, bias])
    {
        Stride = stride;
        StrideWidth = strideWidth ?? stride;
        PaddingWidth = paddingWidth ?? padding;
        Dilation = dilation;
        Groups = groups;
        Padding = padding;
        Activation = activation;
        Weight = weight;
        Bias = bias;
    }

    /// <inheritdoc/>
    public override string Kind => "Conv2D";

    /// <summary>The step between kernel positions down the height (across the width too, unless <see cref="StrideWidth"/> differs).</summary>
    public int Stride { get; }

    /// <summary>The step between kernel positions across the width, the second of PyTorch's <c>stride=(height, width)</c>.</summary>
    public int StrideWidth { get; }

    /// <summary>Zeros added above and below (left and right too, unless <see cref="PaddingWidth"/> differs).</summary>
    public int Padding { get; }

    /// <summary>Zeros added left and right, the second of PyTorch's <c>padding=(height, width)</c>.</summary>
    public int PaddingWidth { get; }

    /// <summary>The kernel's height, the first of PyTorch's <c>kernel_size=(height, width)</c>.</summary>
    public int KernelHeight => Weight.Shape[2];

    /// <summary>The kernel's width.</summary>
    public int KernelWidth => Weight.Shape[3];

    /// <summary>The channel groups, PyTorch's <c>groups</c>: each filter sees <c>channels / groups</c> channels; 1 for an ordinary convolution.</summary>
    public int Groups { get; }

    /// <summary>The spacing between kernel taps, PyTorch's <c>dilation</c>; 1 for an ordinary convolution.</summary>
    public int Dilation { get; }

    /// <summary>The activation applied to the output.</summary>
    public Activation Activation { get; }

    /// <summary>The kernels, <c>[filters, channels / groups, kernel height, kernel width]</c>.</summary>
    public ParameterTensor Weight { get; }

    /// <summary>The bias, <c>[filters]</c>, or <see langword="null"/> for a layer declared with <c>Bias = false</c> (PyTorch's <c>bias=False</c>).</summary>
    public ParameterTensor? Bias { get; }
}

/// <summary>Max or average pooling over square windows; no parameters.</summary>
public sealed class Pool2DLayer : Layer
{
    /// <summary>Creates the description of a pooling layer without padding.</summary>
    public Pool2DLayer(string propertyName, string name, int[] inputShape, int[] outputShape, string kind, int size, int stride)
        : this(propertyName, name, inputShape, outputShape, kind, size, stride, padding: 0)
    {
    }

    /// <summary>Creates the description of a pooling layer; generated code calls this.</summary>
    public Pool2DLayer(string propertyName, string name, int[] inputShape, int[] outputShape, string kind, int size, int stride, int padding)
        : base(propertyName, name, inputShape, outputShape)
    {
        Kind = kind;
        Size = size;
        Stride = stride;
        Padding = padding;
    }

    /// <inheritdoc/>
    public override string Kind { get; }

    /// <summary>The window's side.</summary>
    public int Size { get; }

    /// <summary>The step between windows.</summary>
    public int Stride { get; }

    /// <summary>
    /// Positions added on every side: -infinity for max pooling, zeros for average pooling, whose windows always
    /// divide by <c>size * size</c> (PyTorch's <c>count_include_pad=True</c>).
    /// </summary>
    public int Padding { get; }
}

/// <summary>
/// A 1-D convolution over the steps of a sequence <c>[steps, features]</c>: <see cref="Weight"/>
/// <c>[filters, features / groups, kernel]</c>, PyTorch's <c>nn.Conv1d</c> weight, and <see cref="Bias"/> <c>[filters]</c> if it has one.
/// </summary>
public sealed class Conv1DLayer : Layer
{
    /// <summary>Creates the description of a convolution over steps; generated code calls this (without a bias for <c>Bias = false</c>).</summary>
    public Conv1DLayer(
        string propertyName, string name, int[] inputShape, int[] outputShape, int stride, int padding, int dilation, int groups, Activation activation,
        ParameterTensor weight, ParameterTensor? bias = null)
        : base(propertyName, name, inputShape, outputShape, bias is null ? [weight] : [weight, bias])
    {
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        Groups = groups;
        Activation = activation;
        Weight = weight;
        Bias = bias;
    }

    /// <inheritdoc/>
    public override string Kind => "Conv1D";

    /// <summary>The number of steps the kernel covers (its taps), PyTorch's <c>kernel_size</c>.</summary>
    public int Kernel => Weight.Shape[2];

    /// <summary>The number of output features.</summary>
    public int Filters => Weight.Shape[0];

    /// <summary>The step between kernel positions.</summary>
    public int Stride { get; }

    /// <summary>Zero steps added before the first step and after the last.</summary>
    public int Padding { get; }

    /// <summary>The spacing between kernel taps, PyTorch's <c>dilation</c>; 1 for an ordinary convolution.</summary>
    public int Dilation { get; }

    /// <summary>The feature groups, PyTorch's <c>groups</c>: each filter sees <c>features / groups</c> features; 1 for an ordinary convolution.</summary>
    public int Groups { get; }

    /// <summary>The activation applied to the output.</summary>
    public Activation Activation { get; }

    /// <summary>The kernels, <c>[filters, features / groups, kernel]</c>.</summary>
    public ParameterTensor Weight { get; }

    /// <summary>The bias, <c>[filters]</c>, or <see langword="null"/> for a layer declared with <c>Bias = false</c> (PyTorch's <c>bias=False</c>).</summary>
    public ParameterTensor? Bias { get; }
}

/// <summary>Max or average pooling over windows of steps of a sequence <c>[steps, features]</c>, feature by feature; no parameters.</summary>
public sealed class Pool1DLayer : Layer
{
    /// <summary>Creates the description of a pooling layer; generated code calls this.</summary>
    public Pool1DLayer(string propertyName, string name, int[] inputShape, int[] outputShape, string kind, int size, int stride, int padding)
        : base(propertyName, name, inputShape, outputShape)
    {
        Kind = kind;
        Size = size;
        Stride = stride;
        Padding = padding;
    }

    /// <inheritdoc/>
    public override string Kind { get; }

    /// <summary>The window's length in steps.</summary>
    public int Size { get; }

    /// <summary>The step between windows.</summary>
    public int Stride { get; }

    /// <summary>
    /// Steps added before the first and after the last: -infinity for max pooling, zeros for average pooling, whose windows
    /// always divide by <see cref="Size"/> (PyTorch's <c>count_include_pad=True</c>).
    /// </summary>
    public int Padding { get; }
}

/// <summary>The mean of every channel; no parameters.</summary>
public sealed class GlobalAveragePooling2DLayer : Layer
{
    /// <summary>Creates the description of the layer; generated code calls this.</summary>
    public GlobalAveragePooling2DLayer(string propertyName, string name, int[] inputShape, int[] outputShape)
        : base(propertyName, name, inputShape, outputShape)
    {
    }

    /// <inheritdoc/>
    public override string Kind => "GlobalAveragePooling2D";
}

/// <summary>
/// Batch normalisation: trainable <see cref="Weight"/> and <see cref="Bias"/>, and running statistics that are state,
/// not parameters (optimizers never see them), kept in the network's <c>Buffers</c>.
/// </summary>
public sealed class BatchNormLayer : Layer
{
    /// <summary>Creates the description of a batch normalisation; generated code calls this.</summary>
    public BatchNormLayer(
        string propertyName, string name, int[] inputShape, int[] outputShape, double momentum, double epsilon,
        ParameterTensor weight, ParameterTensor bias, BufferTensor runningMean, BufferTensor runningVariance,
        Activation activation = Activation.Identity)
        : base(propertyName, name, inputShape, outputShape, weight, bias)
    {
        Activation = activation;
        Momentum = momentum;
        Epsilon = epsilon;
        Weight = weight;
        Bias = bias;
        RunningMean = runningMean;
        RunningVariance = runningVariance;
        Buffers = [runningMean, runningVariance];
    }

    /// <inheritdoc/>
    public override string Kind => "BatchNorm";

    /// <summary>The activation applied to the normalised output (<c>[BatchNorm(Activation = ...)]</c>).</summary>
    public Activation Activation { get; }

    /// <summary>How far the running statistics move towards each training batch's.</summary>
    public double Momentum { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public double Epsilon { get; }

    /// <summary>The scale, one per channel.</summary>
    public ParameterTensor Weight { get; }

    /// <summary>The shift, one per channel.</summary>
    public ParameterTensor Bias { get; }

    /// <summary>The running mean (<c>running_mean</c>).</summary>
    public BufferTensor RunningMean { get; }

    /// <summary>The running variance (<c>running_var</c>).</summary>
    public BufferTensor RunningVariance { get; }
}

/// <summary>Layer normalisation over the last axis: trainable <see cref="Weight"/> and <see cref="Bias"/>, one per feature; no running statistics.</summary>
public sealed class LayerNormLayer : Layer
{
    /// <summary>Creates the description of a layer normalisation; generated code calls this.</summary>
    public LayerNormLayer(string propertyName, string name, int[] inputShape, int[] outputShape, double epsilon, ParameterTensor weight, ParameterTensor bias)
        : base(propertyName, name, inputShape, outputShape, weight, bias)
    {
        Epsilon = epsilon;
        Weight = weight;
        Bias = bias;
    }

    /// <inheritdoc/>
    public override string Kind => "LayerNorm";

    /// <summary>Added to the variance before the square root.</summary>
    public double Epsilon { get; }

    /// <summary>The scale, one per feature (<c>weight</c>).</summary>
    public ParameterTensor Weight { get; }

    /// <summary>The shift, one per feature (<c>bias</c>).</summary>
    public ParameterTensor Bias { get; }
}

/// <summary>Learned position embeddings added to a sequence: <see cref="Weight"/> <c>[positions, features]</c>, row <c>t</c> added to step <c>t</c>.</summary>
public sealed class PositionEmbeddingLayer : Layer
{
    /// <summary>Creates the description of a position embedding; generated code calls this.</summary>
    public PositionEmbeddingLayer(string propertyName, string name, int[] inputShape, int[] outputShape, ParameterTensor weight)
        : base(propertyName, name, inputShape, outputShape, weight)
    {
        Weight = weight;
    }

    /// <inheritdoc/>
    public override string Kind => "PositionEmbedding";

    /// <summary>The rows of the table: the longest sequence it covers.</summary>
    public int Positions => Weight.Shape[0];

    /// <summary>The table, one row per position (<c>weight</c>).</summary>
    public ParameterTensor Weight { get; }
}

/// <summary>
/// Multi-head self-attention over a fused query/key/value projection <c>[steps, 3 x width]</c>, giving
/// <c>[steps, width]</c>; no parameters.
/// </summary>
public sealed class SelfAttentionLayer : Layer
{
    /// <summary>Creates the description of a self-attention layer; generated code calls this.</summary>
    public SelfAttentionLayer(string propertyName, string name, int[] inputShape, int[] outputShape, int heads, bool causal, double dropout)
        : base(propertyName, name, inputShape, outputShape)
    {
        Heads = heads;
        Causal = causal;
        Dropout = dropout;
    }

    /// <inheritdoc/>
    public override string Kind => "SelfAttention";

    /// <summary>The number of heads; each sees <c>width / heads</c> of the features.</summary>
    public int Heads { get; }

    /// <summary>Whether each position attends only to itself and the positions before it.</summary>
    public bool Causal { get; }

    /// <summary>The probability of dropping an attention weight in training.</summary>
    public double Dropout { get; }
}

/// <summary>
/// The sum of two layers' outputs (<c>[Add]</c>, or the addition that ends a <c>[Residual]</c> block), then its
/// activation; no parameters.
/// </summary>
public sealed class AddLayer : Layer
{
    /// <summary>Creates the description of a sum; generated code calls this.</summary>
    public AddLayer(string propertyName, string name, int[] inputShape, int[] outputShape, Activation activation, string[] inputs)
        : base(propertyName, name, inputShape, outputShape)
    {
        Activation = activation;
        Sources = inputs;
    }

    /// <inheritdoc/>
    public override string Kind => "Add";

    /// <summary>The activation applied after the addition.</summary>
    public Activation Activation { get; }

    /// <summary>The module names of the two layers added (<c>input</c> for the network's input); the same as <see cref="Layer.Sources"/>.</summary>
    public IReadOnlyList<string> Inputs => Sources;
}

/// <summary>The outputs of several layers joined over the channels (images) or the features; no parameters.</summary>
public sealed class ConcatenateLayer : Layer
{
    /// <summary>Creates the description of a concatenation; generated code calls this.</summary>
    public ConcatenateLayer(string propertyName, string name, int[] inputShape, int[] outputShape, string[] inputs)
        : base(propertyName, name, inputShape, outputShape)
    {
        Sources = inputs;
    }

    /// <inheritdoc/>
    public override string Kind => "Concatenate";

    /// <summary>The module names of the layers joined, in order (<c>input</c> for the network's input); the same as <see cref="Layer.Sources"/>.</summary>
    public IReadOnlyList<string> Inputs => Sources;
}
