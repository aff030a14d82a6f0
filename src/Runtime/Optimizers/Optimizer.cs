using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;

namespace TypedNets.Optimizers;

/// <summary>
/// Updates one contiguous parameter buffer from the gradient buffer of the same layout, as a generated network
/// keeps them. Subclasses implement one update rule; this class checks the buffers and counts steps.
/// </summary>
/// <typeparam name="T"><c>float</c> for training; <c>double</c> for checks against PyTorch in float64.</typeparam>
public abstract class Optimizer<T>
    where T : IFloatingPointIeee754<T>
{
    private double _learningRate;
    private int _length = -1;

    /// <summary>Creates an optimizer with the given learning rate.</summary>
    protected Optimizer(double learningRate)
    {
        LearningRate = learningRate;
    }

    /// <summary>The learning rate of the next step; schedules change it between epochs.</summary>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value >= 0) || double.IsInfinity(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "The learning rate must be a finite number >= 0, such as 0.001.");
            }

            _learningRate = value;
        }
    }

    /// <summary>How many steps have been taken since creation or <see cref="Reset"/>.</summary>
    public int StepCount { get; private set; }

    /// <summary>Applies one update to <paramref name="parameters"/> from <paramref name="gradients"/>.</summary>
    /// <exception cref="ArgumentException">When the two buffers differ in length, or differ from the buffers of earlier steps.</exception>
    public void Step(Span<T> parameters, ReadOnlySpan<T> gradients) => Update(parameters, gradients, BeginStep(parameters.Length, gradients.Length));

    /// <summary>
    /// Whether <see cref="UpdateRange"/> may update disjoint ranges of the parameters from two threads at once, with
    /// the bits of one <see cref="Update"/>: a rule that treats every parameter on its own and keeps no shared
    /// scratch. For the data-parallel training step, which spreads the update over both of its threads.
    /// </summary>
    internal virtual bool UpdatesRanges => false;

    /// <summary>Checks the buffers' lengths as <see cref="Step"/> does, allocates the state on the first step and counts the step; returns its number.</summary>
    /// <exception cref="ArgumentException">When the two lengths differ, or differ from the buffers of earlier steps.</exception>
    internal int BeginStep(int parameters, int gradients)
    {
        if (parameters != gradients)
        {
            throw new ArgumentException(
                $"{GetType().Name} was given {parameters} parameters but {gradients} gradients; pass a network's Parameters and Gradients together.",
                nameof(gradients));
        }

        if (_length >= 0 && _length != parameters)
        {
            throw new ArgumentException(
                $"{GetType().Name} holds state for {_length} parameters but was given {parameters}; use one optimizer per network, or call Reset().",
                nameof(parameters));
        }

        if (_length < 0)
        {
            _length = parameters;
            AllocateState(parameters);
        }

        StepCount++;
        return StepCount;
    }

    /// <summary>Step <paramref name="step"/>'s update of the parameters from <paramref name="from"/> to <paramref name="to"/> only, where <see cref="UpdatesRanges"/>.</summary>
    /// <exception cref="NotSupportedException">When the rule cannot update a range on its own.</exception>
    internal virtual void UpdateRange(Span<T> parameters, ReadOnlySpan<T> gradients, int step, int from, int to)
        => throw new NotSupportedException($"{Name} updates all its parameters at once.");

    /// <summary>Forgets all state (moments, step count), as a freshly created optimizer.</summary>
    public void Reset()
    {
        StepCount = 0;
        _length = -1;
        ClearState();
    }

    /// <summary>
    /// The names of the per-parameter state this optimizer keeps with its hyper-parameters, PyTorch's: such as
    /// <c>exp_avg</c> and <c>exp_avg_sq</c> for Adam, <c>momentum_buffer</c> for SGD with momentum, none for plain SGD.
    /// </summary>
    public virtual IReadOnlyList<string> StateNames => [];

    /// <summary>The optimizer's name in snapshots and checkpoints: its class name without generic arity, such as <c>Adam</c>.</summary>
    public string Name
    {
        get
        {
            string name = GetType().Name;
            int tick = name.IndexOf('`', StringComparison.Ordinal);
            return tick < 0 ? name : name[..tick];
        }
    }

    /// <summary>
    /// A copy of everything the next steps depend on, as PyTorch's <c>optimizer.state_dict()</c>: the per-parameter
    /// state (<see cref="StateNames"/>), the step count, the learning rate, the hyper-parameters and settings.
    /// </summary>
    public OptimizerState<T> GetState()
    {
        var buffers = new Dictionary<string, T[]>(StringComparer.Ordinal);
        if (_length >= 0)
        {
            IReadOnlyList<string> names = StateNames;
            for (int i = 0; i < names.Count; i++)
            {
                buffers.Add(names[i], (T[])StateBuffer(i).Clone());
            }
        }

        return new OptimizerState<T>(Name, HyperParameterValues(), SettingValues(), LearningRate, StepCount, Math.Max(_length, 0), buffers);
    }

    /// <summary>
    /// Continues from <paramref name="state"/>, as PyTorch's <c>optimizer.load_state_dict()</c>: restores the
    /// per-parameter state, the step count, the learning rate and the settings (Adam's lazy rows), so that the next
    /// steps are bit for bit those of the optimizer the state was taken from. The state is checked completely first; when
    /// it does not fit, nothing changes.
    /// </summary>
    /// <remarks>
    /// Unlike PyTorch, the hyper-parameters given at construction are checked rather than overwritten: create the
    /// optimizer with the values the state was saved with. The learning rate is not a hyper-parameter here, since
    /// schedules change it: the state's replaces the optimizer's.
    /// </remarks>
    /// <param name="state">A snapshot from <see cref="GetState"/> of an optimizer of the same class and hyper-parameters.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="state"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// When the state is of another optimizer class or other hyper-parameters, for another number of parameters than this
    /// optimizer already holds, or lacks a buffer, has one too many, or has one of the wrong length; the message names it.
    /// </exception>
    public void LoadState(OptimizerState<T> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        CheckCompatible(state, withBuffers: true);
        LearningRate = state.LearningRate;
        if (state.Step == 0)
        {
            Reset();
        }
        else
        {
            ClearState();
            _length = state.ParameterCount;
            AllocateState(_length);
            IReadOnlyList<string> names = StateNames;
            for (int i = 0; i < names.Count; i++)
            {
                state.Buffers[names[i]].CopyTo(StateBuffer(i), 0);
            }

            StepCount = state.Step;
        }

        ApplySettings(state.Settings, apply: true);
    }

    /// <summary>The array of the <paramref name="index"/>-th entry of <see cref="StateNames"/>, once state is allocated.</summary>
    /// <param name="index">An index into <see cref="StateNames"/>.</param>
    protected virtual T[] StateBuffer(int index)
        => throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} keeps no per-parameter state.");

    /// <summary>Adds the hyper-parameters fixed at construction, by PyTorch's names, as invariant round-trip text (see <see cref="Format(double)"/>).</summary>
    /// <param name="values">Where to add them.</param>
    protected virtual void AddHyperParameters(IDictionary<string, string> values)
    {
    }

    /// <summary>Adds the settings made after construction that a load restores.</summary>
    /// <param name="values">Where to add them.</param>
    protected virtual void AddSettings(IDictionary<string, string> values)
    {
    }

    /// <summary>Checks (<paramref name="apply"/> false) or restores (true) settings written by <see cref="AddSettings"/>.</summary>
    /// <param name="settings">The settings of a state.</param>
    /// <param name="apply">Whether to restore them, after a successful check.</param>
    /// <exception cref="ArgumentException">When a setting is unknown or malformed (only when checking).</exception>
    protected virtual void ApplySettings(IReadOnlyDictionary<string, string> settings, bool apply)
    {
        ArgumentNullException.ThrowIfNull(settings);
        foreach (string key in settings.Keys)
        {
            throw new ArgumentException($"The state has the setting '{key}', which {Name} does not have.", "state");
        }
    }

    /// <summary>A number as hyper-parameters are written: invariant, round-trip.</summary>
    /// <param name="value">The value.</param>
    protected static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private Dictionary<string, string> HyperParameterValues()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        AddHyperParameters(values);
        return values;
    }

    private Dictionary<string, string> SettingValues()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        AddSettings(values);
        return values;
    }

    private static bool Contains(IReadOnlyList<string> names, string name)
    {
        foreach (string candidate in names)
        {
            if (candidate == name)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Throws what <see cref="LoadState"/> would throw for <paramref name="state"/>, changing nothing; without
    /// <paramref name="withBuffers"/>, everything but the per-parameter buffers (a checkpoint checks that before it reads them).
    /// </summary>
    internal void CheckCompatible(OptimizerState<T> state, bool withBuffers = false)
    {
        if (state.Optimizer != Name)
        {
            throw new ArgumentException(
                $"The state was saved by {state.Optimizer}, but this optimizer is {Name}; load it into a {state.Optimizer} created with the same hyper-parameters.",
                nameof(state));
        }

        Dictionary<string, string> mine = HyperParameterValues();
        foreach ((string key, string value) in mine)
        {
            if (!state.HyperParameters.TryGetValue(key, out string? saved))
            {
                throw new ArgumentException($"The state of {Name} has no hyper-parameter '{key}' (this optimizer's is {value}); it was saved by another version or edited.", nameof(state));
            }

            if (saved != value)
            {
                throw new ArgumentException(
                    $"This {Name} has {key} {value}, but the state was saved with {key} {saved}; create the optimizer with {key} {saved} to continue that run " +
                    "(a load checks hyper-parameters rather than replacing them, so that a changed one is noticed).",
                    nameof(state));
            }
        }

        foreach (string key in state.HyperParameters.Keys)
        {
            if (!mine.ContainsKey(key))
            {
                throw new ArgumentException($"The state has the hyper-parameter '{key}', which {Name} does not have.", nameof(state));
            }
        }

        if (!(state.LearningRate >= 0) || double.IsInfinity(state.LearningRate))
        {
            throw new ArgumentException($"The state's learning rate is {Format(state.LearningRate)}; it must be a finite number >= 0.", nameof(state));
        }

        if (state.Step < 0 || state.ParameterCount < 0)
        {
            throw new ArgumentException($"The state has step {state.Step} and {state.ParameterCount} parameters; neither can be negative.", nameof(state));
        }

        if (state.Step > 0 && _length >= 0 && _length != state.ParameterCount)
        {
            throw new ArgumentException(
                $"This {Name} holds state for {_length} parameters, but the state is for {state.ParameterCount}; load it into a new optimizer for the network it was saved with.",
                nameof(state));
        }

        ApplySettings(state.Settings, apply: false);
        if (!withBuffers)
        {
            return;
        }

        if (state.Step == 0)
        {
            if (state.Buffers.Count != 0)
            {
                throw new ArgumentException($"The state has taken no step but holds {string.Join(", ", state.Buffers.Keys)}; before the first step there is no per-parameter state.", nameof(state));
            }
        }
        else
        {
            IReadOnlyList<string> names = StateNames;
            foreach (string name in names)
            {
                if (!state.Buffers.TryGetValue(name, out T[]? buffer))
                {
                    throw new ArgumentException($"The state of {Name} has no '{name}', which this {Name} keeps; it is incomplete.", nameof(state));
                }

                if (buffer is null || buffer.Length != state.ParameterCount)
                {
                    throw new ArgumentException(
                        $"The state's '{name}' has {buffer?.Length ?? 0} elements, but the state is for {state.ParameterCount} parameters; it is corrupt.",
                        nameof(state));
                }
            }

            foreach (string name in state.Buffers.Keys)
            {
                if (!Contains(names, name))
                {
                    throw new ArgumentException($"The state has '{name}', which this {Name} does not keep with its hyper-parameters.", nameof(state));
                }
            }
        }
    }

    /// <summary>Allocates per-parameter state once, before the first step.</summary>
    protected abstract void AllocateState(int length);

    /// <summary>Drops per-parameter state.</summary>
    protected abstract void ClearState();

    /// <summary>Applies the update rule; <paramref name="step"/> counts from 1.</summary>
    protected abstract void Update(Span<T> parameters, ReadOnlySpan<T> gradients, int step);
}
