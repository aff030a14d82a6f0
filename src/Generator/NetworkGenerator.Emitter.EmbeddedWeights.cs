// The members of a network with [EmbeddedWeights]: the weights as constant data behind ReadOnlySpan properties, and
// LoadEmbeddedWeights, which copies them into the network (the constructor calls it). Float weights are the parameter
// and buffer arrays as they are; int8 weights (Quantization = EmbeddedQuantization.Int8) are the codes and scales the
// generator quantised, with the parameters that stay float, and LoadEmbeddedWeights makes the network the quantised one.
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;

namespace TypedNets.Generator;

public sealed partial class NetworkGenerator
{
    internal sealed partial class Emitter
    {
        /// <summary>
        /// With <c>[EmbeddedWeights]</c>: the parameters as constant data behind a <c>ReadOnlySpan</c> property, which
        /// the compiler stores in the assembly's data section (RVA static data), so that reading it allocates nothing
        /// and touches no file; and the method that copies them into the parameter buffer. Weights that failed their
        /// check get members that throw, so that the user's calls still compile and the TypedNets errors are the only ones.
        /// </summary>
        /// <remarks>
        /// The data is written as 64-bit words, two parameters each, rather than as a byte-array literal: the compiler
        /// stores both as RVA data, but every literal is a syntax node, and a 5 MB model as bytes took the C# compiler
        /// 118 s and 7.5 GB of memory, as words 12 s and 0.95 GB (uint words: 21 s, 1.8 GB). The public
        /// <c>EmbeddedWeightBytes</c> views the words as bytes.
        /// </remarks>
        private void EmitEmbeddedWeights()
        {
            if (_model.EmbeddedWeights is not { } weights)
            {
                return;
            }

            string file = EscapeXml(weights.FileName);
            if (weights.IsInt8)
            {
                EmitInt8Load(file, weights);
            }
            else
            {
                _writer.WriteBlock($$"""

                    /// <summary>
                    /// Copies the weights compiled in from <c>{{file}}</c> into <c>Parameters</c>{{(_model.BufferCount > 0 ? " and <c>Buffers</c>" : "")}}, replacing the current ones.
                    /// The constructor has done so already; call it again to undo training or <c>Initialize</c>. Allocates nothing.
                    /// </summary>
                    public void {{GeneratedNames.LoadEmbeddedWeights}}()
                    {
                        using global::TypedNets.NetworkAccess.Scope exclusive = _core.Access.Exclusive({{StringLiteral(GeneratedNames.LoadEmbeddedWeights)}});
                        global::TypedNets.Serialization.EmbeddedParameters.CopyTo({{StringLiteral(_model.DisplayName)}}, {{GeneratedNames.EmbeddedWeightBytes}}, _core.Engine.Parameters);
                        global::TypedNets.NetworkExtensions.MarkWeightsChanged(this);
                    """);
                if (_model.BufferCount > 0)
                {
                    _writer.WriteLine($"    global::TypedNets.Serialization.EmbeddedParameters.CopyTo({StringLiteral(_model.DisplayName)}, {GeneratedNames.EmbeddedBufferBytes}, _core.Engine.Buffers);");
                }

                _writer.WriteLine("}");
                _writer.WriteLine();
            }

            if (!weights.IsValid)
            {
                _writer.WriteBlock($$"""
                    /// <summary>Not available: the embedded weights failed their checks (see the TypedNets errors on <c>[EmbeddedWeights]</c>).</summary>
                    public static {{ReadOnlySpan}}<byte> {{GeneratedNames.EmbeddedWeightBytes}} => throw new global::System.InvalidOperationException(
                        {{StringLiteral($"{_model.DisplayName}'s embedded weights '{weights.FileName}' failed their checks (TypedNets errors TN0029-TN0033); fix them to embed the weights.")}});
                    """);
                if (_model.BufferCount > 0)
                {
                    _writer.WriteBlock($$"""

                        /// <summary>Not available: the embedded weights failed their checks (see the TypedNets errors on <c>[EmbeddedWeights]</c>).</summary>
                        public static {{ReadOnlySpan}}<byte> {{GeneratedNames.EmbeddedBufferBytes}} => {{GeneratedNames.EmbeddedWeightBytes}};
                        """);
                }

                return;
            }

            if (weights.IsInt8)
            {
                EmitInt8Data(file, weights);
                return;
            }

            string total = _model.BufferCount > 0 ? $"ParameterCount + {Invariant(_model.BufferCount)}" : "ParameterCount";
            string parameterBytes = _model.BufferCount > 0 ? "[..(4 * ParameterCount)]" : string.Empty;

            _writer.WriteBlock($$"""
                /// <summary>
                /// The weights compiled in from <c>{{file}}</c>: all {{Invariant(_model.ParameterCount)}} parameters as little-endian float32 bytes, in
                /// the layout of <c>Parameters</c>. They live in the assembly's data section; reading them allocates nothing.
                /// </summary>
                public static {{ReadOnlySpan}}<byte> {{GeneratedNames.EmbeddedWeightBytes}}
                    => global::TypedNets.Serialization.EmbeddedParameters.LittleEndianBytes({{GeneratedNames.EmbeddedWeightWords}}, {{total}}){{parameterBytes}};

                """);
            if (_model.BufferCount > 0)
            {
                _writer.WriteBlock($$"""
                    /// <summary>
                    /// The buffers compiled in from <c>{{file}}</c>: all {{Invariant(_model.BufferCount)}} values (BatchNorm's running statistics) as
                    /// little-endian float32 bytes, in the layout of <c>Buffers</c>.
                    /// </summary>
                    public static {{ReadOnlySpan}}<byte> {{GeneratedNames.EmbeddedBufferBytes}}
                        => global::TypedNets.Serialization.EmbeddedParameters.LittleEndianBytes({{GeneratedNames.EmbeddedWeightWords}}, {{total}})[(4 * ParameterCount)..];

                    """);
            }

            _writer.WriteBlock($$"""
                // The values' little-endian bytes (the parameters, then the buffers) read as 64-bit little-endian words, two
                // values a word (the last one padded with zeros): constant data, like a byte array, with an eighth of the
                // literals to compile.
                """);
            // The parameters, then the buffers: each tensor's comment gives its place in its own array.
            var segments = _model.Layers.SelectMany(layer => layer.Tensors.Select(tensor => new Segment(
                    $"{layer.ModuleName}.{tensor.Name} {ShapeMath.Format(tensor.Shape)}: parameters {Invariant(tensor.Offset)} to {Invariant(tensor.Offset + tensor.Length - 1)}",
                    4 * tensor.Offset, 4 * tensor.Length, FirstValueAbove)))
                .Concat(BufferSegments(4 * _model.ParameterCount));
            EmitWords(weights.Data.AsSpan().ToArray(), segments);
        }

