using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Kernels;

/// <summary>
/// Stacked and bidirectional recurrent layers (PyTorch's <c>num_layers</c> and <c>bidirectional</c>) on top of the
/// one-layer <see cref="LstmKernel"/> and <see cref="GruKernel"/>: layer <c>k &gt; 0</c> reads layer <c>k - 1</c>'s
/// states, both directions side by side on the features (after dropout in training); a reverse direction is the
/// one-layer kernel run on the sequence reversed in time, its mask reversed with it.
/// </summary>
/// <remarks>
/// Running the reverse direction on a reversed copy keeps one kernel, tested and vectorised, for both directions, at
/// the cost of copying the input and the output once per step. With a padding mask that is also what PyTorch's packed
/// sequences do: the reversed copy of a post-padded sequence starts with its pads, which keep the zero initial state,
/// so the reverse direction starts at the last real step (and, symmetrically, the forward direction of a pre-padded one
/// at its first real step).
/// </remarks>
internal static class RecurrentStack
{
    /// <summary>The parameters of all layers and directions, in <c>state_dict</c> order: layer by layer, forward then reverse, each <c>w_ih, w_hh, b_ih, b_hh</c>.</summary>
    public static int ParameterCount(int inputs, int units, int gates, int layers, int directions)
    {
        int count = 0;
        for (int k = 0; k < layers; k++)
        {
            count += directions * DirectionSize(k == 0 ? inputs : directions * units, units, gates);
        }

        return count;
    }

    public static void Forward<T>(
        bool lstm, ReadOnlySpan<T> x, ReadOnlySpan<T> parameters, ReadOnlySpan<T> mask, RecurrentStackWorkspace<T> workspace, Span<T> output,
        int batch, bool returnSequences, double dropout, bool training, ref Xoshiro256 random, Int8Weights? int8 = null, int parameterOffset = 0)
        where T : IFloatingPointIeee754<T>
    {
        Check(lstm, x, parameters, mask, workspace, output.Length, batch, returnSequences, "output");
        if (!(dropout >= 0 && dropout < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "The dropout between stacked recurrent layers must be in [0, 1).");
        }

        int steps = workspace.Steps;
        int units = workspace.Units;
        int width = workspace.Width;
        int directions = workspace.Directions;
        ReadOnlySpan<T> reversedMask = ReverseMask(mask, workspace, batch);
        bool dropping = training && dropout > 0 && workspace.HasDropout;
        workspace.DroppedOut = dropping;

        ReadOnlySpan<T> input = x.Slice(0, batch * steps * workspace.Inputs);
        int offset = 0;
        for (int k = 0; k < workspace.Layers; k++)
        {
            int features = k == 0 ? workspace.Inputs : width;
            bool last = k == workspace.Layers - 1;
            bool sequences = !last || returnSequences;
            int rows = sequences ? steps : 1;
            Span<T> layerOutput = last ? output.Slice(0, batch * rows * width) : workspace.LayerOutputs[k].AsSpan(0, batch * steps * width);
            for (int d = 0; d < directions; d++)
            {
                // In a quantised network each direction's two weights are found by their offset in the network's parameters.
                int weightIhOffset = parameterOffset + offset;
                Direction<T> p = Slice(parameters, ref offset, features, units, workspace.GateCount);
                Int8Weight? inputWeight = int8?.Find(weightIhOffset);
                Int8Weight? recurrentWeight = int8?.Find(weightIhOffset + p.WeightIh.Length);
                ReadOnlySpan<T> directionInput = input;
                if (d == 1)
                {
                    Span<T> reversed = workspace.ReversedInputs[k].AsSpan(0, input.Length);
                    ReverseTime(input, reversed, batch, steps, features);
                    directionInput = reversed;
                }

                Span<T> target = directions == 1 ? layerOutput : workspace.DirectionBuffer.AsSpan(0, batch * rows * units);
                RecurrentWorkspace<T> cell = workspace.Direction(k, d);
                if (lstm)
                {
                    LstmKernel.Forward(directionInput, p.WeightIh, p.WeightHh, p.BiasIh, p.BiasHh, d == 0 ? mask : reversedMask, cell, target, batch, features, sequences, inputWeight, recurrentWeight);
                }
                else
                {
                    GruKernel.Forward(directionInput, p.WeightIh, p.WeightHh, p.BiasIh, p.BiasHh, d == 0 ? mask : reversedMask, cell, target, batch, features, sequences, inputWeight, recurrentWeight);
                }

                if (directions == 2)
                {
                    Interleave(target, layerOutput, batch, rows, units, d, reverseTime: d == 1 && sequences);
                }
            }

            if (!last)
            {
                if (dropping)
                {
                    Span<T> dropped = workspace.LayerInputs[k].AsSpan(0, layerOutput.Length);
                    DropoutKernel.Forward(layerOutput, dropped, workspace.DropoutMasks[k].AsSpan(0, layerOutput.Length), dropout, ref random);
                    input = dropped;
                }
                else
                {
                    input = layerOutput;
                }
            }
        }
    }

