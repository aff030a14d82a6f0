using System;
using System.Collections.Generic;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Layers;
using TypedNets.Generator.Model;

namespace TypedNets.Generator;

public sealed partial class NetworkGenerator
{
    internal sealed partial class Emitter
    {
        // Where the layer methods being written live: the network itself, or a block type's code shared by its uses.
        private Scope _scope = null!;

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
        private string BufferOf(Scope scope, int index) => Planner.BufferOf(_model, scope, index);

        private static string Local(Scope scope, string propertyName) => Planner.Local(scope, propertyName);

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
                    lines.Add(layer.Rule.ForwardTakesTraining(layer)
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
            foreach (SharedBlock shared in _plan.SharedBlocks)
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
                    foreach ((int index, Scope? block) in scope.Items)
                    {
                        if (block is null)
                        {
                            foreach (BufferPlan buffer in scope.Steps[index].Buffers)
                            {
                                _writer.WriteLine($"internal readonly {buffer.Type} {buffer.Field};");
                            }
                        }
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
                        foreach ((int index, Scope? block) in scope.Items)
                        {
                            if (block is null)
                            {
                                foreach (BufferPlan buffer in scope.Steps[index].Buffers)
                                {
                                    _writer.WriteLine($"{buffer.Field} = {buffer.Initializer};");
                                }
                            }
                            else
                            {
                                _writer.WriteLine($"{block.Field} = {NewState(block, scope, "p", "b")};");
                            }
                        }
                    }
                }

                _writer.WriteLine();
                EmitSharedMethods(shared);
            }
        }

        // The construction of a use's state, its weights' start given relative to the enclosing scope's.
        private static string NewState(Scope block, Scope within, string p, string b)
        {
            string Offset(string start, int offset) => offset == 0 ? start : $"{start} + {Invariant(offset)}";
            return within.Shared is null
                ? $"new {block.Shared!.StateType}(maxBatch, {Invariant(block.ParameterBase)}, {Invariant(block.BufferBase)}, {block.StateInput})"
                : $"new {block.Shared!.StateType}(maxBatch, {Offset(p, block.ParameterBase - within.ParameterBase)}, {Offset(b, block.BufferBase - within.BufferBase)}, {block.StateInput})";
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
                EmitBackwardSteps(scope);
            }

            if (scope.Initialized.Count > 0)
            {
                _writer.WriteLine();
                using (_writer.Block($"private void {shared.Name}Initialize({shared.StateType} s, ref global::TypedNets.Xoshiro256 random)"))
                {
                    EmitInitializeItems(scope);
                }
            }

            foreach ((int index, Scope? block) in scope.Items)
            {
                if (block is null && _model.Layers[index].MovesData)
                {
                    _writer.WriteLine();
                    EmitLayerMethods(scope.Steps[index]);
                }
            }

            _scope = saved;
        }
    }
}
