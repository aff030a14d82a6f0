// The planning stage, between shape inference and emission (as the Regex generator analyses a pattern before it
// emits): from the inferred NetworkModel it decides everything the emitter used to decide while printing, and
// records it in a NetworkPlan:
//   - the scopes: the network, and the uses of blocks whose code is written once and shared (SharedBlock);
//   - per layer (LayerStep): the buffer it reads and the one it writes, whether a padding mask reaches it, whether it
//     is the network's output, and the engine arrays it keeps (output, pre-activation, its kind's work buffers);
//   - per scope: the items whose weights Initialize draws, in the network's layer order;
//   - per scope, the backward pass (GradientStep): which gradient buffer holds each layer's output gradient, and for
//     every reader whether it writes its input's gradient (the first reader, last in forward order) or adds into it
//     (every other one, through a scratch buffer), and the buffers this takes beyond the two a stack ping-pongs;
//   - the network's output buffer, the widest activation, whether the output layer fuses its activation with the
//     loss (it keeps the pre-activation and its backward takes outputGradientIsPreActivation).
// The emitter prints the plan and decides nothing; what a layer kind keeps and writes comes from its LayerRule.
// No thread splits are decided here: the kernels split their work at run time.
//
// The plan is not a step of the incremental pipeline: it is a pure function of the NetworkModel, computed inside the
// output step, so the model's equality already decides when it is recomputed; it holds names and code fragments in
// mutable lists, which a cached value could not.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Layers;
using TypedNets.Generator.Model;

namespace TypedNets.Generator;

public sealed partial class NetworkGenerator
{
    /// <summary>
    /// A run of the network's layers that forward and backward code is written for: the whole network, or one use
    /// of a block. A use of a block inside it whose code is shared is one item, called with its state; the other
    /// layers are items of their own.
    /// </summary>
    internal sealed class Scope
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

        // For a use of a shared block: its code, the field that holds its state, the buffer its state reads its input
        // from (as code where the state is built), and where its weights start.
        public SharedBlock? Shared;
        public string Field = "";
        public string StateInput = "";
        public int ParameterBase;
        public int BufferBase;

        public readonly List<(int Layer, Scope? Block)> Items = [];
        public readonly Dictionary<int, Scope> Owner = [];

