using System;
using System.Numerics;

namespace TypedNets.Optimizers;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov and Hutter, 2019) and optional AMSGrad; step for step PyTorch's
/// <c>torch.optim.AdamW</c>.
/// </summary>
/// <remarks>
/// <para>With parameters <c>p</c>, gradient <c>g</c>, learning rate <c>lr</c> and the step <c>t</c> counted from 1, each
/// step computes, elementwise, from moments <c>m = v = vMax = 0</c>:</para>
/// <code>
/// p     = p * (1 - lr * weightDecay)              decoupled: the gradient is not changed
/// m     = beta1 * m + (1 - beta1) * g
/// v     = beta2 * v + (1 - beta2) * g^2
/// vMax  = max(vMax, v)                            if amsgrad, and then v means vMax below
/// denom = sqrt(v) / sqrt(1 - beta2^t) + epsilon
/// p     = p - (lr / (1 - beta1^t)) * m / denom
/// </code>
/// <para>The decay is scaled by the learning rate, as PyTorch does, so a schedule that lowers the rate lowers the
/// decay with it.</para>
/// <para>The moments are flushed to zero where they would be subnormal (nonzero and below 1.17549435e-38 in
/// magnitude, for <c>float</c>); every other value is bit for bit unchanged. That is what PyTorch computes under
/// <c>torch.set_flush_denormal(True)</c>: a weight whose gradient stops (a blank pixel, a dead ReLU unit) would otherwise
/// keep a first moment among the subnormals for about 150 steps, and arithmetic on subnormals is slow; .NET cannot set
/// the processor's flush-to-zero mode, so the optimizer does it in code.</para>
/// </remarks>
/// <typeparam name="T"><c>float</c> for training; <c>double</c> for checks against PyTorch in float64.</typeparam>
public class AdamW<T> : Adam<T>
    where T : IFloatingPointIeee754<T>
{
    /// <summary>Creates the optimizer; every argument is checked here.</summary>
    /// <param name="learningRate"><c>lr</c>, a finite number &gt;= 0, such as 0.001.</param>
    /// <param name="beta1">The decay of the first moment, in [0, 1), such as 0.9.</param>
    /// <param name="beta2">The decay of the second moment, in [0, 1), such as 0.999.</param>
    /// <param name="epsilon">Added to the denominator, a finite number &gt; 0, such as 1e-8.</param>
    /// <param name="weightDecay">The decoupled decay factor, a finite number &gt;= 0, such as 0.01.</param>
    /// <param name="amsgrad">Whether to divide by the largest second moment seen so far (AMSGrad).</param>
    /// <exception cref="ArgumentOutOfRangeException">When a value is outside its range; the message names it.</exception>
    public AdamW(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0.01, bool amsgrad = false)
        : base(learningRate, beta1, beta2, epsilon, weightDecay, amsgrad, decoupledWeightDecay: true)
    {
    }
}

/// <summary><see cref="AdamW{T}"/> on <c>float</c> parameters, the type networks train in.</summary>
public sealed class AdamW : AdamW<float>
{
    /// <inheritdoc cref="AdamW{T}(double, double, double, double, double, bool)"/>
    public AdamW(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0.01, bool amsgrad = false)
        : base(learningRate, beta1, beta2, epsilon, weightDecay, amsgrad)
    {
    }
}
