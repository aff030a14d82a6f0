using System;

namespace TypedNets;

/// <summary>
/// The input is a sequence of a fixed number of token ids per sample (Keras' <c>input_length</c>); the first
/// layer must be an <see cref="EmbeddingAttribute"/>. Token ids travel as floats in the flat API (exact below 2^24).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class TokenInputAttribute : Attribute
{
    /// <summary>Declares token input of a fixed length.</summary>
    /// <param name="length">The number of tokens per sample; positive. Pad or truncate texts to it.</param>
    public TokenInputAttribute(int length) => Length = length;

    /// <summary>The number of tokens per sample.</summary>
    public int Length { get; }
}

/// <summary>
/// Maps each token id to a learned vector, PyTorch's <c>nn.Embedding</c>: <c>[steps]</c> ids to <c>[steps, dimension]</c>,
/// with a weight <c>[vocabulary, dimension]</c>. Declare the property as <c>EmbeddingLayer</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class EmbeddingAttribute : LayerAttribute
{
    /// <summary>Declares an embedding.</summary>
    /// <param name="vocabulary">The number of distinct ids, 0 to vocabulary - 1; positive.</param>
    /// <param name="dimension">The length of each vector; positive.</param>
    public EmbeddingAttribute(int vocabulary, int dimension)
    {
        Vocabulary = vocabulary;
        Dimension = dimension;
    }

    /// <summary>The number of distinct ids.</summary>
    public int Vocabulary { get; }

    /// <summary>The length of each vector.</summary>
    public int Dimension { get; }

    /// <summary>
    /// Whether id 0 is padding, as Keras' <c>mask_zero</c>: recurrent layers then skip those steps (keeping their state)
    /// and pooling layers leave them out.
    /// </summary>
    public bool MaskZero { get; set; }

    /// <summary>
    /// The id of a padding token whose vector is frozen, PyTorch's <c>padding_idx</c>: its row starts at zeros and never
    /// receives a gradient, so it stays as initialised or loaded; -1 (the default) for none. It must be an id of the
    /// vocabulary, 0 to vocabulary - 1 (a negative PyTorch <c>padding_idx</c> counts from the end: write
    /// <c>vocabulary + padding_idx</c>).
    /// </summary>
    public int PaddingIndex { get; set; } = -1;
}

/// <summary>
/// A long short-term memory layer with PyTorch's gate order and <c>state_dict</c> layout (<c>weight_ih_l0 [4H, in]</c>,
/// <c>weight_hh_l0 [4H, H]</c>, <c>bias_ih_l0</c>, <c>bias_hh_l0</c>). Takes <c>[steps, features]</c>; gives the last state
/// <c>[units]</c>, or every state <c>[steps, units]</c> with <see cref="ReturnSequences"/> (<c>2 units</c> with
/// <see cref="Bidirectional"/>). <see cref="NumLayers"/> stacks layers as PyTorch's <c>num_layers</c>. Declare the property as <c>LstmLayer</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class LstmAttribute : LayerAttribute
{
    /// <summary>Declares an LSTM.</summary>
    /// <param name="units">The size of the hidden state; positive.</param>
    public LstmAttribute(int units) => Units = units;

    /// <summary>The size of the hidden state.</summary>
    public int Units { get; }

    /// <summary>Whether to output every step's state rather than the last.</summary>
    public bool ReturnSequences { get; set; }

    /// <summary>
    /// The number of stacked layers, PyTorch's <c>num_layers</c> (default 1): layer <c>k &gt; 0</c> reads the whole
    /// sequence of states of layer <c>k - 1</c>, and has its own <c>weight_ih_l{k}</c> <c>[4 units, inputs of layer k]</c>,
    /// <c>weight_hh_l{k}</c>, <c>bias_ih_l{k}</c> and <c>bias_hh_l{k}</c>, in PyTorch's <c>state_dict</c> order.
    /// <see cref="ReturnSequences"/> applies to the last layer; the others always pass on every state. At least 1.
    /// </summary>
    public int NumLayers { get; set; } = 1;

    /// <summary>
    /// Whether each layer also runs the sequence from its last step to its first, PyTorch's <c>bidirectional=True</c>:
    /// that reverse direction has its own parameters, suffixed <c>_reverse</c> (<c>weight_ih_l0_reverse</c>, ...), and
    /// its states follow the forward ones on the features, <c>[steps, 2 units]</c>. The last state (without
    /// <see cref="ReturnSequences"/>) is PyTorch's <c>h_n</c> of both directions, <c>[2 units]</c>: the forward
    /// direction's after the last step and the reverse direction's after the first. With a padding mask
    /// (<see cref="EmbeddingAttribute.MaskZero"/>), the reverse direction starts at the last real step, as PyTorch's
    /// packed sequences do.
    /// </summary>
    public bool Bidirectional { get; set; }

    /// <summary>
    /// The dropout applied to the states each stacked layer passes to the next, PyTorch's <c>dropout</c>: in training
    /// only, and never after the last layer, so it needs <see cref="NumLayers"/> of 2 or more. A probability in [0, 1);
    /// 0 (the default) for none.
    /// </summary>
    public double Dropout { get; set; }
}

