using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Google.Protobuf;
using TypedNets.Compression;
using global::Onnx;

namespace TypedNets.Onnx;

/// <summary>
/// Builds the ONNX graph of one network by walking its layers in order, each reading the tensors of the modules its
/// <see cref="Layer.Sources"/> name (<c>input</c> for the graph's input). Every tensor carries a leading batch
/// dimension; the builder tracks the per-sample shape of the current tensor, which may differ from the layer's declared
/// shape where ONNX needs another layout (a one-channel image gains its channel axis), and reshapes back to the
/// declared shape at the end of each layer, so that a layer that reads several others finds them all as declared.
/// </summary>
internal sealed partial class OnnxGraphBuilder
{
    private const string BatchDimension = "batch";
    private const string InputName = "input";
    private const string OutputName = "output";

    private readonly GraphProto _graph = new() { Name = string.Empty };
    private readonly HashSet<string> _initializers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>What each module produced: its tensor, its per-sample ONNX shape and the padding mask that reaches past it.</summary>
    private readonly Dictionary<string, ModuleValue> _modules = new(StringComparer.Ordinal);
    private string _current = InputName;
    private int[] _shape = [];

    /// <summary>
    /// The padding mask reaching the current layer's input (bool <c>[batch, steps]</c>, true for a real step), or
    /// <see langword="null"/>: it starts at an Embedding with MaskZero and follows the time axis as the generator's
    /// planner has it (LayerRule.PassesMask): through per-step Dense, Dropout, LayerNorm, BatchNorm,
    /// PositionEmbedding and recurrent layers that return sequences.
    /// </summary>
    private string? _mask;

    private OnnxGraphBuilder()
    {
    }

