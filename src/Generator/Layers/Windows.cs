using System;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;
using static TypedNets.Generator.NetworkGenerator.Emitter;

namespace TypedNets.Generator.Layers;

/// <summary>
/// The size rule every windowed layer shares, convolution or pooling, over an image or the steps of a sequence: how
/// many windows fit, and the diagnostics when none does or the groups do not divide the input.
/// </summary>
internal static class Windows
{
    /// <summary>
    /// How many windows fit along one axis, <c>(size + 2 padding - window) / stride + 1</c>, and 0 when not even one
    /// does (integer division would round a negative numerator up to 0 and count one).
    /// </summary>
    public static int WindowCount(int size, int window, int stride, int padding)
        => size + (2 * padding) < window ? 0 : ((size + (2 * padding) - window) / stride) + 1;

    /// <summary>A Conv2D, MaxPool2D or AvgPool2D over <c>[channels, height, width]</c> (or one channel of <c>[height, width]</c>).</summary>
    public static EquatableArray<int> InferImage(ShapeContext context, bool convolution)
    {
        LayerModel layer = context.Layer;
        EquatableArray<int> shape = context.Shape;
        LayerModel? previous = context.Previous;
        if (shape.Length < 2)
        {
            context.Incompatible(
                "an image [channels, height, width]",
                previous?.Kind == LayerKind.Flatten ? $"remove the [Flatten] layer '{previous.Label}' before it" : "declare the input as [Input(channels, height, width)]");
            return shape;
        }

        int channels = shape.Length == 3 ? shape[0] : 1;
        int height = shape[shape.Length - 2];
        int width = shape[shape.Length - 1];
        int padding = layer.Padding;
        int paddingWidth = convolution ? layer.PaddingWidth : layer.Padding;
        int stride = Math.Max(layer.Stride, 1);
        int strideWidth = convolution ? Math.Max(layer.StrideWidth, 1) : stride;
        int kernelWidth = convolution ? layer.KernelWidth : layer.Kernel;
        int dilation = Math.Max(layer.Dilation, 1);

        // A dilated kernel spans dilation (k - 1) + 1 input pixels, PyTorch's output-size formula; in
        // long, so that a huge dilation reports TN0028 rather than wrapping around.
        static int Span(int kernel, int dilation) => kernel <= 0 ? kernel : (int)Math.Min(int.MaxValue, ((long)dilation * (kernel - 1)) + 1);
        int span = Span(layer.Kernel, dilation);
        int spanWidth = Span(kernelWidth, dilation);
        int outHeight = WindowCount(height, span, stride, padding);
        int outWidth = WindowCount(width, spanWidth, strideWidth, paddingWidth);

        EquatableArray<int> output = new[] { convolution ? layer.Units : channels, outHeight, outWidth }.ToEquatableArray();
        if ((outHeight <= 0 || outWidth <= 0) && layer.Kernel > 0 && kernelWidth > 0)
        {
            // A square convolution reads as before; a rectangular one as PyTorch's (height, width) tuples.
            static string Pair(int height, int width) => height == width ? $"{height}" : $"({height}, {width})";
            string kernelText = Pair(layer.Kernel, kernelWidth);
            string spanText = Pair(span, spanWidth);
            string window = convolution
                ? dilation == 1
                    ? $"kernel {kernelText}, stride {Pair(stride, strideWidth)}, padding {Pair(padding, paddingWidth)}"
                    : $"kernel {kernelText} dilated by {dilation} (spanning {spanText}), stride {Pair(stride, strideWidth)}, padding {Pair(padding, paddingWidth)}"
                : padding > 0 ? $"window {layer.Kernel}, stride {stride}, padding {padding}" : $"window {layer.Kernel}, stride {stride}";
            context.Report(
                DiagnosticDescriptors.WindowTooLarge,
                layer.Label, layer.Kind.ToString(), window, ShapeMath.Format(shape), ShapeMath.Format(output),
                convolution ? (dilation == 1 ? "use a smaller kernel or more padding, or a larger input" : "use a smaller kernel or dilation, more padding, or a larger input") : "use a smaller window, or pool earlier in the network");
        }

        // The filters were checked against Groups as the layer was read; the channels are known only here.
        if (convolution && layer.Groups > 1 && channels % layer.Groups != 0)
        {
            context.Report(
                DiagnosticDescriptors.GroupsDoNotDivide,
                layer.Label, $"{layer.Groups}", "input channels", $"{channels}",
                $"use a number of groups that divides {channels}, or give the layer before it a multiple of {layer.Groups} channels", "Conv2D");
        }

        return output;
    }

