using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;

namespace TypedNets.Generator;

public sealed partial class NetworkGenerator
{
    internal sealed partial class Emitter
    {
        // Where the layer methods being written live: the network itself, or a block type's code shared by its uses.
        private Scope _scope = null!;

        // The block types (on one input shape) whose code is written once, in the order they are first met.
        private readonly List<SharedBlock> _shared = [];

        /// <summary>
        /// A run of the network's layers that forward and backward code is written for: the whole network, or one use
        /// of a block. A use of a block inside it whose code is shared is one item, called with its state; the other
        /// layers are items of their own.
        /// </summary>
        private sealed class Scope
        {
            public int First;
            public int Last;
            public int Input = -1;

            // The prefix of the layers' property names that the scope's own names drop ("Layer1_0_" in a use of a block).
            public string Path = "";
            public string Module = "";

            // How the scope's code reaches its per-use state and the parameters of its methods.
            public string State = "";
            public string Head = "";
            public string CallHead = "";
            public string InputName = "_input";
            public string MethodPrefix = "";

            // For a use of a shared block: its code, the field that holds its state, and where its weights start.
            public SharedBlock? Shared;
            public string Field = "";
            public int ParameterBase;
            public int BufferBase;

            public readonly List<(int Layer, Scope? Block)> Items = [];
            public readonly Dictionary<int, Scope> Owner = [];
        }

        /// <summary>The code of one block type on one input shape: its state class, its methods, its gradient buffers.</summary>
        private sealed class SharedBlock
        {
            public string Key = "";
            public string Name = "";
            public string Type = "";
            public string StateType = "";
            public Scope Template = null!;
            public List<string> Backward = [];
            public List<string> Slots = [];
        }

        /// <summary>The network's scope, with every use of a block that can share its code as an item of its own.</summary>
        private Scope BuildScopes()
        {
            var network = new Scope { First = 0, Last = _model.Layers.Length - 1 };
            var uses = new List<BlockValueModel>();
            foreach (BlockMemberModel member in _model.Blocks)
            {
                uses.Add(member.Value);
            }

            Fill(network, uses);
            return network;
        }

        // Finds the uses of blocks among values (through lists and blocks that cannot share), then lays out the items.
        private void Fill(Scope scope, IEnumerable<BlockValueModel> values)
        {
            var children = new List<Scope>();
            void Collect(BlockValueModel value)
            {
                if (value.IsList || (value.TypeName is not null && !CanShare(value)))
                {
                    foreach (BlockValueModel item in value.Items)
                    {
                        Collect(item);
                    }

                    return;
                }

                if (value.TypeName is null || value.Layer >= 0)
                {
                    return;
                }

                var child = new Scope
                {
                    First = value.First,
                    Last = value.Last,
                    Input = value.Input,
                    Path = value.Path,
                    Module = value.Module,
                    State = "s.",
                    InputName = "s.Input",
                };
                (child.ParameterBase, child.BufferBase) = Bases(child);
                child.Field = $"_{GeneratedNames.CamelCase(Local(scope, value.Path.TrimEnd('_')))}State";
                Fill(child, value.Items);
                child.Shared = Share(value, child);
                child.Head = $"{child.Shared.StateType} s, ";
                child.CallHead = "s, ";
                child.MethodPrefix = child.Shared.Name + "_";
                children.Add(child);
            }

            foreach (BlockValueModel value in values)
            {
                Collect(value);
            }

            var starts = children.ToDictionary(child => child.First);
            for (int i = scope.First; i <= scope.Last; i++)
            {
                if (starts.TryGetValue(i, out Scope? child))
                {
                    scope.Items.Add((child.Last, child));
                    for (int j = child.First; j <= child.Last; j++)
                    {
                        scope.Owner[j] = child;
                    }

                    i = child.Last;
                }
                else
                {
                    scope.Items.Add((i, null));
                }
            }
        }

