using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using global::Onnx;

namespace TypedNets.Onnx;

/// <summary>
/// The padding mask of an Embedding with MaskZero, as the runtime applies it: global 1-D pooling over the real steps
/// only (PoolingKernel), and recurrent layers that skip padded steps, keeping their state through them and writing zeros
/// there (LstmKernel, GruKernel, RecurrentStack; Keras' <c>mask_zero</c>). Padding may sit anywhere in a sequence, so
/// ONNX's <c>sequence_lens</c>, which cuts trailing steps only, does not fit: the recurrence is unrolled over the
/// declared (constant) steps, one single-step LSTM or GRU operator per step and direction, each step's new state
/// taken only where the step is real. Int8 recurrent layers, masked or not, are unrolled the same way, since ONNX's
/// LSTM and GRU operators take float weights only: each step spells out the runtime's int8 cell.
/// </summary>
internal sealed partial class OnnxGraphBuilder
{
    /// <summary>True for a real token, false for padding (id 0): bool <c>[batch, steps]</c>.</summary>
    private string PaddingMask(string tokens, string layer)
    {
        string padding = Node("Equal", [tokens, ConstantInts(layer + "/padding_id", 0)], [Fresh(layer + "/is_padding")], layer);
        return Node("Not", [padding], [Fresh(layer + "/mask")], layer);
    }

    /// <summary>The mask as float <c>[batch, steps, 1]</c>, to weigh each step's features.</summary>
    private string StepWeights(string mask, string layer)
    {
        string weights = Node("Cast", [mask], [Fresh(layer + "/mask_float")], layer, Int("to", (long)TensorProto.Types.DataType.Float));
        return Node("Unsqueeze", [weights, ConstantInts(layer + "/feature_axis", 2)], [Fresh(layer + "/step_weights")], layer);
    }

    /// <summary>The mean over the real steps; zeros for a sample without one (PoolingKernel.AverageForward).</summary>
    private void EmitMaskedAverage(string layer, string mask)
    {
        string weights = StepWeights(mask, layer);
        string kept = Node("Mul", [_current, weights], [Fresh(layer + "/kept")], layer);
        string steps = ConstantInts(layer + "/steps_axis", 1);
        string sum = Node("ReduceSum", [kept, steps], [Fresh(layer + "/sum")], layer, Int("keepdims", 0));
        string count = Node("ReduceSum", [weights, steps], [Fresh(layer + "/count")], layer, Int("keepdims", 0));
        string divisor = Node("Max", [count, Constant(layer + "/one", 1f)], [Fresh(layer + "/divisor")], layer);
        _current = Node("Div", [sum, divisor], [Fresh(layer + "/mean")], layer);
        _shape = [_shape[1]];
    }

    /// <summary>The maximum over the real steps; zeros for a sample without one (PoolingKernel.MaxForward).</summary>
    private void EmitMaskedMax(string layer, string mask)
    {
        string stepMask = Node("Unsqueeze", [mask, ConstantInts(layer + "/feature_axis", 2)], [Fresh(layer + "/step_mask")], layer);
        string candidates = Node("Where", [stepMask, _current, Constant(layer + "/minus_infinity", float.NegativeInfinity)], [Fresh(layer + "/candidates")], layer);
        string max = Node("ReduceMax", [candidates], [Fresh(layer + "/max")], layer, Ints("axes", 1), Int("keepdims", 0));
        string weights = Node("Cast", [mask], [Fresh(layer + "/mask_float")], layer, Int("to", (long)TensorProto.Types.DataType.Float));
        string any = Node("ReduceMax", [weights], [Fresh(layer + "/any_float")], layer, Ints("axes", 1), Int("keepdims", 1));
        string anyKept = Node("Cast", [any], [Fresh(layer + "/any")], layer, Int("to", (long)TensorProto.Types.DataType.Bool));
        _current = Node("Where", [anyKept, max, Constant(layer + "/zero", 0f)], [Fresh(layer + "/masked_max")], layer);
        _shape = [_shape[1]];
    }

