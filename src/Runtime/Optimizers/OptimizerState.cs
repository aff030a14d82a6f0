using System;
using System.Collections.Generic;
using System.Numerics;

namespace TypedNets.Optimizers;

/// <summary>
/// A snapshot of an optimizer, as PyTorch's <c>optimizer.state_dict()</c>: what <see cref="Optimizer{T}.LoadState"/>
/// needs so that an optimizer created anew takes the same next steps, bit for bit, as the one the snapshot was taken of.
/// </summary>
/// <remarks>
/// <para>The per-parameter buffers carry PyTorch's state names: <c>momentum_buffer</c> (SGD, and RMSprop with momentum),
/// <c>exp_avg</c>, <c>exp_avg_sq</c> and <c>max_exp_avg_sq</c> (Adam and AdamW; the last with AMSGrad),
/// <c>square_avg</c> and <c>grad_avg</c> (RMSprop; the second when centered). Each covers the whole parameter buffer
/// (<see cref="ParameterCount"/> elements, in the network's <c>state_dict</c> order); PyTorch keeps one per parameter
/// tensor, which a checkpoint file does too (see <c>Checkpoint</c>).</para>
/// <para>Before the first step there is no per-parameter state: <see cref="Buffers"/> is empty and <see cref="Step"/> 0, as
/// PyTorch's <c>state</c> is empty then.</para>
/// </remarks>
/// <typeparam name="T">The element type of the optimizer.</typeparam>
public sealed class OptimizerState<T>
    where T : IFloatingPointIeee754<T>
{
    /// <summary>Creates a snapshot; <see cref="Optimizer{T}.LoadState"/> checks every part of it against the optimizer.</summary>
    /// <param name="optimizer">The optimizer's name, such as <c>Adam</c>: its class name without generic arity.</param>
    /// <param name="hyperParameters">The constructor's hyper-parameters by PyTorch's names, in invariant round-trip text.</param>
    /// <param name="settings">Settings changed after construction that a load restores, such as Adam's <c>lazy_rows</c>.</param>
    /// <param name="learningRate">The learning rate of the next step.</param>
    /// <param name="step">The steps taken so far.</param>
    /// <param name="parameterCount">The length of the parameter buffer the state is for; 0 before the first step.</param>
    /// <param name="buffers">The per-parameter state by PyTorch's names, each <paramref name="parameterCount"/> long.</param>
    /// <exception cref="ArgumentNullException">When a dictionary or the name is <see langword="null"/>.</exception>
    public OptimizerState(
        string optimizer,
        IReadOnlyDictionary<string, string> hyperParameters,
        IReadOnlyDictionary<string, string> settings,
        double learningRate,
        int step,
        int parameterCount,
        IReadOnlyDictionary<string, T[]> buffers)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(hyperParameters);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(buffers);
        Optimizer = optimizer;
        HyperParameters = hyperParameters;
        Settings = settings;
        LearningRate = learningRate;
        Step = step;
        ParameterCount = parameterCount;
        Buffers = buffers;
    }

    /// <summary>The optimizer's name, such as <c>Adam</c>, <c>AdamW</c>, <c>Sgd</c> or <c>RmsProp</c>.</summary>
    public string Optimizer { get; }

    /// <summary>
    /// The hyper-parameters fixed at construction (such as <c>beta1</c>, <c>eps</c>, <c>weight_decay</c>,
    /// <c>amsgrad</c>), as invariant round-trip text. A load checks them rather than copies them: an optimizer created
    /// with other values refuses the state, so that a changed hyper-parameter is never silently replaced.
    /// </summary>
    public IReadOnlyDictionary<string, string> HyperParameters { get; }

    /// <summary>Settings made after construction that a load restores: Adam's <c>lazy_rows</c> (<c>offset,rows,rowLength</c>) when set.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>The learning rate of the next step, which a load restores (a schedule may have changed it).</summary>
    public double LearningRate { get; }

    /// <summary>The steps taken so far (PyTorch's <c>step</c>), on which bias corrections and SGD's first momentum step depend.</summary>
    public int Step { get; }

    /// <summary>The number of parameters the buffers cover; 0 before the first step.</summary>
    public int ParameterCount { get; }

    /// <summary>The per-parameter state by PyTorch's names, in <see cref="Optimizer{T}.StateNames"/> order; copies, never the optimizer's own arrays.</summary>
    public IReadOnlyDictionary<string, T[]> Buffers { get; }
}