        private const string FirstValueAbove = ", the first value in the word above";

        /// <summary>A part of the embedded data, in bytes, with the comment written above its first word.</summary>
        private sealed record Segment(string Comment, int Start, int Length, string SharedWord);

        private IEnumerable<Segment> BufferSegments(int start)
            => _model.Layers.SelectMany(layer => layer.Buffers.Select(buffer => new Segment(
                $"{layer.ModuleName}.{buffer.Name} {ShapeMath.Format(buffer.Shape)}: buffer values {Invariant(buffer.Offset)} to {Invariant(buffer.Offset + buffer.Length - 1)}",
                start + (4 * buffer.Offset), 4 * buffer.Length, FirstValueAbove)));

        private void EmitInt8Load(string file, EmbeddedWeightsModel weights)
        {
            string offsets = string.Join(", ", weights.Int8Weights.Select(weight => Invariant(weight.Offset)));
            _writer.WriteBlock($$"""

                /// <summary>
                /// Makes the network the int8 network quantised at build time from <c>{{file}}</c>: its {{Invariant(weights.Int8Weights.Length)}} int8 weights run on
                /// codes with a scale per row (activations quantised per row at each product, as after <c>Quantize()</c>), and
                /// <c>Parameters</c>{{(_model.BufferCount > 0 ? " and <c>Buffers</c>" : "")}} hold what <c>Quantize()</c> of the float network holds: the dequantised weights and
                /// the other values as the file has them. The constructor has done so already; call it again after <c>Initialize</c>.
                /// </summary>
                public void {{GeneratedNames.LoadEmbeddedWeights}}()
                {
                    using global::TypedNets.NetworkAccess.Scope exclusive = _core.Access.Exclusive({{StringLiteral(GeneratedNames.LoadEmbeddedWeights)}});
                    global::TypedNets.Serialization.EmbeddedParameters.LoadInt8(this, {{GeneratedNames.EmbeddedWeightBytes}}, [{{offsets}}]);
                """);
            if (_model.BufferCount > 0)
            {
                _writer.WriteLine($"    global::TypedNets.Serialization.EmbeddedParameters.CopyTo({StringLiteral(_model.DisplayName)}, {GeneratedNames.EmbeddedBufferBytes}, _core.Engine.Buffers);");
            }

            _writer.WriteLine("}");
            _writer.WriteLine();
        }

