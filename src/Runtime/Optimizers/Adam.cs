using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Optimizers;

/// <summary>
/// Adam (Kingma and Ba, 2015), with PyTorch's coupled L2 weight decay and optional AMSGrad; step for step PyTorch's
/// <c>torch.optim.Adam</c>. For weight decay applied to the parameters instead, use <see cref="AdamW{T}"/>.
/// </summary>
/// <remarks>
/// <para>With parameters <c>p</c>, gradient <c>g</c>, learning rate <c>lr</c> and the step <c>t</c> counted from 1, each
/// step computes, elementwise, from moments <c>m = v = vMax = 0</c>:</para>
/// <code>
/// g     = g + weightDecay * p                     if weightDecay != 0 (coupled L2)
/// m     = beta1 * m + (1 - beta1) * g
/// v     = beta2 * v + (1 - beta2) * g^2
/// vMax  = max(vMax, v)                            if amsgrad, and then v means vMax below
/// denom = sqrt(v) / sqrt(1 - beta2^t) + epsilon
/// p     = p - (lr / (1 - beta1^t)) * m / denom
/// </code>
/// <para>Epsilon is added after the bias correction of <c>sqrt(v)</c>, as PyTorch does. Keras adds it before the
/// correction, which amounts to PyTorch's formula with <c>epsilon / sqrt(1 - beta2^t)</c>: the same epsilon weighs more
/// in Keras' early steps.</para>
/// </remarks>
/// <typeparam name="T"><c>float</c> for training; <c>double</c> for checks against PyTorch in float64.</typeparam>
public class Adam<T> : Optimizer<T>
    where T : IFloatingPointIeee754<T>
{
    private T[] _firstMoment = [];
    private T[] _secondMoment = [];
    private T[] _maxSecondMoment = [];
    private T[] _decayedGradient = [];

    /// <summary>Creates the optimizer; every argument is checked here.</summary>
    /// <param name="learningRate"><c>lr</c>, a finite number &gt;= 0, such as 0.001.</param>
    /// <param name="beta1">The decay of the first moment, in [0, 1), such as 0.9.</param>
    /// <param name="beta2">The decay of the second moment, in [0, 1), such as 0.999.</param>
    /// <param name="epsilon">Added to the denominator, a finite number &gt; 0, such as 1e-8.</param>
    /// <param name="weightDecay">The L2 factor added to the gradient, a finite number &gt;= 0, usually 0.</param>
    /// <param name="amsgrad">Whether to divide by the largest second moment seen so far (AMSGrad).</param>
    /// <exception cref="ArgumentOutOfRangeException">When a value is outside its range; the message names it.</exception>
    public Adam(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0, bool amsgrad = false)
        : this(learningRate, beta1, beta2, epsilon, weightDecay, amsgrad, decoupledWeightDecay: false)
    {
    }

    /// <summary>The constructor of Adam and of <see cref="AdamW{T}"/>, which differ only in how they apply weight decay.</summary>
    private protected Adam(double learningRate, double beta1, double beta2, double epsilon, double weightDecay, bool amsgrad, bool decoupledWeightDecay)
        : base(HyperParameters.LearningRate(learningRate, "0.001"))
    {
        Beta1 = HyperParameters.HalfOpenUnit(beta1, nameof(beta1), "0.9");
        Beta2 = HyperParameters.HalfOpenUnit(beta2, nameof(beta2), "0.999");
        Epsilon = HyperParameters.Positive(epsilon, nameof(epsilon), "1e-8");
        WeightDecay = HyperParameters.NonNegative(weightDecay, nameof(weightDecay), decoupledWeightDecay ? "0.01" : "0");
        AmsGrad = amsgrad;
        DecoupledWeightDecay = decoupledWeightDecay;
    }

    /// <summary>The decay of the first moment (the running mean of the gradient).</summary>
    public double Beta1 { get; }

    /// <summary>The decay of the second moment (the running mean of the squared gradient).</summary>
    public double Beta2 { get; }

    /// <summary>Added to the bias-corrected <c>sqrt(v)</c> so the step stays finite.</summary>
    public double Epsilon { get; }

    /// <summary>
    /// The weight decay: for Adam an L2 factor added to the gradient as <c>weightDecay * p</c> before the moments
    /// (PyTorch's <c>weight_decay</c>); for AdamW a decay of the parameters by <c>1 - lr * weightDecay</c> each step.
    /// </summary>
    public double WeightDecay { get; }

    /// <summary>Whether weight decay shrinks the parameters directly (AdamW) rather than adding to the gradient (Adam).</summary>
    public bool DecoupledWeightDecay { get; }

    /// <summary>Whether the denominator uses the largest second moment seen so far (AMSGrad).</summary>
    public bool AmsGrad { get; }

    /// <inheritdoc/>
    protected sealed override void AllocateState(int length)
    {
        _firstMoment = new T[length];
        _secondMoment = new T[length];
        _maxSecondMoment = AmsGrad ? new T[length] : [];
        _decayedGradient = WeightDecay != 0 && !DecoupledWeightDecay ? new T[Math.Min(length, HyperParameters.ChunkLength)] : [];
    }

    /// <inheritdoc/>
    protected sealed override void ClearState()
    {
        _firstMoment = [];
        _secondMoment = [];
        _maxSecondMoment = [];
        _decayedGradient = [];
    }

    /// <inheritdoc/>
    protected sealed override void Update(Span<T> parameters, ReadOnlySpan<T> gradients, int step)
    {
        var coefficients = new AdamKernel.Coefficients<T>(Beta1, Beta2, Epsilon, LearningRate, step);
        T weightDecay = T.CreateTruncating(WeightDecay);
        T decay = T.CreateTruncating(1 - (LearningRate * WeightDecay));
        for (int start = 0; start < parameters.Length; start += HyperParameters.ChunkLength)
        {
            int length = Math.Min(HyperParameters.ChunkLength, parameters.Length - start);
            Span<T> p = parameters.Slice(start, length);
            ReadOnlySpan<T> g = gradients.Slice(start, length);
            if (WeightDecay != 0 && DecoupledWeightDecay)
            {
                TensorPrimitives.Multiply(p, decay, p);
            }
            else if (WeightDecay != 0)
            {
                Span<T> decayed = _decayedGradient.AsSpan(0, length);
                TensorPrimitives.MultiplyAdd(p, weightDecay, g, decayed);
                g = decayed;
            }

            AdamKernel.Update(
                p,
                g,
                _firstMoment.AsSpan(start, length),
                _secondMoment.AsSpan(start, length),
                AmsGrad ? _maxSecondMoment.AsSpan(start, length) : [],
                coefficients);
        }
    }
}

/// <summary><see cref="Adam{T}"/> on <c>float</c> parameters, the type networks train in.</summary>
public sealed class Adam : Adam<float>
{
    /// <inheritdoc cref="Adam{T}(double, double, double, double, double, bool)"/>
    public Adam(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0, bool amsgrad = false)
        : base(learningRate, beta1, beta2, epsilon, weightDecay, amsgrad)
    {
    }
}
