using System;
using System.Collections.Generic;
using System.ComponentModel;

namespace TypedNets;

/// <summary>
/// What a generated network holds at run time: its training workspace, the pool of prediction workspaces over the same
/// weights, the guard of its threading contract, its layers and its declared loss. The public API on
/// <see cref="INetwork"/> (<see cref="NetworkExtensions"/>) works on it. For generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class NetworkCore
{
    private readonly Layer[] _layers;

    /// <summary>The data-parallel training step's state (its second workspace), made on the first split step.</summary>
    internal Training.DataParallel? DataParallelStep;

    /// <summary>Wraps <paramref name="engine"/>, the network's training workspace, with a prediction pool and a guard.</summary>
    /// <param name="engine">The training workspace; prediction workspaces share its weights.</param>
    /// <param name="layers">The layers in forward order.</param>
    /// <param name="declaredLoss">The loss declared with <c>[Loss]</c>, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="engine"/> or <paramref name="layers"/> is null.</exception>
    public NetworkCore(NetworkEngine<float> engine, Layer[] layers, LossFunction? declaredLoss)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(layers);
        Engine = engine;
        _layers = layers;
        DeclaredLoss = declaredLoss;
        Name = engine.Layout.Name;
        TokenInput = engine.Layout.TokenInput;
        InputSize = engine.Layout.InputSize;
        OutputSize = engine.Layout.OutputSize;
        Access = new NetworkAccess(Name);
        Predictors = new WorkspacePool<NetworkEngine<float>>(Access, () =>
        {
            NetworkEngine<float> workspace = engine.CreateWorkspace();
            workspace.PredictionOnly = true;
            return workspace;
        });

        // A write through a tensor's view changes the weights that inference keeps packed.
        foreach (Layer layer in layers)
        {
            _activationsPerSample += ShapeSize(layer.OutputShape);
            foreach (ParameterTensor tensor in layer.Parameters)
            {
                tensor.Version = engine.WeightVersion;
            }
        }
    }

    /// <summary>
    /// The activations a prediction pass should keep at most, in bytes: within a core's L2 cache and a share of L3, so
    /// that each layer finds its input where the layer before left it.
    /// </summary>
    /// <remarks>
    /// The Fashion-MNIST convnet's activations take 152 KB a sample, 39 MB for 256: predicted 256 at a time, its first
    /// pooling read the first convolution's 22 MB output back from memory, and 256 samples took 13.4-13.9 ms against
    /// 11.0-11.2 ms 16 at a time (2026-12-07, this project's machine).
    /// </remarks>
    private const long PredictionActivationBytes = 2L << 20;

    /// <summary>The fewest samples a prediction pass takes when it has that many, so that the products stay wide.</summary>
    private const int FewestPredictionSamples = 8;

    private readonly long _activationsPerSample;

    /// <summary>The network's name, for error messages.</summary>
    public string Name { get; }

    /// <summary>The training workspace, for one thread at a time.</summary>
    public NetworkEngine<float> Engine { get; }

    /// <summary>Prediction workspaces over the weights of <see cref="Engine"/>, one per concurrent prediction.</summary>
    public WorkspacePool<NetworkEngine<float>> Predictors { get; }

    /// <summary>Holds the network to its threading contract.</summary>
    public NetworkAccess Access { get; }

    /// <summary>The layers in forward order.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <summary>The loss declared with <c>[Loss]</c>, or <see langword="null"/>.</summary>
    public LossFunction? DeclaredLoss { get; }

    /// <summary>Whether the input is token ids rather than floats.</summary>
    public bool TokenInput { get; }

    /// <summary>The number of values in one flattened input sample.</summary>
    public int InputSize { get; }

    /// <summary>The number of values in one flattened output sample.</summary>
    public int OutputSize { get; }

    /// <summary>
    /// How many samples <c>Predict</c> runs through a workspace of <paramref name="maxBatch"/> at once: as many as keep
    /// a pass's activations within <see cref="PredictionActivationBytes"/>, at least <see cref="FewestPredictionSamples"/>.
    /// </summary>
    public int PredictionBatch(int maxBatch)
    {
        long fitting = PredictionActivationBytes / Math.Max(1, _activationsPerSample * sizeof(float));
        return (int)Math.Clamp(fitting, Math.Min(FewestPredictionSamples, maxBatch), maxBatch);
    }

    private static long ShapeSize(ReadOnlySpan<int> shape)
    {
        long size = 1;
        foreach (int d in shape)
        {
            size *= d;
        }

        return size;
    }
}
