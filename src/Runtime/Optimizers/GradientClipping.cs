using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Optimizers;

/// <summary>Limits the size of a gradient before an optimizer step, so one bad batch cannot throw the parameters far.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales <paramref name="gradients"/> in place so that their L2 norm is at most about <paramref name="maxNorm"/>, as
    /// PyTorch's <c>torch.nn.utils.clip_grad_norm_</c> over all of a network's parameters, and returns the norm before
    /// clipping.
    /// </summary>
    /// <remarks>
    /// <para>The computation is</para>
    /// <code>
    /// total       = sqrt(sum(g^2))
    /// coefficient = maxNorm / (total + 1e-6)
    /// g           = g * coefficient                   only when coefficient &lt; 1
    /// </code>
    /// <para>so a clipped gradient's norm ends slightly below <paramref name="maxNorm"/>, and a gradient already within it is
    /// left exactly as it was (PyTorch multiplies it by 1.0, which changes nothing either). Pass a network's whole
    /// <c>Gradients</c> buffer: the norm is global, over every parameter tensor, as PyTorch's.</para>
    /// <para>When a gradient is NaN or infinite the returned norm is NaN or infinity and the gradients are left unscaled,
    /// so the caller can see the failure and skip the step. PyTorch would instead multiply by a NaN or zero coefficient,
    /// turning every gradient into NaN or zero. Finite gradients whose squares overflow <typeparamref name="T"/> are
    /// measured by rescaling with their largest magnitude, so their norm is finite and they are clipped.</para>
    /// </remarks>
    /// <param name="gradients">The gradient buffer, scaled in place.</param>
    /// <param name="maxNorm">The largest norm let through, a finite number &gt; 0, such as 1.0.</param>
    /// <returns>The L2 norm of <paramref name="gradients"/> before clipping.</returns>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="maxNorm"/> is not a finite number &gt; 0.</exception>
    public static T ClipByGlobalNorm<T>(Span<T> gradients, double maxNorm)
        where T : IFloatingPointIeee754<T>
    {
        HyperParameters.Positive(maxNorm, nameof(maxNorm), "1.0");
        T total = TensorPrimitives.Norm<T>(gradients);
        if (T.IsPositiveInfinity(total))
        {
            total = RescaledNorm<T>(gradients);
        }

        if (!T.IsFinite(total))
        {
            return total;
        }

        T coefficient = T.CreateTruncating(maxNorm) / (total + T.CreateTruncating(1e-6));
        if (coefficient < T.One)
        {
            TensorPrimitives.Multiply(gradients, coefficient, gradients);
        }

        return total;
    }

    /// <summary>
    /// The norm of gradients whose sum of squares overflowed: <c>max|g| * sqrt(sum((g / max|g|)^2))</c>, which stays finite
    /// when every element is; infinity or NaN when one is.
    /// </summary>
    private static T RescaledNorm<T>(ReadOnlySpan<T> gradients)
        where T : IFloatingPointIeee754<T>
    {
        T largest = T.Abs(TensorPrimitives.MaxMagnitude(gradients));
        if (!T.IsFinite(largest))
        {
            return largest;
        }

        T sum = T.Zero;
        foreach (T value in gradients)
        {
            T scaled = value / largest;
            sum += scaled * scaled;
        }

        return largest * T.Sqrt(sum);
    }
}
