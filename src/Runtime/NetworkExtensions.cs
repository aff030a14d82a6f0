using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace TypedNets;

/// <summary>
/// The API of every generated network, written once: extension members over <see cref="INetwork"/> and
/// <see cref="INetwork{TSample, TPrediction}"/>, called as members of the network (<c>net.Predict(sample)</c>).
/// </summary>
/// <remarks>
/// A generated class keeps whatever base class its author gave it, so the shared API cannot come from a base class; it
/// implements the interfaces instead, and these members reach its <see cref="INetwork.Core"/>. A member the author
/// declares with the same name on the network wins over these, as an instance member always wins over an extension.
/// <para>
/// Threading: <c>Predict</c> is safe from any number of threads at once; every other member that reads or changes the
/// training workspace or the weights takes the network for itself through <c>Access</c>, and throws
/// <see cref="InvalidOperationException"/> when another thread is using it.
/// </para>
/// </remarks>
public static class NetworkExtensions
{
    extension(INetwork network)
    {
        /// <summary>The number of floats in one flattened input sample (token ids count one each).</summary>
        public int InputSize => network.Core.InputSize;

        /// <summary>The number of floats in one flattened output sample.</summary>
        public int OutputSize => network.Core.OutputSize;

        /// <summary>The largest batch <c>Forward</c> accepts.</summary>
        public int MaxBatch => network.Core.Engine.MaxBatch;

        /// <summary>Every parameter in one buffer, in <c>state_dict</c> order; each layer's tensors are views of it.</summary>
        /// <remarks>
        /// Inference keeps the weights packed for its matrix products and packs them again only after they change, which
        /// it learns from <c>WeightVersion</c>: handing out this view moves the version on, and so do optimizer steps,
        /// loads, <c>Initialize</c> and a tensor's <c>Values</c>. Write through the view before the next prediction;
        /// a span kept and written to after a prediction has run must be followed by <c>MarkWeightsChanged()</c> (or by
        /// taking the view again), or predictions go on with the weights as they were.
        /// </remarks>
        public Span<float> Parameters
        {
            get
            {
                NetworkEngine<float> engine = network.Core.Engine;
                engine.WeightVersion.Bump();
                return engine.Parameters;
            }
        }

        /// <summary>
        /// A number that moves on whenever the weights may have changed: at every hand-out of <c>Parameters</c> or of a
        /// tensor's <c>Values</c>, optimizer step, training pass, load, <c>Initialize</c> and <c>MarkWeightsChanged</c>;
        /// never at a prediction. Inference's packed weights are made again when it has moved.
        /// </summary>
        public long WeightVersion => network.Core.Engine.WeightVersion.Value;

        /// <summary>
        /// Says that the weights have been written through a span taken earlier (from <c>Parameters</c> or a tensor's
        /// <c>Values</c>) after a prediction ran: the next prediction packs them again instead of using the packed copy
        /// of the weights as they were. Writes made right after taking a view, before any prediction, need no call.
        /// </summary>
        public void MarkWeightsChanged() => network.Core.Engine.WeightVersion.Bump();

        /// <summary>The gradients, laid out like <c>Parameters</c>; <c>Backward</c> adds to them.</summary>
        public Span<float> Gradients => network.Core.Engine.Gradients;

        /// <summary>Non-trainable state in <c>state_dict</c> order, such as batch normalisation's running statistics.</summary>
        public Span<float> Buffers => network.Core.Engine.Buffers;

        /// <summary>The layers in forward order.</summary>
        public IReadOnlyList<Layer> Layers => network.Core.Layers;

        /// <summary>Holds the network to its threading contract; training loops and weight loaders take exclusive use through it.</summary>
        public NetworkAccess Access => network.Core.Access;

        /// <summary>The loss declared with <c>[Loss]</c>, or <see langword="null"/> when none is.</summary>
        public LossFunction? DeclaredLoss => network.Core.DeclaredLoss;

        /// <summary>
        /// The generator of dropout masks, as it stands: a checkpoint saves it and a resumed run puts it back, so that
        /// the masks continue where they stopped.
        /// </summary>
        public Xoshiro256 DropoutRandom
        {
            get => network.Core.Engine.DropoutRandom;
            set => network.Core.Engine.DropoutRandom = value;
        }

