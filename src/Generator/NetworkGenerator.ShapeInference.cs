using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;

namespace TypedNets.Generator;

public sealed partial class NetworkGenerator
{
    /// <summary>
    /// Walks the layers in order, gives each the shape its predecessor produces, checks that it can take it, and
    /// places every parameter tensor in the one parameter buffer (state_dict order).
    /// </summary>
    internal static class ShapeInference
    {
        public sealed record Problem(int LayerIndex, DiagnosticDescriptor Descriptor, string[] Arguments);

        public sealed record Result(List<LayerModel> Layers, List<Problem> Problems);

        public static Result Infer(EquatableArray<int> inputShape, bool tokenInput, IReadOnlyList<LayerModel> declared)
        {
            var layers = new List<LayerModel>(declared.Count);
            var problems = new List<Problem>();
            EquatableArray<int> shape = inputShape;
            string source = "the input";
            LayerModel? previous = null;

            // The Embedding whose MaskZero mask reaches each layer's output, if any (LayerModel.PassesMask, which the emitter follows too).
            var masks = new List<LayerModel?>(declared.Count);
            long offset = 0;
            int bufferOffset = 0;

            if (tokenInput && declared.Count > 0 && declared[0].Kind != LayerKind.Embedding)
            {
                problems.Add(new Problem(0, DiagnosticDescriptors.TokensWithoutEmbedding,
                    ["", $"[TokenInput({inputShape[0]})]", declared[0].PropertyName, KindName(declared[0].Kind)]));
            }

            for (int index = 0; index < declared.Count; index++)
            {
                LayerModel layer = declared[index];

                // A layer reads the one before it, or another with [From], Add, Concatenate, or a residual block.
                int read = layer.Inputs.Length == 0 ? index - 1 : layer.Source;
                shape = read < 0 ? inputShape : layers[read].OutputShape;
                source = read < 0 ? "the input" : $"'{layers[read].Label}'";
                previous = read < 0 ? null : layers[read];
                LayerModel? maskSource = read < 0 ? null : masks[read];
                EquatableArray<int> output = shape;
                void Incompatible(string needs, string fix)
                    => problems.Add(new Problem(index, DiagnosticDescriptors.IncompatibleShape,
                        [layer.Label, KindName(layer.Kind), needs, ShapeMath.Format(shape), source, fix]));

                string Name(int node) => node < 0 ? "the input" : layers[node].Label;
                EquatableArray<int> ShapeOf(int node) => node < 0 ? inputShape : layers[node].OutputShape;

                switch (layer.Kind)
                {
                    case LayerKind.Add:
                        for (int other = 1; other < layer.Inputs.Length; other++)
                        {
                            EquatableArray<int> otherShape = ShapeOf(layer.Inputs[other]);
                            if (!otherShape.Equals(shape))
                            {
                                bool residual = !layer.IsMember && layer.PropertyName.EndsWith("Residual", StringComparison.Ordinal);
                                problems.Add(new Problem(index, DiagnosticDescriptors.JoinShapeMismatch,
                                [
                                    layer.Label, residual ? "Residual" : "Add", Name(layer.Inputs[0]), ShapeMath.Format(shape), Name(layer.Inputs[other]), ShapeMath.Format(otherShape),
                                    residual
                                        ? "a residual block's layers must keep the shape of its input, or the block needs a [Shortcut] that maps its input to their output's shape (as ResNet's downsample: a 1x1 Conv2D with the block's stride, and a BatchNorm)"
                                        : "the two must have the same shape; read a layer of the same shape, or map one to the other's shape with a layer (a 1x1 Conv2D, a Dense) first",
                                ]));
                                break;
                            }
                        }

                        break;

                    case LayerKind.Concatenate:
                        // Images join their channels, vectors and sequences their features (the last axis).
                        int axis = shape.Length == 3 ? 0 : shape.Length - 1;
                        int[] joined = shape.AsSpan().ToArray();
                        for (int other = 1; other < layer.Inputs.Length && shape.Length > 0; other++)
                        {
                            EquatableArray<int> otherShape = ShapeOf(layer.Inputs[other]);
                            bool agrees = otherShape.Length == shape.Length;
                            for (int d = 0; agrees && d < shape.Length; d++)
                            {
                                agrees = d == axis || otherShape[d] == shape[d];
                            }

                            if (!agrees)
                            {
                                string over = shape.Length == 3 ? "channels" : "features";
                                problems.Add(new Problem(index, DiagnosticDescriptors.JoinShapeMismatch,
                                [
                                    layer.Label, "Concatenate", Name(layer.Inputs[0]), ShapeMath.Format(shape), Name(layer.Inputs[other]), ShapeMath.Format(otherShape),
                                    $"a concatenation joins the {over} and needs every other dimension to agree; pool, stride or flatten one of them to the other's shape first",
                                ]));
                                break;
                            }

                            joined[axis] += otherShape[axis];
                        }

                        output = joined.ToEquatableArray();
                        break;

                    case LayerKind.Dense:
                        if (shape.Length > 2)
                        {
                            Incompatible("a vector [features] or a sequence [steps, features]", "add a [Flatten] layer before it");
                        }

                        output = shape.Length == 2 ? new[] { shape[0], layer.Units }.ToEquatableArray() : new[] { layer.Units }.ToEquatableArray();
                        if (layer.Activation == Activation.Softmax && layer.Units == 1)
                        {
                            problems.Add(new Problem(index, DiagnosticDescriptors.SoftmaxOverOneUnit, [layer.Label]));
                        }

                        break;

                    case LayerKind.Flatten:
                        output = new[] { ShapeMath.Size(shape) }.ToEquatableArray();
                        break;

                    case LayerKind.Embedding:
                        if (!tokenInput || index != 0)
                        {
                            Incompatible("token ids from [TokenInput(length)]", "make it the first layer of a network declared with [TokenInput(length)]");
                        }

                        output = new[] { shape.Length > 0 ? shape[0] : 1, layer.Units }.ToEquatableArray();
                        break;

                    case LayerKind.Lstm or LayerKind.Gru or LayerKind.GlobalAveragePooling1D or LayerKind.GlobalMaxPooling1D:
                        if (shape.Length != 2)
                        {
                            Incompatible(
                                "a sequence [steps, features]",
                                previous is { IsRecurrent: true, ReturnSequences: false }
                                    ? $"set ReturnSequences = true on '{previous.Label}'"
                                    : "feed it from an Embedding, a recurrent layer with ReturnSequences = true, or an [Input(steps, features)]");
                        }

                        int features = shape.Length == 0 ? 0 : shape[shape.Length - 1];
                        int steps = shape.Length == 2 ? shape[0] : 1;
                        output = layer.IsRecurrent
                            ? (layer.ReturnSequences ? new[] { steps, layer.Directions * layer.Units } : new[] { layer.Directions * layer.Units }).ToEquatableArray()
                            : new[] { features }.ToEquatableArray();
                        break;

                    case LayerKind.Conv2D or LayerKind.MaxPool2D or LayerKind.AvgPool2D:
                        if (shape.Length < 2)
                        {
                            Incompatible(
                                "an image [channels, height, width]",
                                previous?.Kind == LayerKind.Flatten ? $"remove the [Flatten] layer '{previous.Label}' before it" : "declare the input as [Input(channels, height, width)]");
                            break;
                        }

                        int channels = shape.Length == 3 ? shape[0] : 1;
                        int height = shape[shape.Length - 2];
                        int width = shape[shape.Length - 1];
                        bool convolution = layer.Kind == LayerKind.Conv2D;
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

                        output = new[] { convolution ? layer.Units : channels, outHeight, outWidth }.ToEquatableArray();
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
                            problems.Add(new Problem(index, DiagnosticDescriptors.WindowTooLarge,
                            [
                                layer.Label, layer.Kind.ToString(), window, ShapeMath.Format(shape), ShapeMath.Format(output),
                                convolution ? (dilation == 1 ? "use a smaller kernel or more padding, or a larger input" : "use a smaller kernel or dilation, more padding, or a larger input") : "use a smaller window, or pool earlier in the network",
                            ]));
                        }

                        // The filters were checked against Groups as the layer was read; the channels are known only here.
                        if (convolution && layer.Groups > 1 && channels % layer.Groups != 0)
                        {
                            problems.Add(new Problem(index, DiagnosticDescriptors.GroupsDoNotDivide,
                            [
                                layer.Label, $"{layer.Groups}", "input channels", $"{channels}",
                                $"use a number of groups that divides {channels}, or give the layer before it a multiple of {layer.Groups} channels", "Conv2D",
                            ]));
                        }

                        break;

                    case LayerKind.Conv1D or LayerKind.MaxPool1D or LayerKind.AvgPool1D:
                        output = InferSteps(index, layer, shape, source, previous, maskSource, problems);
                        break;

                    case LayerKind.GlobalAveragePooling2D:
                        if (shape.Length < 2)
                        {
                            Incompatible("an image [channels, height, width]", "declare the input as [Input(channels, height, width)] or remove the [Flatten] before it");
                        }

                        output = new[] { shape.Length == 3 ? shape[0] : 1 }.ToEquatableArray();
                        break;

                    case LayerKind.LayerNorm:
                        if (shape.Length == 3)
                        {
                            Incompatible("a vector [features] or a sequence [steps, features]", "add a [Flatten] before it, or use [BatchNorm] to normalise image channels");
                        }

                        break;

                    case LayerKind.BatchNorm:
                        // Any rank: a vector's features, a sequence's features over batch and steps (a 2-D shape is a
                        // sequence here, as for LayerNorm), or an image's channels.
                        break;
                }

                LayerModel placed = layer with { InputShape = shape, OutputShape = output, ParameterOffset = (int)offset, BufferOffset = bufferOffset };
                long parameters = 0;
                foreach (TensorModel tensor in placed.Tensors)
                {
                    parameters += Size(tensor.Shape);
                }

                if (offset + parameters > int.MaxValue)
                {
                    problems.Add(new Problem(index, DiagnosticDescriptors.NetworkTooLarge, [layer.Label, (offset + parameters).ToString("N0", System.Globalization.CultureInfo.InvariantCulture)]));
                    parameters = 0;
                }

                layers.Add(placed);
                offset += parameters;
                foreach (TensorModel buffer in placed.Buffers)
                {
                    bufferOffset += buffer.Length;
                }

                masks.Add(!placed.PassesMask(maskSource is not null) ? null : layer.Kind == LayerKind.Embedding ? placed : maskSource);
            }

