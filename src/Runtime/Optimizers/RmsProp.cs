using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Optimizers;

/// <summary>
/// RMSprop (Hinton, 2012), optionally centered and with momentum and L2 weight decay; step for step PyTorch's
/// <c>torch.optim.RMSprop</c>.
/// </summary>
/// <remarks>
/// <para>With parameters <c>p</c>, gradient <c>g</c> and learning rate <c>lr</c>, each step computes, elementwise, from
/// <c>v = gAvg = buf = 0</c>:</para>
/// <code>
/// g    = g + weightDecay * p                      if weightDecay != 0
/// v    = alpha * v + (1 - alpha) * g^2
/// if centered:
///     gAvg = alpha * gAvg + (1 - alpha) * g
///     avg  = sqrt(v - gAvg^2) + epsilon
/// else:
///     avg  = sqrt(v) + epsilon                    epsilon outside the square root, as PyTorch
/// if momentum > 0:
///     buf = momentum * buf + g / avg
///     p   = p - lr * buf
/// else:
///     p   = p - lr * g / avg
/// </code>
/// <para>There is no bias correction: <c>v</c> starts at 0, so the first steps are larger than later ones (about
/// <c>lr / sqrt(1 - alpha)</c> per element on the first step), as in PyTorch and Keras.</para>
/// <para><c>v</c>, <c>gAvg</c>, <c>gAvg^2</c> and <c>buf</c> are flushed to zero where they would be subnormal
/// (nonzero and below 1.17549435e-38 in magnitude, for <c>float</c>), as under PyTorch's
/// <c>torch.set_flush_denormal(True)</c>; every other value is bit for bit unchanged.</para>
/// </remarks>
/// <typeparam name="T"><c>float</c> for training; <c>double</c> for checks against PyTorch in float64.</typeparam>
public class RmsProp<T> : Optimizer<T>
    where T : IFloatingPointIeee754<T>
{
    private T[] _squareAverage = [];
    private T[] _gradientAverage = [];
    private T[] _momentumBuffer = [];
    private T[] _scratch = [];
    private T[] _decayedGradient = [];

    /// <summary>Creates the optimizer; every argument is checked here.</summary>
    /// <param name="learningRate"><c>lr</c>, a finite number &gt;= 0, such as 0.01 (PyTorch's default) or 0.001 (Keras').</param>
    /// <param name="alpha">The decay of the running mean of the squared gradient, in [0, 1), such as 0.99 (Keras' <c>rho</c>).</param>
    /// <param name="epsilon">Added to the denominator, a finite number &gt; 0, such as 1e-8.</param>
    /// <param name="weightDecay">The L2 factor added to the gradient, a finite number &gt;= 0, usually 0.</param>
    /// <param name="momentum">The momentum factor, a finite number &gt;= 0 (0 turns momentum off), such as 0.9.</param>
    /// <param name="centered">Whether to divide by an estimate of the gradient's variance instead of its second moment.</param>
    /// <exception cref="ArgumentOutOfRangeException">When a value is outside its range; the message names it.</exception>
    public RmsProp(double learningRate = 0.01, double alpha = 0.99, double epsilon = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false)
        : base(HyperParameters.LearningRate(learningRate, "0.01"))
    {
        Alpha = HyperParameters.HalfOpenUnit(alpha, nameof(alpha), "0.99");
        Epsilon = HyperParameters.Positive(epsilon, nameof(epsilon), "1e-8");
        WeightDecay = HyperParameters.NonNegative(weightDecay, nameof(weightDecay), "0");
        Momentum = HyperParameters.NonNegative(momentum, nameof(momentum), "0.9");
        Centered = centered;
    }

    /// <summary>The decay of the running mean of the squared gradient (and, when centered, of the gradient).</summary>
    public double Alpha { get; }

    /// <summary>Added to the square root in the denominator so the step stays finite.</summary>
    public double Epsilon { get; }

    /// <summary>The L2 factor added to the gradient as <c>weightDecay * p</c> (PyTorch's <c>weight_decay</c>).</summary>
    public double WeightDecay { get; }

    /// <summary>The momentum factor; 0 means no momentum buffer.</summary>
    public double Momentum { get; }

    /// <summary>Whether the denominator is <c>sqrt(v - gAvg^2)</c>, the running variance, instead of <c>sqrt(v)</c>.</summary>
    public bool Centered { get; }

    /// <summary><c>square_avg</c>, then <c>grad_avg</c> when centered and <c>momentum_buffer</c> with momentum, PyTorch's names.</summary>
    public override IReadOnlyList<string> StateNames => (Centered, Momentum > 0) switch
    {
        (true, true) => ["square_avg", "grad_avg", "momentum_buffer"],
        (true, false) => ["square_avg", "grad_avg"],
        (false, true) => ["square_avg", "momentum_buffer"],
        _ => ["square_avg"],
    };

    /// <inheritdoc/>
    protected sealed override T[] StateBuffer(int index)
    {
        IReadOnlyList<string> names = StateNames;
        return index >= 0 && index < names.Count
            ? names[index] switch
            {
                "square_avg" => _squareAverage,
                "grad_avg" => _gradientAverage,
                _ => _momentumBuffer,
            }
            : throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} keeps {names.Count} state buffers.");
    }

    /// <inheritdoc/>
    protected sealed override void AddHyperParameters(IDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        values["alpha"] = Format(Alpha);
        values["eps"] = Format(Epsilon);
        values["weight_decay"] = Format(WeightDecay);
        values["momentum"] = Format(Momentum);
        values["centered"] = Centered.ToString(CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    protected sealed override void AllocateState(int length)
    {
        _squareAverage = new T[length];
        _gradientAverage = Centered ? new T[length] : [];
        _momentumBuffer = Momentum > 0 ? new T[length] : [];
        _scratch = new T[Math.Min(length, HyperParameters.ChunkLength)];
        _decayedGradient = WeightDecay != 0 ? new T[_scratch.Length] : [];
    }

    /// <inheritdoc/>
    protected sealed override void ClearState()
    {
        _squareAverage = [];
        _gradientAverage = [];
        _momentumBuffer = [];
        _scratch = [];
        _decayedGradient = [];
    }

    /// <inheritdoc/>
    protected sealed override void Update(Span<T> parameters, ReadOnlySpan<T> gradients, int step)
    {
        T negativeLearningRate = T.CreateTruncating(-LearningRate);
        T alpha = T.CreateTruncating(Alpha);
        T oneMinusAlpha = T.CreateTruncating(1 - Alpha);
        T epsilon = T.CreateTruncating(Epsilon);
        T weightDecay = T.CreateTruncating(WeightDecay);
        T momentum = T.CreateTruncating(Momentum);
        for (int start = 0; start < parameters.Length; start += HyperParameters.ChunkLength)
        {
            int length = Math.Min(HyperParameters.ChunkLength, parameters.Length - start);
            Span<T> p = parameters.Slice(start, length);
            ReadOnlySpan<T> g = gradients.Slice(start, length);
            Span<T> scratch = _scratch.AsSpan(0, length);
            if (WeightDecay != 0)
            {
                Span<T> decayed = _decayedGradient.AsSpan(0, length);
                TensorPrimitives.MultiplyAdd(p, weightDecay, g, decayed);
                g = decayed;
            }

            // v = alpha v + ((1 - alpha) g) g, the order of PyTorch's addcmul. The running averages and the momentum
            // buffer are flushed to zero below the normal range (see Moments), as they decay where gradients stop.
            Span<T> squareAverage = _squareAverage.AsSpan(start, length);
            Moments.DecaySquares(squareAverage, alpha, g, oneMinusAlpha);

            if (Centered)
            {
                Span<T> gradientAverage = _gradientAverage.AsSpan(start, length);
                Moments.Decay(gradientAverage, alpha, g, oneMinusAlpha);
                TensorPrimitives.Multiply(gradientAverage, gradientAverage, scratch);

                // Flushed too, as the processor's flush-to-zero mode would: with the square average flushed and this
                // square not, v - g_avg^2 could come out below zero and its square root NaN.
                Moments.FlushSubnormals<T>(scratch);
                TensorPrimitives.Subtract(squareAverage, scratch, scratch);
                TensorPrimitives.Sqrt(scratch, scratch);
            }
            else
            {
                TensorPrimitives.Sqrt(squareAverage, scratch);
            }

            TensorPrimitives.Add(scratch, epsilon, scratch);
            TensorPrimitives.Divide(g, scratch, scratch);
            if (Momentum > 0)
            {
                Span<T> buffer = _momentumBuffer.AsSpan(start, length);
                Moments.Decay(buffer, momentum, scratch, T.One);
                TensorPrimitives.MultiplyAdd(buffer, negativeLearningRate, p, p);
            }
            else
            {
                TensorPrimitives.MultiplyAdd(scratch, negativeLearningRate, p, p);
            }
        }
    }
}

/// <summary><see cref="RmsProp{T}"/> on <c>float</c> parameters, the type networks train in.</summary>
public sealed class RmsProp : RmsProp<float>
{
    /// <inheritdoc cref="RmsProp{T}(double, double, double, double, double, bool)"/>
    public RmsProp(double learningRate = 0.01, double alpha = 0.99, double epsilon = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false)
        : base(learningRate, alpha, epsilon, weightDecay, momentum, centered)
    {
    }
}