        /// <summary>
        /// Whether a use of a block can run on shared code: its layers are one run ending at its output, read nothing
        /// from outside but its input, and do not hold the network's output (whose buffers the runtime reads) or read
        /// the network's tokens.
        /// </summary>
        private bool CanShare(BlockValueModel value)
        {
            int last = _model.Layers.Length - 1;
            if (value.First < 0 || value.Last < value.First || value.Last >= last)
            {
                return false;
            }

            for (int i = value.First; i <= value.Last; i++)
            {
                LayerModel layer = _model.Layers[i];
                if (layer.Rule.ReadsTokens)
                {
                    return false;
                }

                IEnumerable<int> reads = layer.Inputs.Length == 0 ? [i - 1] : layer.Inputs;
                if (reads.Any(read => read < value.First && read != value.Input))
                {
                    return false;
                }
            }

            return true;
        }

        private (int Parameters, int Buffers) Bases(Scope scope)
        {
            var layers = Enumerable.Range(scope.First, scope.Last - scope.First + 1).Select(i => _model.Layers[i]).ToList();
            var tensors = layers.SelectMany(layer => layer.Tensors).ToList();
            var buffers = layers.SelectMany(layer => layer.Buffers).ToList();
            return (tensors.Count == 0 ? 0 : tensors.Min(tensor => tensor.Offset), buffers.Count == 0 ? 0 : buffers.Min(buffer => buffer.Offset));
        }

        // One block type on one input shape (and the same padding mask) is one piece of code, whichever use it serves.
        private SharedBlock Share(BlockValueModel value, Scope use)
        {
            bool[] masked = MaskReachesInput();
            LayerModel first = _model.Layers[use.First];
            string key = $"{value.TypeName}|{ShapeMath.Format(first.InputShape)}|" +
                string.Concat(Enumerable.Range(use.First, use.Last - use.First + 1).Select(i => masked[i] ? '1' : '0'));
            SharedBlock? shared = _shared.FirstOrDefault(block => block.Key == key);
            if (shared is not null)
            {
                return shared;
            }

            string shortName = value.TypeName!.Substring(value.TypeName.LastIndexOf('.') + 1);
            int same = _shared.Count(block => block.Name == shortName + "Block" || block.Name.StartsWith(shortName + "Block_", StringComparison.Ordinal));
            string name = same == 0 ? shortName + "Block" : $"{shortName}Block_{(same + 1).ToString(CultureInfo.InvariantCulture)}";
            shared = new SharedBlock { Key = key, Name = name, Type = shortName, StateType = name + "State", Template = use };
            _shared.Add(shared);
            return shared;
        }

        // A layer's property name within the scope: "Layer1_0_Conv1" is "Conv1" in the code of its block.
        private static string Local(Scope scope, string propertyName)
            => scope.Path.Length > 0 && propertyName.StartsWith(scope.Path, StringComparison.Ordinal) ? propertyName.Substring(scope.Path.Length) : propertyName;

        // A layer's name in comments: its module name, or in a block's shared code its name within the block type.
        internal string Module(LayerModel layer)
        {
            if (_scope.Shared is null)
            {
                return layer.ModuleName;
            }

            string type = _scope.Shared.Type;
            return layer.ModuleName.StartsWith(_scope.Module + ".", StringComparison.Ordinal)
                ? $"{type}.{layer.ModuleName.Substring(_scope.Module.Length + 1)}"
                : type;
        }

        internal string MethodStem(LayerModel layer) => _scope.MethodPrefix + Local(_scope, layer.PropertyName);

        internal string FieldStem(LayerModel layer) => $"{_scope.State}_{GeneratedNames.CamelCase(Local(_scope, layer.PropertyName))}";

        // A parameter or gradient offset: a literal in the network's own code, relative to the use's start in a block's.
        internal string P(int offset) => _scope.Shared is null
            ? Invariant(offset)
            : offset == _scope.ParameterBase ? "s.P" : $"s.P + {Invariant(offset - _scope.ParameterBase)}";

        internal string B(int offset) => _scope.Shared is null
            ? Invariant(offset)
            : offset == _scope.BufferBase ? "s.B" : $"s.B + {Invariant(offset - _scope.BufferBase)}";

        /// <summary>The parameters of a layer's methods before <c>batch</c> (a shared block's state), as the current scope writes them.</summary>
        internal string Head => _scope.Head;