            return new Result(layers, problems);
        }

        /// <summary>
        /// A Conv1D, MaxPool1D or AvgPool1D over the steps of <c>[steps, features]</c>: its output shape, and its problems (no
        /// sequence, a window longer than the padded steps, groups that do not divide the features, a padding mask).
        /// </summary>
        private static EquatableArray<int> InferSteps(
            int index, LayerModel layer, EquatableArray<int> shape, string source, LayerModel? previous, LayerModel? maskSource, List<Problem> problems)
        {
            string kind = KindName(layer.Kind);
            bool convolution = layer.Kind == LayerKind.Conv1D;
            if (shape.Length != 2)
            {
                string image = layer.Kind switch { LayerKind.Conv1D => "Conv2D", LayerKind.MaxPool1D => "MaxPool2D", _ => "AvgPool2D" };
                string fix = shape.Length == 3
                    ? $"use [{image}] on an image, or declare the input as [Input(steps, features)]"
                    : previous is { IsRecurrent: true, ReturnSequences: false }
                        ? $"set ReturnSequences = true on '{previous.PropertyName}'"
                        : "feed it from an Embedding, a recurrent layer with ReturnSequences = true, or an [Input(steps, features)]";
                problems.Add(new Problem(index, DiagnosticDescriptors.IncompatibleShape,
                    [layer.Label, kind, "a sequence [steps, features]", ShapeMath.Format(shape), source, fix]));
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
                problems.Add(new Problem(index, DiagnosticDescriptors.WindowTooLarge,
                [
                    layer.Label, kind, window, ShapeMath.Format(shape), ShapeMath.Format(output),
                    convolution
                        ? (dilation == 1 ? "use a smaller kernel or more padding, or a longer sequence" : "use a smaller kernel or dilation, more padding, or a longer sequence")
                        : "use a smaller window, or pool earlier in the network",
                ]));
            }

            // The filters were checked against Groups as the layer was read; the features are known only here.
            if (convolution && layer.Groups > 1 && features % layer.Groups != 0)
            {
                problems.Add(new Problem(index, DiagnosticDescriptors.GroupsDoNotDivide,
                [
                    layer.Label, $"{layer.Groups}", "input features", $"{features}",
                    $"use a number of groups that divides {features}, or give the layer before it a multiple of {layer.Groups} features", kind,
                ]));
            }

            // Keras 3 computes such a layer over padded steps and drops the mask, with a warning; so does TypedNets.
            if (maskSource is not null)
            {
                problems.Add(new Problem(index, DiagnosticDescriptors.MaskNotSupported, [layer.Label, kind, maskSource.Label]));
            }

            return output;
        }

