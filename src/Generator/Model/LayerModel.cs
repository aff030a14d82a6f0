using TypedNets.Generator.Helpers;
using TypedNets.Generator.Layers;

namespace TypedNets.Generator.Model;

/// <summary>The kinds of layer the DSL declares.</summary>
internal enum LayerKind
{
    Dense,
    Dropout,
    Flatten,
    Embedding,
    Lstm,
    Gru,
    GlobalAveragePooling1D,
    GlobalMaxPooling1D,
    Conv2D,
    MaxPool2D,
    AvgPool2D,
    Conv1D,
    MaxPool1D,
    AvgPool1D,
    GlobalAveragePooling2D,
    BatchNorm,
    LayerNorm,
    Add,
    Concatenate,
    PositionEmbedding,
    SelfAttention,
}

/// <summary>One layer as declared and, after shape inference, placed.</summary>
/// <param name="PropertyName">The declaring property, such as <c>Hidden</c>.</param>
/// <param name="ModuleName">The <c>state_dict</c> prefix, such as <c>hidden</c>.</param>
/// <param name="Accessibility">The property's accessibility keywords, repeated by the implementation.</param>
/// <param name="PropertyType">The property's type, fully qualified, as the implementation repeats it.</param>
/// <param name="Kind">The layer kind.</param>
/// <param name="Units">Dense: the number of outputs; Embedding: the vector length; LSTM and GRU: the state size; SelfAttention: the heads.</param>
/// <param name="Activation">Dense: the activation.</param>
/// <param name="Rate">Dropout: the drop probability; LSTM and GRU: the dropout between stacked layers (PyTorch's <c>dropout</c>); SelfAttention: the dropout on the attention weights.</param>
/// <param name="InputShape">The per-sample shape received (filled by shape inference).</param>
/// <param name="OutputShape">The per-sample shape produced (filled by shape inference).</param>
/// <param name="ParameterOffset">Where the layer's parameters start in the parameter buffer.</param>
/// <param name="L1">Dense: the L1 penalty factor on the weight (Keras' kernel_regularizer).</param>
/// <param name="L2">Dense: the L2 penalty factor on the weight.</param>
/// <param name="Vocabulary">Embedding: the number of distinct ids; PositionEmbedding: the rows of its table, the positions.</param>
/// <param name="ReturnSequences">LSTM and GRU: whether every step's state is output.</param>
/// <param name="MaskZero">Embedding: whether id 0 is padding.</param>
/// <param name="Kernel">Conv2D: the kernel's height; Conv1D: its taps; pooling: the window's side (its length in steps for 1-D pooling).</param>
/// <param name="Stride">Conv2D: the step down the height; Conv1D: the step between kernel positions; pooling: the step between windows.</param>
/// <param name="Padding">Conv2D: zeros added above and below; Conv1D: zero steps added at both ends; pooling: positions added on every side (steps at both ends for 1-D pooling).</param>
/// <param name="Momentum">BatchNorm: how far running statistics move per batch.</param>
/// <param name="Epsilon">BatchNorm and LayerNorm: added to the variance.</param>
/// <param name="BufferOffset">BatchNorm: where its running statistics start in the buffer array.</param>
/// <param name="PaddingIndex">Embedding: the id whose row starts at zeros and gets no gradient (PyTorch's <c>padding_idx</c>), or -1.</param>
/// <param name="Dilation">Conv2D and Conv1D: the spacing between kernel taps (PyTorch's <c>dilation</c>); 1 for an ordinary convolution.</param>
/// <param name="KernelWidth">Conv2D: the kernel's width.</param>
/// <param name="StrideWidth">Conv2D: the step across the width.</param>
/// <param name="PaddingWidth">Conv2D: zeros added left and right.</param>
/// <param name="Groups">Conv2D and Conv1D: the channel (feature) groups (PyTorch's <c>groups</c>); each filter sees <c>channels / groups</c> channels.</param>
/// <param name="HasBias">Dense, Conv2D and Conv1D: whether the layer has a bias tensor (PyTorch's <c>bias=True</c>).</param>
/// <param name="NumLayers">LSTM and GRU: the stacked layers (PyTorch's <c>num_layers</c>).</param>
/// <param name="Bidirectional">LSTM and GRU: whether each layer also runs in reverse (PyTorch's <c>bidirectional</c>).</param>
/// <param name="Causal">SelfAttention: whether each position attends only to itself and earlier positions.</param>
/// <param name="Inputs">
/// The layers read, by index in the network's flat list of layers (-1 for the network's input): the layer before it,
/// or another with <c>[From]</c>; two for Add, two or more for Concatenate. Empty until the parser places the layer.
/// </param>
/// <param name="IsMember">Whether the layer is a property of the network itself, rather than of a block inside it.</param>
/// <param name="TiedTo">Dense: the index of the Embedding whose table is its weight (<c>TiedTo</c>), or -1 for a weight of its own.</param>
/// <param name="TiedOffset">Dense with <paramref name="TiedTo"/>: where the Embedding's table starts in the parameter buffer (filled by shape inference).</param>
internal sealed record LayerModel(
    string PropertyName,
    string ModuleName,
    string Accessibility,
    string PropertyType,
    LayerKind Kind,
    int Units,
    Activation Activation,
    double Rate,
    EquatableArray<int> InputShape,
    EquatableArray<int> OutputShape,
    int ParameterOffset,
    double L1 = 0,
    double L2 = 0,
    int Vocabulary = 0,
    bool ReturnSequences = false,
    bool MaskZero = false,
    int Kernel = 0,
    int Stride = 0,
    int Padding = 0,
    double Momentum = 0,
    double Epsilon = 0,
    int BufferOffset = 0,
    bool HasBias = true,
    int PaddingIndex = -1,
    int Dilation = 1,
    int KernelWidth = 0,
    int StrideWidth = 0,
    int PaddingWidth = 0,
    int Groups = 1,
    int NumLayers = 1,
    bool Bidirectional = false,
    bool Causal = false,
    EquatableArray<int> Inputs = default,
    bool IsMember = true,
    int TiedTo = -1,
    int TiedOffset = 0)
{
    /// <summary>Whether the layer keeps its pre-activation: the GELUs' backward reads it, and a loss fuses with Softmax and Sigmoid through it.</summary>
    public bool KeepsPreActivation(bool isOutput) => Rule.KeepsPreActivation(this, isOutput);

    /// <summary>
    /// Whether a padding mask reaches past this layer, given whether one reaches its input: an Embedding with MaskZero
    /// starts one, sequence-to-sequence layers pass it on, anything that leaves the steps behind drops it.
    /// </summary>
    public bool PassesMask(bool inputMasked) => Rule.PassesMask(this, inputMasked);

    /// <summary>What the generator knows about the layer's kind: its shape rule, parameters, plan and emission.</summary>
    public LayerRule Rule => LayerRule.For(Kind);

    /// <summary>Whether the activation is a GELU, exact or tanh: its forward reads the pre-activation and writes the output.</summary>
    public bool IsGelu => Activation is Activation.GELU or Activation.GeluTanh;

    /// <summary>Whether the weights are drawn He-uniform (the rectifier family, the GELUs among them) rather than Glorot-uniform.</summary>
    public bool IsRectified => Activation is Activation.ReLU or Activation.LeakyReLU || IsGelu;

    public int InputSize => ShapeMath.Size(InputShape);

    public int OutputSize => ShapeMath.Size(OutputShape);

    /// <summary>The last axis of the input: the features a dense or recurrent layer reads per step.</summary>
    public int InputFeatures => InputShape.Length == 0 ? 0 : InputShape[InputShape.Length - 1];

    /// <summary>The time steps of a sequence input, or 1: a dense layer runs once per step.</summary>
    public int Steps => InputShape.Length == 2 ? InputShape[0] : 1;

    /// <summary>LSTM 4, GRU 3 (0 for other kinds).</summary>
    public int GateCount => Rule is RecurrentLayer recurrent ? recurrent.Gates : 0;

    public bool IsRecurrent => Rule is RecurrentLayer;

    /// <summary>LSTM and GRU: 2 when bidirectional, else 1.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>LSTM and GRU: whether the layer runs through the stacked, bidirectional kernel rather than the one-layer one.</summary>
    public bool IsRecurrentStack => IsRecurrent && (NumLayers > 1 || Bidirectional);

    /// <summary>The input read as an image: <c>[height, width]</c> is one channel.</summary>
    public (int Channels, int Height, int Width) Image
        => InputShape.Length == 3 ? (InputShape[0], InputShape[1], InputShape[2])
            : InputShape.Length == 2 ? (1, InputShape[0], InputShape[1])
            : (InputShape.Length == 1 ? InputShape[0] : 0, 1, 1);

    /// <summary>BatchNorm: the channels normalised (features for a vector or a sequence) and the positions per channel
    /// within a row; a sequence is <c>batch * steps</c> rows of its features.</summary>
    public (int Channels, int Area) NormalizedChannels
        => InputShape.Length == 3 ? (InputShape[0], InputShape[1] * InputShape[2]) : (InputFeatures, 1);

    /// <summary>BatchNorm: the running statistics, <c>running_mean</c> then <c>running_var</c>, in the buffer array.</summary>
    public EquatableArray<TensorModel> Buffers => Rule.Buffers(this);

    /// <summary>Dense: the weight <c>[units, inputs]</c> comes first, then the bias <c>[units]</c> if it has one.</summary>
    public int WeightLength => Kind == LayerKind.Dense ? Units * InputFeatures : 0;

    /// <summary>Dense: whether its weight is an Embedding's table rather than a tensor of its own.</summary>
    public bool IsTied => TiedTo >= 0;

    /// <summary>Dense: where its weight starts in the parameter (and gradient) buffer: its own, or the tied Embedding's table.</summary>
    public int WeightOffset => IsTied ? TiedOffset : ParameterOffset;

    /// <summary>Dense: the bias follows its own weight, or starts its parameters when the weight is tied.</summary>
    public int BiasOffset => ParameterOffset + (IsTied ? 0 : WeightLength);

    /// <summary>The layer's parameter tensors in <c>state_dict</c> order, with their shapes and offsets.</summary>
    public EquatableArray<TensorModel> Tensors
    {
        get
        {
            var tensors = new System.Collections.Generic.List<TensorModel>();
            int offset = ParameterOffset;
            void Add(string name, int[] shape)
            {
                tensors.Add(new TensorModel(name, shape.ToEquatableArray(), offset));
                offset += ShapeMath.Size(shape.ToEquatableArray());
            }

            Rule.AddTensors(this, Add);
            return tensors.ToEquatableArray();
        }
    }

    public int ParameterCount
    {
        get
        {
            int count = 0;
            foreach (TensorModel tensor in Tensors)
            {
                count += tensor.Length;
            }

            return count;
        }
    }

    /// <summary>Whether the layer computes anything; Flatten only renames its input's shape.</summary>
    public bool MovesData => Rule.MovesData;

    /// <summary>Whether the layer reads more than one earlier layer (Add, Concatenate).</summary>
    public bool IsJoin => Rule.IsJoin;

    /// <summary>How messages name the layer: its property, or inside a block its nested module name (<c>layer2.0.conv1</c>).</summary>
    public string Label => IsMember ? PropertyName : ModuleName;

    /// <summary>The first layer read (-1 for the network's input).</summary>
    public int Source => Inputs.Length == 0 ? -1 : Inputs[0];
}

/// <summary>One parameter tensor: its <c>state_dict</c> suffix, shape and offset in the parameter buffer.</summary>
internal sealed record TensorModel(string Name, EquatableArray<int> Shape, int Offset)
{
    public int Length => ShapeMath.Size(Shape);
}
