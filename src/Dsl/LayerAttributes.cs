using System;

namespace TypedNets;

/// <summary>The base of every layer attribute. A property carries at most one.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public abstract class LayerAttribute : Attribute
{
    // Only the layers the generator knows can exist: a user-defined layer attribute would be silently ignored.
    private protected LayerAttribute()
    {
    }
}

/// <summary>
/// A fully connected layer, <c>y = activation(x W^T + b)</c>, with <c>W</c> of shape <c>[units, inputs]</c> and
/// <c>b</c> of shape <c>[units]</c> as in PyTorch's <c>nn.Linear</c> (no <c>b</c> with <see cref="Bias"/> = false). Declare
/// the property as <c>DenseLayer</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class DenseAttribute : LayerAttribute
{
    /// <summary>Declares a dense layer.</summary>
    /// <param name="units">The number of outputs; positive.</param>
    /// <param name="activation">The activation applied to the outputs.</param>
    public DenseAttribute(int units, Activation activation = Activation.Identity)
    {
        Units = units;
        Activation = activation;
    }

    /// <summary>The number of outputs.</summary>
    public int Units { get; }

    /// <summary>The activation applied to the outputs.</summary>
    public Activation Activation { get; }

    /// <summary>
    /// Whether the layer adds a learned bias; <see langword="false"/> leaves it out of the parameters and the
    /// <c>state_dict</c>, as PyTorch's <c>nn.Linear(..., bias=False)</c> and Keras' <c>use_bias=False</c> (usual before a
    /// normalisation, whose shift takes its place). <see langword="true"/> by default.
    /// </summary>
    public bool Bias { get; set; } = true;

    /// <summary>An L1 penalty <c>L1 * sum(|W|)</c> on the weight, as Keras' <c>kernel_regularizer=l1(...)</c>; 0 for none.</summary>
    public double L1 { get; set; }

    /// <summary>An L2 penalty <c>L2 * sum(W^2)</c> on the weight, as Keras' <c>kernel_regularizer=l2(...)</c>; 0 for none.</summary>
    public double L2 { get; set; }

    /// <summary>
    /// The <c>nameof</c> of an <c>[Embedding]</c> of the same network or block, declared before this layer, whose table
    /// this layer uses as its weight, as GPT-2 ties its output projection to its token embedding (nanoGPT's
    /// <c>lm_head.weight = wte.weight</c>); <see langword="null"/> (the default) for a weight of its own. An embedding
    /// inside an earlier block is named by its path of property names, separated by dots, with the index of a
    /// <c>[Repeat]</c> copy where the path passes one: <c>TiedTo = "Transformer.Wte"</c> ties nanoGPT's
    /// <c>lm_head</c> to <c>transformer.wte</c> (TN0063 when the path leads nowhere). The layer's
    /// <c>[units, inputs]</c> must equal the table's <c>[vocabulary, dimension]</c> (TN0060). A tied layer has no weight
    /// tensor of its own: the embedding's initializer draws the table, the weight's gradient is the sum of both uses,
    /// <c>state_dict</c> and <c>SafeTensors.Save</c> list it once, under the embedding's name, and
    /// <c>SafeTensors.Load</c> also accepts a file that repeats it under this layer's name, as PyTorch's
    /// <c>state_dict()</c> does (that copy's shape is checked and its values skipped). A bias stays the layer's own;
    /// GPT-2's head has none (<c>Bias = false</c>). An L1 or L2 penalty applies to the table.
    /// </summary>
    public string? TiedTo { get; set; }
}

/// <summary>
/// Inverted dropout: in training each element is zeroed with probability <c>rate</c> and the survivors are
/// scaled by <c>1 / (1 - rate)</c>; in inference the layer passes its input through. Declare the property as
/// <c>DropoutLayer</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class DropoutAttribute : LayerAttribute
{
    /// <summary>Declares a dropout layer.</summary>
    /// <param name="rate">The probability of dropping an element, in [0, 1).</param>
    public DropoutAttribute(double rate) => Rate = rate;

    /// <summary>The probability of dropping an element.</summary>
    public double Rate { get; }
}

