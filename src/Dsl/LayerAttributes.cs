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