    /// <summary>
    /// A Conv1D, MaxPool1D or AvgPool1D over the steps of <c>[steps, features]</c>: its output shape, and its problems (no
    /// sequence, a window longer than the padded steps, groups that do not divide the features, a padding mask).
    /// <paramref name="imageTwin"/> is the 2-D layer the message suggests for an image.
    /// </summary>
    public static EquatableArray<int> InferSteps(ShapeContext context, bool convolution, string imageTwin)
    {
        LayerModel layer = context.Layer;
        EquatableArray<int> shape = context.Shape;
        LayerModel? previous = context.Previous;
        string kind = LayerRule.For(layer.Kind).Name;
        if (shape.Length != 2)
        {
            string fix = shape.Length == 3
                ? $"use [{imageTwin}] on an image, or declare the input as [Input(steps, features)]"
                : previous is { IsRecurrent: true, ReturnSequences: false }
                    ? $"set ReturnSequences = true on '{previous.PropertyName}'"
                    : "feed it from an Embedding, a recurrent layer with ReturnSequences = true, or an [Input(steps, features)]";
            context.Incompatible("a sequence [steps, features]", fix);
            return shape.Length == 0 ? shape : new[] { 1, convolution ? layer.Units : shape[shape.Length - 1] }.ToEquatableArray();
        }

        int steps = shape[0];
        int features = shape[1];
        int stride = Math.Max(layer.Stride, 1);
        int dilation = Math.Max(layer.Dilation, 1);

        // A dilated kernel spans dilation (k - 1) + 1 steps, in long so that a huge dilation reports TN0028 rather than wrapping.
        int span = layer.Kernel <= 0 ? layer.Kernel : (int)Math.Min(int.MaxValue, ((long)dilation * (layer.Kernel - 1)) + 1);
        int outSteps = WindowCount(steps, span, stride, layer.Padding);
        EquatableArray<int> output = new[] { outSteps, convolution ? layer.Units : features }.ToEquatableArray();
        if (outSteps <= 0 && layer.Kernel > 0)
        {
            string window = convolution
                ? dilation == 1
                    ? $"kernel {layer.Kernel}, stride {stride}, padding {layer.Padding}"
                    : $"kernel {layer.Kernel} dilated by {dilation} (spanning {span}), stride {stride}, padding {layer.Padding}"
                : layer.Padding > 0 ? $"window {layer.Kernel}, stride {stride}, padding {layer.Padding}" : $"window {layer.Kernel}, stride {stride}";
            context.Report(
                DiagnosticDescriptors.WindowTooLarge,
                layer.Label, kind, window, ShapeMath.Format(shape), ShapeMath.Format(output),
                convolution
                    ? (dilation == 1 ? "use a smaller kernel or more padding, or a longer sequence" : "use a smaller kernel or dilation, more padding, or a longer sequence")
                    : "use a smaller window, or pool earlier in the network");
        }

        // The filters were checked against Groups as the layer was read; the features are known only here.
        if (convolution && layer.Groups > 1 && features % layer.Groups != 0)
        {
            context.Report(
                DiagnosticDescriptors.GroupsDoNotDivide,
                layer.Label, $"{layer.Groups}", "input features", $"{features}",
                $"use a number of groups that divides {features}, or give the layer before it a multiple of {layer.Groups} features", kind);
        }

        // Keras 3 computes such a layer over padded steps and drops the mask, with a warning; so does TypedNets.
        if (context.MaskSource is not null)
        {
            context.Report(DiagnosticDescriptors.MaskNotSupported, layer.Label, kind, context.MaskSource.Label);
        }

        return output;
    }

    /// <summary>The geometry of a Conv1D or 1-D pooling layer, as the runtime kernels take it.</summary>
    public static string SequenceGeometry(LayerModel layer, bool convolution)
        => $"new {Kernels}.SequenceGeometry(Steps: {Invariant(layer.InputShape[0])}, Features: {Invariant(layer.InputShape[1])}, Kernel: {Invariant(layer.Kernel)}, Stride: {Invariant(layer.Stride)}, Padding: {Invariant(layer.Padding)}"
            + (convolution ? $", Dilation: {Invariant(layer.Dilation)}, Groups: {Invariant(layer.Groups)})" : ")");
}
