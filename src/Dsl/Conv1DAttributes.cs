using System;

namespace TypedNets;

/// <summary>
/// A 1-D convolution over the steps of a sequence, Keras' <c>Conv1D</c> on its <c>[steps, features]</c> layout with
/// PyTorch's <c>nn.Conv1d</c> weights: <c>[steps, features]</c> to <c>[steps', filters]</c> with
/// <c>steps' = (steps + 2 padding - dilation (kernel - 1) - 1) / stride + 1</c>; weight <c>[filters, features / groups, kernel]</c>
/// (PyTorch's, which works on <c>[N, C, L]</c>: a PyTorch model applies it to the input transposed), bias <c>[filters]</c> (none
/// with <see cref="Bias"/> = false). Declare the property as <c>Conv1DLayer</c>.
/// </summary>
/// <remarks>
/// A padding mask (<c>[Embedding(MaskZero = true)]</c>) does not pass a convolution: it computes over padded steps like
/// any other and the layers after it get no mask, as in Keras 3, which warns; TypedNets warns too (TN0050).
/// </remarks>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class Conv1DAttribute : LayerAttribute
{
    /// <summary>Declares a convolution over steps.</summary>
    /// <param name="filters">The number of output features; positive.</param>
    /// <param name="kernelSize">The number of steps the kernel covers (its taps); positive.</param>
    public Conv1DAttribute(int filters, int kernelSize)
    {
        Filters = filters;
        KernelSize = kernelSize;
    }

    /// <summary>The number of output features.</summary>
    public int Filters { get; }

    /// <summary>The number of steps the kernel covers.</summary>
    public int KernelSize { get; }

    /// <summary>The step between kernel positions; 1 by default.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>
    /// Zero steps added before the first step and after the last; 0 by default (Keras' <c>padding="valid"</c>). With stride 1
    /// and an odd kernel, <c>(kernel - 1) / 2</c> keeps the steps (Keras' <c>padding="same"</c>).
    /// </summary>
    public int Padding { get; set; }

    /// <summary>
    /// The spacing between the kernel's taps, PyTorch's <c>dilation=</c> and Keras' <c>dilation_rate</c>: a kernel of size
    /// <c>k</c> spans <c>dilation (k - 1) + 1</c> steps. 1, the default, is the ordinary convolution.
    /// </summary>
    public int Dilation { get; set; } = 1;

    /// <summary>
    /// PyTorch's <c>groups=</c>: the features and the filters are split into this many groups, and each filter sees only its
    /// group's <c>features / groups</c> features. Both must be divisible by it; <c>Groups</c> equal to the features and the
    /// filters is a depthwise convolution. 1, the default, is an ordinary convolution.
    /// </summary>
    public int Groups { get; set; } = 1;

    /// <summary>The activation applied to the output (not Softmax).</summary>
    public Activation Activation { get; set; }

    /// <summary>
    /// Whether the layer adds a learned bias per filter; <see langword="false"/> leaves it out of the parameters and the
    /// <c>state_dict</c>, as PyTorch's <c>bias=False</c>. <see langword="true"/> by default.
    /// </summary>
    public bool Bias { get; set; } = true;
}

/// <summary>
/// The maximum of every window of <c>pool</c> steps, feature by feature, PyTorch's <c>nn.MaxPool1d(pool, stride, padding)</c>
/// (on the transposed input) and Keras' <c>MaxPooling1D</c>: <c>[steps, features]</c> to <c>[steps', features]</c>.
/// Declare the property as <c>Pool1DLayer</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class MaxPool1DAttribute : LayerAttribute
{
    /// <summary>Declares max pooling over steps.</summary>
    /// <param name="pool">The window's length in steps; positive.</param>
    public MaxPool1DAttribute(int pool) => Pool = pool;

    /// <summary>The window's length in steps.</summary>
    public int Pool { get; }

    /// <summary>The step between windows; 0 (the default) means the window's length, as in PyTorch and Keras.</summary>
    public int Stride { get; set; }

    /// <summary>
    /// Steps added before the first and after the last, at most half the window as PyTorch requires; 0 by default. They
    /// hold -infinity, as in PyTorch, so they never win.
    /// </summary>
    public int Padding { get; set; }
}

/// <summary>
/// The mean of every window of <c>pool</c> steps, feature by feature, PyTorch's <c>nn.AvgPool1d(pool, stride, padding)</c>
/// with its default <c>count_include_pad=True</c> (on the transposed input): <c>[steps, features]</c> to
/// <c>[steps', features]</c>. Declare the property as <c>Pool1DLayer</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class AvgPool1DAttribute : LayerAttribute
{
    /// <summary>Declares average pooling over steps.</summary>
    /// <param name="pool">The window's length in steps; positive.</param>
    public AvgPool1DAttribute(int pool) => Pool = pool;

    /// <summary>The window's length in steps.</summary>
    public int Pool { get; }

    /// <summary>The step between windows; 0 (the default) means the window's length.</summary>
    public int Stride { get; set; }

    /// <summary>
    /// Zero steps added before the first and after the last, at most half the window as PyTorch requires; 0 by default. A
    /// window divides by <c>pool</c> even where it covers padding (PyTorch's default <c>count_include_pad=True</c>; Keras'
    /// <c>padding="same"</c> leaves them out), so the means at the ends are pulled towards zero.
    /// </summary>
    public int Padding { get; set; }
}
