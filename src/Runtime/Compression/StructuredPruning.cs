using System;
using System.Collections.Generic;
using System.Linq;

namespace TypedNets.Compression;

/// <summary>
/// Structured pruning: removes whole units of dense layers and whole filters of convolutions, those whose incoming
/// weights have the smallest L1 norm (Li et al. 2017, "Pruning Filters for Efficient ConvNets"), and writes the
/// smaller network: its declaration as C# source, a new <c>[Network]</c> class with the new unit and filter counts,
/// and its weights, which load into that class once it is compiled. Unlike <see cref="MagnitudePruner"/>, which zeroes
/// weights in place, the result has smaller matrices, so it computes less.
/// </summary>
/// <remarks>
/// <para>
/// Criterion: a Dense unit's score is the L1 norm of its weight row (<c>weight[j, :]</c>), a Conv2D or Conv1D filter's
/// the L1 norm of its kernel (<c>weight[j, :, ...]</c>), without the bias, as Li et al. and torch-pruning's
/// <c>MagnitudeImportance(p=1)</c>. Every layer is ranked on the weights as given, independently of the others (Li et
/// al.'s independent strategy). A layer keeps its units of largest score, in their original order; where scores tie,
/// the lower index is removed first, so the same units go on every machine.
/// </para>
/// <para>
/// Removing unit <c>j</c> removes its weight row and bias entry, the entry <c>j</c> of every BatchNorm it passes
/// through (weight, bias, running mean and variance), and its inputs to the next dense or convolutional layer: column
/// <c>j</c> of a Dense, input channel <c>j</c> of a convolution, and after a <c>[Flatten]</c> the whole block of
/// flattened positions of channel <c>j</c>. Dropout, pooling and flatten layers pass through. Such a network computes
/// exactly what the original computes with the removed units' outgoing weights set to zero.
/// </para>
/// <para>
/// A layer can be pruned when it is a Dense (not tied to an embedding) or an ungrouped Conv2D or Conv1D and its units
/// reach another such layer through pass-through layers only. The output layer (whose units are the predictions) and
/// layers whose units feed a recurrent, attention, normalisation-by-layer or embedding-tied layer cannot; naming one is
/// refused with the reason. Networks with blocks, branches or joins (<c>[Add]</c>, <c>[Concatenate]</c>,
/// <c>[From]</c>, <c>[Repeat]</c>, <c>[Residual]</c>) are refused: the declaration written is a plain stack.
/// </para>
/// </remarks>
public static class StructuredPruning
{
    /// <summary>
    /// Prunes every layer that can be pruned (<see cref="PrunableLayers"/>) to the fraction <paramref name="keep"/> of
    /// its units: <c>max(round(units * keep), 1)</c>, rounding half to even.
    /// </summary>
    /// <param name="network">The trained network; it is not changed.</param>
    /// <param name="keep">The fraction of units each layer keeps, in (0, 1]; 0.5 halves every hidden layer.</param>
    /// <param name="className">The new network's class name; by default the original's with <c>Pruned</c> appended.</param>
    /// <param name="namespace">The new class's namespace; by default the original's; <c>""</c> for the global namespace.</param>
    /// <returns>The smaller declaration, its weights and the counts before and after.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="network"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="keep"/> is not in (0, 1].</exception>
    /// <exception cref="InvalidOperationException">Another thread is training the network or loading its weights.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="network"/> is not a plain stack of layers, or has no layer that can be pruned (parameter
    /// <c>network</c>); <paramref name="className"/> or <paramref name="namespace"/> is not a C# name, or would merge
    /// with the original class.
    /// </exception>
    public static PrunedNetwork Prune(INetwork network, double keep, string? className = null, string? @namespace = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (!(keep > 0 && keep <= 1))
        {
            throw new ArgumentOutOfRangeException(
                nameof(keep), keep, "The fraction of units to keep must be in (0, 1], such as 0.5 to keep half of every layer's units.");
        }

        Analysis analysis = Analyse(network);
        var counts = new Dictionary<int, int>();
        foreach (Producer producer in analysis.Producers.Values)
        {
            counts[producer.Index] = Math.Max((int)Math.Round(producer.Units * keep, MidpointRounding.ToEven), 1);
        }

        if (counts.Count == 0)
        {
            throw new ArgumentException(
                $"{network.GetType().Name} has no layer that structured pruning can shrink: {string.Join("; ", analysis.Refusals.Select(r => $"'{r.Key}' {r.Value}"))}.",
                nameof(network));
        }

        return Build(network, analysis, counts, className, @namespace);
    }

