// The reading of a layer attribute's arguments, one method per kind: each takes the layer as declared so far (its
// names, its kind, the options every kind shares) and returns it with its kind's arguments, reporting the ones that are
// out of range where they are written. The rest of what the generator knows about a kind (its shape rule, its
// parameters, its plan and its code) is its class in Layers/; the reading stays here, with the symbols and the syntax.
using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using TypedNets.Generator.Model;

namespace TypedNets.Generator;

public sealed partial class NetworkGenerator
{
    internal sealed partial class Parser
    {
        /// <summary>The readers of the kinds whose attributes take arguments; Flatten and the global poolings take none.</summary>
        private static readonly Dictionary<LayerKind, Func<Parser, LayerAttribute, LayerModel, LayerModel>> ArgumentReaders = new()
        {
            [LayerKind.Dense] = static (parser, attribute, layer) => parser.ReadDense(attribute, layer),
            [LayerKind.Dropout] = static (parser, attribute, layer) => parser.ReadDropout(attribute, layer),
            [LayerKind.Embedding] = static (parser, attribute, layer) => parser.ReadEmbedding(attribute, layer),
            [LayerKind.Lstm] = static (parser, attribute, layer) => parser.ReadRecurrent(attribute, layer),
            [LayerKind.Gru] = static (parser, attribute, layer) => parser.ReadRecurrent(attribute, layer),
            [LayerKind.Conv2D] = static (parser, attribute, layer) => parser.ReadConvolution(attribute, layer),
            [LayerKind.Conv1D] = static (parser, attribute, layer) => parser.ReadConvolution(attribute, layer),
            [LayerKind.MaxPool2D] = static (parser, attribute, layer) => parser.ReadPooling(attribute, layer),
            [LayerKind.AvgPool2D] = static (parser, attribute, layer) => parser.ReadPooling(attribute, layer),
            [LayerKind.MaxPool1D] = static (parser, attribute, layer) => parser.ReadPooling(attribute, layer),
            [LayerKind.AvgPool1D] = static (parser, attribute, layer) => parser.ReadPooling(attribute, layer),
            [LayerKind.BatchNorm] = static (parser, attribute, layer) => parser.ReadBatchNorm(attribute, layer),
            [LayerKind.LayerNorm] = static (parser, attribute, layer) => parser.ReadLayerNorm(attribute, layer),
            [LayerKind.Add] = static (parser, attribute, layer) => parser.ReadAdd(attribute, layer),
            [LayerKind.PositionEmbedding] = static (parser, attribute, layer) => parser.ReadPositionEmbedding(attribute, layer),
            [LayerKind.SelfAttention] = static (parser, attribute, layer) => parser.ReadSelfAttention(attribute, layer),
        };

        /// <summary>The most layers one [Lstm] or [Gru] stacks (TN0053).</summary>
        private const int MaxRecurrentLayers = 1024;

        /// <summary>What a reader sees: the property, its attribute and where the attribute's arguments are written.</summary>
        private sealed record LayerAttribute(IPropertySymbol Property, AttributeData Data, LayerKind Kind, LayerSite Site)
        {
            public ImmutableArray<TypedConstant> Arguments => Data.ConstructorArguments;

            /// <summary>Where the named argument <paramref name="name"/> is written, or else the attribute.</summary>
            public Location? Named(string name) => NamedArgumentLocation(Site.AttributeSyntax, name) ?? Site.Attribute;
        }

        private LayerModel ReadDense(LayerAttribute a, LayerModel layer)
        {
            int units = a.Arguments[0].Value is int declaredUnits ? declaredUnits : 0;
            int activationValue = a.Arguments.Length > 1 && a.Arguments[1].Value is int value ? value : 0;
            var activation = Activation.Identity;
            if (units <= 0)
            {
                Report(DiagnosticDescriptors.NonPositiveUnits, a.Site.Argument(0, "units"), a.Property.Name, a.Kind.ToString(), Invariant(units));
            }

            if (!Enum.IsDefined(typeof(Activation), activationValue))
            {
                Report(DiagnosticDescriptors.UnknownActivation, a.Site.Argument(1, "activation"), a.Property.Name, Invariant(activationValue));
            }
            else
            {
                activation = (Activation)activationValue;
            }

            double l1 = NamedDouble(a.Data, "L1", 0);
            double l2 = NamedDouble(a.Data, "L2", 0);
            foreach ((string name, double factor) in new[] { ("L1", l1), ("L2", l2) })
            {
                if (!(factor >= 0) || double.IsInfinity(factor))
                {
                    Report(DiagnosticDescriptors.InvalidPenalty, a.Named(name), a.Property.Name, name, factor.ToString("R", CultureInfo.InvariantCulture));
                }
            }

            return layer with { Units = units, Activation = activation, L1 = l1, L2 = l2 };
        }