/// <summary>
/// Flattens the per-sample shape into one dimension, for example <c>[1, 28, 28]</c> into <c>[784]</c>.
/// It moves no data. Declare the property as <c>FlattenLayer</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class FlattenAttribute : LayerAttribute
{
}

/// <summary>
/// Layer normalisation, PyTorch's <c>nn.LayerNorm(features)</c>: each sample's last axis is normalised by its own mean
/// and (biased) variance, <c>y = (x - mean) / sqrt(var + Epsilon) * weight + bias</c>, the same in training and in
/// inference. Takes <c>[features]</c>, or a sequence <c>[steps, features]</c> normalised step by step; <c>weight</c> and
/// <c>bias</c> are <c>[features]</c>, starting at ones and zeros. Declare the property as <c>LayerNormLayer</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class LayerNormAttribute : LayerAttribute
{
    /// <summary>Added to the variance before the square root; PyTorch's 1e-5 by default.</summary>
    public double Epsilon { get; set; } = 1e-5;
}

/// <summary>
/// Learned position embeddings, GPT-2's <c>wpe</c>: step <c>t</c> of each sequence gains row <c>t</c> of a
/// <c>weight</c> table <c>[positions, features]</c> (PyTorch's <c>nn.Embedding(positions, features)</c>, drawn from
/// N(0, 1) as it is), so <c>y = x + weight[0..steps)</c> has the input's shape: nanoGPT's <c>tok_emb + pos_emb</c>.
/// Takes a sequence <c>[steps, features]</c> of at most <c>positions</c> steps; a padding mask passes it on. Declare the
/// property as <c>PositionEmbeddingLayer</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class PositionEmbeddingAttribute : LayerAttribute
{
    /// <summary>Declares a position embedding.</summary>
    /// <param name="positions">The rows of the table, the longest sequence it covers (GPT's block size); positive.</param>
    public PositionEmbeddingAttribute(int positions) => Positions = positions;

    /// <summary>The rows of the table, the longest sequence it covers.</summary>
    public int Positions { get; }
}

/// <summary>
/// Multi-head scaled dot-product self-attention, as GPT-2's and nanoGPT's: it takes the fused projection
/// <c>[steps, 3 x width]</c> of a <c>[Dense]</c> before it (nanoGPT's <c>c_attn</c>), each row a query, a key and a value
/// side by side, and gives <c>[steps, width]</c>, the heads side by side, for the <c>[Dense]</c> after it
/// (<c>c_proj</c>). Per head, <c>softmax(Q Kᵀ / sqrt(width / heads)) V</c>, PyTorch's
/// <c>F.scaled_dot_product_attention</c>. It has no parameters. It attends to every step: a padding mask stops here,
/// padded keys are not masked out. Declare the property as <c>SelfAttentionLayer</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class SelfAttentionAttribute : LayerAttribute
{
    /// <summary>Declares a self-attention layer.</summary>
    /// <param name="heads">The number of heads; positive, dividing the width (the input features / 3).</param>
    public SelfAttentionAttribute(int heads) => Heads = heads;

    /// <summary>The number of heads.</summary>
    public int Heads { get; }

    /// <summary>
    /// Whether position <c>i</c> attends only to positions up to <c>i</c>, as a GPT's decoder (PyTorch's
    /// <c>is_causal=True</c>); <see langword="false"/> lets every position see the whole sequence, as an encoder's.
    /// <see langword="true"/> by default.
    /// </summary>
    public bool Causal { get; set; } = true;

    /// <summary>
    /// The probability of dropping each attention weight in training (nanoGPT's <c>attn_dropout</c>, PyTorch's
    /// <c>dropout_p</c>), in [0, 1); the kept weights are scaled by <c>1 / (1 - Dropout)</c>. 0 by default; nothing is
    /// dropped in inference.
    /// </summary>
    public double Dropout { get; set; }
}