    /// <summary>Prunes the named layers to the given numbers of units (filters for a convolution); the others are kept whole.</summary>
    /// <param name="network">The trained network; it is not changed.</param>
    /// <param name="units">The layers to prune by <c>state_dict</c> name (<see cref="Layer.Name"/>, such as <c>hidden</c>), and the units each keeps.</param>
    /// <param name="className">The new network's class name; by default the original's with <c>Pruned</c> appended.</param>
    /// <param name="namespace">The new class's namespace; by default the original's; <c>""</c> for the global namespace.</param>
    /// <returns>The smaller declaration, its weights and the counts before and after.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="network"/> or <paramref name="units"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count in <paramref name="units"/> is below 1 or above the layer's units.</exception>
    /// <exception cref="InvalidOperationException">Another thread is training the network or loading its weights.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="units"/> is empty, names no layer of the network, or names a layer that cannot be pruned (the
    /// message says why; parameter <c>units</c>); <paramref name="network"/> is not a plain stack of layers (parameter
    /// <c>network</c>); <paramref name="className"/> or <paramref name="namespace"/> is not a C# name, or would merge
    /// with the original class.
    /// </exception>
    public static PrunedNetwork Prune(INetwork network, IReadOnlyDictionary<string, int> units, string? className = null, string? @namespace = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(units);
        if (units.Count == 0)
        {
            throw new ArgumentException("Name at least one layer to prune, such as { [\"hidden\"] = 64 }.", nameof(units));
        }

        Analysis analysis = Analyse(network);
        IReadOnlyList<Layer> layers = network.Layers;
        var counts = new Dictionary<int, int>();
        foreach ((string name, int count) in units)
        {
            int index = -1;
            for (int i = 0; i < layers.Count; i++)
            {
                if (layers[i].Name == name)
                {
                    index = i;
                    break;
                }
            }

            if (index < 0)
            {
                throw new ArgumentException(
                    $"{network.GetType().Name} has no layer '{name}'; name layers by their state_dict name. Those that can be pruned: {Names(analysis)}.",
                    nameof(units));
            }

            if (!analysis.Producers.TryGetValue(index, out Producer? producer))
            {
                throw new ArgumentException($"Layer '{name}' cannot be pruned: it {analysis.Refusals[name]}. Those that can: {Names(analysis)}.", nameof(units));
            }

            if (count < 1 || count > producer.Units)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(units), count, $"Layer '{name}' has {producer.Units} {(producer.Layer is DenseLayer ? "units" : "filters")}; keep between 1 and {producer.Units} of them, not {count}.");
            }