        /// <summary>
        /// How many windows fit along one axis, <c>(size + 2 padding - window) / stride + 1</c>, and 0 when not even one
        /// does (integer division would round a negative numerator up to 0 and count one).
        /// </summary>
        private static int WindowCount(int size, int window, int stride, int padding)
            => size + (2 * padding) < window ? 0 : ((size + (2 * padding) - window) / stride) + 1;

        /// <summary>The kind as messages and summaries name it.</summary>
        public static string KindName(LayerKind kind) => kind switch
        {
            LayerKind.Lstm => "LSTM",
            LayerKind.Gru => "GRU",
            _ => kind.ToString(),
        };

        /// <summary>Checks a declared loss against the output layer; regression losses fit any output.</summary>
        public static List<Problem> CheckLoss(LossModel loss, IReadOnlyList<LayerModel> layers)
        {
            var problems = new List<Problem>();
            if (loss.Kind is not (LossKind.CrossEntropy or LossKind.BinaryCrossEntropy) || layers.Count == 0)
            {
                return problems;
            }

            bool binary = loss.Kind == LossKind.BinaryCrossEntropy;
            string name = binary ? "BinaryCrossEntropy" : "CrossEntropy";
            string activation = binary ? "Sigmoid" : "Softmax";
            LayerModel last = layers[layers.Count - 1];
            int index = layers.Count - 1;
            if (last.OutputShape.Length > 1)
            {
                LayerModel? sequenceSource = null;
                foreach (LayerModel layer in layers)
                {
                    if (layer.IsRecurrent && layer.ReturnSequences)
                    {
                        sequenceSource = layer;
                    }
                }

                problems.Add(new Problem(index, DiagnosticDescriptors.LossDoesNotFitOutput,
                [
                    name, "one prediction per sample", $"the output is still {(last.OutputShape.Length == 2 ? "a sequence" : "an image")} {ShapeMath.Format(last.OutputShape)}",
                    sequenceSource is null
                        ? "add a [GlobalAveragePooling1D] or [Flatten] layer before the output layer"
                        : $"set ReturnSequences = false on '{sequenceSource.Label}', or add a [GlobalAveragePooling1D] layer after it",
                ]));
            }
            else if (last.Kind != LayerKind.Dense)
            {
                problems.Add(new Problem(index, DiagnosticDescriptors.LossDoesNotFitOutput,
                [
                    name, "the network to end in a Dense layer", $"it ends in '{last.Label}' ({KindName(last.Kind)})",
                    $"end it with a Dense layer with {activation} or no activation",
                ]));
            }
            else if (last.Activation != Activation.Identity && last.Activation.ToString() != activation)
            {
                problems.Add(new Problem(index, DiagnosticDescriptors.LossDoesNotFitOutput,
                [
                    name, $"an output layer with {activation} or no activation", $"'{last.Label}' uses {last.Activation}",
                    binary ? "use Activation.Sigmoid, or CrossEntropy for a Softmax output" : "use Activation.Softmax, or BinaryCrossEntropy for one Sigmoid unit",
                ]));
            }
            else if (binary && last.Units != 1)
            {
                problems.Add(new Problem(index, DiagnosticDescriptors.LossDoesNotFitOutput,
                [
                    name, "exactly 1 output unit", $"'{last.Label}' has {last.Units}",
                    $"use [Dense(1, Activation.Sigmoid)], or CrossEntropy with Softmax for {last.Units} classes",
                ]));
            }
            else if (!binary && last.Units < 2)
            {
                problems.Add(new Problem(index, DiagnosticDescriptors.LossDoesNotFitOutput,
                [
                    name, "at least 2 output units, one per class", $"'{last.Label}' has {last.Units}",
                    "use 2 or more units, or BinaryCrossEntropy with one Sigmoid unit",
                ]));
            }

            return problems;
        }

        private static long Size(EquatableArray<int> shape)
        {
            long size = 1;
            foreach (int dimension in shape)
            {
                size *= dimension;
            }

            return size;
        }
    }
}
