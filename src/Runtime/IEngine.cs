using System;
using System.Numerics;

namespace TypedNets;

/// <summary>
/// A generated network's math over element type <typeparamref name="T"/>, as its nested <c>Engine&lt;T&gt;</c>
/// implements it: <c>float</c> for use, <c>double</c> for gradient checks against finite differences.
/// </summary>
public interface IEngine<T>
    where T : IFloatingPointIeee754<T>
{
    /// <summary>The number of values in one flattened input sample.</summary>
    int InputSize { get; }

    /// <summary>The number of values in one flattened output sample.</summary>
    int OutputSize { get; }

    /// <summary>The largest batch the workspace was sized for.</summary>
    int MaxBatch { get; }

    /// <summary>The batch size of the last forward pass.</summary>
    int Batch { get; }

    /// <summary>Every parameter in one buffer, in <c>state_dict</c> order.</summary>
    T[] Parameters { get; }

    /// <summary>The gradients, laid out like <see cref="Parameters"/>.</summary>
    T[] Gradients { get; }

    /// <summary>Non-trainable state, such as batch normalisation's running statistics.</summary>
    T[] Buffers { get; }

    /// <summary>Runs the forward pass on <c>batch * InputSize</c> values and returns the <c>batch * OutputSize</c> outputs.</summary>
    ReadOnlySpan<T> Forward(ReadOnlySpan<T> input, bool training);

    /// <summary>
    /// Back-propagates the output gradient through the last forward pass, adding into <see cref="Gradients"/>;
    /// writes the input gradient when <paramref name="inputGradient"/> is not empty.
    /// </summary>
    void Backward(ReadOnlySpan<T> outputGradient, Span<T> inputGradient);

    /// <summary>The loss of the last forward pass against <paramref name="target"/>.</summary>
    T Loss(ReadOnlySpan<T> target, LossFunction loss);

    /// <summary>The loss of the last forward pass, back-propagated into <see cref="Gradients"/>.</summary>
    T LossBackward(ReadOnlySpan<T> target, LossFunction loss, Span<T> inputGradient);

    /// <summary>Adds the gradients of the declared weight penalties and returns the penalty.</summary>
    T Regularize();

    /// <summary>Sets every gradient to zero.</summary>
    void ZeroGradients();

    /// <summary>Draws fresh weights from <paramref name="seed"/> and zeroes the biases.</summary>
    void Initialize(ulong seed);

    /// <summary>Restarts the stream of dropout masks from <paramref name="seed"/>.</summary>
    void ReseedDropout(ulong seed);

    /// <summary>The generator of dropout masks, as it stands; set it to continue a saved stream.</summary>
    Xoshiro256 DropoutRandom { get; set; }
}
