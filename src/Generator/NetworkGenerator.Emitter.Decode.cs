// The one-position decode path of a causal language model, which generation runs once per token: a network whose
// input is token ids ([TokenInput(steps)]), whose output is one row of vocabulary logits per position, and whose every
// layer computes a position's row from the rows of that position and earlier ones (embeddings, Dense, LayerNorm,
// Dropout, Add and causal SelfAttention) gets a nested Decoder: for one token at one position it runs each layer on
// one row (attention through AttentionKernel.Decode against its layer's key/value caches) and writes the position's
// logits. As the rest of the generated code it is straight-line, every size and offset a literal; it covers the
// network's flat list of layers, so a block's layers are written once per use, with their own weights and caches.
// The network gets CreateGenerator and Generate, which run TextGenerator (the runtime's session: prefill, sampling,
// the window rule) over the decoder. Any other layer (Flatten, pooling, convolution, recurrent, non-causal attention)
// mixes positions or ends the sequence, and the network gets neither.
using System.Collections.Generic;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Layers;
using TypedNets.Generator.Model;

namespace TypedNets.Generator;

public sealed partial class NetworkGenerator
{
    /// <summary>What a layer rule's decode hook writes with: the rows of the layers so far, the fields and the lines of the step.</summary>
    internal sealed class Decoding
    {
        private readonly NetworkModel _model;
        private readonly Dictionary<int, string> _rows = [];

        public Decoding(NetworkModel model, int context, int vocabulary)
        {
            _model = model;
            Context = context;
            Vocabulary = vocabulary;
        }

        /// <summary>The positions the caches hold, the network's steps.</summary>
        public int Context { get; }

        /// <summary>The token ids and the logits per position.</summary>
        public int Vocabulary { get; }

        /// <summary>The decoder's fields, each a declaration with its initializer.</summary>
        public List<string> Fields { get; } = [];

        /// <summary>The step's body, line by line.</summary>
        public List<string> Lines { get; } = [];

        /// <summary>The network.</summary>
        public NetworkModel Model => _model;

        /// <summary>Whether <paramref name="layer"/> is the network's output, whose row is the logits.</summary>
        public bool IsOutput(LayerModel layer) => ReferenceEquals(layer, _model.Layers[_model.Layers.Length - 1]);

        /// <summary>The row that holds layer <paramref name="index"/>'s output for this position.</summary>
        public string RowOf(int index) => _rows[index];

        /// <summary>The field stem of a layer's arrays, <c>_h0AttnLn1</c>.</summary>
        public static string Stem(LayerModel layer) => "_" + GeneratedNames.CamelCase(layer.PropertyName);

        /// <summary>A view of the weights: <paramref name="length"/> floats from <paramref name="offset"/>, as code.</summary>
        public static string Weights(int offset, int length) => $"new {Emitter.ReadOnlySpan}<float>(_parameters, {Emitter.Invariant(offset)}, {Emitter.Invariant(length)})";

        /// <summary>Declares a float array field of <paramref name="length"/> and returns its name.</summary>
        public string Array(string name, int length)
        {
            Fields.Add($"private readonly float[] {name} = new float[{Emitter.Invariant(length)}];");
            return name;
        }

        /// <summary>The row a layer writes: the logits for the output layer, else an array of its own of one position's width.</summary>
        public string Output(LayerModel layer)
            => IsOutput(layer) ? "logits" : Array(Stem(layer) + "Row", layer.OutputShape[layer.OutputShape.Length - 1]);

        internal void SetRow(int index, string row) => _rows[index] = row;
    }

    internal sealed partial class Emitter
    {
        /// <summary>
        /// The context and vocabulary of a network that decodes one position at a time, or (0, 0): token ids in, one
        /// row of vocabulary logits per position out, every layer per position or causal.
        /// </summary>
        internal static (int Context, int Vocabulary) DecodeShape(NetworkModel model)
        {
            if (!model.TokenInput || model.InputShape.Length != 1 || model.Layers.Length == 0)
            {
                return (0, 0);
            }

            int steps = model.InputShape[0];
            int vocabulary = 0;
            foreach (LayerModel layer in model.Layers)
            {
                if (layer.OutputShape.Length != 2 || layer.OutputShape[0] != steps || !layer.Rule.Decodes(layer, steps))
                {
                    return (0, 0);
                }

                if (layer.Rule.ReadsTokens)
                {
                    // Every embedding reads the same ids, so all must take the same vocabulary.
                    if (vocabulary != 0 && vocabulary != layer.Vocabulary)
                    {
                        return (0, 0);
                    }

                    vocabulary = layer.Vocabulary;
                }
            }

            EquatableArray<int> output = model.Layers[model.Layers.Length - 1].OutputShape;
            return vocabulary > 0 && output[1] == vocabulary ? (steps, vocabulary) : (0, 0);
        }

