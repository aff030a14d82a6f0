using System;
using System.Collections.Generic;

namespace TypedNets;

/// <summary>
/// What every generated network offers to code that does not know its concrete type: training loops,
/// optimizers, serialization. Generated networks implement it; the typed API on the network itself
/// (<c>Sample</c>, <c>Prediction</c>, <c>Predict</c>) is the one to use where the type is known.
/// </summary>
public interface INetwork
{
    /// <summary>The number of floats in one flattened input sample.</summary>
    int InputSize { get; }

    /// <summary>The number of floats in one flattened output sample.</summary>
    int OutputSize { get; }

    /// <summary>The largest batch the workspace was sized for.</summary>
    int MaxBatch { get; }

    /// <summary>Every parameter in one contiguous buffer, laid out in <c>state_dict</c> order.</summary>
    Span<float> Parameters { get; }

    /// <summary>The gradient of every parameter, laid out like <see cref="Parameters"/>.</summary>
    Span<float> Gradients { get; }

    /// <summary>Non-trainable state (batch normalisation's running statistics) in <c>state_dict</c> order.</summary>
    Span<float> Buffers { get; }

    /// <summary>The layers in forward order.</summary>
    IReadOnlyList<Layer> Layers { get; }

    /// <summary>
    /// Runs the forward pass on a batch of flattened samples (<c>batch * InputSize</c> floats) and returns the
    /// outputs (<c>batch * OutputSize</c> floats), a view of the workspace that the next forward pass overwrites.
    /// </summary>
    ReadOnlySpan<float> Forward(ReadOnlySpan<float> input, bool training);

    /// <summary>
    /// Back-propagates <c>dL/doutput</c> of the last forward pass: adds every parameter's gradient into
    /// <see cref="Gradients"/> and, when <paramref name="inputGradient"/> is not empty, writes <c>dL/dinput</c> there.
    /// </summary>
    void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient);

    /// <summary>The loss declared with <c>[Loss]</c>, or <see langword="null"/>.</summary>
    LossFunction? DeclaredLoss { get; }

    /// <summary>The loss of the last forward pass against <paramref name="target"/> (the declared loss unless one is given).</summary>
    float Loss(ReadOnlySpan<float> target, LossFunction? loss = null);

    /// <summary>
    /// The loss of the last forward pass against <paramref name="target"/>, back-propagated: adds every parameter's gradient into
    /// <see cref="Gradients"/> and, when <paramref name="inputGradient"/> is not empty, writes <c>dL/dinput</c> there.
    /// </summary>
    float LossBackward(ReadOnlySpan<float> target, LossFunction? loss = null, Span<float> inputGradient = default);

    /// <summary>Adds the gradients of the layers' declared L1 and L2 weight penalties and returns the penalty.</summary>
    float Regularize();

    /// <summary>Sets every gradient to zero.</summary>
    void ZeroGradients();

    /// <summary>Draws fresh initial weights from <paramref name="seed"/> and zeroes the biases.</summary>
    void Initialize(ulong seed);

    /// <summary>Restarts the stream of dropout masks from <paramref name="seed"/>.</summary>
    void ReseedDropout(ulong seed);
}
