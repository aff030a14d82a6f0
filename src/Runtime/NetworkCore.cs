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
        Predictors = new WorkspacePool<NetworkEngine<float>>(Access, engine.CreateWorkspace);

        // A write through a tensor's view changes the weights that inference keeps packed.
        foreach (Layer layer in layers)
        {
            foreach (ParameterTensor tensor in layer.Parameters)
            {
                tensor.Version = engine.WeightVersion;
            }
        }
    }

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
}
