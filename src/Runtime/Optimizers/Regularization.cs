using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Optimizers;

/// <summary>
/// Weight penalties added to a loss: each kernel returns the penalty's value and adds its gradient to the gradient
/// buffer, after backward and before the optimizer step.
/// </summary>
public static class Regularization
{
    /// <summary>
    /// The L1 penalty <c>l1 * sum(|w|)</c>: returns it and adds its gradient <c>l1 * sign(w)</c> to
    /// <paramref name="gradients"/>, with <c>sign(0) = 0</c> as <c>torch.sign</c> (a NaN weight gives a NaN gradient).
    /// </summary>
    /// <param name="weights">The penalised parameters, usually a layer's weights but not its biases.</param>
    /// <param name="gradients">The gradients of the same parameters, added to in place.</param>
    /// <param name="l1">The factor, a finite number &gt;= 0, such as 0.01 or 1e-4.</param>
    /// <returns>The penalty, to add to the loss that is reported.</returns>
    /// <exception cref="ArgumentException">When the two spans differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="l1"/> is not a finite number &gt;= 0.</exception>
    public static T AddL1<T>(ReadOnlySpan<T> weights, Span<T> gradients, double l1)
        where T : IFloatingPointIeee754<T>
    {
        HyperParameters.NonNegative(l1, nameof(l1), "0.01");
        CheckSameLength(weights, gradients);
        T factor = T.CreateTruncating(l1);
        for (int i = 0; i < weights.Length; i++)
        {
            // T.Sign would throw on NaN; a comparison chain keeps NaN visible in the gradient instead.
            T w = weights[i];
            if (w > T.Zero)
            {
                gradients[i] += factor;
            }
            else if (w < T.Zero)
            {
                gradients[i] -= factor;
            }
            else if (T.IsNaN(w))
            {
                gradients[i] = w;
            }
        }

        return factor * TensorPrimitives.SumOfMagnitudes(weights);
    }

    /// <summary>
    /// The L2 penalty <c>l2 * sum(w^2)</c>: returns it and adds its gradient <c>2 * l2 * w</c> to
    /// <paramref name="gradients"/>, the convention of Keras' <c>regularizers.L2(l2)</c>.
    /// </summary>
    /// <remarks>
    /// PyTorch's <c>weight_decay</c> adds <c>weightDecay * w</c> to the gradient, the gradient of
    /// <c>(weightDecay / 2) * sum(w^2)</c>: <c>AddL2(w, g, l2)</c> equals <c>weight_decay = 2 * l2</c>. For plain SGD,
    /// prefer the optimizers' own <c>weightDecay</c>; with Adam, <see cref="AdamW{T}"/>'s decoupled decay usually
    /// regularises better than either.
    /// </remarks>
    /// <param name="weights">The penalised parameters, usually a layer's weights but not its biases.</param>
    /// <param name="gradients">The gradients of the same parameters, added to in place.</param>
    /// <param name="l2">The factor, a finite number &gt;= 0, such as 0.01 or 1e-4.</param>
    /// <returns>The penalty, to add to the loss that is reported.</returns>
    /// <exception cref="ArgumentException">When the two spans differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="l2"/> is not a finite number &gt;= 0.</exception>
    public static T AddL2<T>(ReadOnlySpan<T> weights, Span<T> gradients, double l2)
        where T : IFloatingPointIeee754<T>
    {
        HyperParameters.NonNegative(l2, nameof(l2), "0.01");
        CheckSameLength(weights, gradients);
        TensorPrimitives.MultiplyAdd(weights, T.CreateTruncating(2 * l2), gradients, gradients);
        return T.CreateTruncating(l2) * TensorPrimitives.SumOfSquares(weights);
    }

    private static void CheckSameLength<T>(ReadOnlySpan<T> weights, Span<T> gradients)
    {
        if (weights.Length != gradients.Length)
        {
            throw new ArgumentException(
                $"A penalty needs weights and gradients of one length, got {weights.Length} weights and {gradients.Length} gradients; pass the same parameter tensor's values and gradients.",
                nameof(gradients));
        }
    }
}