    /// <summary>
    /// An LSTM or GRU (stacked, bidirectional) unrolled over its declared steps: per layer and direction, one step
    /// after the other, in time order or reversed. A float step is a single-step ONNX operator; an int8 step spells out
    /// the runtime's cell (<see cref="Int8Step"/>). With a padding mask, at a padded step the state stays what it was
    /// and the step's output is zero, so the next stacked layer, and a reverse direction, read the sequence the
    /// runtime's kernels read.
    /// </summary>
    private void EmitUnrolledRecurrent(RecurrentLayer recurrent, string? mask)
    {
        bool lstm = recurrent is LstmLayer;
        string name = recurrent.Name;
        int steps = _shape[0];
        int directions = recurrent.Bidirectional ? 2 : 1;
        int units = recurrent.Units;
        string zero = Constant(name + "/zero", 0f);
        AttributeProto[] attributes = RecurrentAttributes(recurrent, "forward");

        // Time-major steps [1, batch, features] and masks [1, batch, 1], sliced once.
        string timeMajor = Node("Transpose", [_current], [Fresh(name + "/time_major")], name, Ints("perm", 1, 0, 2));
        string[] inputs = SplitSteps(timeMajor, steps, name, "x");
        string[]? kept = null;
        if (mask is not null)
        {
            string maskTimeMajor = Node("Transpose", [mask], [Fresh(name + "/mask_time_major")], name, Ints("perm", 1, 0));
            string maskSteps = Node("Unsqueeze", [maskTimeMajor, ConstantInts(name + "/mask_axis", 2)], [Fresh(name + "/mask_steps")], name);
            kept = SplitSteps(maskSteps, steps, name, "mask");
        }

        string[] finalStates = new string[directions];
        for (int layer = 0; layer < recurrent.NumLayers; layer++)
        {
            string index = layer.ToString(CultureInfo.InvariantCulture);
            var outputs = new string[directions][];
            for (int direction = 0; direction < directions; direction++)
            {
                RecurrentWeights weights = recurrent.Weights(layer, reverse: direction == 1);
                bool int8 = _int8.ContainsKey(weights.WeightIh.Name);
                (string w, string r, string b) = int8 ? default : DirectionWeights(recurrent, layer, direction);
                string stem = name + "/l" + index + (direction == 1 ? "_reverse" : string.Empty);
                outputs[direction] = new string[steps];
                string? h = null;
                string? c = null;
                for (int i = 0; i < steps; i++)
                {
                    int t = direction == 0 ? i : steps - 1 - i;
                    string step = stem + "/t" + t.ToString(CultureInfo.InvariantCulture);
                    string yH;
                    string yC = string.Empty;
                    if (int8)
                    {
                        (yH, yC) = Int8Step(lstm, weights, inputs[t], h, c, step, name);
                    }
                    else
                    {
                        yH = Fresh(step + "/h_candidate");
                        yC = lstm ? Fresh(step + "/c_candidate") : string.Empty;
                        List<string> operands = [inputs[t], w, r, b, string.Empty, h ?? string.Empty];
                        if (lstm)
                        {
                            operands.Add(c ?? string.Empty);
                        }

                        while (operands[^1].Length == 0)
                        {
                            operands.RemoveAt(operands.Count - 1);
                        }

                        Node(lstm ? "LSTM" : "GRU", [.. operands], lstm ? [string.Empty, yH, yC] : [string.Empty, yH], name, attributes);
                    }

                    if (kept is null)
                    {
                        (h, c, outputs[direction][t]) = (yH, lstm ? yC : null, yH);
                        continue;
                    }

                    // A padded step keeps the state (zero before the first real step) and writes a zero output.
                    h = Node("Where", [kept[t], yH, h ?? zero], [Fresh(step + "/h")], name);
                    if (lstm)
                    {
                        c = Node("Where", [kept[t], yC, c ?? zero], [Fresh(step + "/c")], name);
                    }

                    outputs[direction][t] = Node("Where", [kept[t], yH, zero], [Fresh(step + "/y")], name);
                }

                finalStates[direction] = h!;
            }

            // [1, batch, directions * units] per step, forward then reverse, then the steps stacked in time.
            string[] joined = Enumerable.Range(0, steps)
                .Select(t => directions == 1 ? outputs[0][t] : Node("Concat", [outputs[0][t], outputs[1][t]], [Fresh(name + "/l" + index + "/t" + t.ToString(CultureInfo.InvariantCulture) + "/y_both")], name, Int("axis", 2)))
                .ToArray();
            string sequence = Node("Concat", joined, [Fresh(name + "/l" + index + "/sequence")], name, Int("axis", 0));
            inputs = layer + 1 < recurrent.NumLayers ? SplitSteps(sequence, steps, name, "l" + index + "_y") : inputs;
            if (layer + 1 == recurrent.NumLayers)
            {
                if (recurrent.ReturnSequences)
                {
                    _current = Node("Transpose", [sequence], [Fresh(name + "/batch_major")], name, Ints("perm", 1, 0, 2));
                    _shape = [steps, directions * units];
                    return;
                }
            }
        }

        // The last layer's states after its last step (forward) and its first (reverse): PyTorch's h_n, Keras' output.
        string state = directions == 1 ? finalStates[0] : Node("Concat", finalStates, [Fresh(name + "/state_both")], name, Int("axis", 2));
        _current = Node("Reshape", [state, ConstantInts(name + "/state_shape", -1, directions * units)], [Fresh(name + "/state")], name);
        _shape = [directions * units];
    }

