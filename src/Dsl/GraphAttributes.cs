using System;

namespace TypedNets;

/// <summary>
/// Marks a <c>partial class</c> as a block: a reusable part of a network, declared with the same layer attributes,
/// whose layers run in source order. A partial property of the block's type in a network (or in another block) uses
/// it as one layer; its parameters are named as PyTorch names a submodule's, <c>property.layer.weight</c>
/// (<c>encoder.attn.weight</c>). Shapes flow through it at compile time, so one block may be used where it receives
/// different shapes; each use has parameters of its own.
/// </summary>
/// <remarks>
/// A block's children may be layers, other blocks, <see cref="RepeatAttribute"/> lists of blocks, and the skip
/// connections <see cref="AddAttribute"/>, <see cref="ConcatenateAttribute"/> and <see cref="FromAttribute"/>, which
/// name children of the same block, or the block's own input as <see cref="Input"/>.
/// </remarks>
/// <example>
/// nanoGPT's <c>Block</c>, <c>x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))</c>, with <c>ln_1</c>, <c>attn</c>,
/// <c>ln_2</c> and <c>mlp</c> its direct children as in PyTorch (<c>h.0.ln_1.weight</c>, <c>h.0.attn.c_attn.weight</c>):
/// <code>
/// [Block]
/// public partial class GptBlock
/// {
///     [LayerNorm]                     public partial LayerNormLayer Ln_1 { get; }
///                                     public partial CausalSelfAttention Attn { get; }   // a [Block]
///     [Add(BlockAttribute.Input)]     public partial AddLayer AttnResidual { get; }      // x + attn(ln_1(x))
///     [LayerNorm]                     public partial LayerNormLayer Ln_2 { get; }
///                                     public partial Mlp Mlp { get; }                    // a [Block]
///     [Add(nameof(AttnResidual))]     public partial AddLayer MlpResidual { get; }
/// }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class BlockAttribute : Attribute
{
    /// <summary>
    /// The input of the enclosing block, for <see cref="AddAttribute"/>, <see cref="ConcatenateAttribute"/> and
    /// <see cref="FromAttribute"/> in place of a layer's name: <c>[Add(BlockAttribute.Input)]</c> is the residual
    /// <c>x + f(x)</c> where <c>x</c> is what the block receives. In a network it names the network's input. No property
    /// can have this name, so it never means a layer.
    /// </summary>
    public const string Input = "(input)";
}

/// <summary>
/// A block whose children are named by position, as PyTorch's <c>nn.Sequential</c> names them: <c>0</c>, <c>1</c>, ...
/// (a <see cref="RepeatAttribute"/> child takes one index per copy). torchvision's <c>downsample</c>
/// (<c>nn.Sequential(conv1x1, BatchNorm2d)</c>) is such a block, so its parameters are <c>downsample.0.weight</c> and
/// <c>downsample.1.weight</c>; a ResNet stage of blocks of different types is another.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class SequentialAttribute : Attribute
{
}

/// <summary>
/// A residual block, as ResNet's: the output is <c>activation(f(x) + shortcut(x))</c>, where <c>f</c> is the block's
/// layers in source order and the shortcut is the identity, or the child marked <see cref="ShortcutAttribute"/> (a
/// projection where <c>f</c> changes the shape, as ResNet's <c>downsample</c>). <c>f(x)</c> and the shortcut must
/// have the same shape. Otherwise a block as <see cref="BlockAttribute"/> declares.
/// </summary>
/// <example>
/// torchvision's <c>BasicBlock</c>:
/// <code>
/// [Residual(Activation = Activation.ReLU)]
/// public partial class BasicBlock
/// {
///     [Conv2D(64, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv1 { get; }
///     [BatchNorm(Activation = Activation.ReLU)]  public partial BatchNormLayer Bn1 { get; }
///     [Conv2D(64, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv2 { get; }
///     [BatchNorm]                                public partial BatchNormLayer Bn2 { get; }
/// }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ResidualAttribute : Attribute
{
    /// <summary>Applied after the addition (ResNet's ReLU); none by default (a Transformer's residual).</summary>
    public Activation Activation { get; set; }
}