    public static void Backward<T>(
        bool lstm, ReadOnlySpan<T> x, ReadOnlySpan<T> parameters, ReadOnlySpan<T> mask, RecurrentStackWorkspace<T> workspace,
        ReadOnlySpan<T> outputGradient, Span<T> gradients, Span<T> dx, int batch, bool returnSequences)
        where T : IFloatingPointIeee754<T>
    {
        Check(lstm, x, parameters, mask, workspace, outputGradient.Length, batch, returnSequences, nameof(outputGradient));
        if (gradients.Length != parameters.Length)
        {
            throw new ArgumentException($"The gradients need {parameters.Length} values, as the parameters, got {gradients.Length}.", nameof(gradients));
        }

        int steps = workspace.Steps;
        int units = workspace.Units;
        int width = workspace.Width;
        int directions = workspace.Directions;
        int gates = workspace.GateCount;
        ReadOnlySpan<T> reversedMask = mask.IsEmpty || directions == 1 ? default : workspace.ReversedMask.AsSpan(0, batch * steps);

        ReadOnlySpan<T> dy = outputGradient.Slice(0, batch * (returnSequences ? steps : 1) * width);
        for (int k = workspace.Layers - 1; k >= 0; k--)
        {
            int features = k == 0 ? workspace.Inputs : width;
            bool sequences = k < workspace.Layers - 1 || returnSequences;
            int rows = sequences ? steps : 1;
            int length = batch * steps * features;
            ReadOnlySpan<T> input = k == 0 ? x.Slice(0, length)
                : (workspace.DroppedOut ? workspace.LayerInputs[k - 1] : workspace.LayerOutputs[k - 1]).AsSpan(0, length);
            Span<T> layerDx = k > 0
                ? ((workspace.Layers - 1 - k) % 2 == 0 ? workspace.InputGradient : workspace.OtherInputGradient).AsSpan(0, length)
                : dx.IsEmpty ? default : dx.Slice(0, length);
            // The layers are taken from the last down; the buffer holds them from the first.
            int offset = ParameterCount(workspace.Inputs, units, gates, k, directions);
            for (int d = 0; d < directions; d++)
            {
                Direction<T> p = Slice(parameters, ref offset, features, units, gates);
                Span<T> g = gradients.Slice(p.Start, p.Length);
                int ih = p.WeightIh.Length;
                int hh = p.WeightHh.Length;
                int bias = p.BiasIh.Length;
                ReadOnlySpan<T> directionDy = dy;
                if (directions == 2)
                {
                    Span<T> split = workspace.DirectionBuffer.AsSpan(0, batch * rows * units);
                    Deinterleave(dy, split, batch, rows, units, d, reverseTime: d == 1 && sequences);
                    directionDy = split;
                }

                Span<T> directionDx = layerDx.IsEmpty ? default : d == 0 ? layerDx : workspace.ReverseInputGradient.AsSpan(0, length);
                ReadOnlySpan<T> directionInput = d == 0 ? input : workspace.ReversedInputs[k].AsSpan(0, length);
                RecurrentWorkspace<T> cell = workspace.Direction(k, d);
                if (lstm)
                {
                    LstmKernel.Backward(
                        directionInput, p.WeightIh, p.WeightHh, d == 0 ? mask : reversedMask, cell, directionDy,
                        g.Slice(0, ih), g.Slice(ih, hh), g.Slice(ih + hh, bias), g.Slice(ih + hh + bias, bias), directionDx, batch, features, sequences);
                }
                else
                {
                    GruKernel.Backward(
                        directionInput, p.WeightIh, p.WeightHh, d == 0 ? mask : reversedMask, cell, directionDy,
                        g.Slice(0, ih), g.Slice(ih, hh), g.Slice(ih + hh, bias), g.Slice(ih + hh + bias, bias), directionDx, batch, features, sequences);
                }

                if (d == 1 && !layerDx.IsEmpty)
                {
                    AddReversed(directionDx, layerDx, batch, steps, features);
                }
            }

            if (k > 0)
            {
                if (workspace.DroppedOut)
                {
                    DropoutKernel.Backward(workspace.DropoutMasks[k - 1].AsSpan(0, length), layerDx, layerDx);
                }

                dy = layerDx;
            }
        }
    }

    private static int DirectionSize(int features, int units, int gates) => (gates * units * (features + units)) + (2 * gates * units);

    private static Direction<T> Slice<T>(ReadOnlySpan<T> parameters, ref int offset, int features, int units, int gates)
    {
        int start = offset;
        int rows = gates * units;
        var direction = new Direction<T>(
            start,
            DirectionSize(features, units, gates),
            parameters.Slice(start, rows * features),
            parameters.Slice(start + (rows * features), rows * units),
            parameters.Slice(start + (rows * (features + units)), rows),
            parameters.Slice(start + (rows * (features + units)) + rows, rows));
        offset += direction.Length;
        return direction;
    }