/// <summary>
/// A gated recurrent unit layer with PyTorch's gate order and <c>state_dict</c> layout (<c>weight_ih_l0 [3H, in]</c>,
/// <c>weight_hh_l0 [3H, H]</c>, <c>bias_ih_l0</c>, <c>bias_hh_l0</c>), with the shapes, <see cref="NumLayers"/> and
/// <see cref="Bidirectional"/> of <see cref="LstmAttribute"/>. Declare the property as <c>GruLayer</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class GruAttribute : LayerAttribute
{
    /// <summary>Declares a GRU.</summary>
    /// <param name="units">The size of the hidden state; positive.</param>
    public GruAttribute(int units) => Units = units;

    /// <summary>The size of the hidden state.</summary>
    public int Units { get; }

    /// <summary>Whether to output every step's state rather than the last.</summary>
    public bool ReturnSequences { get; set; }

    /// <summary>
    /// The number of stacked layers, PyTorch's <c>num_layers</c> (default 1): layer <c>k &gt; 0</c> reads the whole
    /// sequence of states of layer <c>k - 1</c>, and has its own <c>weight_ih_l{k}</c> <c>[3 units, inputs of layer k]</c>,
    /// <c>weight_hh_l{k}</c>, <c>bias_ih_l{k}</c> and <c>bias_hh_l{k}</c>, in PyTorch's <c>state_dict</c> order.
    /// <see cref="ReturnSequences"/> applies to the last layer; the others always pass on every state. At least 1.
    /// </summary>
    public int NumLayers { get; set; } = 1;

    /// <summary>
    /// Whether each layer also runs the sequence from its last step to its first, PyTorch's <c>bidirectional=True</c>:
    /// that reverse direction has its own parameters, suffixed <c>_reverse</c> (<c>weight_ih_l0_reverse</c>, ...), and
    /// its states follow the forward ones on the features, <c>[steps, 2 units]</c>. The last state (without
    /// <see cref="ReturnSequences"/>) is PyTorch's <c>h_n</c> of both directions, <c>[2 units]</c>: the forward
    /// direction's after the last step and the reverse direction's after the first. With a padding mask
    /// (<see cref="EmbeddingAttribute.MaskZero"/>), the reverse direction starts at the last real step, as PyTorch's
    /// packed sequences do.
    /// </summary>
    public bool Bidirectional { get; set; }

    /// <summary>
    /// The dropout applied to the states each stacked layer passes to the next, PyTorch's <c>dropout</c>: in training
    /// only, and never after the last layer, so it needs <see cref="NumLayers"/> of 2 or more. A probability in [0, 1);
    /// 0 (the default) for none.
    /// </summary>
    public double Dropout { get; set; }
}

/// <summary>The mean over the time axis: <c>[steps, features]</c> to <c>[features]</c>. Declare the property as <c>GlobalAveragePooling1DLayer</c>.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class GlobalAveragePooling1DAttribute : LayerAttribute
{
}

/// <summary>The maximum over the time axis: <c>[steps, features]</c> to <c>[features]</c>. Declare the property as <c>GlobalMaxPooling1DLayer</c>.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class GlobalMaxPooling1DAttribute : LayerAttribute
{
}