    public static ModelProto Build(INetwork network)
    {
        IReadOnlyList<Layer> layers = network.Layers;
        string networkName = network.Core.Name;
        if (layers.Count == 0)
        {
            throw new NotSupportedException($"Network '{networkName}' has no layers; there is nothing to export.");
        }

        var builder = new OnnxGraphBuilder();
        builder._graph.Name = networkName;
        builder.ReadInt8(network);
        builder.Refuse(network, layers);
        bool tokens = network.Core.TokenInput;
        int[] inputShape = layers[0].InputShape.ToArray();
        builder._graph.Input.Add(ValueInfo(InputName, tokens ? TensorProto.Types.DataType.Int64 : TensorProto.Types.DataType.Float, inputShape));
        builder._names.Add(InputName);
        builder._modules[InputName] = new ModuleValue(InputName, inputShape, null);
        string previous = InputName;
        foreach (Layer layer in layers)
        {
            builder.Read(layer, layer.Sources.Count == 0 ? previous : layer.Sources[0], networkName);
            builder.Emit(layer, networkName);
            builder.ReshapeTo(layer.OutputShape.ToArray(), layer.Name);
            builder._modules[layer.Name] = new ModuleValue(builder._current, builder._shape, PassesMask(layer) ? builder._mask : null);
            previous = layer.Name;
        }

        // The network's output is its last layer's, as Predict returns it.
        builder.Node("Identity", [builder._current], [OutputName], "output");
        builder._graph.Output.Add(ValueInfo(OutputName, TensorProto.Types.DataType.Float, builder._shape));

        var model = new ModelProto
        {
            IrVersion = Onnx.IrVersion,
            ProducerName = "TypedNets",
            ProducerVersion = typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString() ?? "0",
            Graph = builder._graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Onnx.Opset });
        return model;
    }

    /// <summary>Refuses, before anything is built, the networks the exporter does not cover.</summary>
    private void Refuse(INetwork network, IReadOnlyList<Layer> layers)
    {
        string networkName = network.Core.Name;
        foreach (Layer layer in layers)
        {
            switch (layer)
            {
                case DenseLayer:
                case DropoutLayer:
                case FlattenLayer:
                case Conv2DLayer:
                case Pool2DLayer:
                case GlobalAveragePooling2DLayer:
                case BatchNormLayer:
                case LayerNormLayer:
                case GlobalAveragePooling1DLayer:
                case GlobalMaxPooling1DLayer:
                case Conv1DLayer:
                case Pool1DLayer:
                case PositionEmbeddingLayer:
                case LstmLayer:
                case GruLayer:
                case SelfAttentionLayer:
                case EmbeddingLayer:
                case AddLayer:
                case ConcatenateLayer:
                    break;
                default:
                    throw new NotSupportedException(
                        $"Layer '{layer.Name}' of network '{networkName}' is a {layer.Kind} layer, which the ONNX export does not cover yet. " +
                        "Covered: Dense, Dropout, Flatten, Conv2D, MaxPool2D, AvgPool2D, GlobalAveragePooling2D, BatchNorm, LayerNorm, Embedding, " +
                        "GlobalAveragePooling1D, GlobalMaxPooling1D, Conv1D, MaxPool1D, AvgPool1D, PositionEmbedding, LSTM, GRU, SelfAttention, Add, Concatenate.");
            }
        }
    }

    /// <summary>Makes the module <paramref name="source"/>'s output the current tensor, with the mask that reaches past it.</summary>
    private void Read(Layer layer, string source, string networkName)
    {
        ModuleValue value = Module(layer, source, networkName);
        _current = value.Tensor;
        _shape = value.Shape;
        _mask = value.Mask;
    }

    private ModuleValue Module(Layer layer, string source, string networkName) =>
        _modules.TryGetValue(source, out ModuleValue? value)
            ? value
            : throw new NotSupportedException(
                $"Layer '{layer.Name}' of network '{networkName}' reads '{source}', which no layer before it produces; the ONNX export walks the layers in order, " +
                "each reading modules declared before it, as the generated network runs them.");

    /// <summary>Whether the padding mask that reaches a layer's input reaches past it, as the generator's LayerRule.PassesMask.</summary>
    private static bool PassesMask(Layer layer) => layer switch
    {
        EmbeddingLayer embedding => embedding.MaskZero,
        DenseLayer or DropoutLayer or LayerNormLayer or BatchNormLayer => layer.OutputShape.Length == 2,
        PositionEmbeddingLayer => true,
        RecurrentLayer recurrent => recurrent.ReturnSequences,
        _ => false,
    };

    /// <summary>The sum of two modules' outputs, both as declared, then the activation.</summary>
    private void EmitAdd(AddLayer add, string networkName)
    {
        string[] terms = add.Sources.Select(source => Module(add, source, networkName).Tensor).ToArray();
        _current = Node("Add", terms, [Fresh(add.Name + "/add")], add.Name);
        _shape = add.OutputShape.ToArray();
        EmitActivation(add.Activation, add.Name);
    }

    /// <summary>
    /// Modules' outputs side by side, as the runtime's ConcatenateKernel: an image's channels (declared
    /// <c>[channels, height, width]</c>), otherwise the last axis (a vector's or a sequence's features).
    /// </summary>
    private void EmitConcatenate(ConcatenateLayer concatenate, string networkName)
    {
        string[] parts = concatenate.Sources.Select(source => Module(concatenate, source, networkName).Tensor).ToArray();
        int[] declared = concatenate.OutputShape.ToArray();
        int axis = declared.Length == 3 ? 1 : declared.Length;
        _current = Node("Concat", parts, [Fresh(concatenate.Name + "/concat")], concatenate.Name, Int("axis", axis));
        _shape = declared;
    }

    private void Emit(Layer layer, string networkName)
    {
        switch (layer)
        {
            case AddLayer add:
                EmitAdd(add, networkName);
                break;
            case ConcatenateLayer concatenate:
                EmitConcatenate(concatenate, networkName);
                break;
            case DenseLayer dense:
                EmitDense(dense);
                break;
            case DropoutLayer:
                // Inference: dropout is the identity, as torch.onnx.export in eval mode leaves it out.
                break;
            case FlattenLayer flatten:
                _current = Node("Flatten", [_current], [Fresh(flatten.Name + "/flatten")], flatten.Name, Int("axis", 1));
                _shape = [_shape.Aggregate(1, (a, b) => a * b)];
                break;
            case Conv2DLayer conv:
                EmitConv2D(conv);
                break;
            case Pool2DLayer pool:
                EmitPool2D(pool);
                break;
            case GlobalAveragePooling2DLayer global:
                AddChannelAxisToImage(global.Name);
                _current = Node("GlobalAveragePool", [_current], [Fresh(global.Name + "/pool")], global.Name);
                _current = Node("Flatten", [_current], [Fresh(global.Name + "/flatten")], global.Name, Int("axis", 1));
                _shape = [_shape[0]];
                break;
            case BatchNormLayer norm:
                EmitBatchNorm(norm);
                break;
            case LayerNormLayer norm:
                _current = Node(
                    "LayerNormalization",
                    [_current, Initializer(norm.Weight), Initializer(norm.Bias)],
                    [Fresh(norm.Name + "/layer_norm")],
                    norm.Name,
                    Int("axis", -1),
                    Float("epsilon", (float)norm.Epsilon));
                break;
            case EmbeddingLayer embedding:
            {
                string tokens = _current;
                _current = Node("Gather", [Initializer(embedding.Weight), tokens], [Fresh(embedding.Name + "/gather")], embedding.Name, Int("axis", 0));
                _shape = [.. _shape, embedding.Dimension];
                if (embedding.MaskZero)
                {
                    _mask = PaddingMask(tokens, embedding.Name);
                }

                break;
            }

            case GlobalAveragePooling1DLayer average when _mask is not null:
                EmitMaskedAverage(average.Name, _mask);
                break;
            case GlobalMaxPooling1DLayer max when _mask is not null:
                EmitMaskedMax(max.Name, _mask);
                break;
            case RecurrentLayer recurrent when _mask is not null || IsInt8(recurrent):
                EmitUnrolledRecurrent(recurrent, _mask);
                break;
            case GlobalAveragePooling1DLayer average:
                _current = Node("ReduceMean", [_current], [Fresh(average.Name + "/mean")], average.Name, Ints("axes", 1), Int("keepdims", 0));
                _shape = [_shape[1]];
                break;
            case GlobalMaxPooling1DLayer max:
                _current = Node("ReduceMax", [_current], [Fresh(max.Name + "/max")], max.Name, Ints("axes", 1), Int("keepdims", 0));
                _shape = [_shape[1]];
                break;
            case Conv1DLayer conv:
                EmitConv1D(conv);
                break;
            case Pool1DLayer pool:
                EmitPool1D(pool);
                break;
            case PositionEmbeddingLayer positions:
            {
                string rows = Node(
                    "Slice",
                    [Initializer(positions.Weight), ConstantInts(positions.Name + "/start", 0), ConstantInts(positions.Name + "/end", _shape[0]), ConstantInts(positions.Name + "/axis", 0)],
                    [Fresh(positions.Name + "/rows")],
                    positions.Name);
                _current = Node("Add", [_current, rows], [Fresh(positions.Name + "/add")], positions.Name);
                break;
            }

            case RecurrentLayer recurrent:
                EmitRecurrent(recurrent);
                break;
            case SelfAttentionLayer attention:
                EmitSelfAttention(attention);
                break;
            default:
                throw new NotSupportedException($"Layer '{layer.Name}' is a {layer.Kind} layer, which the ONNX export does not cover yet.");
        }
    }

    private void EmitConv1D(Conv1DLayer conv)
    {
        // Keras' Conv1D on [steps, features] is nn.Conv1d on the transposed [features, steps].
        string channels = Node("Transpose", [_current], [Fresh(conv.Name + "/to_channels")], conv.Name, Ints("perm", 0, 2, 1));
        List<string> inputs = [channels, Initializer(conv.Weight)];
        if (conv.Bias is not null)
        {
            inputs.Add(Initializer(conv.Bias));
        }

        string output = Node(
            "Conv",
            [.. inputs],
            [Fresh(conv.Name + "/conv")],
            conv.Name,
            Ints("kernel_shape", conv.Kernel),
            Ints("strides", conv.Stride),
            Ints("pads", conv.Padding, conv.Padding),
            Ints("dilations", conv.Dilation),
            Int("group", conv.Groups));
        _current = Node("Transpose", [output], [Fresh(conv.Name + "/to_steps")], conv.Name, Ints("perm", 0, 2, 1));
        _shape = conv.OutputShape.ToArray();
        EmitActivation(conv.Activation, conv.Name);
    }

    private void EmitPool1D(Pool1DLayer pool)
    {
        bool max = pool.Kind.StartsWith("Max", StringComparison.Ordinal);
        string channels = Node("Transpose", [_current], [Fresh(pool.Name + "/to_channels")], pool.Name, Ints("perm", 0, 2, 1));
        AttributeProto[] attributes = [Ints("kernel_shape", pool.Size), Ints("strides", pool.Stride), Ints("pads", pool.Padding, pool.Padding)];
        if (!max)
        {
            // Padded zeros are counted, as TypedNets and PyTorch's count_include_pad=True.
            attributes = [.. attributes, Int("count_include_pad", 1)];
        }

        string output = Node(max ? "MaxPool" : "AveragePool", [channels], [Fresh(pool.Name + "/pool")], pool.Name, attributes);
        _current = Node("Transpose", [output], [Fresh(pool.Name + "/to_steps")], pool.Name, Ints("perm", 0, 2, 1));
        _shape = pool.OutputShape.ToArray();
    }

    /// <summary>
    /// nn.LSTM / nn.GRU (batch_first) as ONNX's LSTM / GRU operators, one per stacked layer, both directions in one
    /// operator. The initializers keep PyTorch's tensors and gate order; the graph reorders the gates into ONNX's
    /// (PyTorch's LSTM i, f, g, o is ONNX's i, o, f, c; its GRU r, z, n is ONNX's z, r, h) and GRU runs with
    /// linear_before_reset = 1, PyTorch's reset gate on W_hn h + b_hn.
    /// </summary>
    private void EmitRecurrent(RecurrentLayer recurrent)
    {
        bool lstm = recurrent is LstmLayer;
        int directions = recurrent.Bidirectional ? 2 : 1;
        int units = recurrent.Units;
        string name = recurrent.Name;

        // ONNX Runtime's recurrent kernels take [steps, batch, features] (layout = 0).
        string sequence = Node("Transpose", [_current], [Fresh(name + "/time_major")], name, Ints("perm", 1, 0, 2));
        string lastState = string.Empty;
        for (int layer = 0; layer < recurrent.NumLayers; layer++)
        {
            var w = new List<string>();
            var r = new List<string>();
            var b = new List<string>();
            for (int direction = 0; direction < directions; direction++)
            {
                (string wd, string rd, string bd) = DirectionWeights(recurrent, layer, direction);
                w.Add(wd);
                r.Add(rd);
                b.Add(bd);
            }

            string Stack(List<string> parts, string what) =>
                parts.Count == 1 ? parts[0] : Node("Concat", [.. parts], [Fresh(name + "/" + what)], name, Int("axis", 0));

            AttributeProto[] attributes = RecurrentAttributes(recurrent, recurrent.Bidirectional ? "bidirectional" : "forward");

            string index = layer.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string y = Fresh(name + "/y" + index);
            string yH = Fresh(name + "/y_h" + index);

            // Inter-layer dropout is a training-time option: inference passes the states on whole.
            Node(lstm ? "LSTM" : "GRU", [sequence, Stack(w, "w"), Stack(r, "r"), Stack(b, "b")], [y, yH], name, attributes);

            // Y is [steps, directions, batch, units]; the next layer reads [steps, batch, directions * units].
            string stepsFirst = Node("Transpose", [y], [Fresh(name + "/y_steps")], name, Ints("perm", 0, 2, 1, 3));
            sequence = Node("Reshape", [stepsFirst, ConstantInts(name + "/sequence_shape", 0, 0, directions * units)], [Fresh(name + "/sequence")], name);
            lastState = yH;
        }

        if (recurrent.ReturnSequences)
        {
            _current = Node("Transpose", [sequence], [Fresh(name + "/batch_major")], name, Ints("perm", 1, 0, 2));
            _shape = [_shape[0], directions * units];
        }
        else
        {
            // Y_h [directions, batch, units] is PyTorch's h_n of the last layer: the forward state after the last
            // step, the reverse one after the first.
            string batchFirst = Node("Transpose", [lastState], [Fresh(name + "/h_batch")], name, Ints("perm", 1, 0, 2));
            _current = Node("Reshape", [batchFirst, ConstantInts(name + "/state_shape", 0, directions * units)], [Fresh(name + "/state")], name);
            _shape = [directions * units];
        }
    }

    /// <summary>
    /// GPT-2's attention on the fused projection [steps, 3 width] (query, key, value side by side, the heads side by
    /// side within each), spelt out in opset-17 operators: softmax(Q Kᵀ / sqrt(head width) + causal mask) V. The steps
    /// are fixed by the declaration, so the causal mask is a constant.
    /// </summary>
    private void EmitSelfAttention(SelfAttentionLayer attention)
    {
        string name = attention.Name;
        int steps = _shape[0];
        int width = _shape[1] / 3;
        int heads = attention.Heads;
        int headWidth = width / heads;
        string q = Fresh(name + "/q");
        string k = Fresh(name + "/k");
        string v = Fresh(name + "/v");
        Node("Split", [_current], [q, k, v], name, Int("axis", 2));

        // [batch, steps, width] to [batch, heads, steps, head width] (the key to [batch, heads, head width, steps]).
        string Heads(string x, string what, params long[] perm)
        {
            string split = Node("Reshape", [x, ConstantInts(name + "/heads_shape", 0, 0, heads, headWidth)], [Fresh(name + "/" + what + "_heads")], name);
            return Node("Transpose", [split], [Fresh(name + "/" + what + "_by_head")], name, Ints("perm", perm));
        }

        string query = Heads(q, "q", 0, 2, 1, 3);
        string keyT = Heads(k, "k", 0, 2, 3, 1);
        string value = Heads(v, "v", 0, 2, 1, 3);
        string scores = Node("MatMul", [query, keyT], [Fresh(name + "/scores")], name);
        scores = Node("Mul", [scores, Constant(name + "/scale", 1 / MathF.Sqrt(headWidth))], [Fresh(name + "/scaled")], name);
        if (attention.Causal)
        {
            float[] mask = new float[steps * steps];
            for (int i = 0; i < steps; i++)
            {
                for (int j = i + 1; j < steps; j++)
                {
                    mask[(i * steps) + j] = float.NegativeInfinity;
                }
            }

            string maskName = Fresh(name + "/causal_mask");
            Node("Constant", [], [maskName], name, new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = FloatTensor(string.Empty, [steps, steps], mask) });
            scores = Node("Add", [scores, maskName], [Fresh(name + "/masked")], name);
        }

        string weights = Node("Softmax", [scores], [Fresh(name + "/weights")], name, Int("axis", -1));
        string context = Node("MatMul", [weights, value], [Fresh(name + "/context")], name);
        string stepsFirst = Node("Transpose", [context], [Fresh(name + "/context_steps")], name, Ints("perm", 0, 2, 1, 3));
        _current = Node("Reshape", [stepsFirst, ConstantInts(name + "/width_shape", 0, 0, width)], [Fresh(name + "/attention")], name);
        _shape = [steps, width];
    }

    /// <summary>
    /// One direction's W, R and B of one stacked layer in ONNX's layout (<c>[1, gates * units, ...]</c>): the
    /// state_dict tensors, their gates reordered into ONNX's order, the two biases side by side.
    /// </summary>
    private (string W, string R, string B) DirectionWeights(RecurrentLayer recurrent, int layer, int direction)
    {
        int[] order = recurrent is LstmLayer ? [0, 3, 1, 2] : [1, 0, 2];
        string name = recurrent.Name;
        RecurrentWeights weights = recurrent.Weights(layer, reverse: direction == 1);
        string w = Unsqueeze0(Reorder(Initializer(weights.WeightIh), order, name), name);
        string r = Unsqueeze0(Reorder(Initializer(weights.WeightHh), order, name), name);
        string biases = Node(
            "Concat",
            [Reorder(Initializer(weights.BiasIh), order, name), Reorder(Initializer(weights.BiasHh), order, name)],
            [Fresh(name + "/bias")],
            name,
            Int("axis", 0));
        return (w, r, Unsqueeze0(biases, name));
    }

    /// <summary>The ONNX attributes of one recurrent operator: its width, its direction, PyTorch's GRU reset.</summary>
    private static AttributeProto[] RecurrentAttributes(RecurrentLayer recurrent, string direction)
    {
        AttributeProto[] attributes =
        [
            Int("hidden_size", recurrent.Units),
            new AttributeProto { Name = "direction", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(direction) },
        ];
        return recurrent is LstmLayer ? attributes : [.. attributes, Int("linear_before_reset", 1)];
    }

    /// <summary>The gate blocks of a PyTorch recurrent tensor (first axis) in ONNX's order.</summary>
    private string Reorder(string tensor, int[] order, string layer)
    {
        string[] gates = order.Select((_, i) => Fresh(tensor + "/gate" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        Node("Split", [tensor], gates, layer, Int("axis", 0));
        return Node("Concat", [.. order.Select(i => gates[i])], [Fresh(tensor + "/onnx_gates")], layer, Int("axis", 0));
    }

    private string Unsqueeze0(string tensor, string layer) =>
        Node("Unsqueeze", [tensor, ConstantInts(layer + "/axis0", 0)], [Fresh(tensor + "/direction")], layer);

    private void EmitDense(DenseLayer dense)
    {
        if (TryEmitInt8Dense(dense))
        {
            EmitActivation(dense.Activation, dense.Name);
            return;
        }

        string weight = Initializer(dense.Weight);
        string? bias = dense.Bias is null ? null : Initializer(dense.Bias);
        string output = Fresh(dense.Name + "/linear");
        if (_shape.Length == 1)
        {
            // nn.Linear's y = x Wᵀ + b on [batch, inputs], as torch.onnx.export writes it.
            _current = Node("Gemm", bias is null ? [_current, weight] : [_current, weight, bias], [output], dense.Name, Int("transB", 1));
        }
        else
        {
            // On a sequence the product runs over the last axis; Gemm takes matrices only, so MatMul with the
            // transposed weight (the initializer keeps its state_dict layout and name).
            string transposed = Node("Transpose", [weight], [Fresh(dense.Name + "/weight_t")], dense.Name, Ints("perm", 1, 0));
            string product = bias is null ? output : Fresh(dense.Name + "/matmul");
            Node("MatMul", [_current, transposed], [product], dense.Name);
            if (bias is not null)
            {
                Node("Add", [product, bias], [output], dense.Name);
            }

            _current = output;
        }

        _shape = [.. _shape[..^1], dense.Units];
        EmitActivation(dense.Activation, dense.Name);
    }

    private void EmitConv2D(Conv2DLayer conv)
    {
        AddChannelAxisToImage(conv.Name);
        if (TryEmitInt8Conv2D(conv))
        {
            EmitActivation(conv.Activation, conv.Name);
            return;
        }

        string weight = Initializer(conv.Weight);
        List<string> inputs = [_current, weight];
        if (conv.Bias is not null)
        {
            inputs.Add(Initializer(conv.Bias));
        }

        _current = Node(
            "Conv",
            [.. inputs],
            [Fresh(conv.Name + "/conv")],
            conv.Name,
            Ints("kernel_shape", conv.KernelHeight, conv.KernelWidth),
            Ints("strides", conv.Stride, conv.StrideWidth),
            Ints("pads", conv.Padding, conv.PaddingWidth, conv.Padding, conv.PaddingWidth),
            Ints("dilations", conv.Dilation, conv.Dilation),
            Int("group", conv.Groups));
        _shape = conv.OutputShape.ToArray();
        EmitActivation(conv.Activation, conv.Name);
    }

    private void EmitPool2D(Pool2DLayer pool)
    {
        AddChannelAxisToImage(pool.Name);
        bool max = pool.Kind.StartsWith("Max", StringComparison.Ordinal);
        AttributeProto[] attributes =
        [
            Ints("kernel_shape", pool.Size, pool.Size),
            Ints("strides", pool.Stride, pool.Stride),
            Ints("pads", pool.Padding, pool.Padding, pool.Padding, pool.Padding),
        ];
        if (!max)
        {
            // TypedNets divides every window by size * size, padded zeros counted: PyTorch's count_include_pad=True.
            attributes = [.. attributes, Int("count_include_pad", 1)];
        }

        // MaxPool pads with -infinity in ONNX as in TypedNets: a padded value never wins.
        _current = Node(max ? "MaxPool" : "AveragePool", [_current], [Fresh(pool.Name + "/pool")], pool.Name, attributes);
        int[] declared = pool.OutputShape.ToArray();
        _shape = declared.Length == 3 ? declared : [1, .. declared];
    }

    private void EmitBatchNorm(BatchNormLayer norm)
    {
        string[] statistics = [Initializer(norm.Weight), Initializer(norm.Bias), Initializer(norm.RunningMean), Initializer(norm.RunningVariance)];
        bool sequence = _shape.Length == 2;
        string input = _current;
        if (sequence)
        {
            // nn.BatchNorm1d(features) on x.transpose(1, 2): ONNX normalises axis 1.
            input = Node("Transpose", [_current], [Fresh(norm.Name + "/to_channels")], norm.Name, Ints("perm", 0, 2, 1));
        }

        string output = Node(
            "BatchNormalization",
            [input, .. statistics],
            [Fresh(norm.Name + "/batch_norm")],
            norm.Name,
            Float("epsilon", (float)norm.Epsilon),
            Float("momentum", 1 - (float)norm.Momentum));
        if (sequence)
        {
            output = Node("Transpose", [output], [Fresh(norm.Name + "/to_steps")], norm.Name, Ints("perm", 0, 2, 1));
        }

        _current = output;
        EmitActivation(norm.Activation, norm.Name);
    }

    private void EmitActivation(Activation activation, string layer)
    {
        string x = _current;
        switch (activation)
        {
            case Activation.Identity:
                return;
            case Activation.ReLU:
                _current = Node("Relu", [x], [Fresh(layer + "/relu")], layer);
                return;
            case Activation.LeakyReLU:
                _current = Node("LeakyRelu", [x], [Fresh(layer + "/leaky_relu")], layer, Float("alpha", 0.01f));
                return;
            case Activation.Sigmoid:
                _current = Node("Sigmoid", [x], [Fresh(layer + "/sigmoid")], layer);
                return;
            case Activation.Tanh:
                _current = Node("Tanh", [x], [Fresh(layer + "/tanh")], layer);
                return;
            case Activation.Softmax:
                _current = Node("Softmax", [x], [Fresh(layer + "/softmax")], layer, Int("axis", -1));
                return;
            case Activation.GELU:
            {
                // Gelu is an operator from opset 20 on; in opset 17 it is spelt out as torch.onnx.export does:
                // 0.5 x (1 + erf(x / sqrt 2)).
                string scaled = Node("Div", [x, Constant(layer + "/sqrt2", MathF.Sqrt(2))], [Fresh(layer + "/gelu_scaled")], layer);
                string erf = Node("Erf", [scaled], [Fresh(layer + "/gelu_erf")], layer);
                _current = HalfXOnePlus(x, erf, layer);
                return;
            }

            case Activation.GeluTanh:
            {
                // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), PyTorch's approximate='tanh'.
                string cube = Node("Mul", [x, Node("Mul", [x, x], [Fresh(layer + "/gelu_square")], layer)], [Fresh(layer + "/gelu_cube")], layer);
                string inner = Node("Add", [x, Node("Mul", [cube, Constant(layer + "/gelu_coefficient", 0.044715f)], [Fresh(layer + "/gelu_cubic")], layer)], [Fresh(layer + "/gelu_inner")], layer);
                string argument = Node("Mul", [inner, Constant(layer + "/gelu_sqrt_2_over_pi", MathF.Sqrt(2 / MathF.PI))], [Fresh(layer + "/gelu_argument")], layer);
                string tanh = Node("Tanh", [argument], [Fresh(layer + "/gelu_tanh")], layer);
                _current = HalfXOnePlus(x, tanh, layer);
                return;
            }

            default:
                throw new NotSupportedException($"Layer '{layer}' ends in activation {activation}, which the ONNX export does not cover yet.");
        }
    }

    private string HalfXOnePlus(string x, string term, string layer)
    {
        string onePlus = Node("Add", [term, Constant(layer + "/one", 1f)], [Fresh(layer + "/gelu_one_plus")], layer);
        string product = Node("Mul", [x, onePlus], [Fresh(layer + "/gelu_product")], layer);
        return Node("Mul", [product, Constant(layer + "/half", 0.5f)], [Fresh(layer + "/gelu")], layer);
    }

    /// <summary>A one-channel image, declared <c>[height, width]</c>, gains ONNX's channel axis before a 2-D operator.</summary>
    private void AddChannelAxisToImage(string layer)
    {
        if (_shape.Length == 2)
        {
            _current = Node("Unsqueeze", [_current, ConstantInts(layer + "/channel_axis", 1)], [Fresh(layer + "/with_channel")], layer);
            _shape = [1, .. _shape];
        }
    }

    /// <summary>Reshapes the current tensor to the layer's declared per-sample shape when ONNX's layout differs from it.</summary>
    private void ReshapeTo(int[] declared, string layer)
    {
        if (declared.SequenceEqual(_shape))
        {
            return;
        }

        long[] target = [-1, .. declared.Select(d => (long)d)];
        _current = Node("Reshape", [_current, ConstantInts(layer + "/shape", target)], [Fresh(layer + "/reshaped")], layer);
        _shape = declared;
    }

    private string Initializer(ParameterTensor tensor) => Initializer(tensor.Name, tensor.Shape, tensor.Values);

    private string Initializer(BufferTensor tensor) => Initializer(tensor.Name, tensor.Shape, tensor.Values);

    private string Initializer(string name, ReadOnlySpan<int> shape, ReadOnlySpan<float> values)
    {
        // A tied weight (a Dense head over an embedding's table) is one state_dict tensor used twice.
        if (_initializers.Add(name))
        {
            _names.Add(name);
            _graph.Initializer.Add(FloatTensor(name, shape, values));
        }

        return name;
    }

    private string Constant(string name, float value)
    {
        string output = Fresh(name);
        Node("Constant", [], [output], name, new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = FloatTensor(string.Empty, [], [value]) });
        return output;
    }

    private string ConstantInts(string name, params long[] values)
    {
        string output = Fresh(name);
        var tensor = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.Add(values);
        Node("Constant", [], [output], name, new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = tensor });
        return output;
    }

    private string Node(string op, string[] inputs, string[] outputs, string layer, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = Fresh("/" + layer + "/" + op) };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        node.Attribute.Add(attributes);
        _graph.Node.Add(node);
        return outputs[0];
    }

    /// <summary>A value name no other value or node has, from <paramref name="stem"/>.</summary>
    private string Fresh(string stem)
    {
        string name = stem;
        for (int i = 1; !_names.Add(name); i++)
        {
            name = stem + "_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return name;
    }

    private static TensorProto FloatTensor(string name, ReadOnlySpan<int> shape, ReadOnlySpan<float> values)
    {
        var tensor = new TensorProto { DataType = (int)TensorProto.Types.DataType.Float };
        if (name.Length > 0)
        {
            tensor.Name = name;
        }

        foreach (int dimension in shape)
        {
            tensor.Dims.Add(dimension);
        }

        // raw_data is little-endian, as .NET's floats on every platform it runs on.
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        return tensor;
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, int[] sampleShape)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = BatchDimension });
        foreach (int dimension in sampleShape)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = dimension });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    private static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.Add(values);
        return attribute;
    }
}

/// <summary>A module's output in the graph: its tensor, its per-sample ONNX shape, and the padding mask reaching past it.</summary>
internal sealed record ModuleValue(string Tensor, int[] Shape, string? Mask);