        /// <summary>Writes the decoder, <c>CreateGenerator</c> and <c>Generate</c> of a network that decodes one position at a time.</summary>
        private void EmitDecoder()
        {
            (int context, int vocabulary) = DecodeShape(_model);
            if (context == 0)
            {
                return;
            }

            var decoding = new Decoding(_model, context, vocabulary);
            for (int i = 0; i < _model.Layers.Length; i++)
            {
                LayerModel layer = _model.Layers[i];
                string input = layer.Rule.ReadsTokens ? "token" : decoding.RowOf(layer.Source);
                decoding.SetRow(i, layer.Rule.EmitDecode(decoding, layer, input));
            }

            string last = decoding.RowOf(_model.Layers.Length - 1);
            if (last != "logits")
            {
                decoding.Lines.Add($"{last}.AsSpan().CopyTo(logits);");
            }

            string name = _model.DisplayName;
            string c = Invariant(context);
            _writer.WriteBlock($$"""

                /// <summary>
                /// Creates a generation session: <see cref="global::TypedNets.Text.TextGenerator.Prefill"/> a prompt, then
                /// <see cref="global::TypedNets.Text.TextGenerator.Next"/> samples one token at a time, each at the cost of one position's work over the
                /// key/value caches, allocating nothing. The session holds its own caches ({{c}} positions per attention layer) and reads
                /// this network's current weights.
                /// </summary>
                /// <param name="temperature">The divisor of the logits, &gt;= 0: below 1 sharper, above 1 flatter, 0 greedy (argmax).</param>
                /// <param name="topK">Sample only from the k most likely tokens (ties at the cut kept); 0 for all.</param>
                /// <param name="topP">Sample only from the fewest most likely tokens whose probabilities reach this sum, in (0, 1]; 1 for all.</param>
                /// <param name="seed">Fixes every draw.</param>
                /// <returns>A session for one thread at a time; any number may run at once.</returns>
                /// <exception cref="global::System.ArgumentOutOfRangeException">When <paramref name="temperature"/>, <paramref name="topK"/> or <paramref name="topP"/> is outside its range.</exception>
                public global::TypedNets.Text.TextGenerator CreateGenerator(double temperature = 1.0, int topK = 0, double topP = 1.0, ulong seed = 0)
                    => new(new Decoder(_core), temperature, topK, topP, seed);

                /// <summary>
                /// Continues <paramref name="prompt"/> by <paramref name="maxNewTokens"/> sampled tokens, as nanoGPT's <c>generate</c>; returns the
                /// prompt followed by them. Past the context of {{c}} positions the last {{Invariant(context / 2)}} tokens are kept and the caches refilled
                /// from them (see <see cref="global::TypedNets.Text.TextGenerator"/>).
                /// </summary>
                /// <param name="prompt">1 to {{c}} token ids, each in [0, {{Invariant(vocabulary - 1)}}].</param>
                /// <param name="maxNewTokens">How many tokens to add, &gt;= 0.</param>
                /// <param name="temperature">The divisor of the logits, &gt;= 0: below 1 sharper, above 1 flatter, 0 greedy (argmax).</param>
                /// <param name="topK">Sample only from the k most likely tokens (ties at the cut kept); 0 for all.</param>
                /// <param name="topP">Sample only from the fewest most likely tokens whose probabilities reach this sum, in (0, 1]; 1 for all.</param>
                /// <param name="seed">Fixes every draw.</param>
                /// <returns><c>prompt.Length + maxNewTokens</c> token ids.</returns>
                /// <exception cref="global::System.ArgumentException">When <paramref name="prompt"/> is empty or longer than {{c}} tokens.</exception>
                /// <exception cref="global::System.ArgumentOutOfRangeException">When an id of <paramref name="prompt"/>, <paramref name="maxNewTokens"/>, <paramref name="temperature"/>, <paramref name="topK"/> or <paramref name="topP"/> is outside its range.</exception>
                /// <exception cref="global::System.InvalidOperationException">When another thread trains the network or loads its weights.</exception>
                public int[] Generate({{ReadOnlySpan}}<int> prompt, int maxNewTokens, double temperature = 1.0, int topK = 0, double topP = 1.0, ulong seed = 0)
                    => CreateGenerator(temperature, topK, topP, seed).Generate(prompt, maxNewTokens);

                // {{name}} one position at a time: each layer on one row, attention against its layer's key/value caches.
                {{GeneratedCode}}
                private sealed class Decoder : global::TypedNets.Text.TokenDecoder
                {
                    private readonly float[] _parameters;
                    private readonly global::TypedNets.NetworkEngine<float> _engine;
                """);
            using (Indent())
            {
                foreach (string field in decoding.Fields)
                {
                    _writer.WriteLine(field);
                }

                _writer.WriteBlock($$"""

                    internal Decoder(global::TypedNets.NetworkCore core)
                        : base({{StringLiteral(name)}}, {{Invariant(vocabulary)}}, {{c}}, core.Access)
                    {
                        _engine = core.Engine;
                        _parameters = core.Engine.Parameters;
                    }

                    /// <inheritdoc/>
                    public override void Step(int token, int position, {{Span}}<float> logits)
                    {
                    """);
                using (Indent())
                {
                    foreach (string line in decoding.Lines)
                    {
                        _writer.WriteLine(line);
                    }
                }

                _writer.WriteLine("}");
            }

            _writer.WriteLine("}");
        }
    }
}