        /// <summary>The buffer that holds the output of layer <paramref name="index"/> (-1: the input), as code in the current scope.</summary>
        internal string BufferOf(int index) => BufferOf(_scope, index);

        /// <summary>The per-sample shape of layer <paramref name="index"/>'s output, or of the network's input for -1.</summary>
        internal EquatableArray<int> ShapeOf(int index) => index < 0 ? _model.InputShape : _model.Layers[index].OutputShape;

        /// <summary>A layer read, as a comment names it in the current scope: the input (the network's or the block's), or the layer's module.</summary>
        internal string InputLabel(int input)
            => input < _scope.First || input < 0 ? (_scope.Shared is null ? "the input" : "the block's input") : $"'{Module(_model.Layers[input])}'";

        /// <summary>The buffer that holds the output of layer <paramref name="index"/>, as code in <paramref name="scope"/>.</summary>
        private string BufferOf(Scope scope, int index) => BufferOf(scope, index, scope.State, scope.InputName);

        private string BufferOf(Scope scope, int index, string state, string input)
        {
            if (index < scope.First)
            {
                return scope.Shared is null && index < 0 ? "_input" : input;
            }

            if (scope.Owner.TryGetValue(index, out Scope? child))
            {
                string childState = $"{state}{child.Field}.";
                return BufferOf(child, index, childState, BufferOf(scope, child.Input, state, input));
            }

            LayerModel layer = _model.Layers[index];
            if (!layer.MovesData)
            {
                return BufferOf(scope, layer.Inputs.Length == 0 ? index - 1 : layer.Source, state, input);
            }

            return $"{state}_{GeneratedNames.CamelCase(Local(scope, layer.PropertyName))}Output";
        }

        /// <summary>The calls of a scope's forward pass: its layers' methods and its blocks' shared code with their state.</summary>
        private List<string> ForwardCalls(Scope scope)
        {
            var lines = new List<string>();
            foreach ((int index, Scope? block) in scope.Items)
            {
                if (block is not null)
                {
                    lines.Add($"{block.Shared!.Name}Forward({scope.State}{block.Field}, batch, training);");
                    continue;
                }

                LayerModel layer = _model.Layers[index];
                if (layer.MovesData)
                {
                    string call = scope.MethodPrefix + Local(scope, layer.PropertyName);
                    lines.Add(layer.Rule.ForwardTakesTraining
                        ? $"{call}Forward({scope.CallHead}batch, training);"
                        : $"{call}Forward({scope.CallHead}batch);");
                }
            }

            return lines;
        }

        /// <summary>
        /// Writes, for each block type whose code is shared, its state (one object a use: where its weights start, its
        /// input, its saved activations), then its forward and backward passes and its layers' methods, once.
        /// </summary>
        private void EmitSharedBlocks()
        {
            foreach (SharedBlock shared in _shared)
            {
                Scope scope = shared.Template;
                LayerModel first = _model.Layers[scope.First];
                _writer.WriteLine();
                _writer.WriteLine($"// {shared.Key.Split('|')[0].Replace("global::", "")} on {ShapeMath.Format(first.InputShape)}: the state of one use (where its weights start,");
                _writer.WriteLine("// what it reads, what it keeps for the backward pass); its code below is written once and serves every use.");
                using (_writer.Block($"private sealed class {shared.StateType}"))
                {
                    _writer.WriteLine("internal readonly int P;");
                    _writer.WriteLine("internal readonly int B;");
                    _writer.WriteLine("internal readonly T[] Input;");
                    Scope saved = _scope;
                    _scope = scope;
                    var fields = new List<(string Type, string Field, string Initializer)>();
                    foreach ((int index, Scope? block) in scope.Items)
                    {
                        if (block is null)
                        {
                            fields.AddRange(LayerBuffers(_model.Layers[index], isOutput: false));
                        }
                    }

                    _scope = saved;
                    foreach ((string type, string field, _) in fields)
                    {
                        _writer.WriteLine($"internal readonly {type} {field};");
                    }

                    foreach ((_, Scope? block) in scope.Items)
                    {
                        if (block is not null)
                        {
                            _writer.WriteLine($"internal readonly {block.Shared!.StateType} {block.Field};");
                        }
                    }

                    _writer.WriteLine();
                    using (_writer.Block($"internal {shared.StateType}(int maxBatch, int p, int b, T[] input)"))
                    {
                        _writer.WriteLine("P = p;");
                        _writer.WriteLine("B = b;");
                        _writer.WriteLine("Input = input;");
                        int fieldIndex = 0;
                        foreach ((int index, Scope? block) in scope.Items)
                        {
                            if (block is null)
                            {
                                _scope = scope;
                                int count = LayerBuffers(_model.Layers[index], isOutput: false).Count;
                                _scope = saved;
                                for (int k = 0; k < count; k++, fieldIndex++)
                                {
                                    _writer.WriteLine($"{fields[fieldIndex].Field} = {fields[fieldIndex].Initializer};");
                                }
                            }
                            else
                            {
                                _writer.WriteLine($"{block.Field} = {NewState(block, scope, "p", "b", BufferOf(scope, block.Input, "", "input"))};");
                            }
                        }
                    }
                }

                _writer.WriteLine();
                EmitSharedMethods(shared);
            }
        }

