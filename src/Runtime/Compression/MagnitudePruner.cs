using System;
using System.Collections.Generic;
using System.Linq;
using TypedNets.Training;

namespace TypedNets.Compression;

/// <summary>Whether a <see cref="MagnitudePruner"/> ranks weights within each tensor or across all of them.</summary>
public enum PruningScope
{
    /// <summary>Each tensor reaches the sparsity on its own, as TFMOT's <c>prune_low_magnitude</c>.</summary>
    PerTensor,

    /// <summary>One threshold over all the selected tensors together, as PyTorch's <c>prune.global_unstructured</c>.</summary>
    Global,
}

/// <summary>
/// Unstructured magnitude pruning, as TensorFlow Model Optimization's <c>prune_low_magnitude</c>: at the update steps of
/// an <see cref="IPruningSchedule"/>, the weights of smallest magnitude are set to zero and held there by a mask,
/// which is put back after every optimizer step so pruned weights stay exactly zero through fine-tuning.
/// </summary>
/// <remarks>
/// <para>
/// An update at sparsity <c>s</c> keeps <c>max(round(n * (1 - s)), 1)</c> of <c>n</c> weights, rounding half to even,
/// as TFMOT (<c>tf.round</c>) does, and prunes exactly the rest: where magnitudes tie, the lower index is pruned
/// first (TFMOT keeps every weight tied with the threshold, so may prune fewer). Weights already pruned are zero and
/// so are pruned again; a falling schedule can free them, and they then train from zero.
/// </para>
/// <para>
/// With <see cref="Trainer.Fit"/>, pass <see cref="Callback"/> among the callbacks; in a loop of your own, call
/// <see cref="AfterStep"/> after every optimizer step. The first update is after the optimizer step numbered by the
/// schedule's begin step (TFMOT updates just before it, in the forward pass); either way every step after it sees
/// the masked weights. The step count lives in the pruner, so a second <c>Fit</c> with the same pruner continues the schedule.
/// </para>
/// </remarks>
public sealed class MagnitudePruner
{
    private readonly ParameterTensor[] _tensors;
    private readonly bool[][] _masks;

    /// <summary>Creates a pruner; the masks start full (nothing pruned) and the weights are untouched until the first update.</summary>
    /// <param name="network">The network whose weights are pruned.</param>
    /// <param name="schedule">When to update the masks and to what sparsity.</param>
    /// <param name="scope">Per tensor (the default, TFMOT's) or one threshold across the tensors.</param>
    /// <param name="tensors">
    /// The tensors to prune, from the network's <c>Layers</c>; by default <see cref="PrunableTensors"/>, the kernels of
    /// dense, convolutional and recurrent layers and the embedding tables, but no bias or normalisation.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="network"/> or <paramref name="schedule"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scope"/> is not a <see cref="PruningScope"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="tensors"/> is empty, names a tensor twice or holds one that is not this network's.</exception>
    public MagnitudePruner(INetwork network, IPruningSchedule schedule, PruningScope scope = PruningScope.PerTensor, IEnumerable<ParameterTensor>? tensors = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(schedule);
        if (scope is not (PruningScope.PerTensor or PruningScope.Global))
        {
            throw new ArgumentOutOfRangeException(nameof(scope), scope, "The scope must be PruningScope.PerTensor or PruningScope.Global.");
        }

        _tensors = tensors is null ? [.. PrunableTensors(network)] : Check(network, tensors);
        if (_tensors.Length == 0)
        {
            throw new ArgumentException(
                $"{network.GetType().Name} has nothing to prune; pass the tensors to prune, or none to take the default " +
                "(dense, convolutional and recurrent kernels and embedding tables).",
                nameof(tensors));
        }

        Network = network;
        Schedule = schedule;
        Scope = scope;
        _masks = [.. _tensors.Select(t => Enumerable.Repeat(true, t.Length).ToArray())];
    }

    /// <summary>The network whose weights are pruned.</summary>
    public INetwork Network { get; }

    /// <summary>When the masks are updated and to what sparsity.</summary>
    public IPruningSchedule Schedule { get; }