        /// <summary>
        /// Predicts flattened samples, <c>rows * InputSize</c> floats (token ids as floats), into <c>rows * OutputSize</c>
        /// floats, in inference mode, in batches of at most <c>MaxBatch</c>. Safe to call from many threads at once; each
        /// call runs on a workspace of its own over the shared weights and allocates nothing in steady state.
        /// </summary>
        /// <exception cref="ArgumentException">When <paramref name="input"/> is not whole samples or <paramref name="output"/> has another number of rows.</exception>
        /// <exception cref="InvalidOperationException">When another thread is training the network or loading its weights.</exception>
        public void Predict(ReadOnlySpan<float> input, Span<float> output)
        {
            NetworkCore core = network.Core;
            int rows = NetworkGuard.PredictionRows(core.Name, input.Length, core.InputSize, output.Length, core.OutputSize);
            using WorkspacePool<NetworkEngine<float>>.Lease lease = core.Predictors.Rent();
            PredictRows(core, lease.Workspace, input, output, rows);
        }

        /// <summary>
        /// Runs the forward pass on flattened samples, <c>batch * InputSize</c> floats, in the training workspace. The
        /// result is a view of the workspace, valid until the next forward pass. In training mode dropout is active and
        /// the activations are kept for <c>Backward</c>. For one thread at a time; <c>Predict</c> is the call for many.
        /// </summary>
        /// <exception cref="ArgumentException">When <paramref name="input"/> is not whole samples, is empty or exceeds <c>MaxBatch</c>.</exception>
        /// <exception cref="InvalidOperationException">When another thread is using the network.</exception>
        public ReadOnlySpan<float> Forward(ReadOnlySpan<float> input, bool training = false)
        {
            NetworkCore core = network.Core;
            using NetworkAccess.Scope exclusive = core.Access.Exclusive("Forward");
            return core.Engine.Forward(input, training);
        }

        /// <summary>
        /// Back-propagates <c>dL/doutput</c> of the last forward pass, flattened: adds every parameter's gradient into
        /// <c>Gradients</c> and, when <paramref name="inputGradient"/> is not empty, writes <c>dL/dinput</c> there (token
        /// ids have none).
        /// </summary>
        /// <exception cref="ArgumentException">When a gradient does not cover the last batch exactly.</exception>
        /// <exception cref="InvalidOperationException">When no forward pass has run, or another thread is using the network.</exception>
        public void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient = default)
        {
            NetworkCore core = network.Core;
            using NetworkAccess.Scope exclusive = core.Access.Exclusive("Backward");
            core.Engine.Backward(outputGradient, inputGradient);
        }

        /// <summary>The loss of the last forward pass against <paramref name="target"/> (the declared loss unless <paramref name="loss"/> is given).</summary>
        /// <remarks>
        /// On an output that is a sequence <c>[steps, classes]</c>, cross-entropy is the mean over every position not
        /// ignored, as PyTorch's <c>F.cross_entropy(logits.view(-1, classes), targets.view(-1), ignore_index=...)</c>; its
        /// targets are <c>steps</c> class ids per sample, or <c>steps * classes</c> one-hot values.
        /// </remarks>
        /// <exception cref="ArgumentException">
        /// When <paramref name="target"/> does not fit the last batch's output, or a class id is out of range and not the ignore index.
        /// </exception>
        /// <exception cref="InvalidOperationException">When no loss is given or declared, no forward pass has run, or another thread is using the network.</exception>
        public float Loss(ReadOnlySpan<float> target, LossFunction? loss = null)
        {
            NetworkCore core = network.Core;
            LossFunction chosen = NetworkGuard.LossToUse(core.Name, loss, core.DeclaredLoss);
            using NetworkAccess.Scope exclusive = core.Access.Exclusive("Loss");
            return core.Engine.Loss(target, chosen);
        }

