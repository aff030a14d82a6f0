using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace TypedNets.Serialization;

/// <summary>
/// Writes the Python source of <see cref="TorchExport.ModuleSource"/>: the network's layers walked in order, each read
/// from its <see cref="Layer.Sources"/>, parameterised layers as PyTorch modules nested as their dotted names, the others
/// as functional calls in <c>forward</c>.
/// </summary>
internal sealed class TorchModuleWriter
{
    private const string Input = "input";

    private static readonly HashSet<string> PythonKeywords = new(StringComparer.Ordinal)
    {
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
        "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or",
        "pass", "raise", "return", "try", "while", "with", "yield",
    };

    private readonly INetwork _network;
    private readonly IReadOnlyList<Layer> _layers;
    private readonly string _className;
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly HashSet<string> _lists = new(StringComparer.Ordinal);
    private readonly HashSet<string> _helpers = new(StringComparer.Ordinal);
    private readonly string[] _variables;
    private readonly bool[] _maskReaches;

    private TorchModuleWriter(INetwork network)
    {
        _network = network;
        _layers = network.Layers;
        _className = ClassName(network.Core.Name);
        for (int i = 0; i < _layers.Count; i++)
        {
            _index[_layers[i].Name] = i;
        }

        _variables = Variables();
        _maskReaches = MaskReaches();
    }

    public static string Write(INetwork network)
    {
        if (network.Layers.Count == 0)
        {
            throw new NotSupportedException($"Network '{network.Core.Name}' has no layers; there is nothing to export.");
        }

        return new TorchModuleWriter(network).Source();
    }

    private string Source()
    {
        // The body first: it decides which helpers the file needs.
        var init = new StringBuilder();
        WriteInit(init);
        var body = new StringBuilder();
        WriteLogits(body);

        Layer output = _layers[^1];
        Activation last = ActivationOf(output);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"\"\"\"{_className}, exported from TypedNets by TorchExport.\n\n");
        text.Append("Load it with:\n\n");
        text.Append("    from model import ").Append(_className).Append('\n');
        text.Append("    model = ").Append(_className).Append("().load_weights(\"model.safetensors\").eval()\n\n");
        text.Append("The state_dict has TypedNets' names and shapes; in eval mode forward(x) returns what TypedNets' Predict returns.\n");
        text.Append("load_weights and save_weights read and write safetensors files with torch alone (no safetensors package needed).\n\"\"\"\n\n");
        // math serves the attention's scaling only; an import nothing uses would be a linter's first complaint.
        text.Append(_helpers.Contains("attention") ? "import json\nimport math\nimport os\nimport struct\n" : "import json\nimport os\nimport struct\n");
        text.Append("\nimport torch\nimport torch.nn.functional as F\nfrom torch import nn\n\n\n");
        text.Append(TorchExportPython.Files);
        foreach (string helper in _helpers.Order(StringComparer.Ordinal))
        {
            text.Append("\n\n\n").Append(TorchExportPython.Helpers[helper]);
        }