            counts[index] = count;
        }

        return Build(network, analysis, counts, className, @namespace);
    }

    /// <summary>The layers <c>Prune</c> can shrink, in the network's order.</summary>
    /// <param name="network">The network.</param>
    /// <returns>The dense and convolutional layers whose units reach another dense or convolutional layer through pass-through layers only.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="network"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="network"/> is not a plain stack of layers.</exception>
    public static IReadOnlyList<Layer> PrunableLayers(INetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        Analysis analysis = Analyse(network);
        return [.. analysis.Producers.Keys.Order().Select(i => network.Layers[i])];
    }

    private static string Names(Analysis analysis) => analysis.Producers.Count == 0
        ? "none"
        : string.Join(", ", analysis.Producers.Values.OrderBy(p => p.Index).Select(p => $"'{p.Layer.Name}' ({p.Units})"));

    /// <summary>A layer that can be pruned, and what its units reach: per later layer, the producer's channel of each input feature.</summary>
    private sealed record Producer(int Index, Layer Layer, int Units, int Consumer, Dictionary<int, int[]> FeatureChannels);

    private sealed record Analysis(Dictionary<int, Producer> Producers, Dictionary<string, string> Refusals);

    private static Analysis Analyse(INetwork network)
    {
        IReadOnlyList<Layer> layers = network.Layers;
        CheckStack(network, layers);
        var producers = new Dictionary<int, Producer>();
        var refusals = new Dictionary<string, string>();
        for (int i = 0; i < layers.Count; i++)
        {
            string? reason = Trace(layers, i, out Producer? producer);
            if (producer is not null)
            {
                producers[i] = producer;
            }
            else
            {
                refusals[layers[i].Name] = reason!;
            }
        }

        return new Analysis(producers, refusals);
    }

    // The declaration written is a stack: each layer reads the one before. Blocks (nested names), joins and [From]
    // branches cannot be written back from the runtime's description, so they are refused here, before anything else.
    private static void CheckStack(INetwork network, IReadOnlyList<Layer> layers)
    {
        string name = network.GetType().Name;
        for (int i = 0; i < layers.Count; i++)
        {
            Layer layer = layers[i];
            if (layer.Name.Contains('.', StringComparison.Ordinal))
            {
                throw new ArgumentException(
                    $"{name} is built from blocks (layer '{layer.Name}'); structured pruning writes plain stacks of layers and cannot write a block's declaration.",
                    nameof(network));
            }

            if (layer is AddLayer or ConcatenateLayer)
            {
                throw new ArgumentException(
                    $"{name} joins branches at '{layer.Name}' ({layer.Kind}); structured pruning writes plain stacks of layers, and units feeding a join cannot be removed on one side alone.",
                    nameof(network));
            }

            if (i > 0 && !layer.InputShape.SequenceEqual(layers[i - 1].OutputShape))
            {
                throw new ArgumentException(
                    $"{name}'s layer '{layer.Name}' does not read '{layers[i - 1].Name}' (a [From] branch); structured pruning writes plain stacks of layers.",
                    nameof(network));
            }
        }
    }

    // Follows unit j of layer `index` to the next layer that mixes units (the consumer), recording for every layer on
    // the way which producer channel each of its input features carries. Returns why the layer cannot be pruned, or
    // null with the producer.
    private static string? Trace(IReadOnlyList<Layer> layers, int index, out Producer? producer)
    {
        producer = null;
        Layer layer = layers[index];
        int[] output = layer.OutputShape.ToArray();
        int channelAxis;
        int units;
        switch (layer)
        {
            case DenseLayer { TiedTo: not null } dense:
                return $"shares its weight with '{dense.TiedTo.Name}' (TiedTo), whose rows are the embedding's";
            case DenseLayer dense:
                channelAxis = output.Length - 1;
                units = dense.Units;
                break;
            case Conv2DLayer { Groups: not 1 } conv:
                return $"is a grouped convolution (Groups = {conv.Groups}), whose filters are tied to their groups";
            case Conv2DLayer conv:
                channelAxis = 0;
                units = conv.Weight.Shape[0];
                break;
            case Conv1DLayer { Groups: not 1 } conv:
                return $"is a grouped convolution (Groups = {conv.Groups}), whose filters are tied to their groups";
            case Conv1DLayer conv:
                channelAxis = output.Length - 1;
                units = conv.Filters;
                break;
            default:
                return $"is {layer.Kind}, which has no units or filters to remove; only Dense, Conv1D and Conv2D layers have";
        }

        int[] channels = Expand(output, channelAxis);
        var features = new Dictionary<int, int[]>();
        for (int k = index + 1; k < layers.Count; k++)
        {
            Layer next = layers[k];
            int[] input = next.InputShape.ToArray();
            int[] nextOutput = next.OutputShape.ToArray();
            switch (next)
            {
                case DropoutLayer or FlattenLayer:
                    continue;
                case BatchNormLayer:
                {
                    int[]? perFeature = PerFeature(channels, input, input.Length == 2 ? 1 : 0);
                    if (perFeature is null)
                    {
                        return $"feeds '{next.Name}' (BatchNorm), which normalises along another axis than its units";
                    }

                    features[k] = perFeature;
                    continue;
                }

                case Pool2DLayer or GlobalAveragePooling2DLayer or Pool1DLayer or GlobalAveragePooling1DLayer or GlobalMaxPooling1DLayer:
                {
                    // Pooling works channel by channel (feature by feature over steps): the channel axis survives it.
                    int axis = next is Pool2DLayer or GlobalAveragePooling2DLayer ? 0 : 1;
                    int[]? perFeature = PerFeature(channels, input, axis);
                    if (perFeature is null)
                    {
                        return $"feeds '{next.Name}' ({next.Kind}), which pools along its units";
                    }

                    int outputAxis = nextOutput.Length == input.Length ? axis : 0;
                    channels = Expand(nextOutput, outputAxis, perFeature);
                    continue;
                }

                case DenseLayer { TiedTo: not null } tied:
                    return $"feeds '{tied.Name}', whose weight is '{tied.TiedTo.Name}''s table (TiedTo), which cannot lose columns";
                case DenseLayer or Conv2DLayer { Groups: 1 } or Conv1DLayer { Groups: 1 }:
                {
                    int axis = next is Conv2DLayer ? 0 : input.Length - 1;
                    int[]? perFeature = PerFeature(channels, input, axis);
                    if (perFeature is null)
                    {
                        return $"feeds '{next.Name}' ({next.Kind}) along another axis than its units";
                    }

                    features[k] = perFeature;
                    producer = new Producer(index, layer, units, k, features);
                    return null;
                }

                case Conv2DLayer or Conv1DLayer:
                    return $"feeds '{next.Name}', a grouped convolution, whose input channels are tied to their groups";
                default:
                    return $"feeds '{next.Name}' ({next.Kind}), which structured pruning cannot shrink with it";
            }
        }

        return index == layers.Count - 1
            ? "is the output layer: its units are the network's predictions"
            : "feeds the network's output: its units are the network's predictions";
    }

    // The channel of every element of a row-major tensor of `shape` whose channels run along `axis` (the identity,
    // or `perChannel` to relabel them).
    private static int[] Expand(int[] shape, int axis, int[]? perChannel = null)
    {
        int inner = 1;
        for (int d = axis + 1; d < shape.Length; d++)
        {
            inner *= shape[d];
        }

        int total = shape.Aggregate(1, (a, b) => a * b);
        int[] channels = new int[total];
        for (int i = 0; i < total; i++)
        {
            int c = i / inner % shape[axis];
            channels[i] = perChannel is null ? c : perChannel[c];
        }

        return channels;
    }

    // The producer channel of each index along `axis`, or null when the elements at one index carry different
    // channels (the units do not run along that axis).
    private static int[]? PerFeature(int[] channels, int[] shape, int axis)
    {
        if (axis >= shape.Length)
        {
            return null;
        }

        int inner = 1;
        for (int d = axis + 1; d < shape.Length; d++)
        {
            inner *= shape[d];
        }

        int[] perFeature = new int[shape[axis]];
        perFeature.AsSpan().Fill(-1);
        for (int i = 0; i < channels.Length; i++)
        {
            int f = i / inner % shape[axis];
            if (perFeature[f] < 0)
            {
                perFeature[f] = channels[i];
            }
            else if (perFeature[f] != channels[i])
            {
                return null;
            }
        }

        return perFeature;
    }

    private static PrunedNetwork Build(INetwork network, Analysis analysis, Dictionary<int, int> counts, string? className, string? @namespace)
    {
        Type type = network.GetType();
        string name = className ?? type.Name + "Pruned";
        string? space = @namespace ?? type.Namespace;
        CheckNames(type, name, space, className is null ? null : nameof(className), nameof(@namespace));

        IReadOnlyList<Layer> layers = network.Layers;

        // The weights are read as a save reads them: beside predictions, but not while another thread trains.
        using NetworkAccess.SharedScope reading = network.Access.Shared("StructuredPruning.Prune");
        var tensors = new List<WorkingTensor>();
        var byName = new Dictionary<string, WorkingTensor>();
        foreach (Layer layer in layers)
        {
            foreach (ParameterTensor p in layer.Parameters)
            {
                Add(new WorkingTensor(p.Name, p.Shape.ToArray(), p.Values.ToArray()));
            }

            foreach (BufferTensor b in layer.Buffers)
            {
                Add(new WorkingTensor(b.Name, b.Shape.ToArray(), b.Values.ToArray()));
            }
        }

        var pruned = new List<PrunedLayer>();
        var newUnits = new Dictionary<int, int>();
        foreach ((int index, int count) in counts.OrderBy(c => c.Key))
        {
            Producer producer = analysis.Producers[index];
            int[] kept = KeepLargest(IncomingL1(producer.Layer), count);
            var keptSet = new HashSet<int>(kept);
            newUnits[index] = count;
            pruned.Add(new PrunedLayer(producer.Layer.Name, producer.Layer.Kind, producer.Units, kept));

            // The producer's rows (filters) and bias entries.
            foreach (ParameterTensor p in producer.Layer.Parameters)
            {
                byName[p.Name].Keep(axis: 0, i => keptSet.Contains(i));
            }

            foreach ((int k, int[] perFeature) in producer.FeatureChannels)
            {
                Layer next = layers[k];
                Func<int, bool> keepFeature = f => keptSet.Contains(perFeature[f]);
                if (k == producer.Consumer)
                {
                    // The consumer's weight loses the inputs the removed units fed: Dense columns (axis 1 of
                    // [units, inputs]) or convolution input channels (axis 1 of [filters, channels, ...]).
                    ParameterTensor weight = next switch
                    {
                        DenseLayer dense => dense.Weight,
                        Conv2DLayer conv => conv.Weight,
                        Conv1DLayer conv => conv.Weight,
                        _ => throw new InvalidOperationException($"'{next.Name}' is no consumer."),
                    };
                    byName[weight.Name].Keep(axis: 1, keepFeature);
                }
                else
                {
                    foreach (ParameterTensor p in next.Parameters)
                    {
                        byName[p.Name].Keep(axis: 0, keepFeature);
                    }

                    foreach (BufferTensor b in next.Buffers)
                    {
                        byName[b.Name].Keep(axis: 0, keepFeature);
                    }
                }
            }
        }

        string source = DeclarationWriter.Write(network, name, space, newUnits, pruned);
        return new PrunedNetwork(
            name, space, source,
            [.. tensors.Select(t => new PrunedTensor(t.Name, t.Shape, t.Values))],
            pruned,
            parametersBefore: layers.Sum(l => l.Parameters.Sum(p => (long)p.Length)),
            parametersAfter: layers.Sum(l => l.Parameters.Sum(p => (long)byName[p.Name].Values.Length)),
            flopsBefore: Flops(layers, pruned: null),
            flopsAfter: Flops(layers, byName),
            originalName: type.Name);

        void Add(WorkingTensor tensor)
        {
            tensors.Add(tensor);
            byName[tensor.Name] = tensor;
        }
    }

    // FLOPs of one sample: two per multiply-add of the dense, convolutional and recurrent kernels (the weights times
    // the positions they are applied at); elementwise work (activations, normalisation, pooling) is not counted.
    private static long Flops(IReadOnlyList<Layer> layers, Dictionary<string, WorkingTensor>? pruned)
    {
        long flops = 0;
        foreach (Layer layer in layers)
        {
            int outputSize = 1;
            foreach (int d in layer.OutputShape)
            {
                outputSize *= d;
            }

            int Length(ParameterTensor p) => pruned is not null && pruned.TryGetValue(p.Name, out WorkingTensor? t) ? t.Values.Length : p.Length;
            switch (layer)
            {
                case DenseLayer dense:
                    flops += 2L * Length(dense.Weight) * (outputSize / dense.Units);
                    break;
                case Conv2DLayer conv:
                    flops += 2L * Length(conv.Weight) * (outputSize / conv.Weight.Shape[0]);
                    break;
                case Conv1DLayer conv:
                    flops += 2L * Length(conv.Weight) * (outputSize / conv.Filters);
                    break;
                case RecurrentLayer recurrent:
                    // Four tensors per layer and direction (weight_ih, weight_hh, bias_ih, bias_hh), at every step.
                    flops += 2L * recurrent.Parameters.Where((_, i) => i % 4 < 2).Sum(p => (long)p.Length) * layer.InputShape[0];
                    break;
            }
        }

        return flops;
    }

    // Li et al.'s criterion: the L1 norm of each unit's (filter's) incoming weights, its row of [units, ...]; no bias.
    private static double[] IncomingL1(Layer layer)
    {
        ParameterTensor weight = layer switch
        {
            DenseLayer dense => dense.Weight,
            Conv2DLayer conv => conv.Weight,
            Conv1DLayer conv => conv.Weight,
            _ => throw new InvalidOperationException($"'{layer.Name}' has no units."),
        };
        int units = weight.Shape[0];
        int row = weight.Length / units;
        ReadOnlySpan<float> values = weight.Values;
        double[] norms = new double[units];
        for (int j = 0; j < units; j++)
        {
            double sum = 0;
            foreach (float w in values.Slice(j * row, row))
            {
                sum += Math.Abs(w);
            }

            norms[j] = sum;
        }

        return norms;
    }

    // The `count` units of largest norm, in ascending index order; ties remove the lower index first (as MagnitudePruner).
    private static int[] KeepLargest(double[] norms, int count)
    {
        int[] order = Enumerable.Range(0, norms.Length).ToArray();
        Array.Sort(order, (a, b) =>
        {
            int byNorm = norms[a].CompareTo(norms[b]);
            return byNorm != 0 ? byNorm : a.CompareTo(b);
        });

        int[] kept = order[^count..];
        Array.Sort(kept);
        return kept;
    }

    private static void CheckNames(Type type, string name, string? space, string? classParameter, string namespaceParameter)
    {
        if (!IsIdentifier(name))
        {
            throw new ArgumentException($"'{name}' is not a C# class name; use letters, digits and underscores, not starting with a digit.", classParameter ?? "className");
        }

        if (!string.IsNullOrEmpty(space) && !space.Split('.').All(IsIdentifier))
        {
            throw new ArgumentException($"'{space}' is not a C# namespace; use dotted names such as 'MyApp.Models', or \"\" for the global namespace.", namespaceParameter);
        }

        if (name == type.Name && (space ?? "") == (type.Namespace ?? "") && type.DeclaringType is null)
        {
            throw new ArgumentException(
                $"A class '{name}' in namespace '{space}' would merge with the original {type.Name}; choose another class name or namespace.",
                classParameter ?? namespaceParameter);
        }
    }

    private static bool IsIdentifier(string name)
        => name.Length > 0
            && (char.IsLetter(name[0]) || name[0] == '_')
            && name.All(c => char.IsLetterOrDigit(c) || c == '_')
            && !DeclarationWriter.Keywords.Contains(name);

    /// <summary>A tensor being cut down: its shape and values, row-major.</summary>
    private sealed record WorkingTensor(string Name, int[] Shape, float[] Values)
    {
        public float[] Values { get; private set; } = Values;

        /// <summary>Keeps the indices along <paramref name="axis"/> that <paramref name="keep"/> accepts, in order.</summary>
        public void Keep(int axis, Func<int, bool> keep)
        {
            int[] kept = [.. Enumerable.Range(0, Shape[axis]).Where(keep)];
            int outer = 1;
            for (int d = 0; d < axis; d++)
            {
                outer *= Shape[d];
            }

            int inner = 1;
            for (int d = axis + 1; d < Shape.Length; d++)
            {
                inner *= Shape[d];
            }

            float[] values = new float[outer * kept.Length * inner];
            for (int o = 0; o < outer; o++)
            {
                for (int k = 0; k < kept.Length; k++)
                {
                    Array.Copy(Values, ((o * Shape[axis]) + kept[k]) * inner, values, ((o * kept.Length) + k) * inner, inner);
                }
            }

            Shape[axis] = kept.Length;
            Values = values;
        }
    }
}
