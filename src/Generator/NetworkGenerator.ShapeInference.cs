using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Layers;
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

            if (tokenInput && declared.Count > 0 && !declared[0].Rule.ReadsTokens)
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
                var context = new ShapeContext(index, layer, shape, source, previous, maskSource, tokenInput, inputShape, layers, problems);
                EquatableArray<int> output = layer.Rule.InferShape(context);

                LayerModel placed = layer with
                {
                    InputShape = shape, OutputShape = output, ParameterOffset = (int)offset, BufferOffset = bufferOffset,
                    TiedOffset = layer.IsTied ? layers[layer.TiedTo].ParameterOffset : 0,
                };
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

                // A layer that passes a mask on without receiving one (an Embedding with MaskZero) starts it.
                masks.Add(!placed.PassesMask(maskSource is not null) ? null : placed.PassesMask(inputMasked: false) ? placed : maskSource);
            }

            return new Result(layers, problems);
        }

        /// <summary>The kind as messages and summaries name it.</summary>
        public static string KindName(LayerKind kind) => LayerRule.For(kind).Name;

        /// <summary>
        /// Checks a declared loss against the output layer; regression losses fit any output. Cross-entropy also fits a
        /// sequence <c>[steps, classes]</c> whose last layer is a Dense, which acts at every position: the loss of a
        /// GPT or a tagger, a class per position.
        /// </summary>
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
            bool sequence = last.OutputShape.Length == 2;
            if (sequence && !binary && last.Kind != LayerKind.Dense)
            {
                problems.Add(new Problem(index, DiagnosticDescriptors.LossDoesNotFitOutput,
                [
                    name, "one prediction per sample, or a Dense layer that gives the classes at every position",
                    $"the output is a sequence {ShapeMath.Format(last.OutputShape)} from '{last.Label}' ({KindName(last.Kind)})",
                    last.IsRecurrent && last.ReturnSequences
                        ? $"add a [Dense] of one unit per class after '{last.Label}' for a prediction at every step, or set ReturnSequences = false on it and end with a [Dense] for one per sample"
                        : "end the network with a [Dense] of one unit per class for a prediction at every position, or add a [GlobalAveragePooling1D] or [Flatten] layer and a [Dense] for one per sample",
                ]));
            }
            else if (last.OutputShape.Length > 2 || (sequence && binary))
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
                    name, "one prediction per sample", $"the output is still {(sequence ? "a sequence" : "an image")} {ShapeMath.Format(last.OutputShape)}",
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