        private LayerModel ReadRecurrent(LayerAttribute a, LayerModel layer)
        {
            int units = a.Arguments[0].Value is int declaredStateUnits ? declaredStateUnits : 0;
            string recurrentKind = a.Kind == LayerKind.Lstm ? "LSTM" : "GRU";
            if (units <= 0)
            {
                Report(DiagnosticDescriptors.NonPositiveUnits, a.Site.Argument(0, "units"), a.Property.Name, recurrentKind, Invariant(units));
            }

            int numLayers = NamedInt(a.Data, "NumLayers", 1);
            bool bidirectional = NamedBool(a.Data, "Bidirectional");
            double rate = NamedDouble(a.Data, "Dropout", 0);
            if (numLayers < 1 || numLayers > MaxRecurrentLayers)
            {
                // The upper bound keeps a mistyped count from emitting millions of tensors; no real stack is near it.
                Report(
                    DiagnosticDescriptors.InvalidRecurrentLayers,
                    a.Named("NumLayers"),
                    a.Property.Name,
                    recurrentKind,
                    Invariant(numLayers),
                    numLayers < 1
                        ? "a recurrent layer stacks at least 1 layer; use NumLayers = 1 for a single layer, or 2 or more to stack them as PyTorch's num_layers"
                        : $"one attribute stacks at most {Invariant(MaxRecurrentLayers)} layers; use fewer layers");
                numLayers = 1;
            }

            string shownRate = rate.ToString("R", CultureInfo.InvariantCulture);
            Location? dropoutLocation = a.Named("Dropout");
            if (!(rate >= 0 && rate < 1))
            {
                Report(DiagnosticDescriptors.RecurrentDropoutOutOfRange, dropoutLocation, a.Property.Name, recurrentKind, shownRate);
                rate = 0;
            }
            else if (rate > 0 && NamedInt(a.Data, "NumLayers", 1) == 1)
            {
                // PyTorch warns the same: its dropout acts between stacked layers only.
                Report(DiagnosticDescriptors.RecurrentDropoutWithOneLayer, dropoutLocation, a.Property.Name, recurrentKind, shownRate);
            }

            return layer with { Units = units, NumLayers = numLayers, Bidirectional = bidirectional, Rate = rate };
        }

        private LayerModel ReadEmbedding(LayerAttribute a, LayerModel layer)
        {
            int vocabulary = a.Arguments[0].Value is int declaredVocabulary ? declaredVocabulary : 0;
            int units = a.Arguments[1].Value is int declaredDimension ? declaredDimension : 0;
            foreach ((int index, string name, int size) in new[] { (0, "vocabulary", vocabulary), (1, "dimension", units) })
            {
                if (size <= 0)
                {
                    Report(DiagnosticDescriptors.NonPositiveSize, a.Site.Argument(index, name), a.Property.Name, "Embedding", name, Invariant(size), "1");
                }
            }

            int paddingIndex = NamedInt(a.Data, "PaddingIndex", -1);
            if (paddingIndex < -1 || (paddingIndex >= vocabulary && vocabulary > 0))
            {
                Report(
                    DiagnosticDescriptors.PaddingIndexOutsideVocabulary,
                    a.Named("PaddingIndex"),
                    a.Property.Name,
                    Invariant(paddingIndex),
                    Invariant(vocabulary),
                    paddingIndex < 0
                        ? $"for PyTorch's padding_idx={Invariant(paddingIndex)}, which counts from the end, write PaddingIndex = {Invariant(vocabulary + paddingIndex)}"
                        : "use an id below the vocabulary size, or enlarge the vocabulary");
            }

            return layer with { Vocabulary = vocabulary, Units = units, PaddingIndex = paddingIndex };
        }