        private void EmitInt8Data(string file, EmbeddedWeightsModel weights)
        {
            int codes = weights.Int8Weights.Sum(weight => weight.Length);
            int scales = weights.Int8Weights.Sum(weight => weight.Rows);
            int floats = _model.ParameterCount - codes;
            int buffers = 4 * _model.BufferCount;
            string slice = buffers > 0 ? $"[{Invariant(buffers)}..]" : string.Empty;
            _writer.WriteBlock($$"""
                /// <summary>
                /// The weights compiled in from <c>{{file}}</c>, quantised to int8 at build time: the {{Invariant(floats)}} parameters that stay float
                /// (little-endian float32, in parameter order), the scales of the int8 weights' {{Invariant(scales)}} rows (float32), and their
                /// {{Invariant(codes)}} codes (one byte each, row-major): {{Invariant((4 * (floats + scales)) + codes)}} bytes, where the float parameters would take {{Invariant(4 * _model.ParameterCount)}}.
                /// They live in the assembly's data section; reading them allocates nothing.
                /// </summary>
                public static {{ReadOnlySpan}}<byte> {{GeneratedNames.EmbeddedWeightBytes}}
                    => global::TypedNets.Serialization.EmbeddedParameters.WordBytes({{GeneratedNames.EmbeddedWeightWords}}, {{Invariant(weights.Data.Length)}}){{slice}};

                """);
            if (_model.BufferCount > 0)
            {
                _writer.WriteBlock($$"""
                    /// <summary>
                    /// The buffers compiled in from <c>{{file}}</c>: all {{Invariant(_model.BufferCount)}} values (BatchNorm's running statistics) as
                    /// little-endian float32 bytes, in the layout of <c>Buffers</c>.
                    /// </summary>
                    public static {{ReadOnlySpan}}<byte> {{GeneratedNames.EmbeddedBufferBytes}}
                        => global::TypedNets.Serialization.EmbeddedParameters.WordBytes({{GeneratedNames.EmbeddedWeightWords}}, {{Invariant(weights.Data.Length)}})[..{{Invariant(buffers)}}];

                    """);
            }

            _writer.WriteBlock($$"""
                // The bytes ({{(buffers > 0 ? "the buffers, " : "")}}the float parameters, the int8 weights' scales, then their codes) read as 64-bit
                // little-endian words, the last one padded with zeros: constant data, like a byte array, with an eighth of
                // the literals to compile.
                """);
            var quantized = new HashSet<int>(weights.Int8Weights.Select(weight => weight.Offset));
            var segments = new List<Segment>(BufferSegments(0));
            int at = buffers;
            foreach (LayerModel layer in _model.Layers)
            {
                foreach (TensorModel tensor in layer.Tensors.Where(tensor => !quantized.Contains(tensor.Offset)))
                {
                    segments.Add(new Segment(
                        $"{layer.ModuleName}.{tensor.Name} {ShapeMath.Format(tensor.Shape)}: float parameters {Invariant(tensor.Offset)} to {Invariant(tensor.Offset + tensor.Length - 1)}",
                        at, 4 * tensor.Length, FirstValueAbove));
                    at += 4 * tensor.Length;
                }
            }

            foreach (QuantizedWeightModel weight in weights.Int8Weights)
            {
                segments.Add(new Segment($"{weight.Name} [{Invariant(weight.Rows)}, {Invariant(weight.Columns)}]: the scales of its {Invariant(weight.Rows)} rows", at, 4 * weight.Rows, FirstValueAbove));
                at += 4 * weight.Rows;
            }

            foreach (QuantizedWeightModel weight in weights.Int8Weights)
            {
                segments.Add(new Segment(
                    $"{weight.Name} [{Invariant(weight.Rows)}, {Invariant(weight.Columns)}]: int8 codes of parameters {Invariant(weight.Offset)} to {Invariant(weight.Offset + weight.Length - 1)}",
                    at, weight.Length, ", its first codes in the word above"));
                at += weight.Length;
            }

            EmitWords(weights.Data.AsSpan().ToArray(), segments);
        }

        /// <summary>
        /// The private <c>EmbeddedWeightWords</c>: <paramref name="data"/> as little-endian 64-bit words, four a line,
        /// each segment's comment above the line of its first word (a segment that starts inside a word says so).
        /// </summary>
        private void EmitWords(byte[] data, IEnumerable<Segment> segments)
        {
            _writer.WriteLine($"private static {ReadOnlySpan}<ulong> {GeneratedNames.EmbeddedWeightWords} => new ulong[]");
            _writer.WriteLine("{");
            using (Indent())
            {
                int words = (data.Length + 7) / 8;
                int written = 0;
                var line = new StringBuilder();
                foreach (Segment segment in segments)
                {
                    int first = segment.Start / 8;
                    int last = (segment.Start + segment.Length - 1) / 8;
                    string shared = first < written ? segment.SharedWord : string.Empty;
                    _writer.WriteLine($"// {segment.Comment}{shared}");
                    for (; written <= last && written < words; written++)
                    {
                        ulong word = 0;
                        for (int i = 7; i >= 0; i--)
                        {
                            int index = (8 * written) + i;
                            word = (word << 8) | (index < data.Length ? data[index] : (byte)0);
                        }

                        line.Append("0x").Append(word.ToString("X16", CultureInfo.InvariantCulture)).Append(", ");
                        if (line.Length >= WordsPerLine * 20 || written == last)
                        {
                            _writer.WriteLine(line.ToString(0, line.Length - 1));
                            line.Clear();
                        }
                    }
                }
            }

            _writer.WriteLine("};");
        }
    }
}