    private static void Check<T>(
        bool lstm, ReadOnlySpan<T> x, ReadOnlySpan<T> parameters, ReadOnlySpan<T> mask, RecurrentStackWorkspace<T> workspace,
        int outputLength, int batch, bool returnSequences, string outputName)
        where T : IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(workspace);
        int gates = lstm ? 4 : 3;
        if (workspace.GateCount != gates)
        {
            throw new ArgumentException($"The workspace was made for {workspace.GateCount} gates, but an {(lstm ? "LSTM" : "GRU")} has {gates}.", nameof(workspace));
        }

        int steps = workspace.Steps;
        int expected = ParameterCount(workspace.Inputs, workspace.Units, gates, workspace.Layers, workspace.Directions);
        if (parameters.Length != expected)
        {
            throw new ArgumentException(
                $"{workspace.Layers} layer(s) in {workspace.Directions} direction(s) of {workspace.Units} units over {workspace.Inputs} inputs need {expected} parameters, got {parameters.Length}.",
                nameof(parameters));
        }

        if (batch <= 0 || x.Length < batch * steps * workspace.Inputs)
        {
            throw new ArgumentException($"A batch of {batch} needs {batch * steps * workspace.Inputs} inputs ([batch, {steps}, {workspace.Inputs}]), got {x.Length}.", nameof(x));
        }

        if (!mask.IsEmpty && mask.Length < batch * steps)
        {
            throw new ArgumentException($"The mask of a batch of {batch} needs {batch * steps} values ([batch, {steps}]), got {mask.Length}.", nameof(mask));
        }

        int needed = batch * (returnSequences ? steps : 1) * workspace.Width;
        if (outputLength < needed)
        {
            throw new ArgumentException($"A batch of {batch} needs {needed} values of {outputName}, got {outputLength}.", outputName);
        }
    }

    private static ReadOnlySpan<T> ReverseMask<T>(ReadOnlySpan<T> mask, RecurrentStackWorkspace<T> workspace, int batch)
        where T : IFloatingPointIeee754<T>
    {
        if (mask.IsEmpty || workspace.Directions == 1)
        {
            return default;
        }

        Span<T> reversed = workspace.ReversedMask.AsSpan(0, batch * workspace.Steps);
        ReverseTime(mask.Slice(0, reversed.Length), reversed, batch, workspace.Steps, 1);
        return reversed;
    }

    /// <summary><c>target[b, steps - 1 - t] = source[b, t]</c>, rows of <paramref name="features"/>.</summary>
    private static void ReverseTime<T>(ReadOnlySpan<T> source, Span<T> target, int batch, int steps, int features)
    {
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < steps; t++)
            {
                source.Slice(((b * steps) + t) * features, features).CopyTo(target.Slice(((b * steps) + steps - 1 - t) * features, features));
            }
        }
    }

    /// <summary><c>target[b, t] += source[b, steps - 1 - t]</c>: the reverse direction's input gradient, back in time order.</summary>
    private static void AddReversed<T>(ReadOnlySpan<T> source, Span<T> target, int batch, int steps, int features)
        where T : IFloatingPointIeee754<T>
    {
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < steps; t++)
            {
                Span<T> row = target.Slice(((b * steps) + t) * features, features);
                TensorPrimitives.Add(row, source.Slice(((b * steps) + steps - 1 - t) * features, features), row);
            }
        }
    }

    /// <summary>Writes one direction's <c>[batch, rows, units]</c> into its half of <c>[batch, rows, 2 units]</c>, the reverse one back in time order.</summary>
    private static void Interleave<T>(ReadOnlySpan<T> source, Span<T> target, int batch, int rows, int units, int direction, bool reverseTime)
    {
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < rows; t++)
            {
                int to = reverseTime ? rows - 1 - t : t;
                source.Slice(((b * rows) + t) * units, units).CopyTo(target.Slice((((b * rows) + to) * 2 * units) + (direction * units), units));
            }
        }
    }

    /// <summary>The inverse of <see cref="Interleave{T}"/>: one direction's half of a gradient, in that direction's time order.</summary>
    private static void Deinterleave<T>(ReadOnlySpan<T> source, Span<T> target, int batch, int rows, int units, int direction, bool reverseTime)
    {
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < rows; t++)
            {
                int from = reverseTime ? rows - 1 - t : t;
                source.Slice((((b * rows) + from) * 2 * units) + (direction * units), units).CopyTo(target.Slice(((b * rows) + t) * units, units));
            }
        }
    }

    /// <summary>One direction of one layer: where its tensors start in the layer's buffer, how many values they hold, and views of them.</summary>
    private readonly ref struct Direction<T>(int start, int length, ReadOnlySpan<T> weightIh, ReadOnlySpan<T> weightHh, ReadOnlySpan<T> biasIh, ReadOnlySpan<T> biasHh)
    {
        public int Start { get; } = start;

        public int Length { get; } = length;

        public ReadOnlySpan<T> WeightIh { get; } = weightIh;

        public ReadOnlySpan<T> WeightHh { get; } = weightHh;

        public ReadOnlySpan<T> BiasIh { get; } = biasIh;

        public ReadOnlySpan<T> BiasHh { get; } = biasHh;
    }
}
