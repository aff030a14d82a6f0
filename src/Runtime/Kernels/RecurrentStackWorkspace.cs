using System;
using System.Numerics;

namespace TypedNets.Kernels;

/// <summary>
/// The buffers of a stacked or bidirectional recurrent layer (PyTorch's <c>num_layers</c> and <c>bidirectional</c>):
/// one <see cref="RecurrentWorkspace{T}"/> per layer and direction, the sequences each layer passes to the next, and
/// the time-reversed copies the reverse directions run on. Sized once for a maximum batch.
/// </summary>
public sealed class RecurrentStackWorkspace<T>
    where T : IFloatingPointIeee754<T>
{
    private readonly RecurrentWorkspace<T>[] _directions;

    /// <summary>Creates the buffers of <paramref name="layers"/> stacked layers of <paramref name="units"/> units with <paramref name="gates"/> gates (LSTM 4, GRU 3).</summary>
    /// <param name="maxBatch">The largest batch; positive.</param>
    /// <param name="steps">The time steps; positive.</param>
    /// <param name="inputs">The features of the first layer's input; positive.</param>
    /// <param name="units">The hidden state size of every layer and direction; positive.</param>
    /// <param name="gates">LSTM 4, GRU 3.</param>
    /// <param name="layers">The stacked layers, PyTorch's <c>num_layers</c>; positive.</param>
    /// <param name="bidirectional">Whether every layer has a reverse direction.</param>
    /// <param name="dropout">Whether there is dropout between the layers, which needs room for its masks.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or <paramref name="gates"/> is neither 3 nor 4.</exception>
    public RecurrentStackWorkspace(int maxBatch, int steps, int inputs, int units, int gates, int layers, bool bidirectional, bool dropout)
    {
        foreach ((string name, int value) in new[] { (nameof(maxBatch), maxBatch), (nameof(steps), steps), (nameof(inputs), inputs), (nameof(units), units), (nameof(layers), layers) })
        {
            if (value <= 0)
            {
                throw new ArgumentOutOfRangeException(name, value, $"A recurrent stack needs a positive {name}, got {value}.");
            }
        }

        if (gates is not (3 or 4))
        {
            throw new ArgumentOutOfRangeException(nameof(gates), gates, "A recurrent layer has 4 gates (LSTM) or 3 (GRU).");
        }

        Steps = steps;
        Inputs = inputs;
        Units = units;
        GateCount = gates;
        Layers = layers;
        Directions = bidirectional ? 2 : 1;
        HasDropout = dropout && layers > 1;
        _directions = new RecurrentWorkspace<T>[layers * Directions];
        for (int i = 0; i < _directions.Length; i++)
        {
            _directions[i] = new RecurrentWorkspace<T>(maxBatch, steps, units, gates);
        }

        int width = Directions * units;
        int sequence = maxBatch * steps * width;
        LayerOutputs = new T[layers - 1][];
        LayerInputs = new T[layers - 1][];
        DropoutMasks = new T[HasDropout ? layers - 1 : 0][];
        for (int k = 0; k < layers - 1; k++)
        {
            LayerOutputs[k] = new T[sequence];
            LayerInputs[k] = HasDropout ? new T[sequence] : LayerOutputs[k];
            if (HasDropout)
            {
                DropoutMasks[k] = new T[sequence];
            }
        }

        ReversedInputs = new T[bidirectional ? layers : 0][];
        for (int k = 0; k < ReversedInputs.Length; k++)
        {
            ReversedInputs[k] = new T[maxBatch * steps * (k == 0 ? inputs : width)];
        }

        ReversedMask = bidirectional ? new T[maxBatch * steps] : [];
        DirectionBuffer = bidirectional ? new T[maxBatch * steps * units] : [];
        int widest = Math.Max(inputs, width);
        InputGradient = layers > 1 ? new T[maxBatch * steps * width] : [];
        OtherInputGradient = layers > 2 ? new T[maxBatch * steps * width] : [];
        ReverseInputGradient = bidirectional ? new T[maxBatch * steps * widest] : [];
    }

    /// <summary>The number of time steps.</summary>
    public int Steps { get; }

    /// <summary>The features of the first layer's input.</summary>
    public int Inputs { get; }

    /// <summary>The hidden state size of every layer and direction.</summary>
    public int Units { get; }

    /// <summary>The number of gates (LSTM 4, GRU 3).</summary>
    public int GateCount { get; }

    /// <summary>The number of stacked layers.</summary>
    public int Layers { get; }

    /// <summary>1, or 2 for a bidirectional layer.</summary>
    public int Directions { get; }

    /// <summary>The states a layer passes on per step: <c>directions * units</c>.</summary>
    public int Width => Directions * Units;

    /// <summary>Whether dropout was applied between the layers in the last forward pass.</summary>
    internal bool DroppedOut { get; set; }

    internal bool HasDropout { get; }

    /// <summary>The workspace of layer <paramref name="layer"/>'s forward (0) or reverse (1) direction.</summary>
    internal RecurrentWorkspace<T> Direction(int layer, int direction) => _directions[(layer * Directions) + direction];

    /// <summary>Layer k's states, both directions on the features, <c>[batch, steps, width]</c>, for k below the last.</summary>
    internal T[][] LayerOutputs { get; }

    /// <summary>Layer k + 1's input: <see cref="LayerOutputs"/> after dropout (the same array without dropout).</summary>
    internal T[][] LayerInputs { get; }

    internal T[][] DropoutMasks { get; }

    /// <summary>Layer k's input reversed in time, which its reverse direction runs on.</summary>
    internal T[][] ReversedInputs { get; }

    internal T[] ReversedMask { get; }

    /// <summary>One direction's states or their gradient, <c>[batch, steps, units]</c>, on its way in or out of a layer's.</summary>
    internal T[] DirectionBuffer { get; }

    /// <summary>The gradient of a layer's input above the first, and the one alternating with it for a third layer.</summary>
    internal T[] InputGradient { get; }

    internal T[] OtherInputGradient { get; }

    /// <summary>The reverse direction's input gradient, in reversed time.</summary>
    internal T[] ReverseInputGradient { get; }
}
