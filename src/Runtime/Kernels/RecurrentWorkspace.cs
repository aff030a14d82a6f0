using System;
using System.Numerics;

namespace TypedNets.Kernels;

/// <summary>
/// The buffers one recurrent layer keeps between its forward and backward passes, sized once for a maximum batch.
/// States are stored time-major (<c>[steps, batch, ...]</c>) so that every time step's batch is contiguous and the
/// recurrent products are plain matrix products.
/// </summary>
public sealed class RecurrentWorkspace<T>
    where T : IFloatingPointIeee754<T>
{
    /// <summary>Creates the buffers of a layer with <paramref name="gates"/> gates of <paramref name="units"/> units (LSTM 4, GRU 3).</summary>
    public RecurrentWorkspace(int maxBatch, int steps, int units, int gates)
    {
        if (maxBatch <= 0 || steps <= 0 || units <= 0 || gates <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBatch), $"A recurrent workspace needs positive sizes, got batch {maxBatch}, steps {steps}, units {units}, gates {gates}.");
        }

        Steps = steps;
        Units = units;
        GateCount = gates;
        Projection = new T[maxBatch * steps * gates * units];
        Gates = new T[steps * maxBatch * gates * units];
        Cells = new T[steps * maxBatch * units];
        Hidden = new T[steps * maxBatch * units];
        CellTanh = gates == 4 ? new T[steps * maxBatch * units] : [];
        TransposedRecurrentWeight = new T[gates * units * units];
        HiddenGradient = new T[maxBatch * units];
        NextHiddenGradient = new T[maxBatch * units];
        NextCellGradient = new T[maxBatch * units];
        StepGradient = new T[maxBatch * gates * units];
    }

    /// <summary>The number of time steps.</summary>
    public int Steps { get; }

    /// <summary>The number of units.</summary>
    public int Units { get; }

    /// <summary>The number of gates (LSTM 4, GRU 3).</summary>
    public int GateCount { get; }

    /// <summary>Forward: the input projection <c>x W_ih^T + b_ih</c>, batch-major; backward: its gradient.</summary>
    public T[] Projection { get; }

    /// <summary>The gates after their activations, <c>[steps, batch, gates * units]</c>.</summary>
    public T[] Gates { get; }

    /// <summary>LSTM: the cell states; GRU: the recurrent part of the candidate, <c>W_hn h + b_hn</c>. <c>[steps, batch, units]</c>.</summary>
    public T[] Cells { get; }

    /// <summary>The hidden states, <c>[steps, batch, units]</c>.</summary>
    public T[] Hidden { get; }

    /// <summary>LSTM: <c>tanh(c)</c> of every step, kept so that the backward pass need not recompute it; GRU: empty.</summary>
    internal T[] CellTanh { get; }

    /// <summary><c>W_hh^T</c> in two blocks of columns, for the few-sample recurrent products (see <see cref="Recurrent.TransposeRecurrentWeight{T}"/>).</summary>
    internal T[] TransposedRecurrentWeight { get; }

    internal T[] HiddenGradient { get; }

    internal T[] NextHiddenGradient { get; }

    internal T[] NextCellGradient { get; }

    internal T[] StepGradient { get; }
}
