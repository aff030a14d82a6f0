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
/// taken only where the step is real.
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
    /// A masked LSTM or GRU (stacked, bidirectional): per layer and direction, a single-step operator per step, in
    /// time order or reversed; at a padded step the state stays what it was and the step's output is zero, so the next
    /// stacked layer, and a reverse direction, read the sequence the runtime's kernels read.
    /// </summary>
    private void EmitMaskedRecurrent(RecurrentLayer recurrent, string mask)
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
        string maskTimeMajor = Node("Transpose", [mask], [Fresh(name + "/mask_time_major")], name, Ints("perm", 1, 0));
        string maskSteps = Node("Unsqueeze", [maskTimeMajor, ConstantInts(name + "/mask_axis", 2)], [Fresh(name + "/mask_steps")], name);
        string[] kept = SplitSteps(maskSteps, steps, name, "mask");

        string[] finalStates = new string[directions];
        for (int layer = 0; layer < recurrent.NumLayers; layer++)
        {
            string index = layer.ToString(CultureInfo.InvariantCulture);
            var outputs = new string[directions][];
            for (int direction = 0; direction < directions; direction++)
            {
                (string w, string r, string b) = DirectionWeights(recurrent, layer, direction);
                string stem = name + "/l" + index + (direction == 1 ? "_reverse" : string.Empty);
                outputs[direction] = new string[steps];
                string? h = null;
                string? c = null;
                for (int i = 0; i < steps; i++)
                {
                    int t = direction == 0 ? i : steps - 1 - i;
                    string step = stem + "/t" + t.ToString(CultureInfo.InvariantCulture);
                    string yH = Fresh(step + "/h_candidate");
                    string yC = lstm ? Fresh(step + "/c_candidate") : string.Empty;
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