    /// <summary>Per tensor or across the tensors.</summary>
    public PruningScope Scope { get; }

    /// <summary>The tensors pruned, in the network's order.</summary>
    public IReadOnlyList<ParameterTensor> Tensors => _tensors;

    /// <summary>The step <see cref="AfterStep"/> applies next: the number of optimizer steps it has seen.</summary>
    public int Step { get; private set; }

    /// <summary>
    /// The tensors TFMOT would prune: the kernel of every dense, Conv1D and Conv2D layer, the input and recurrent
    /// kernels of every layer and direction of a recurrent layer, and every embedding table (a dense layer tied to an embedding shares its table, listed once); not biases,
    /// normalisation weights or learned positions.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <returns>The tensors, in the network's order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="network"/> is <see langword="null"/>.</exception>
    public static IReadOnlyList<ParameterTensor> PrunableTensors(INetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var tensors = new List<ParameterTensor>();
        foreach (Layer layer in network.Layers)
        {
            ParameterTensor[] kernels = layer switch
            {
                DenseLayer dense => [dense.Weight],
                Conv1DLayer conv => [conv.Weight],
                Conv2DLayer conv => [conv.Weight],
                EmbeddingLayer embedding => [embedding.Weight],
                // Four tensors per layer and direction, weight_ih, weight_hh, bias_ih, bias_hh: the first two of each.
                RecurrentLayer recurrent => [.. recurrent.Parameters.Where((_, i) => i % 4 < 2)],
                _ => [],
            };
            foreach (ParameterTensor kernel in kernels)
            {
                if (!tensors.Contains(kernel))
                {
                    tensors.Add(kernel);
                }
            }
        }

        return tensors;
    }

    /// <summary>
    /// Applies step <paramref name="step"/> of the schedule: at an update step, recomputes the masks at the schedule's
    /// sparsity; then, at every step, sets the masked weights to zero.
    /// </summary>
    /// <param name="step">The optimizer step, from 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative.</exception>
    public void Apply(int step)
    {
        if (step < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "Steps count optimizer steps from 0.");
        }

        if (Schedule.IsUpdateStep(step))
        {
            UpdateMasks(Schedule.SparsityAt(step));
        }