        // The plan of the scope's own code (the network's, or a shared block's template), filled by the planner:
        // its layers' steps, the items whose weights it draws, its backward pass and the gradient buffers that pass uses.
        public readonly Dictionary<int, LayerStep> Steps = [];
        public readonly List<(int Layer, Scope? Block)> Initialized = [];
        public readonly List<GradientStep> Backward = [];
        public readonly List<string> Slots = [];
    }

    /// <summary>The code of one block type on one input shape: its state class, its methods, its gradient buffers.</summary>
    internal sealed class SharedBlock
    {
        public string Key = "";
        public string Name = "";
        public string Type = "";
        public string StateType = "";
        public Scope Template = null!;
    }

    /// <summary>One layer of a scope's code: what it reads and writes, and the arrays the engine keeps for it.</summary>
    /// <param name="Index">The layer's index in the network's flat list.</param>
    /// <param name="Input">The buffer its forward method reads, as code in its scope.</param>
    /// <param name="Output">The buffer it writes (the one it reads, for a layer that moves no data).</param>
    /// <param name="IsOutput">Whether it is the network's output layer (never inside a shared block).</param>
    /// <param name="Masked">Whether a padding mask reaches its input.</param>
    /// <param name="Buffers">The engine's arrays for it, in field order: pre-activation, its kind's work buffers, output.</param>
    internal sealed record LayerStep(int Index, string Input, string Output, bool IsOutput, bool Masked, IReadOnlyList<BufferPlan> Buffers);

    /// <summary>Where a backward step puts an input's gradient.</summary>
    /// <param name="Slot">The gradient buffer, or <see langword="null"/> for the scope's <c>inputGradient</c>.</param>
    /// <param name="Accumulate">Whether another reader wrote this gradient already, so this one adds into it.</param>
    /// <param name="Scratch">Where a layer's backward writes before the sum (a layer's kernel writes, never adds), or <see langword="null"/>.</param>
    /// <param name="Values">The gradient's values per sample.</param>
    internal sealed record GradientTarget(string? Slot, bool Accumulate, string? Scratch, int Values);

    /// <summary>One step of a backward pass, in the order it runs (the reverse of the layers').</summary>
    internal abstract record GradientStep;

    /// <summary>A scope with no layer that computes: the output gradient <paramref name="Dy"/> is the input's.</summary>
    internal sealed record PassThroughStep(string Dy, bool InputMayBeEmpty) : GradientStep;

    /// <summary>A layer, or a use of a block ending at it, whose output reaches no later layer: it gets no gradient.</summary>
    internal sealed record NoGradientStep(int Layer, bool IsBlock) : GradientStep;

    /// <summary>
    /// The backward method of a layer, or of a use of a shared block (<paramref name="Block"/>), on the gradient in
    /// <paramref name="Dy"/>; <paramref name="Fused"/>: the output layer, handed <c>outputGradientIsPreActivation</c>.
    /// </summary>
    internal sealed record BackwardStep(int Layer, Scope? Block, string Dy, GradientTarget Into, bool Fused) : GradientStep;

    /// <summary>A join's own backward method (an Add's activation), in place on <paramref name="Dy"/>, before its inputs get their shares.</summary>
    internal sealed record JoinActivationStep(int Layer, string Dy) : GradientStep;

    /// <summary>A join hands one input its share of <paramref name="Dy"/>: <paramref name="Width"/> columns at <paramref name="Offset"/> of rows <paramref name="OutputWidth"/> wide.</summary>
    internal sealed record JoinShareStep(int Layer, string Dy, GradientTarget Into, int RowsPerSample, int Width, int Offset, int OutputWidth) : GradientStep;

    /// <summary>Everything the emitter prints for a valid network, decided.</summary>
    internal sealed class NetworkPlan
    {
        /// <summary>The network's scope: its items, their steps, its initializers and its backward pass.</summary>
        public Scope Network = null!;

        /// <summary>The block types whose code is written once, in the order first met; each one's template scope holds its plan.</summary>
        public IReadOnlyList<SharedBlock> SharedBlocks = [];

        /// <summary>For each layer, whether a padding mask reaches its input.</summary>
        public bool[] MaskReachesInput = [];

        /// <summary>Whether the engine keeps a padding mask (an Embedding with MaskZero starts one).</summary>
        public bool UsesSequenceMask;

        /// <summary>The most values per sample any activation has, the size of the gradient buffers.</summary>
        public int Widest;

        /// <summary>The buffer that holds the network's output.</summary>
        public string Output = "_input";

        /// <summary>The output layer's pre-activation buffer, which a loss fused with Softmax or Sigmoid reads; <see langword="null"/> if none.</summary>
        public string? OutputPreActivation;

        /// <summary>The gradient buffers beyond <c>_gradientA</c> and <c>_gradientB</c>: the network's, then the shared blocks'.</summary>
        public IReadOnlyList<string> ExtraGradientBuffers = [];

        /// <summary>Whether a layer reads another than the one before it (a skip, a join): gradients then add up.</summary>
        public bool HasBranches;

        /// <summary>The Dense layers with an L1 or L2 penalty on their weight, which Regularize adds.</summary>
        public IReadOnlyList<LayerModel> Penalized = [];
    }

    /// <summary>Computes the <see cref="NetworkPlan"/> of a valid network.</summary>
    internal sealed class Planner
    {
        private readonly NetworkModel _model;
        private readonly List<SharedBlock> _shared = [];
        private readonly bool[] _maskReaches;

        private Planner(NetworkModel model)
        {
            _model = model;
            _maskReaches = MaskReachesInput(model);
        }

        public static NetworkPlan Plan(NetworkModel model)
        {
            var planner = new Planner(model);
            Scope network = planner.BuildScopes();
            List<LayerModel> layers = model.Layers.ToList();

            // A shared block's code is planned once, on the use it was first met in (its template); then the network's own.
            foreach (SharedBlock shared in planner._shared)
            {
                planner.PlanScope(shared.Template, isNetwork: false);
            }

            planner.PlanScope(network, isNetwork: true);

            LayerModel? outputDense = model.OutputDense;
            return new NetworkPlan
            {
                Network = network,
                SharedBlocks = planner._shared,
                MaskReachesInput = planner._maskReaches,
                UsesSequenceMask = model.Layers.Any(layer => layer.PassesMask(inputMasked: false)),
                Widest = Math.Max(model.InputSize, layers.Count == 0 ? 0 : layers.Max(layer => Math.Max(layer.InputSize, layer.OutputSize))),
                Output = layers.Count == 0 ? "_input" : BufferOf(model, network, layers.Count - 1),
                OutputPreActivation = outputDense is not null && outputDense.KeepsPreActivation(isOutput: true)
                    ? $"_{GeneratedNames.CamelCase(outputDense.PropertyName)}PreActivation"
                    : null,
                ExtraGradientBuffers = network.Slots.Skip(2).Concat(planner._shared.SelectMany(shared => shared.Template.Slots.Skip(1))).ToList(),
                Penalized = layers.Where(layer => layer.Kind == LayerKind.Dense && (layer.L1 > 0 || layer.L2 > 0)).ToList(),
                HasBranches = layers.Any(layer => layer.Inputs.Length > 0 && layer.Inputs.Length != 1) || layers.Where((layer, i) => layer.Inputs.Length == 1 && layer.Source != i - 1).Any(),
            };
        }

        /// <summary>For each layer, whether a padding mask reaches its input: it starts at an Embedding with MaskZero and
        /// follows the time axis until a layer removes it (pooling, a recurrent layer's last state, Flatten).</summary>
        private static bool[] MaskReachesInput(NetworkModel model)
        {
            bool[] reaches = new bool[model.Layers.Length];
            bool[] after = new bool[model.Layers.Length];
            for (int i = 0; i < reaches.Length; i++)
            {
                LayerModel layer = model.Layers[i];
                int read = layer.Inputs.Length == 0 ? i - 1 : layer.Source;
                bool active = read >= 0 && after[read];
                reaches[i] = active;
                after[i] = layer.PassesMask(active);
            }

            return reaches;
        }

        private int ReadOf(int index) => _model.Layers[index].Inputs.Length == 0 ? index - 1 : _model.Layers[index].Source;

        /// <summary>A scope's layer steps, the items whose weights it draws, and its backward pass.</summary>
        private void PlanScope(Scope scope, bool isNetwork)
        {
            int last = _model.Layers.Length - 1;
            foreach ((int index, Scope? block) in scope.Items)
            {
                if (block is not null)
                {
                    // The state is built in the engine's constructor, or in the enclosing block's state's, whose input is `input`.
                    block.StateInput = isNetwork ? BufferOf(_model, scope, block.Input) : BufferOf(_model, scope, block.Input, "", "input");
                    if (Enumerable.Range(block.First, block.Last - block.First + 1).Any(i => _model.Layers[i].ParameterCount > 0))
                    {
                        scope.Initialized.Add((index, block));
                    }

                    continue;
                }

                LayerModel layer = _model.Layers[index];
                bool isOutput = isNetwork && index == last;
                scope.Steps[index] = new LayerStep(
                    index,
                    BufferOf(_model, scope, ReadOf(index)),
                    BufferOf(_model, scope, index),
                    isOutput,
                    _maskReaches[index],
                    LayerBuffers(scope, layer, isOutput));
                if (layer.ParameterCount > 0)
                {
                    scope.Initialized.Add((index, null));
                }
            }

            PlanBackward(scope);
        }

        /// <summary>The engine's arrays for one layer: its pre-activation if it keeps one, its kind's work buffers, its output if it computes one.</summary>
        private static List<BufferPlan> LayerBuffers(Scope scope, LayerModel layer, bool isOutput)
        {
            string field = "_" + GeneratedNames.CamelCase(Local(scope, layer.PropertyName));
            string size = layer.OutputSize.ToString(CultureInfo.InvariantCulture);
            var buffers = new List<BufferPlan>();
            if (layer.KeepsPreActivation(isOutput))
            {
                buffers.Add(new("T[]", $"{field}PreActivation", $"new T[maxBatch * {size}]"));
            }

            layer.Rule.AddWorkBuffers(layer, field, buffers);
            if (layer.MovesData)
            {
                buffers.Add(new("T[]", $"{field}Output", $"new T[maxBatch * {size}]"));
            }

            return buffers;
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
            bool[] masked = _maskReaches;
            LayerModel first = _model.Layers[use.First];
            string key = $"{value.TypeName}|{ShapeMath.Format(first.InputShape)}|" +
                string.Concat(Enumerable.Range(use.First, use.Last - use.First + 1).Select(i => masked[i] ? '1' : '0'));
            SharedBlock? shared = _shared.FirstOrDefault(block => block.Key == key);
            if (shared is not null)
            {
                return shared;
            }

            // "global::Ns.Outer.Block" and, for a block in the global namespace, "global::Block" both end in "Block".
            string typeName = value.TypeName!;
            string shortName = typeName.Substring(Math.Max(typeName.LastIndexOf('.'), typeName.LastIndexOf(':')) + 1);
            int same = _shared.Count(block => block.Name == shortName + "Block" || block.Name.StartsWith(shortName + "Block_", StringComparison.Ordinal));
            string name = same == 0 ? shortName + "Block" : $"{shortName}Block_{(same + 1).ToString(CultureInfo.InvariantCulture)}";
            shared = new SharedBlock { Key = key, Name = name, Type = shortName, StateType = name + "State", Template = use };
            _shared.Add(shared);
            return shared;
        }

        // A layer's property name within the scope: "Layer1_0_Conv1" is "Conv1" in the code of its block.
        internal static string Local(Scope scope, string propertyName)
            => scope.Path.Length > 0 && propertyName.StartsWith(scope.Path, StringComparison.Ordinal) ? propertyName.Substring(scope.Path.Length) : propertyName;

        /// <summary>The buffer that holds the output of layer <paramref name="index"/>, as code in <paramref name="scope"/>.</summary>
        internal static string BufferOf(NetworkModel model, Scope scope, int index) => BufferOf(model, scope, index, scope.State, scope.InputName);

        internal static string BufferOf(NetworkModel model, Scope scope, int index, string state, string input)
        {
            if (index < scope.First)
            {
                return scope.Shared is null && index < 0 ? "_input" : input;
            }

            if (scope.Owner.TryGetValue(index, out Scope? child))
            {
                string childState = $"{state}{child.Field}.";
                return BufferOf(model, child, index, childState, BufferOf(model, scope, child.Input, state, input));
            }

            LayerModel layer = model.Layers[index];
            if (!layer.MovesData)
            {
                return BufferOf(model, scope, layer.Inputs.Length == 0 ? index - 1 : layer.Source, state, input);
            }

            return $"{state}_{GeneratedNames.CamelCase(Local(scope, layer.PropertyName))}Output";
        }


        /// <summary>
        /// The backward pass of a scope, in reverse order of its items: each layer's output gradient lives in a buffer
        /// from when the first of its readers (the last in forward order) writes it until the layer itself has used it.
        /// The first reader writes the gradient, any other adds to it (through a scratch buffer, as the kernels write);
        /// so a stack ping-pongs between _gradientA and _gradientB, and a skip holds a buffer back. Flatten moves no
        /// data: its readers write the gradient of the layer it flattens. A shared block's pass starts from the
        /// gradient it is handed, dy.
        /// </summary>
        private void PlanBackward(Scope scope)
        {
            List<GradientStep> steps = scope.Backward;
            List<LayerModel> layers = _model.Layers.ToList();
            bool shared = scope.Shared is not null;
            List<string> names = scope.Slots;
            names.AddRange(shared ? ["dy"] : ["_gradientA", "_gradientB"]);
            var busy = new HashSet<string>(StringComparer.Ordinal);
            var gradientOf = new Dictionary<int, string>();
            bool inputWritten = false;
            LayerModel? outputDense = shared ? null : _model.OutputDense;
            bool fusable = outputDense is not null && outputDense.Activation != Activation.Identity;

            int Read(int layer, int k) => layers[layer].Inputs.Length == 0 ? layer - 1 : layers[layer].Inputs[k];

            // The node whose gradient a read of layer `node` feeds: a layer that moves data, a use of a block (its
            // output), or -1 for the scope's input.
            int Computing(int node)
            {
                while (node >= scope.First)
                {
                    if (scope.Owner.TryGetValue(node, out Scope? block))
                    {
                        return block.Last;
                    }

                    if (layers[node].MovesData)
                    {
                        return node;
                    }

                    node = Read(node, 0);
                }

                return -1;
            }

            string Allocate()
            {
                string? free = names.FirstOrDefault(name => !busy.Contains(name));
                if (free is null)
                {
                    string letter = ((char)('A' + names.Count)).ToString();
                    free = shared ? $"_{GeneratedNames.CamelCase(scope.Shared!.Name)}Gradient{letter}" : "_gradient" + letter;
                    names.Add(free);
                }

                busy.Add(free);
                return free;
            }

            // Where the gradient of `source` (-1: the scope's input) goes from a reader: written by the first reader,
            // added by the others. A layer's backward writes, so its sum goes through a scratch buffer; a join's adds itself.
            GradientTarget Target(int source, int values, bool viaScratch)
            {
                if (source < 0)
                {
                    bool accumulate = inputWritten;
                    inputWritten = true;
                    return new GradientTarget(null, accumulate, accumulate && viaScratch ? Allocate() : null, values);
                }

                if (!gradientOf.TryGetValue(source, out string? target))
                {
                    gradientOf[source] = Allocate();
                    return new GradientTarget(gradientOf[source], false, null, values);
                }

                return new GradientTarget(target, true, viaScratch ? Allocate() : null, values);
            }

            int last = Computing(scope.Last);
            if (last < 0)
            {
                steps.Add(new PassThroughStep(shared ? "dy" : "_gradientA", InputMayBeEmpty: shared));
                return;
            }

            gradientOf[last] = Allocate();
            for (int item = scope.Items.Count - 1; item >= 0; item--)
            {
                (int j, Scope? block) = scope.Items[item];
                LayerModel layer = layers[j];
                if (block is null && !layer.MovesData)
                {
                    continue;
                }

                if (!gradientOf.TryGetValue(j, out string? dy))
                {
                    steps.Add(new NoGradientStep(j, IsBlock: block is not null));
                    continue;
                }

                if (block is null && layer.IsJoin)
                {
                    // An Add passes its output gradient (after its activation's) to both inputs; a Concatenate each input its columns.
                    if (((JoinLayer)layer.Rule).HasBackwardMethod(layer))
                    {
                        steps.Add(new JoinActivationStep(j, dy));
                    }

                    (int rowsPerSample, int outputWidth) = JoinLayer.JoinRows(layer.OutputShape);
                    int offset = 0;
                    foreach (int input in layer.Inputs)
                    {
                        int values = ShapeMath.Size(input < 0 ? _model.InputShape : _model.Layers[input].OutputShape);
                        int width = values / rowsPerSample;
                        steps.Add(new JoinShareStep(j, dy, Target(Computing(input), values, viaScratch: false), rowsPerSample, width, offset, outputWidth));
                        offset += width;
                    }
                }
                else
                {
                    int source = Computing(block is null ? Read(j, 0) : block.Input);
                    int values = block is null ? layer.InputSize : layers[block.First].InputSize;
                    bool fused = block is null && j == layers.Count - 1 && ReferenceEquals(layer, outputDense) && fusable;
                    GradientTarget into = Target(source, values, viaScratch: true);
                    steps.Add(new BackwardStep(j, block, dy, into, fused));
                    if (into.Scratch is not null)
                    {
                        busy.Remove(into.Scratch);
                    }
                }

                busy.Remove(dy);
                gradientOf.Remove(j);
            }
        }
    }
}