        /// <summary>Conv2D and Conv1D: filters and kernel, then stride, padding, dilation, groups and the activation.</summary>
        private LayerModel ReadConvolution(LayerAttribute a, LayerModel layer)
        {
            int units = a.Arguments[0].Value is int declaredFilters ? declaredFilters : 0;
            int kernel = a.Arguments[1].Value is int declaredKernel ? declaredKernel : 0;
            int stride = NamedInt(a.Data, "Stride", 1);
            int padding = NamedInt(a.Data, "Padding", 0);
            int dilation = NamedInt(a.Data, "Dilation", 1);
            int convolutionActivation = NamedInt(a.Data, "Activation", 0);
            var activation = Activation.Identity;
            CheckAtLeast(a, "filters", units, 1, a.Site.Argument(0, "filters"));
            CheckAtLeast(a, "kernel", kernel, 1, a.Site.Argument(1, a.Kind == LayerKind.Conv1D ? "kernelSize" : "kernel"));
            CheckAtLeast(a, "stride", stride, 1, a.Named("Stride"));
            CheckAtLeast(a, "padding", padding, 0, a.Named("Padding"));
            CheckAtLeast(a, "dilation", dilation, 1, a.Named("Dilation"));
            int groups = NamedInt(a.Data, "Groups", 1);
            CheckAtLeast(a, "groups", groups, 1, a.Named("Groups"));
            if (groups > 1 && units >= 1 && units % groups != 0)
            {
                Report(
                    DiagnosticDescriptors.GroupsDoNotDivide,
                    a.Named("Groups"),
                    a.Property.Name,
                    Invariant(groups),
                    "filters",
                    Invariant(units),
                    $"use a number of filters that is a multiple of {Invariant(groups)}, or fewer groups",
                    a.Kind.ToString());
            }

            // PyTorch's (height, width) tuples: a named side overrides the square value on that side only. A Conv1D
            // has no named sides, so its width is its kernel, stride and padding again.
            (kernel, int kernelWidth) = RectangularSize(a, "Kernel", "kernel", kernel, a.Site.Argument(1, "kernel"), explicitSquare: true, minimum: 1, "set one of them and give the other side as the kernel, e.g. [Conv2D(filters, 3, KernelWidth = 5)] for PyTorch's kernel_size=(3, 5)");
            (stride, int strideWidth) = RectangularSize(a, "Stride", "Stride", stride, a.Named("Stride"), HasNamed(a.Data, "Stride"), minimum: 1, "remove Stride, or set it and only the side that differs");
            (padding, int paddingWidth) = RectangularSize(a, "Padding", "Padding", padding, a.Named("Padding"), HasNamed(a.Data, "Padding"), minimum: 0, "remove Padding, or set it and only the side that differs");
            if (!Enum.IsDefined(typeof(Activation), convolutionActivation))
            {
                Report(DiagnosticDescriptors.UnknownActivation, a.Named("Activation"), a.Property.Name, Invariant(convolutionActivation));
            }
            else if ((Activation)convolutionActivation == Activation.Softmax)
            {
                Report(
                    DiagnosticDescriptors.UnavailableActivation,
                    a.Named("Activation"),
                    a.Property.Name,
                    a.Kind.ToString(),
                    "Softmax",
                    "use ReLU or no activation here, and Softmax on a Dense output layer");
            }
            else
            {
                activation = (Activation)convolutionActivation;
            }

            return layer with
            {
                Units = units,
                Activation = activation,
                Kernel = kernel,
                Stride = stride,
                Padding = padding,
                Dilation = dilation,
                KernelWidth = kernelWidth,
                StrideWidth = strideWidth,
                PaddingWidth = paddingWidth,
                Groups = groups,
            };
        }

        /// <summary>MaxPool2D, AvgPool2D, MaxPool1D and AvgPool1D: the window, and its stride (the window by default) and padding.</summary>
        private LayerModel ReadPooling(LayerAttribute a, LayerModel layer)
        {
            int kernel = a.Arguments[0].Value is int declaredSize ? declaredSize : 0;
            int stride = NamedInt(a.Data, "Stride", 0);
            int padding = NamedInt(a.Data, "Padding", 0);
            CheckAtLeast(a, "size", kernel, 1, a.Site.Argument(0, a.Kind is LayerKind.MaxPool1D or LayerKind.AvgPool1D ? "pool" : "size"));
            CheckAtLeast(a, "stride", stride, 0, a.Named("Stride"));
            CheckAtLeast(a, "padding", padding, 0, a.Named("Padding"));

            // PyTorch refuses more: a window could then lie wholly in the padding, with no value to pool.
            if (kernel >= 1 && padding > kernel / 2)
            {
                Report(
                    DiagnosticDescriptors.PoolPaddingTooLarge,
                    a.Named("Padding"),
                    a.Property.Name,
                    a.Kind.ToString(),
                    Invariant(padding),
                    Invariant(kernel),
                    Invariant(kernel / 2));
            }

            return layer with { Kernel = kernel, Stride = stride == 0 ? kernel : stride, Padding = padding };
        }

        private LayerModel ReadAdd(LayerAttribute a, LayerModel layer)
        {
            var activation = Activation.Identity;
            CheckJoinActivation(NamedInt(a.Data, "Activation", 0), a.Property.Name, "Add", a.Site.AttributeSyntax, a.Site.Attribute, ref activation);
            return layer with { Activation = activation };
        }