        ApplyMasks();
    }

    /// <summary>Applies the next step (<see cref="Step"/>) and counts it; call it after every optimizer step of a loop of your own.</summary>
    public void AfterStep()
    {
        Apply(Step);
        Step++;
    }

    /// <summary>Prunes to <paramref name="sparsity"/> now, whatever the schedule says (one-shot pruning), and holds the result in the masks.</summary>
    /// <param name="sparsity">The fraction to set to zero, in [0, 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is outside [0, 1).</exception>
    public void Prune(double sparsity)
    {
        Schedules.CheckSparsity(sparsity, nameof(sparsity));
        UpdateMasks(sparsity);
        ApplyMasks();
    }

    /// <summary>Sets every masked weight to zero.</summary>
    public void ApplyMasks()
    {
        for (int t = 0; t < _tensors.Length; t++)
        {
            Span<float> values = _tensors[t].Values;
            bool[] mask = _masks[t];
            for (int i = 0; i < values.Length; i++)
            {
                if (!mask[i])
                {
                    values[i] = 0f;
                }
            }
        }
    }

    /// <summary>A copy of a tensor's mask: <see langword="true"/> where the weight is kept.</summary>
    /// <param name="tensor">One of <see cref="Tensors"/>.</param>
    /// <returns>The mask, laid out as the tensor's values.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tensor"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="tensor"/> is not pruned by this pruner.</exception>
    public bool[] Mask(ParameterTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        int index = Array.IndexOf(_tensors, tensor);
        if (index < 0)
        {
            throw new ArgumentException(
                $"'{tensor.Name}' is not pruned by this pruner; it prunes {string.Join(", ", _tensors.Select(t => t.Name))}.", nameof(tensor));
        }

        return (bool[])_masks[index].Clone();
    }

    /// <summary>Counts the zeros in each pruned tensor and in all of them, as the weights stand.</summary>
    /// <returns>The report.</returns>
    public SparsityReport Report()
        => new([.. _tensors.Select(t => new TensorSparsity(t.Name, t.Length, Zeros(t.Values)))]);

    /// <summary>A callback for <see cref="Trainer.Fit"/> that calls <see cref="AfterStep"/> after every optimizer step.</summary>
    /// <returns>The callback.</returns>
    public ICallback Callback() => new PruningCallback(this);

    // A loop with ==, not Span.Count, which compares with Equals and so would not count -0 as zero.
    private static int Zeros(ReadOnlySpan<float> values)
    {
        int zeros = 0;
        foreach (float value in values)
        {
            if (value == 0f)
            {
                zeros++;
            }
        }

        return zeros;
    }

    private static ParameterTensor[] Check(INetwork network, IEnumerable<ParameterTensor> tensors)
    {
        var own = new HashSet<ParameterTensor>(network.Layers.SelectMany(l => l.Parameters), ReferenceEqualityComparer.Instance);
        var chosen = new List<ParameterTensor>();
        foreach (ParameterTensor tensor in tensors)
        {
            ArgumentNullException.ThrowIfNull(tensor, nameof(tensors));
            if (!own.Contains(tensor))
            {
                throw new ArgumentException(
                    $"'{tensor.Name}' is not a tensor of this {network.GetType().Name}; take the tensors from its Layers.", nameof(tensors));
            }

            if (chosen.Contains(tensor))
            {
                throw new ArgumentException($"'{tensor.Name}' is listed twice; list each tensor once.", nameof(tensors));
            }

            chosen.Add(tensor);
        }

        return [.. chosen];
    }

    private void UpdateMasks(double sparsity)
    {
        if (Scope == PruningScope.PerTensor)
        {
            for (int t = 0; t < _tensors.Length; t++)
            {
                float[] magnitudes = Magnitudes(_tensors[t].Values);
                bool[] keep = KeepLargest(magnitudes, sparsity);
                keep.CopyTo(_masks[t], 0);
            }

            return;
        }

        float[] all = new float[_tensors.Sum(t => t.Length)];
        int offset = 0;
        foreach (ParameterTensor tensor in _tensors)
        {
            Magnitudes(tensor.Values).CopyTo(all, offset);
            offset += tensor.Length;
        }

        bool[] kept = KeepLargest(all, sparsity);
        offset = 0;
        for (int t = 0; t < _tensors.Length; t++)
        {
            Array.Copy(kept, offset, _masks[t], 0, _tensors[t].Length);
            offset += _tensors[t].Length;
        }
    }

    private static float[] Magnitudes(ReadOnlySpan<float> values)
    {
        float[] magnitudes = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            magnitudes[i] = MathF.Abs(values[i]);
        }

        return magnitudes;
    }

    // Keeps TFMOT's count, max(round(n * (1 - sparsity)), 1), and prunes the rest in order of magnitude, then index,
    // so that the count is exact and the same weights go on every machine.
    private static bool[] KeepLargest(float[] magnitudes, double sparsity)
    {
        int n = magnitudes.Length;
        int keep = Math.Max((int)Math.Round(n * (1 - sparsity), MidpointRounding.ToEven), 1);
        int[] order = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) =>
        {
            int byMagnitude = magnitudes[a].CompareTo(magnitudes[b]);
            return byMagnitude != 0 ? byMagnitude : a.CompareTo(b);
        });

        bool[] mask = new bool[n];
        for (int i = n - keep; i < n; i++)
        {
            mask[order[i]] = true;
        }

        return mask;
    }

    private sealed class PruningCallback(MagnitudePruner pruner) : ICallback
    {
        public void OnTrainBegin(TrainingControl control)
        {
            if (!ReferenceEquals(control.Network, pruner.Network))
            {
                throw new InvalidOperationException(
                    $"This pruner prunes a {pruner.Network.GetType().Name}, not the {control.Network.GetType().Name} being trained; create a pruner for that network.");
            }
        }

        public void OnBatchEnd(int batch, TrainingControl control) => pruner.AfterStep();

        public void OnEpochEnd(EpochResult epoch, TrainingControl control)
        {
        }
    }
}
