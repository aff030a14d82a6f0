using System;

namespace TypedNets.Serialization;

/// <summary>
/// Renames for <see cref="SafeTensors.Load(INetwork, string, Func{string, string}, bool)"/> that load other libraries'
/// attention weights into TypedNets' multi-head self-attention, GPT-2's layout: a <c>[Dense(3C)]</c> (the fused query,
/// key and value projection, rows q | k | v), a <c>[SelfAttention(heads)]</c> without parameters, and a
/// <c>[Dense(C)]</c> (the output projection).
/// </summary>
public static class AttentionNames
{
    /// <summary>
    /// The rename that loads PyTorch's <c>nn.MultiheadAttention</c> module <paramref name="torchPrefix"/> into the
    /// fused projection <paramref name="typedNetsQkv"/> and the output projection <paramref name="typedNetsProjection"/>:
    /// <c>&lt;prefix&gt;.in_proj_weight</c> and <c>in_proj_bias</c> become <c>&lt;qkv&gt;.weight</c> and
    /// <c>.bias</c>, <c>&lt;prefix&gt;.out_proj.weight</c> and <c>out_proj.bias</c> become <c>&lt;projection&gt;.weight</c>
    /// and <c>.bias</c>, and every other name goes to <paramref name="otherNames"/> (unchanged when it is <see langword="null"/>).
    /// </summary>
    /// <remarks>
    /// <para>
    /// The values need no rearranging. <c>in_proj_weight</c> [3C, C] is W_q, W_k and W_v stacked by rows, as GPT-2's
    /// <c>c_attn</c> is, and <c>in_proj_bias</c> [3C] likewise; PyTorch splits each of q, k and v into heads by
    /// contiguous chunks of C / heads, scales the scores by 1/sqrt(C / heads) and concatenates the heads in order
    /// before <c>out_proj</c>, an ordinary Linear(C, C): what <c>[SelfAttention]</c> does. PyTorch's causal mask,
    /// <c>attn_mask = torch.triu(torch.ones(T, T), 1).bool()</c>, is <c>[SelfAttention(heads)]</c>; no mask is
    /// <c>Causal = false</c>. Give the module <c>batch_first=True</c>, or
    /// transpose the input, as the weights do not depend on it. reference/pytorch/make_mha_fixtures.py checks these
    /// claims against <c>nn.MultiheadAttention</c>, and the tests load its state_dict and reproduce its outputs.
    /// </para>
    /// <para>
    /// A module built with <c>bias=False</c> has neither bias, and maps onto Dense layers with <c>Bias = false</c>. One
    /// whose keys and values have other widths (<c>kdim</c>, <c>vdim</c>) holds <c>q_proj_weight</c>,
    /// <c>k_proj_weight</c> and <c>v_proj_weight</c> instead of <c>in_proj_weight</c>, and one built with
    /// <c>add_bias_kv=True</c> holds <c>bias_k</c> and <c>bias_v</c>: those are not self-attention as TypedNets has it,
    /// their names pass through, and the load refuses them, naming them.
    /// </para>
    /// </remarks>
    /// <param name="torchPrefix">
    /// The module's name in the state_dict, without the trailing dot, such as <c>"attn"</c> or
    /// <c>"layers.0.self_attn"</c>; empty when the state_dict is the module's own.
    /// </param>
    /// <param name="typedNetsQkv">The state_dict name of the network's fused projection, such as <c>"qkv"</c> or <c>"h.0.attn.c_attn"</c>.</param>
    /// <param name="typedNetsProjection">The state_dict name of the network's output projection, such as <c>"proj"</c>.</param>
    /// <param name="otherNames">
    /// The rename for every other name, such as the mapping of a second attention layer; <see langword="null"/> keeps
    /// the names as they are.
    /// </param>
    /// <returns>The rename, for <see cref="SafeTensors.Load(INetwork, string, Func{string, string}, bool)"/> and its stream, span and base64 forms.</returns>
    /// <exception cref="ArgumentNullException">A name is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="torchPrefix"/> ends with a dot, or <paramref name="typedNetsQkv"/> or <paramref name="typedNetsProjection"/>
    /// is empty or ends with <c>.weight</c>, <c>.bias</c> or a dot; the message gives the name to pass instead.
    /// </exception>
    public static Func<string, string?> FromMultiheadAttention(string torchPrefix, string typedNetsQkv, string typedNetsProjection, Func<string, string?>? otherNames = null)
    {
        ArgumentNullException.ThrowIfNull(torchPrefix);
        CheckLayer(typedNetsQkv, nameof(typedNetsQkv));
        CheckLayer(typedNetsProjection, nameof(typedNetsProjection));
        if (torchPrefix.EndsWith('.'))
        {
            throw new ArgumentException(
                $"The module name '{torchPrefix}' ends with '.'; pass it as the state_dict spells the module, without the dot: '{torchPrefix.TrimEnd('.')}'.",
                nameof(torchPrefix));
        }

        string module = torchPrefix.Length == 0 ? "" : torchPrefix + ".";
        string inWeight = module + "in_proj_weight", inBias = module + "in_proj_bias";
        string outWeight = module + "out_proj.weight", outBias = module + "out_proj.bias";
        string qkvWeight = typedNetsQkv + ".weight", qkvBias = typedNetsQkv + ".bias";
        string projectionWeight = typedNetsProjection + ".weight", projectionBias = typedNetsProjection + ".bias";
        return name =>
        {
            if (name == inWeight)
            {
                return qkvWeight;
            }

            if (name == inBias)
            {
                return qkvBias;
            }

            if (name == outWeight)
            {
                return projectionWeight;
            }

            if (name == outBias)
            {
                return projectionBias;
            }

            return otherNames is null ? name : otherNames(name);
        };
    }

    private static void CheckLayer(string layer, string parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(layer, parameter);
        foreach (string suffix in (string[])[".weight", ".bias", "."])
        {
            if (layer.EndsWith(suffix, StringComparison.Ordinal))
            {
                throw new ArgumentException(
                    $"The layer name '{layer}' ends with '{suffix}', but the rename adds .weight and .bias itself; pass the layer's name, '{layer[..^suffix.Length]}'.",
                    parameter);
            }
        }
    }
}