        text.Append("\n\n\nclass ").Append(_className).Append("(nn.Module):\n");
        text.Append("    \"\"\"").Append(Summary()).Append("\"\"\"\n\n");
        text.Append(CultureInfo.InvariantCulture, $"    input_shape = {Tuple(_layers[0].InputShape)}\n");
        text.Append(CultureInfo.InvariantCulture, $"    output_shape = {Tuple(output.OutputShape)}\n");
        text.Append(CultureInfo.InvariantCulture, $"    token_input = {(_network.Core.TokenInput ? "True" : "False")}\n\n");
        text.Append("    def __init__(self):\n        super().__init__()\n").Append(init).Append('\n');
        text.Append("    def forward(self, x):\n");
        if (last == Activation.Identity)
        {
            text.Append("        return self.logits(x)\n\n");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"        return {ApplyActivation(last, "self.logits(x)")}\n\n");
        }

        text.Append("    def logits(self, x):\n");
        text.Append(CultureInfo.InvariantCulture, $"        \"\"\"The output before the last layer's activation ({last}): the input of PyTorch's losses on logits.\"\"\"\n");
        text.Append(body);
        WriteLoss(text, last);
        text.Append("\n    def load_weights(self, path):\n");
        text.Append("        \"\"\"Loads a safetensors file TypedNets wrote (model.safetensors), every tensor by name (strict=True); returns the module.\"\"\"\n");
        text.Append("        self.load_state_dict(load_safetensors(path), strict=True)\n        return self\n\n");
        text.Append("    def save_weights(self, path):\n");
        text.Append("        \"\"\"Writes the state_dict as a safetensors file TypedNets reads (SafeTensors.Load, [EmbeddedWeights]), atomically.\"\"\"\n");
        text.Append("        save_safetensors(path, self.state_dict())\n\n\n");
        text.Append("MODEL = ").Append(_className).Append('\n');
        return text.ToString();
    }

    private string Summary()
    {
        string input = string.Join(", ", _layers[0].InputShape.ToArray());
        string output = string.Join(", ", _layers[^1].OutputShape.ToArray());
        string kind = _network.Core.TokenInput ? "token ids" : "input";
        return $"TypedNets' {_network.Core.Name}: {kind} [batch, {input}], output [batch, {output}].";
    }

    private void WriteInit(StringBuilder init)
    {
        PlanContainers();
        var created = new HashSet<string>(StringComparer.Ordinal);
        foreach (Layer layer in _layers)
        {
            string? module = ModuleConstructor(layer);
            if (module is null)
            {
                continue;
            }

            string[] parts = layer.Name.Split('.');
            for (int depth = 1; depth < parts.Length; depth++)
            {
                string container = string.Join('.', parts.Take(depth));
                if (!created.Add(container))
                {
                    continue;
                }

                bool inList = depth > 1 && _lists.Contains(string.Join('.', parts.Take(depth - 1)));
                if (_lists.Contains(container))
                {
                    int count = ListLength(container);
                    init.Append(CultureInfo.InvariantCulture, $"        {Assign(container, $"nn.ModuleList(nn.Module() for _ in range({count}))")}\n");
                }
                else if (!inList)
                {
                    init.Append(CultureInfo.InvariantCulture, $"        {Assign(container, "nn.Module()")}\n");
                }
            }

            init.Append(CultureInfo.InvariantCulture, $"        {Assign(layer.Name, module)}\n");
            if (layer is DenseLayer { TiedTo: not null, Bias: not null } tied)
            {
                init.Append(CultureInfo.InvariantCulture, $"        {Path(layer.Name)}.bias = nn.Parameter(torch.zeros({tied.Units}))\n");
            }
        }
    }

    /// <summary>The containers whose children are all numbered become <c>nn.ModuleList</c>s, as PyTorch's <c>[Repeat]</c> equivalents.</summary>
    private void PlanContainers()
    {
        var children = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (Layer layer in _layers.Where(layer => ModuleConstructor(layer) is not null))
        {
            string[] parts = layer.Name.Split('.');
            for (int depth = 1; depth < parts.Length; depth++)
            {
                string container = string.Join('.', parts.Take(depth));
                if (!children.TryGetValue(container, out List<string>? list))
                {
                    children[container] = list = [];
                }

                list.Add(parts[depth]);
            }
        }

        foreach ((string container, List<string> names) in children)
        {
            if (names.All(IsNumber))
            {
                _lists.Add(container);
                _listLengths[container] = names.Max(name => int.Parse(name, CultureInfo.InvariantCulture)) + 1;
            }
        }
    }

    private readonly Dictionary<string, int> _listLengths = new(StringComparer.Ordinal);

    private int ListLength(string container) => _listLengths[container];

    /// <summary>The PyTorch module holding the layer's parameters, or <see langword="null"/> for a layer without any.</summary>
    private static string? ModuleConstructor(Layer layer)
    {
        switch (layer)
        {
            case DenseLayer { TiedTo: not null } dense:
                // The weight is the embedding's table (read in forward); the module holds only the bias, if any.
                return dense.Bias is null ? null : "nn.Module()";
            case DenseLayer dense:
                return $"nn.Linear({dense.Inputs}, {dense.Units}{(dense.Bias is null ? ", bias=False" : "")})";
            case EmbeddingLayer embedding:
                return $"nn.Embedding({embedding.Vocabulary}, {embedding.Dimension}{(embedding.PaddingIndex is int p ? $", padding_idx={p}" : "")})";
            case PositionEmbeddingLayer positions:
                return $"nn.Embedding({positions.Positions}, {positions.Weight.Shape[1]})";
            case RecurrentLayer recurrent:
            {
                var arguments = new List<string> { Int(recurrent.InputShape[^1]), Int(recurrent.Units) };
                if (recurrent.NumLayers > 1)
                {
                    arguments.Add($"num_layers={recurrent.NumLayers}");
                }

                arguments.Add("batch_first=True");
                if (recurrent.Bidirectional)
                {
                    arguments.Add("bidirectional=True");
                }

                if (recurrent.Dropout > 0)
                {
                    arguments.Add($"dropout={Number(recurrent.Dropout)}");
                }

                return $"nn.{(recurrent is LstmLayer ? "LSTM" : "GRU")}({string.Join(", ", arguments)})";
            }

            case Conv2DLayer conv:
            {
                int channels = conv.InputShape.Length == 3 ? conv.InputShape[0] : 1;
                var arguments = new List<string>
                {
                    Int(channels),
                    Int(conv.Weight.Shape[0]),
                    conv.KernelHeight == conv.KernelWidth ? Int(conv.KernelHeight) : $"({conv.KernelHeight}, {conv.KernelWidth})",
                };
                if (conv.Stride != 1 || conv.StrideWidth != 1)
                {
                    arguments.Add(conv.Stride == conv.StrideWidth ? $"stride={conv.Stride}" : $"stride=({conv.Stride}, {conv.StrideWidth})");
                }

                if (conv.Padding != 0 || conv.PaddingWidth != 0)
                {
                    arguments.Add(conv.Padding == conv.PaddingWidth ? $"padding={conv.Padding}" : $"padding=({conv.Padding}, {conv.PaddingWidth})");
                }

                AddConvOptions(arguments, conv.Dilation, conv.Groups, conv.Bias is not null);
                return $"nn.Conv2d({string.Join(", ", arguments)})";
            }

            case Conv1DLayer conv:
            {
                var arguments = new List<string> { Int(conv.InputShape[^1]), Int(conv.Filters), Int(conv.Kernel) };
                if (conv.Stride != 1)
                {
                    arguments.Add($"stride={conv.Stride}");
                }

                if (conv.Padding != 0)
                {
                    arguments.Add($"padding={conv.Padding}");
                }

                AddConvOptions(arguments, conv.Dilation, conv.Groups, conv.Bias is not null);
                return $"nn.Conv1d({string.Join(", ", arguments)})";
            }

            case BatchNormLayer norm:
            {
                string kind = norm.InputShape.Length == 3 ? "BatchNorm2d" : "BatchNorm1d";
                return $"{kind}({norm.Weight.Shape[0]}, eps={Number(norm.Epsilon)}, momentum={Number(norm.Momentum)})";
            }

            case LayerNormLayer norm:
                return $"nn.LayerNorm({norm.Weight.Shape[0]}, eps={Number(norm.Epsilon)})";
            default:
                return null;
        }
    }

    private static void AddConvOptions(List<string> arguments, int dilation, int groups, bool bias)
    {
        if (dilation != 1)
        {
            arguments.Add($"dilation={dilation}");
        }

        if (groups != 1)
        {
            arguments.Add($"groups={groups}");
        }

        if (!bias)
        {
            arguments.Add("bias=False");
        }
    }

    private void WriteLogits(StringBuilder body)
    {
        foreach (BatchNormLayer norm in _layers.OfType<BatchNormLayer>())
        {
            _helpers.Add(norm.InputShape.Length == 3 ? "batch_norm_2d" : "batch_norm_1d");
        }

        for (int i = 0; i < _layers.Count; i++)
        {
            Layer layer = _layers[i];
            bool isOutput = i == _layers.Count - 1;
            string[] inputs = SourcesOf(i).Select(source => source == Input ? "x" : _variables[_index[source]]).ToArray();
            string a = inputs[0];
            string y = _variables[i];
            if (layer is EmbeddingLayer { MaskZero: true })
            {
                // Id 0 is padding: the layers the mask reaches skip those steps, as TypedNets' (and Keras') mask_zero.
                body.Append(CultureInfo.InvariantCulture, $"        mask = {a} != 0\n");
            }

            string expression = Expression(layer, inputs, i);
            body.Append(CultureInfo.InvariantCulture, $"        {y} = {expression}  # {layer.Name}: {layer.Kind} -> {Tuple(layer.OutputShape)}\n");
            Activation activation = ActivationOf(layer);
            if (activation != Activation.Identity && !isOutput)
            {
                body.Append(CultureInfo.InvariantCulture, $"        {y} = {ApplyActivation(activation, y)}\n");
            }
        }

        body.Append(CultureInfo.InvariantCulture, $"        return {_variables[^1]}\n");
    }

    private string Expression(Layer layer, string[] inputs, int index)
    {
        string a = inputs[0];
        string mask = _maskReaches[index] ? "mask" : "None";
        switch (layer)
        {
            case DenseLayer { TiedTo: not null } dense:
                return $"F.linear({a}, {Path(dense.TiedTo.Name)}.weight{(dense.Bias is null ? "" : $", {Path(dense.Name)}.bias")})";
            case DenseLayer dense:
                return $"{Path(dense.Name)}({a})";
            case DropoutLayer dropout:
                return $"F.dropout({a}, {Number(dropout.Rate)}, self.training)";
            case FlattenLayer:
                return $"torch.flatten({a}, 1)";
            case EmbeddingLayer embedding:
                return $"{Path(embedding.Name)}({a}.long())";
            case PositionEmbeddingLayer positions:
                return $"{a} + {Path(positions.Name)}.weight[:{positions.InputShape[0]}]";
            case RecurrentLayer recurrent:
                _helpers.Add("recurrent");
                if (_maskReaches[index])
                {
                    _helpers.Add("masked_recurrent");
                }

                return $"_recurrent({Path(recurrent.Name)}, {a}, {mask}, return_sequences={(recurrent.ReturnSequences ? "True" : "False")})";
            case Conv2DLayer conv:
            {
                string image = conv.InputShape.Length == 2 ? $"{a}.unsqueeze(1)" : a;
                string result = $"{Path(conv.Name)}({image})";
                return conv.OutputShape.Length == 2 ? $"{result}.squeeze(1)" : result;
            }

            case Pool2DLayer pool:
            {
                string image = pool.InputShape.Length == 2 ? $"{a}.unsqueeze(1)" : a;
                string padding = pool.Padding == 0 ? "" : $", padding={pool.Padding}";
                string result = pool.Kind.StartsWith("Max", StringComparison.Ordinal)
                    ? $"F.max_pool2d({image}, {pool.Size}, {pool.Stride}{padding})"
                    : $"F.avg_pool2d({image}, {pool.Size}, {pool.Stride}{padding}, count_include_pad=True)";
                return pool.OutputShape.Length == 2 ? $"{result}.squeeze(1)" : result;
            }

            case Conv1DLayer conv:
                // Keras' Conv1D on [steps, features] is nn.Conv1d on [features, steps].
                return $"{Path(conv.Name)}({a}.transpose(1, 2)).transpose(1, 2)";
            case Pool1DLayer pool:
            {
                string padding = pool.Padding == 0 ? "" : $", padding={pool.Padding}";
                string call = pool.Kind.StartsWith("Max", StringComparison.Ordinal)
                    ? $"F.max_pool1d({a}.transpose(1, 2), {pool.Size}, {pool.Stride}{padding})"
                    : $"F.avg_pool1d({a}.transpose(1, 2), {pool.Size}, {pool.Stride}{padding}, count_include_pad=True)";
                return $"{call}.transpose(1, 2)";
            }

            case GlobalAveragePooling2DLayer global:
                return global.InputShape.Length == 3 ? $"{a}.mean(dim=(2, 3))" : $"{a}.mean(dim=(1, 2)).unsqueeze(1)";
            case GlobalAveragePooling1DLayer:
                if (_maskReaches[index])
                {
                    _helpers.Add("masked_pooling");
                    return $"_masked_mean({a}, mask)";
                }

                return $"{a}.mean(dim=1)";
            case GlobalMaxPooling1DLayer:
                if (_maskReaches[index])
                {
                    _helpers.Add("masked_pooling");
                    return $"_masked_max({a}, mask)";
                }

                return $"{a}.amax(dim=1)";
            case BatchNormLayer norm:
                // On a sequence [steps, features] the features are BatchNorm1d's channels.
                return norm.InputShape.Length == 2 ? $"{Path(norm.Name)}({a}.transpose(1, 2)).transpose(1, 2)" : $"{Path(norm.Name)}({a})";
            case LayerNormLayer norm:
                return $"{Path(norm.Name)}({a})";
            case SelfAttentionLayer attention:
                _helpers.Add("attention");
                return $"_self_attention({a}, heads={attention.Heads}, causal={(attention.Causal ? "True" : "False")}, dropout={Number(attention.Dropout)}, training=self.training)";
            case AddLayer:
                return string.Join(" + ", inputs);
            case ConcatenateLayer concatenate:
                // Images join their channels, vectors and sequences their features.
                return $"torch.cat([{string.Join(", ", inputs)}], dim={(concatenate.OutputShape.Length == 3 ? "1" : "-1")})";
            default:
                throw new NotSupportedException(
                    $"Layer '{layer.Name}' of network '{_network.Core.Name}' is a {layer.Kind} layer, which TorchExport does not know; " +
                    "update TorchExport for the new layer kind.");
        }
    }

    private void WriteLoss(StringBuilder text, Activation last)
    {
        if (_network.Core.DeclaredLoss is not LossFunction loss)
        {
            return;
        }

        text.Append("\n    def loss(self, x, target):\n");
        switch (loss.Kind)
        {
            case LossKind.CrossEntropy when last == Activation.Softmax || last == Activation.Identity:
            {
                string ignore = loss.IgnoreIndex is int ignored ? $", ignore_index={ignored}" : "";
                text.Append("        \"\"\"The declared loss, cross-entropy from the logits, a mean over the rows (every position of a sequence);\n");
                text.Append("        target holds class indices [batch, ...] or probabilities shaped as the output.\"\"\"\n");
                text.Append("        logits = self.logits(x)\n        classes = logits.shape[-1]\n");
                text.Append("        target = target.reshape(-1, classes) if target.is_floating_point() else target.reshape(-1).long()\n");
                text.Append(CultureInfo.InvariantCulture, $"        return F.cross_entropy(logits.reshape(-1, classes), target{ignore})\n");
                break;
            }

            case LossKind.CrossEntropy:
                text.Append("        \"\"\"The declared loss, cross-entropy from the output's probabilities clipped to [1e-7, 1 - 1e-7], a mean over the rows.\"\"\"\n");
                text.Append("        probabilities = self(x).clamp(1e-7, 1 - 1e-7)\n        classes = probabilities.shape[-1]\n");
                text.Append("        if not target.is_floating_point():\n            target = F.one_hot(target.long(), classes).to(probabilities.dtype)\n");
                text.Append("        return -(target.reshape(-1, classes) * probabilities.reshape(-1, classes).log()).sum(dim=1).mean()\n");
                break;
            case LossKind.BinaryCrossEntropy when last == Activation.Sigmoid:
                text.Append("        \"\"\"The declared loss, binary cross-entropy from the logits, a mean over every element.\"\"\"\n");
                text.Append("        return F.binary_cross_entropy_with_logits(self.logits(x), target.to(torch.float32))\n");
                break;
            case LossKind.BinaryCrossEntropy:
                text.Append("        \"\"\"The declared loss, binary cross-entropy from the output clipped to [1e-7, 1 - 1e-7], a mean over every element.\"\"\"\n");
                text.Append("        return F.binary_cross_entropy(self(x).clamp(1e-7, 1 - 1e-7), target.to(torch.float32))\n");
                break;
            case LossKind.MeanSquaredError:
                text.Append("        \"\"\"The declared loss, the mean squared error over every element.\"\"\"\n");
                text.Append("        return F.mse_loss(self(x), target)\n");
                break;
            case LossKind.MeanAbsoluteError:
                text.Append("        \"\"\"The declared loss, the mean absolute error over every element.\"\"\"\n");
                text.Append("        return F.l1_loss(self(x), target)\n");
                break;
            case LossKind.Huber:
                text.Append("        \"\"\"The declared loss, the Huber loss averaged over every element.\"\"\"\n");
                text.Append(CultureInfo.InvariantCulture, $"        return F.huber_loss(self(x), target, delta={Number(loss.Delta)})\n");
                break;
            default:
                throw new NotSupportedException(
                    $"Network '{_network.Core.Name}' declares the loss {loss}, which TorchExport does not know; update TorchExport for the new loss.");
        }
    }

    private static Activation ActivationOf(Layer layer) => layer switch
    {
        DenseLayer dense => dense.Activation,
        Conv2DLayer conv => conv.Activation,
        Conv1DLayer conv => conv.Activation,
        BatchNormLayer norm => norm.Activation,
        AddLayer add => add.Activation,
        _ => Activation.Identity,
    };

    private static string ApplyActivation(Activation activation, string x) => activation switch
    {
        Activation.Identity => x,
        Activation.ReLU => $"torch.relu({x})",
        Activation.LeakyReLU => $"F.leaky_relu({x}, 0.01)",
        Activation.Sigmoid => $"torch.sigmoid({x})",
        Activation.Tanh => $"torch.tanh({x})",
        Activation.Softmax => $"torch.softmax({x}, dim=-1)",
        Activation.GELU => $"F.gelu({x})",
        Activation.GeluTanh => $"F.gelu({x}, approximate=\"tanh\")",
        _ => throw new NotSupportedException($"Activation {activation} is not one TorchExport knows; update TorchExport for it."),
    };

    private IReadOnlyList<string> SourcesOf(int index)
    {
        IReadOnlyList<string> sources = _layers[index].Sources;
        if (sources.Count > 0)
        {
            foreach (string source in sources)
            {
                if (source != Input && !_index.ContainsKey(source))
                {
                    throw new NotSupportedException(
                        $"Layer '{_layers[index].Name}' of network '{_network.Core.Name}' reads '{source}', which is no layer of the network.");
                }
            }

            return sources;
        }

        return [index == 0 ? Input : _layers[index - 1].Name];
    }

    /// <summary>
    /// A layer's output lives in <c>x</c> when only the next layer reads it (a chain reads as one), otherwise in a
    /// variable named after the layer, so branches, skips and joins read it later.
    /// </summary>
    private string[] Variables()
    {
        var readers = new List<int>[_layers.Count];
        for (int i = 0; i < _layers.Count; i++)
        {
            readers[i] = [];
        }

        for (int i = 0; i < _layers.Count; i++)
        {
            foreach (string source in SourcesOf(i))
            {
                if (source != Input)
                {
                    readers[_index[source]].Add(i);
                }
            }
        }

        // The network's input stays in x until the last layer that reads it has run.
        int lastInputReader = Enumerable.Range(0, _layers.Count).Where(i => SourcesOf(i).Contains(Input)).DefaultIfEmpty(0).Max();
        var taken = new HashSet<string>(StringComparer.Ordinal) { "x", "mask", "self", "torch", "nn", "F", "math", "json", "struct", "target" };
        string[] variables = new string[_layers.Count];
        for (int i = 0; i < _layers.Count; i++)
        {
            if (i >= lastInputReader && readers[i].All(reader => reader == i + 1))
            {
                variables[i] = "x";
                continue;
            }

            string stem = new(_layers[i].Name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
            if (stem.Length == 0 || char.IsAsciiDigit(stem[0]) || PythonKeywords.Contains(stem))
            {
                stem = "out_" + stem;
            }

            string name = stem;
            for (int n = 2; !taken.Add(name); n++)
            {
                name = stem + "_" + n.ToString(CultureInfo.InvariantCulture);
            }

            variables[i] = name;
        }

        return variables;
    }

    /// <summary>
    /// Whether the padding mask of an Embedding with MaskZero reaches each layer's input: the generator's rule, which
    /// carries it along the time axis until a layer removes it (pooling, a recurrent layer's last state, Flatten, a join).
    /// </summary>
    private bool[] MaskReaches()
    {
        bool[] reaches = new bool[_layers.Count];
        bool[] after = new bool[_layers.Count];
        for (int i = 0; i < _layers.Count; i++)
        {
            string source = SourcesOf(i)[0];
            bool active = source != Input && after[_index[source]];
            reaches[i] = active;
            Layer layer = _layers[i];
            after[i] = layer switch
            {
                EmbeddingLayer embedding => embedding.MaskZero,
                DenseLayer or DropoutLayer or LayerNormLayer or BatchNormLayer => active && layer.OutputShape.Length == 2,
                PositionEmbeddingLayer => active,
                RecurrentLayer recurrent => active && recurrent.ReturnSequences,
                _ => false,
            };
        }

        return reaches;
    }

    /// <summary>The Python expression of the module at a dotted name: <c>layer1.0.conv1</c> is <c>self.layer1[0].conv1</c>.</summary>
    private string Path(string name)
    {
        string[] parts = name.Split('.');
        var path = new StringBuilder("self");
        for (int i = 0; i < parts.Length; i++)
        {
            string parent = string.Join('.', parts.Take(i));
            if (i > 0 && _lists.Contains(parent))
            {
                path.Append('[').Append(parts[i]).Append(']');
            }
            else if (IsIdentifier(parts[i]))
            {
                path.Append('.').Append(parts[i]);
            }
            else
            {
                path.Insert(0, "getattr(").Append(", \"").Append(parts[i]).Append("\")");
            }
        }

        return path.ToString();
    }

    private string Assign(string name, string value)
    {
        int dot = name.LastIndexOf('.');
        string parent = dot < 0 ? "" : name[..dot];
        string last = name[(dot + 1)..];
        if (dot >= 0 && _lists.Contains(parent))
        {
            return $"{Path(parent)}[{last}] = {value}";
        }

        return IsIdentifier(last)
            ? $"{Path(name)} = {value}"
            : $"{(dot < 0 ? "self" : Path(parent))}.add_module(\"{last}\", {value})";
    }

    private static bool IsIdentifier(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !PythonKeywords.Contains(name);

    private static bool IsNumber(string name) => name.Length > 0 && name.All(char.IsAsciiDigit);

    private static string ClassName(string name)
    {
        // A generic or nested type's name keeps only the characters a Python class name may hold.
        string clean = new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_').ToArray());
        return clean.Length == 0 || char.IsAsciiDigit(clean[0]) || PythonKeywords.Contains(clean) ? "Net_" + clean : clean;
    }

    private static string Tuple(ReadOnlySpan<int> shape) =>
        shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape.ToArray()) + ")";

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(double value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.', StringComparison.Ordinal) || text.Contains('E', StringComparison.Ordinal) ? text.Replace("E", "e", StringComparison.Ordinal) : text + ".0";
    }
}
