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

        public static Result Infer(EquatableArray<int> inputShape, IReadOnlyList<LayerModel> declared)
        {
            var layers = new List<LayerModel>(declared.Count);
            var problems = new List<Problem>();
            EquatableArray<int> shape = inputShape;
            string source = "the input";
            long offset = 0;

            for (int index = 0; index < declared.Count; index++)
            {
                LayerModel layer = declared[index];
                EquatableArray<int> output = shape;
                switch (layer.Kind)
                {
                    case LayerKind.Dense:
                        if (shape.Length != 1)
                        {
                            problems.Add(new Problem(
                                index,
                                DiagnosticDescriptors.IncompatibleShape,
                                [layer.PropertyName, "Dense", "a vector [features]", ShapeMath.Format(shape), source, "add a [Flatten] layer before it"]));
                        }

                        output = new[] { layer.Units }.ToEquatableArray();
                        if (layer.Activation == ActivationKind.Softmax && layer.Units == 1)
                        {
                            problems.Add(new Problem(index, DiagnosticDescriptors.SoftmaxOverOneUnit, [layer.PropertyName]));
                        }

                        break;

                    case LayerKind.Flatten:
                        output = new[] { ShapeMath.Size(shape) }.ToEquatableArray();
                        break;
                }

                long parameters = layer.Kind == LayerKind.Dense ? ((long)layer.Units * Size(shape)) + layer.Units : 0;
                if (offset + parameters > int.MaxValue)
                {
                    problems.Add(new Problem(index, DiagnosticDescriptors.NetworkTooLarge, [layer.PropertyName, (offset + parameters).ToString("N0", System.Globalization.CultureInfo.InvariantCulture)]));
                    parameters = 0;
                }

                layers.Add(layer with { InputShape = shape, OutputShape = output, ParameterOffset = (int)offset });
                offset += parameters;
                shape = output;
                source = $"'{layer.PropertyName}'";
            }

            return new Result(layers, problems);
        }

        /// <summary>Checks a declared loss against the output layer; regression losses fit any output.</summary>
        public static List<Problem> CheckLoss(LossModel loss, IReadOnlyList<LayerModel> layers)
        {
            var problems = new List<Problem>();
            if (loss.Kind is not (LossKindModel.CrossEntropy or LossKindModel.BinaryCrossEntropy) || layers.Count == 0)
            {
                return problems;
            }

            bool binary = loss.Kind == LossKindModel.BinaryCrossEntropy;
            string name = binary ? "BinaryCrossEntropy" : "CrossEntropy";
            string activation = binary ? "Sigmoid" : "Softmax";
            LayerModel last = layers[layers.Count - 1];
            int index = layers.Count - 1;
            if (last.Kind != LayerKind.Dense)
            {
                problems.Add(new Problem(index, DiagnosticDescriptors.LossDoesNotFitOutput,
                [
                    name, "the network to end in a Dense layer", $"it ends in '{last.PropertyName}' ({last.Kind})",
                    $"end it with a Dense layer with {activation} or no activation",
                ]));
            }
            else if (last.Activation != ActivationKind.Identity && last.Activation.ToString() != activation)
            {
                problems.Add(new Problem(index, DiagnosticDescriptors.LossDoesNotFitOutput,
                [
                    name, $"an output layer with {activation} or no activation", $"'{last.PropertyName}' uses {last.Activation}",
                    binary ? "use Activation.Sigmoid, or CrossEntropy for a Softmax output" : "use Activation.Softmax, or BinaryCrossEntropy for one Sigmoid unit",
                ]));
            }
            else if (binary && last.Units != 1)
            {
                problems.Add(new Problem(index, DiagnosticDescriptors.LossDoesNotFitOutput,
                [
                    name, "exactly 1 output unit", $"'{last.PropertyName}' has {last.Units}",
                    $"use [Dense(1, Activation.Sigmoid)], or CrossEntropy with Softmax for {last.Units} classes",
                ]));
            }
            else if (!binary && last.Units < 2)
            {
                problems.Add(new Problem(index, DiagnosticDescriptors.LossDoesNotFitOutput,
                [
                    name, "at least 2 output units, one per class", $"'{last.PropertyName}' has {last.Units}",
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
