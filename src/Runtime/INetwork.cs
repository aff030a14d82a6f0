using System;
using System.Collections.Generic;

namespace TypedNets;

/// <summary>
/// What every generated network offers to code that does not know its concrete type: training loops,
/// optimizers, serialization. Generated networks implement it; the typed API on the network itself
/// (<c>Sample</c>, <c>Prediction</c>, <c>Predict</c>) is the one to use where the type is known.
/// </summary>
/// <remarks>
/// Threading: <see cref="Predict"/> may be called from any number of threads at once; each call runs on a workspace
/// of its own, rented from a pool, over the shared weights. Everything else (training, <see cref="Forward"/>,
/// <see cref="Backward"/>, the losses, loading weights) uses the network's one training workspace or changes its
/// weights, and is for one thread at a time. <see cref="Access"/> enforces this: a call that would overlap the other
/// kind throws <see cref="InvalidOperationException"/> instead of computing a wrong answer.
/// </remarks>
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

    /// <summary>Holds the network to its threading contract; training loops and weight loaders take exclusive use through it.</summary>
    NetworkAccess Access { get; }

    /// <summary>
    /// Predicts every flattened sample of <paramref name="input"/> (<c>rows * InputSize</c> floats; token ids as
    /// floats) into <paramref name="output"/> (<c>rows * OutputSize</c> floats), in inference mode, in batches of at
    /// most <see cref="MaxBatch"/>. Safe to call from many threads at once; allocates nothing in steady state.
    /// </summary>
    /// <exception cref="ArgumentException">When <paramref name="input"/> is not whole samples or <paramref name="output"/> has another number of rows.</exception>
    /// <exception cref="InvalidOperationException">When another thread is training the network or loading its weights.</exception>
    void Predict(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>
    /// The generator of dropout masks, as it stands: a training loop saves it in a checkpoint and puts it back on
    /// resume, so that the masks continue where they stopped.
    /// </summary>
    Xoshiro256 DropoutRandom { get; set; }

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