        private LayerModel ReadBatchNorm(LayerAttribute a, LayerModel layer)
        {
            var activation = Activation.Identity;
            CheckJoinActivation(NamedInt(a.Data, "Activation", 0), a.Property.Name, "BatchNorm", a.Site.AttributeSyntax, a.Site.Attribute, ref activation);
            double momentum = NamedDouble(a.Data, "Momentum", 0.1);
            double epsilon = NamedDouble(a.Data, "Epsilon", 1e-5);
            if (!(momentum >= 0 && momentum <= 1))
            {
                Report(DiagnosticDescriptors.InvalidNormalization, a.Named("Momentum"), a.Property.Name, "BatchNorm", "Momentum",
                    momentum.ToString("R", CultureInfo.InvariantCulture), "it must be a fraction in [0, 1], such as 0.1");
            }

            if (!(epsilon > 0) || double.IsInfinity(epsilon))
            {
                Report(DiagnosticDescriptors.InvalidNormalization, a.Named("Epsilon"), a.Property.Name, "BatchNorm", "Epsilon",
                    epsilon.ToString("R", CultureInfo.InvariantCulture), "it must be a positive number, such as 1e-5");
            }

            return layer with { Activation = activation, Momentum = momentum, Epsilon = epsilon };
        }

        private LayerModel ReadLayerNorm(LayerAttribute a, LayerModel layer)
        {
            double epsilon = NamedDouble(a.Data, "Epsilon", 1e-5);
            if (!(epsilon > 0) || double.IsInfinity(epsilon))
            {
                Report(DiagnosticDescriptors.InvalidNormalization, a.Named("Epsilon"), a.Property.Name, "LayerNorm", "Epsilon",
                    epsilon.ToString("R", CultureInfo.InvariantCulture), "it must be a positive number, such as 1e-5");
            }

            return layer with { Epsilon = epsilon };
        }

        private LayerModel ReadDropout(LayerAttribute a, LayerModel layer)
        {
            double rate = a.Arguments[0].Value is double declaredRate ? declaredRate : double.NaN;
            if (!(rate >= 0 && rate < 1))
            {
                Report(DiagnosticDescriptors.DropoutRateOutOfRange, a.Site.Argument(0, "rate"), a.Property.Name, rate.ToString("R", CultureInfo.InvariantCulture));
            }

            return layer with { Rate = rate };
        }

        private LayerModel ReadPositionEmbedding(LayerAttribute a, LayerModel layer)
        {
            int positions = a.Arguments[0].Value is int declaredPositions ? declaredPositions : 0;
            CheckAtLeast(a, "positions", positions, 1, a.Site.Argument(0, "positions"));
            return layer with { Vocabulary = positions };
        }

        private LayerModel ReadSelfAttention(LayerAttribute a, LayerModel layer)
        {
            int heads = a.Arguments[0].Value is int declaredHeads ? declaredHeads : 0;
            CheckAtLeast(a, "heads", heads, 1, a.Site.Argument(0, "heads"));
            double rate = NamedDouble(a.Data, "Dropout", 0);
            if (!(rate >= 0 && rate < 1))
            {
                Report(DiagnosticDescriptors.AttentionDropoutOutOfRange, a.Named("Dropout"), a.Property.Name, rate.ToString("R", CultureInfo.InvariantCulture));
                rate = 0;
            }

            return layer with { Units = heads, Causal = NamedBool(a.Data, "Causal", fallback: true), Rate = rate };
        }

        private void CheckAtLeast(LayerAttribute a, string name, int value, int minimum, Location? location)
        {
            if (value < minimum)
            {
                Report(DiagnosticDescriptors.NonPositiveSize, location, a.Property.Name, a.Kind.ToString(), name, Invariant(value), Invariant(minimum));
            }
        }

        // A Conv2D size as (height, width): {prefix}Height and {prefix}Width each override one side of the square
        // value; overriding both leaves a square value the user wrote unused (TN0036).
        private (int Height, int Width) RectangularSize(
            LayerAttribute a, string prefix, string squareName, int square, Location? squareLocation, bool explicitSquare, int minimum, string fix)
        {
            bool hasHeight = HasNamed(a.Data, prefix + "Height");
            bool hasWidth = HasNamed(a.Data, prefix + "Width");
            int height = hasHeight ? NamedInt(a.Data, prefix + "Height", square) : square;
            int width = hasWidth ? NamedInt(a.Data, prefix + "Width", square) : square;
            if (hasHeight)
            {
                CheckAtLeast(a, prefix + "Height", height, minimum, a.Named(prefix + "Height"));
            }

            if (hasWidth)
            {
                CheckAtLeast(a, prefix + "Width", width, minimum, a.Named(prefix + "Width"));
            }

            if (explicitSquare && hasHeight && hasWidth)
            {
                Report(DiagnosticDescriptors.UnusedSquareSize, squareLocation ?? a.Site.Attribute, a.Property.Name, prefix, Invariant(height), Invariant(width), squareName, Invariant(square), fix);
            }

            return (height, width);
        }
    }
}