/// <summary>
/// In a <see cref="ResidualAttribute"/> block, the child (a layer or a block) that maps the block's input to the
/// shape of its output: it reads the block's input, not the layer before it, and its output is what the addition
/// adds. Declare it where PyTorch registers it, so that the parameters keep PyTorch's order (torchvision declares
/// <c>downsample</c> last).
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class ShortcutAttribute : Attribute
{
}

/// <summary>
/// Uses a block <see cref="Count"/> times in a row, each copy with parameters of its own, as
/// <c>nn.Sequential(*[Block() for _ in range(count)])</c>: the copies are named <c>property.0</c>, <c>property.1</c>, ...
/// Declare the property as <c>IReadOnlyList&lt;TheBlock&gt;</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class RepeatAttribute : Attribute
{
    /// <summary>Declares a repeated block.</summary>
    /// <param name="count">How many copies; positive.</param>
    public RepeatAttribute(int count) => Count = count;

    /// <summary>How many copies.</summary>
    public int Count { get; }
}

/// <summary>
/// Makes the layer (or block) read the output of an earlier layer, named with <c>nameof</c>, instead of the layer
/// before it: a branch, as the paths of an Inception module that all read the same input. <see cref="BlockAttribute.Input"/>
/// reads the enclosing block's (or the network's) input.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class FromAttribute : Attribute
{
    /// <summary>Declares where the layer reads from.</summary>
    /// <param name="layer">An earlier layer of the same network or block, as <c>nameof(Stem)</c>, or <see cref="BlockAttribute.Input"/>.</param>
    public FromAttribute(string layer) => Layer = layer;

    /// <summary>The layer read.</summary>
    public string Layer { get; }
}

/// <summary>
/// A skip connection: the sum of the layer before it and an earlier layer named with <c>nameof</c>, as Keras'
/// <c>Add()([x, skip])</c> or PyTorch's <c>x + skip</c>; the two must have the same shape. It has no parameters.
/// Declare the property as <c>AddLayer</c>. <c>[Add(BlockAttribute.Input)]</c> adds the enclosing block's input, a
/// Transformer's residual <c>x + attn(ln_1(x))</c> (see <see cref="BlockAttribute"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class AddAttribute : LayerAttribute
{
    /// <summary>Declares the sum.</summary>
    /// <param name="layer">The earlier layer added, as <c>nameof(Stem)</c>, or <see cref="BlockAttribute.Input"/>.</param>
    public AddAttribute(string layer) => Layer = layer;

    /// <summary>The earlier layer added.</summary>
    public string Layer { get; }

    /// <summary>Applied after the addition; none by default.</summary>
    public Activation Activation { get; set; }
}

/// <summary>
/// The outputs of the named layers joined in the given order, as <c>torch.cat([a, b, ...], dim=1)</c> or Keras'
/// <c>Concatenate()</c>: over the channels of images <c>[channels, height, width]</c>, over the features of vectors and
/// of sequences <c>[steps, features]</c>. Every other dimension must agree. It has no parameters. Declare the property
/// as <c>ConcatenateLayer</c>.
/// </summary>
/// <remarks>Only the named layers are joined: name the layer before it too if it is one of them.
/// <see cref="BlockAttribute.Input"/> names the enclosing block's input.</remarks>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class ConcatenateAttribute : LayerAttribute
{
    /// <summary>Declares the concatenation of two or more earlier layers.</summary>
    /// <param name="first">The first layer joined, as <c>nameof(Branch1)</c>.</param>
    /// <param name="second">The second layer joined.</param>
    /// <param name="more">Any further layers, in order.</param>
    public ConcatenateAttribute(string first, string second, params string[] more)
    {
        var layers = new string[2 + (more?.Length ?? 0)];
        layers[0] = first;
        layers[1] = second;
        more?.CopyTo(layers, 2);
        Layers = layers;
    }

    /// <summary>The layers joined, in order.</summary>
    public string[] Layers { get; }
}