        /// <summary>
        /// The loss of the last forward pass against <paramref name="target"/>, back-propagated: adds every parameter's
        /// gradient into <c>Gradients</c> (fused with a Softmax or Sigmoid output where the loss is a cross-entropy) and,
        /// when <paramref name="inputGradient"/> is not empty, writes <c>dL/dinput</c> there.
        /// </summary>
        /// <remarks>
        /// Positions (or samples) whose class-id target is the loss's ignore index get no gradient; when every target is
        /// ignored the loss is 0 with a zero gradient, where PyTorch gives NaN.
        /// </remarks>
        /// <exception cref="ArgumentException">
        /// When <paramref name="target"/> or <paramref name="inputGradient"/> does not fit the last batch, or a class id is
        /// out of range and not the ignore index.
        /// </exception>
        /// <exception cref="InvalidOperationException">When no loss is given or declared, no forward pass has run, or another thread is using the network.</exception>
        public float LossBackward(ReadOnlySpan<float> target, LossFunction? loss = null, Span<float> inputGradient = default)
        {
            NetworkCore core = network.Core;
            LossFunction chosen = NetworkGuard.LossToUse(core.Name, loss, core.DeclaredLoss);
            using NetworkAccess.Scope exclusive = core.Access.Exclusive("LossBackward");
            return core.Engine.LossBackward(target, chosen, inputGradient);
        }

        /// <summary>Adds the gradients of the layers' declared L1 and L2 weight penalties into <c>Gradients</c> and returns the penalty.</summary>
        /// <exception cref="InvalidOperationException">When another thread is using the network.</exception>
        public float Regularize()
        {
            NetworkCore core = network.Core;
            using NetworkAccess.Scope exclusive = core.Access.Exclusive("Regularize");
            return core.Engine.Regularize();
        }

        /// <summary>Sets every gradient to zero.</summary>
        public void ZeroGradients() => network.Core.Engine.ZeroGradients();

        /// <summary>
        /// Draws fresh weights from <paramref name="seed"/> (He uniform before ReLU, LeakyReLU and GELU, Glorot uniform
        /// otherwise) and zeroes the biases.
        /// </summary>
        /// <exception cref="InvalidOperationException">When another thread is using the network.</exception>
        public void Initialize(ulong seed)
        {
            NetworkCore core = network.Core;
            using NetworkAccess.Scope exclusive = core.Access.Exclusive("Initialize");
            core.Engine.Initialize(seed);
            core.Engine.WeightVersion.Bump();
        }