        // The construction of a use's state, its weights' start given relative to the enclosing scope's.
        private static string NewState(Scope block, Scope within, string p, string b, string input)
        {
            string Offset(string start, int offset) => offset == 0 ? start : $"{start} + {Invariant(offset)}";
            return within.Shared is null
                ? $"new {block.Shared!.StateType}(maxBatch, {Invariant(block.ParameterBase)}, {Invariant(block.BufferBase)}, {input})"
                : $"new {block.Shared!.StateType}(maxBatch, {Offset(p, block.ParameterBase - within.ParameterBase)}, {Offset(b, block.BufferBase - within.BufferBase)}, {input})";
        }

        private void EmitSharedMethods(SharedBlock shared)
        {
            Scope scope = shared.Template;
            Scope saved = _scope;
            _scope = scope;
            int inputSize = _model.Layers[scope.First].InputSize;
            using (_writer.Block($"private void {shared.Name}Forward({shared.StateType} s, int batch, bool training)"))
            {
                foreach (string line in ForwardCalls(scope))
                {
                    _writer.WriteLine(line);
                }
            }

            _writer.WriteLine();
            _writer.WriteLine("// The gradient of the use's output is in dy, which the pass may reuse; its input's is written into inputGradient.");
            using (_writer.Block($"private void {shared.Name}Backward({shared.StateType} s, int batch, T[] dy, {Span}<T> inputGradient)"))
            {
                _writer.WriteLine($"inputGradient = inputGradient.IsEmpty ? inputGradient : inputGradient.Slice(0, batch * {Invariant(inputSize)});");
                foreach (string line in shared.Backward)
                {
                    _writer.WriteLine(line);
                }
            }

            if (Enumerable.Range(scope.First, scope.Last - scope.First + 1).Any(i => _model.Layers[i].ParameterCount > 0))
            {
                _writer.WriteLine();
                using (_writer.Block($"private void {shared.Name}Initialize({shared.StateType} s, ref global::TypedNets.Xoshiro256 random)"))
                {
                    EmitInitializeItems(scope);
                }
            }

            bool[] maskReaches = MaskReachesInput();
            foreach ((int index, Scope? block) in scope.Items)
            {
                if (block is null && _model.Layers[index].MovesData)
                {
                    _writer.WriteLine();
                    EmitLayerMethods(_model.Layers[index], BufferOf(scope, ReadOf(index)), BufferOf(scope, index), isOutput: false, maskReaches[index]);
                }
            }

            _scope = saved;
        }

        private int ReadOf(int index) => _model.Layers[index].Inputs.Length == 0 ? index - 1 : _model.Layers[index].Source;

        /// <summary>Plans the backward passes of every shared block, inner blocks first met first, and their gradient buffers.</summary>
        private void PlanSharedBackward()
        {
            foreach (SharedBlock shared in _shared)
            {
                shared.Backward = PlanBackward(shared.Template, out List<string> slots);
                shared.Slots = slots.Skip(1).ToList();
            }
        }
    }
}