    /// <summary>
    /// One int8 step of the runtime's cell (LstmKernel, GruKernel with LstmCell, GruCell): the step's input row and
    /// the previous state quantised as Int8Weight.Multiply does (each row on its own, or with the calibrated scales),
    /// the two int8 products, then the gates with the biases added in the runtime's order, PyTorch's gate order kept.
    /// There is no recurrent product at the first step, as in the runtime. Returns the new hidden and (LSTM) cell state,
    /// each <c>[1, batch, units]</c>.
    /// </summary>
    private (string Hidden, string Cell) Int8Step(bool lstm, RecurrentWeights weights, string x, string? h, string? c, string step, string layer)
    {
        string biasIh = Initializer(weights.BiasIh);
        string biasHh = Initializer(weights.BiasHh);
        string projection = Int8Product(x, _int8[weights.WeightIh.Name], step + "/ih");
        string? recurrent = h is null ? null : Int8Product(h, _int8[weights.WeightHh.Name], step + "/hh");
        if (lstm)
        {
            // (x W_ih + b_ih + b_hh) + h W_hh, as LstmCell's pre-activation.
            string sum = Node("Add", [Node("Add", [projection, biasIh], [Fresh(step + "/with_bias_ih")], layer), biasHh], [Fresh(step + "/with_biases")], layer);
            if (recurrent is not null)
            {
                sum = Node("Add", [sum, recurrent], [Fresh(step + "/pre_activation")], layer);
            }

            string[] gates = SplitGates(sum, 4, step, layer);
            string input = Node("Sigmoid", [gates[0]], [Fresh(step + "/i")], layer);
            string forget = Node("Sigmoid", [gates[1]], [Fresh(step + "/f")], layer);
            string candidate = Node("Tanh", [gates[2]], [Fresh(step + "/g")], layer);
            string output = Node("Sigmoid", [gates[3]], [Fresh(step + "/o")], layer);
            string written = Node("Mul", [input, candidate], [Fresh(step + "/i_g")], layer);
            string cell = c is null ? written : Node("Add", [Node("Mul", [c, forget], [Fresh(step + "/c_f")], layer), written], [Fresh(step + "/c_new")], layer);
            string hidden = Node("Mul", [Node("Tanh", [cell], [Fresh(step + "/c_tanh")], layer), output], [Fresh(step + "/h_new")], layer);
            return (hidden, cell);
        }

        // GRU, PyTorch's form: the reset gate multiplies h W_hn + b_hn (the recurrent part of the new gate, its bias
        // in it), r = sigmoid((x W_ir + b_ir) + (h W_hr + b_hr)); at the first step the recurrent parts are b_hh alone.
        string inputPart = Node("Add", [projection, biasIh], [Fresh(step + "/input_part")], layer);
        string recurrentPart = recurrent is null ? biasHh : Node("Add", [recurrent, biasHh], [Fresh(step + "/recurrent_part")], layer);
        string[] xs = SplitGates(inputPart, 3, step + "/x", layer);
        string[] hs = SplitGates(recurrentPart, 3, step + "/h", layer);
        string reset = Node("Sigmoid", [Node("Add", [xs[0], hs[0]], [Fresh(step + "/r_pre")], layer)], [Fresh(step + "/r")], layer);
        string update = Node("Sigmoid", [Node("Add", [xs[1], hs[1]], [Fresh(step + "/z_pre")], layer)], [Fresh(step + "/z")], layer);
        string gated = Node("Mul", [reset, hs[2]], [Fresh(step + "/r_hn")], layer);
        string newGate = Node("Tanh", [Node("Add", [gated, xs[2]], [Fresh(step + "/n_pre")], layer)], [Fresh(step + "/n")], layer);
        string previous = h ?? Constant(step + "/h0", 0f);
        string change = Node("Mul", [update, Node("Sub", [previous, newGate], [Fresh(step + "/h_minus_n")], layer)], [Fresh(step + "/z_change")], layer);
        string next = Node("Add", [newGate, change], [Fresh(step + "/h_new")], layer);
        return (next, string.Empty);
    }

    /// <summary>The gate blocks of a pre-activation, last axis, in PyTorch's order.</summary>
    private string[] SplitGates(string tensor, int count, string step, string layer)
    {
        string[] parts = Enumerable.Range(0, count).Select(g => Fresh(step + "/gate" + g.ToString(CultureInfo.InvariantCulture))).ToArray();
        Node("Split", [tensor], parts, layer, Int("axis", -1));
        return parts;
    }

    /// <summary>A time-major tensor cut into its steps, each <c>[1, ...]</c>.</summary>
    private string[] SplitSteps(string timeMajor, int steps, string layer, string what)
    {
        if (steps == 1)
        {
            return [timeMajor];
        }

        string[] parts = Enumerable.Range(0, steps).Select(t => Fresh(layer + "/" + what + "_t" + t.ToString(CultureInfo.InvariantCulture))).ToArray();
        Node("Split", [timeMajor], parts, layer, Int("axis", 0));
        return parts;
    }
}
