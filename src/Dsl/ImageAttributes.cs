using System;

namespace TypedNets;

/// <summary>
/// A 2-D convolution, PyTorch's <c>nn.Conv2d</c>: <c>[channels, height, width]</c> (or <c>[height, width]</c> for one
/// channel) to <c>[filters, height', width']</c> with <c>height' = (height + 2 padding - kernel) / stride + 1</c>; weight
/// <c>[filters, channels, kernel, kernel]</c>, bias <c>[filters]</c> (none with <see cref="Bias"/> = false). Declare the
/// property as <c>Conv2DLayer</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class Conv2DAttribute : LayerAttribute
{
    /// <summary>Declares a convolution.</summary>
    /// <param name="filters">The number of output channels; positive.</param>
    /// <param name="kernel">The side of the square kernel; positive.</param>
    public Conv2DAttribute(int filters, int kernel)
    {
        Filters = filters;
        Kernel = kernel;
    }

    /// <summary>The number of output channels.</summary>
    public int Filters { get; }

    /// <summary>The side of the square kernel.</summary>
    public int Kernel { get; }

    /// <summary>The step between kernel positions; 1 by default.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Zeros added on every side of the input; 0 by default.</summary>
    public int Padding { get; set; }

    /// <summary>The activation applied to the output (not Softmax).</summary>
    public Activation Activation { get; set; }

    /// <summary>
    /// Whether the layer adds a learned bias per filter; <see langword="false"/> leaves it out of the parameters and the
    /// <c>state_dict</c>, as PyTorch's <c>nn.Conv2d(..., bias=False)</c> (usual before <see cref="BatchNormAttribute"/>,
    /// whose shift takes its place). <see langword="true"/> by default.
    /// </summary>
    public bool Bias { get; set; } = true;
}

/// <summary>
/// The maximum of every <c>size x size</c> window, PyTorch's <c>nn.MaxPool2d(size, stride, padding)</c>.
/// Declare the property as <c>Pool2DLayer</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class MaxPool2DAttribute : LayerAttribute
{
    /// <summary>Declares max pooling.</summary>
    /// <param name="size">The window's side; positive.</param>
    public MaxPool2DAttribute(int size) => Size = size;

    /// <summary>The window's side.</summary>
    public int Size { get; }

    /// <summary>The step between windows; 0 (the default) means the window's size, as in PyTorch and Keras.</summary>
    public int Stride { get; set; }

    /// <summary>
    /// Positions added on every side, at most half the window as PyTorch requires; 0 by default. They hold -infinity,
    /// as in PyTorch, so they never win: every window keeps at least one real position.
    /// </summary>
    public int Padding { get; set; }
}

/// <summary>
/// The mean of every <c>size x size</c> window, PyTorch's <c>nn.AvgPool2d(size, stride, padding)</c> with its default
/// <c>count_include_pad=True</c>. Declare the property as <c>Pool2DLayer</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class AvgPool2DAttribute : LayerAttribute
{
    /// <summary>Declares average pooling.</summary>
    /// <param name="size">The window's side; positive.</param>
    public AvgPool2DAttribute(int size) => Size = size;

    /// <summary>The window's side.</summary>
    public int Size { get; }

    /// <summary>The step between windows; 0 (the default) means the window's size.</summary>
    public int Stride { get; set; }

    /// <summary>
    /// Zeros added on every side, at most half the window as PyTorch requires; 0 by default. A window divides by
    /// <c>size * size</c> even where it covers padding, PyTorch's default <c>count_include_pad=True</c>, so the means
    /// at the border are pulled towards zero.
    /// </summary>
    public int Padding { get; set; }
}

/// <summary>The mean of every channel: <c>[channels, height, width]</c> to <c>[channels]</c>. Declare the property as <c>GlobalAveragePooling2DLayer</c>.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class GlobalAveragePooling2DAttribute : LayerAttribute
{
}

/// <summary>
/// Batch normalisation, PyTorch's <c>nn.BatchNorm2d</c> over the channels of an image or <c>nn.BatchNorm1d</c> over
/// features: <c>weight</c>, <c>bias</c>, and the running statistics <c>running_mean</c>, <c>running_var</c> used in
/// inference. Declare the property as <c>BatchNormLayer</c>.
/// </summary>
/// <remarks>
/// On a sequence <c>[steps, features]</c> each feature is normalised over the batch and the steps, as PyTorch's
/// <c>nn.BatchNorm1d(features)</c> on <c>x.transpose(1, 2)</c> (<c>[N, C, L]</c>). Steps a padding mask marks (from
/// <c>[Embedding(MaskZero = true)]</c>) are counted in the statistics like any other, as in PyTorch, which has no
/// mask (Keras 3 leaves them out); the mask passes on to the layers after it.
/// </remarks>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class BatchNormAttribute : LayerAttribute
{
    /// <summary>How far the running statistics move towards each batch's; PyTorch's 0.1 by default.</summary>
    public double Momentum { get; set; } = 0.1;

    /// <summary>Added to the variance before the square root; 1e-5 by default.</summary>
    public double Epsilon { get; set; } = 1e-5;
}
