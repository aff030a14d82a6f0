using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Optimizers;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight decay; step for step
/// PyTorch's <c>torch.optim.SGD</c>.
/// </summary>
/// <remarks>
/// <para>With parameters <c>p</c>, gradient <c>g</c> and learning rate <c>lr</c>, each step computes, elementwise:</para>
/// <code>
/// g   = g + weightDecay * p                       if weightDecay != 0
/// if momentum != 0:
///     buf = g                                     on the first step (no dampening, as PyTorch)
///     buf = momentum * buf + (1 - dampening) * g  on later steps
///     g   = nesterov ? g + momentum * buf : buf
/// p   = p - lr * g
/// </code>
/// <para>The momentum buffer is this optimizer's only state; it is allocated on the first step.</para>
/// <para>The momentum buffer is flushed to zero where it would be subnormal (nonzero and below 1.17549435e-38 in
/// magnitude, for <c>float</c>), as under PyTorch's <c>torch.set_flush_denormal(True)</c>; every other value is bit for
/// bit unchanged.</para>
/// </remarks>
/// <typeparam name="T"><c>float</c> for training; <c>double</c> for checks against PyTorch in float64.</typeparam>
public class Sgd<T> : Optimizer<T>
    where T : IFloatingPointIeee754<T>
{
    private T[] _momentumBuffer = [];
    private T[] _scratch = [];

    /// <summary>Creates the optimizer; every argument is checked here.</summary>
    /// <param name="learningRate"><c>lr</c>, a finite number &gt;= 0, such as 0.01.</param>
    /// <param name="momentum">The momentum factor, a finite number &gt;= 0 (0 turns momentum off), such as 0.9.</param>
    /// <param name="dampening">How much of the gradient is held back from the momentum buffer, in [0, 1], usually 0.</param>
    /// <param name="nesterov">Nesterov momentum; needs <paramref name="momentum"/> &gt; 0 and <paramref name="dampening"/> = 0.</param>
    /// <param name="weightDecay">The L2 factor added to the gradient, a finite number &gt;= 0, such as 0.0005.</param>
    /// <exception cref="ArgumentOutOfRangeException">When a value is outside its range; the message names it.</exception>
    /// <exception cref="ArgumentException">When <paramref name="nesterov"/> is set without momentum or with dampening.</exception>
    public Sgd(double learningRate, double momentum = 0, double dampening = 0, bool nesterov = false, double weightDecay = 0)
        : base(HyperParameters.LearningRate(learningRate, "0.01"))
    {
        Momentum = HyperParameters.NonNegative(momentum, nameof(momentum), "0.9");
        Dampening = HyperParameters.ClosedUnit(dampening, nameof(dampening), "0");
        WeightDecay = HyperParameters.NonNegative(weightDecay, nameof(weightDecay), "0.0005");
        if (nesterov && (momentum <= 0 || dampening != 0))
        {
            throw new ArgumentException(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"Nesterov momentum needs momentum > 0 and dampening = 0, but momentum was {momentum:R} and dampening was {dampening:R}; use momentum such as 0.9 and dampening 0, or nesterov: false."),
                nameof(nesterov));
        }

        Nesterov = nesterov;
    }

    /// <summary>The momentum factor; 0 means plain gradient descent.</summary>
    public double Momentum { get; }

    /// <summary>The dampening of the gradient's contribution to the momentum buffer after the first step.</summary>
    public double Dampening { get; }

    /// <summary>Whether the step uses Nesterov momentum, <c>g + momentum * buf</c>.</summary>
    public bool Nesterov { get; }

    /// <summary>The L2 factor added to the gradient as <c>weightDecay * p</c> (PyTorch's <c>weight_decay</c>).</summary>
    public double WeightDecay { get; }

    /// <summary><c>momentum_buffer</c> with momentum, PyTorch's name; nothing without.</summary>
    public override IReadOnlyList<string> StateNames => Momentum != 0 ? ["momentum_buffer"] : [];

    /// <inheritdoc/>
    protected sealed override T[] StateBuffer(int index)
        => index == 0 && Momentum != 0 ? _momentumBuffer : throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} keeps {StateNames.Count} state buffers.");

    /// <inheritdoc/>
    protected sealed override void AddHyperParameters(IDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        values["momentum"] = Format(Momentum);
        values["dampening"] = Format(Dampening);
        values["nesterov"] = Nesterov.ToString(CultureInfo.InvariantCulture);
        values["weight_decay"] = Format(WeightDecay);
    }

    /// <inheritdoc/>
    protected sealed override void AllocateState(int length)
    {
        if (Momentum != 0)
        {
            _momentumBuffer = new T[length];
        }

        if (WeightDecay != 0 || Nesterov)
        {
            _scratch = new T[Math.Min(length, HyperParameters.ChunkLength)];
        }
    }

    /// <inheritdoc/>
    protected sealed override void ClearState()
    {
        _momentumBuffer = [];
        _scratch = [];
    }

    /// <inheritdoc/>
    protected sealed override void Update(Span<T> parameters, ReadOnlySpan<T> gradients, int step)
    {
        T negativeLearningRate = T.CreateTruncating(-LearningRate);
        T momentum = T.CreateTruncating(Momentum);
        T oneMinusDampening = T.CreateTruncating(1 - Dampening);
        T weightDecay = T.CreateTruncating(WeightDecay);
        for (int start = 0; start < parameters.Length; start += HyperParameters.ChunkLength)
        {
            int length = Math.Min(HyperParameters.ChunkLength, parameters.Length - start);
            Span<T> p = parameters.Slice(start, length);
            ReadOnlySpan<T> g = gradients.Slice(start, length);
            Span<T> scratch = _scratch.AsSpan(0, Math.Min(_scratch.Length, length));
            if (WeightDecay != 0)
            {
                TensorPrimitives.MultiplyAdd(p, weightDecay, g, scratch);
                g = scratch;
            }

            if (Momentum != 0)
            {
                Span<T> buffer = _momentumBuffer.AsSpan(start, length);
                if (step == 1)
                {
                    g.CopyTo(buffer);
                }
                else
                {
                    // Flushed to zero below the normal range (see Moments), as the buffer decays where gradients stop.
                    Moments.Decay(buffer, momentum, g, oneMinusDampening);
                }

                if (Nesterov)
                {
                    // scratch may already hold g: the call reads and writes each element in place.
                    TensorPrimitives.MultiplyAdd(buffer, momentum, g, scratch);
                    g = scratch;
                }
                else
                {
                    g = buffer;
                }
            }

            TensorPrimitives.MultiplyAdd(g, negativeLearningRate, p, p);
        }
    }
}

/// <summary><see cref="Sgd{T}"/> on <c>float</c> parameters, the type networks train in.</summary>
public sealed class Sgd : Sgd<float>
{
    /// <inheritdoc cref="Sgd{T}(double, double, double, bool, double)"/>
    public Sgd(double learningRate, double momentum = 0, double dampening = 0, bool nesterov = false, double weightDecay = 0)
        : base(learningRate, momentum, dampening, nesterov, weightDecay)
    {
    }
}