        /// <summary>Restarts the stream of dropout masks from <paramref name="seed"/>.</summary>
        public void ReseedDropout(ulong seed) => network.Core.Engine.ReseedDropout(seed);
    }

    extension<TSample, TPrediction>(INetwork<TSample, TPrediction> network)
        where TSample : unmanaged
        where TPrediction : unmanaged
    {
        /// <summary>
        /// Predicts one sample in inference mode. Safe to call from many threads at once: each call runs on a workspace
        /// of its own over the shared weights, and allocates nothing in steady state. Training and loading weights need
        /// the network to themselves; a prediction that overlaps them throws.
        /// </summary>
        /// <exception cref="ArgumentException">When a token id is negative or above 2^24.</exception>
        /// <exception cref="InvalidOperationException">When another thread is training the network or loading its weights.</exception>
        public TPrediction Predict(in TSample sample)
        {
            NetworkCore core = network.Core;
            using WorkspacePool<NetworkEngine<float>>.Lease lease = core.Predictors.Rent();
            ReadOnlySpan<TSample> samples = new(in sample);
            ReadOnlySpan<float> output = core.TokenInput
                ? lease.Workspace.Forward(MemoryMarshal.Cast<TSample, int>(samples), training: false)
                : lease.Workspace.Forward(MemoryMarshal.Cast<TSample, float>(samples), training: false);
            return MemoryMarshal.Cast<float, TPrediction>(output)[0];
        }

        /// <summary>
        /// Predicts every sample in inference mode, in batches of at most <c>MaxBatch</c>. Safe to call from many
        /// threads at once, as <c>Predict(in Sample)</c>.
        /// </summary>
        /// <exception cref="ArgumentException">When <paramref name="predictions"/> is not as long as <paramref name="samples"/>, or a token id is negative or above 2^24.</exception>
        /// <exception cref="InvalidOperationException">When another thread is training the network or loading its weights.</exception>
        public void Predict(ReadOnlySpan<TSample> samples, Span<TPrediction> predictions)
        {
            NetworkCore core = network.Core;
            NetworkGuard.Predictions(core.Name, samples.Length, predictions.Length);
            Span<float> output = MemoryMarshal.Cast<TPrediction, float>(predictions);
            using WorkspacePool<NetworkEngine<float>>.Lease lease = core.Predictors.Rent();
            if (core.TokenInput)
            {
                PredictRows(core, lease.Workspace, MemoryMarshal.Cast<TSample, int>(samples), output, samples.Length);
            }
            else
            {
                PredictRows(core, lease.Workspace, MemoryMarshal.Cast<TSample, float>(samples), output, samples.Length);
            }
        }

        /// <summary>
        /// Runs the forward pass on a batch of at most <c>MaxBatch</c> samples in the training workspace. The result is a
        /// view of the workspace, valid until the next forward pass. In training mode dropout is active and the
        /// activations are kept for <c>Backward</c>. For one thread at a time; <c>Predict</c> is the call for many.
        /// </summary>
        /// <exception cref="ArgumentException">When <paramref name="batch"/> is empty or exceeds <c>MaxBatch</c>.</exception>
        /// <exception cref="InvalidOperationException">When another thread is using the network.</exception>
        public ReadOnlySpan<TPrediction> Forward(ReadOnlySpan<TSample> batch, bool training = false)
        {
            NetworkCore core = network.Core;
            using NetworkAccess.Scope exclusive = core.Access.Exclusive("Forward");
            ReadOnlySpan<float> output = core.TokenInput
                ? core.Engine.Forward(MemoryMarshal.Cast<TSample, int>(batch), training)
                : core.Engine.Forward(MemoryMarshal.Cast<TSample, float>(batch), training);
            return MemoryMarshal.Cast<float, TPrediction>(output);
        }

        /// <summary>
        /// Back-propagates the gradient of the loss with respect to the last forward pass's output: adds every
        /// parameter's gradient into <c>Gradients</c> and, when <paramref name="inputGradient"/> is not empty, writes
        /// the gradient with respect to the input there (token ids have none: leave it empty).
        /// </summary>
        /// <exception cref="ArgumentException">When a gradient does not cover the last batch exactly.</exception>
        /// <exception cref="InvalidOperationException">When no forward pass has run, or another thread is using the network.</exception>
        public void Backward(ReadOnlySpan<TPrediction> outputGradient, Span<TSample> inputGradient = default)
        {
            NetworkCore core = network.Core;
            using NetworkAccess.Scope exclusive = core.Access.Exclusive("Backward");
            core.Engine.Backward(MemoryMarshal.Cast<TPrediction, float>(outputGradient), MemoryMarshal.Cast<TSample, float>(inputGradient));
        }
    }

    // The workspace is the caller's for the whole loop: one rent per call, however many chunks. Many rows are predicted
    // a chunk at a time (NetworkCore.PredictionBatch), so that one chunk's activations stay in the core's caches from
    // one layer to the next.
    private static void PredictRows<TInput>(NetworkCore core, NetworkEngine<float> workspace, ReadOnlySpan<TInput> input, Span<float> output, int rows)
        where TInput : unmanaged
    {
        int chunk = core.PredictionBatch(workspace.MaxBatch), inputSize = core.InputSize, outputSize = core.OutputSize;
        for (int start = 0; start < rows; start += chunk)
        {
            int count = Math.Min(chunk, rows - start);
            ReadOnlySpan<TInput> slice = input.Slice(start * inputSize, count * inputSize);
            ReadOnlySpan<float> result = typeof(TInput) == typeof(int)
                ? workspace.Forward(MemoryMarshal.Cast<TInput, int>(slice), training: false)
                : workspace.Forward(MemoryMarshal.Cast<TInput, float>(slice), training: false);
            result.CopyTo(output.Slice(start * outputSize, count * outputSize));
        }
    }
}
