using System;

namespace TypedNets;

/// <summary>
/// A 2-D convolution, PyTorch's <c>nn.Conv2d</c>: <c>[channels, height, width]</c> (or <c>[height, width]</c> for one
/// channel) to <c>[filters, height', width']</c> with <c>height' = (height + 2 padding - dilation (kernel - 1) - 1) / stride + 1</c>; weight
/// <c>[filters, channels, kernel, kernel]</c> (<c>[filters, channels, kernel height, kernel width]</c> with
/// <see cref="KernelHeight"/> or <see cref="KernelWidth"/>; <c>channels / groups</c> with <see cref="Groups"/>), bias <c>[filters]</c> (none with <see cref="Bias"/> = false). Declare the
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

    /// <summary>
    /// The kernel's height where it differs from its width, as the first of PyTorch's <c>kernel_size=(height, width)</c>:
    /// <c>[Conv2D(16, 3, KernelWidth = 5)]</c> is <c>kernel_size=(3, 5)</c>. Left out, the kernel's side. Set at most one of
    /// <see cref="KernelHeight"/> and <see cref="KernelWidth"/>: the constructor's kernel gives the other side.
    /// </summary>
    public int KernelHeight { get; set; }

    /// <summary>The kernel's width where it differs from its height (the second of PyTorch's <c>kernel_size</c>); see <see cref="KernelHeight"/>.</summary>
    public int KernelWidth { get; set; }

    /// <summary>
    /// The step down the height where it differs from <see cref="Stride"/>, as the first of PyTorch's
    /// <c>stride=(height, width)</c>. Left out, <see cref="Stride"/>.
    /// </summary>
    public int StrideHeight { get; set; }

    /// <summary>The step across the width where it differs from <see cref="Stride"/> (the second of PyTorch's <c>stride</c>).</summary>
    public int StrideWidth { get; set; }

    /// <summary>
    /// The zeros above and below where they differ from <see cref="Padding"/>, as the first of PyTorch's
    /// <c>padding=(height, width)</c>. Left out, <see cref="Padding"/>.
    /// </summary>
    public int PaddingHeight { get; set; }

    /// <summary>The zeros left and right where they differ from <see cref="Padding"/> (the second of PyTorch's <c>padding</c>).</summary>
    public int PaddingWidth { get; set; }

    /// <summary>
    /// PyTorch's <c>groups=</c>: the channels and the filters are split into this many groups, and each filter sees only
    /// its group's <c>channels / groups</c> channels, so the weight is <c>[filters, channels / groups, kh, kw]</c>. Both the
    /// channels and the filters must be divisible by it. <c>Groups</c> equal to the channels and the filters is a depthwise
    /// convolution. 1, the default, is an ordinary convolution.
    /// </summary>
    public int Groups { get; set; } = 1;

    /// <summary>
    /// The spacing between the kernel's taps, PyTorch's <c>dilation=</c>: a kernel of side <c>k</c> covers
    /// <c>dilation (k - 1) + 1</c> input pixels with the same <c>k * k</c> weights (an atrous convolution). 1, the default,
    /// is the ordinary convolution; it must be at least 1.
    /// </summary>
    public int Dilation { get; set; } = 1;

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

    /// <summary>
    /// Applied to the normalised output, as the <c>nn.ReLU</c> that follows <c>bn1</c> in a ResNet; none by default.
    /// Softmax is not available here.
    /// </summary>
    public Activation Activation { get; set; }
}
