using System;
using System.ComponentModel;
using System.Numerics;

namespace TypedNets;

/// <summary>
/// What every generated <c>Engine&lt;T&gt;</c> shares: the parameter, gradient and buffer arrays, the argument checks,
/// the copy of the input into the workspace, the losses and the dropout stream. A generated engine derives from it and
/// adds only what is particular to its network: the buffers, the forward and backward pass (<see cref="Run"/>,
/// <see cref="BackPropagate"/>), the initial weights and the weight penalties. For generated code.
/// </summary>
/// <remarks>
/// One virtual call per pass (<see cref="Run"/> or <see cref="BackPropagate"/>); the layers are private methods of the
/// sealed derived class, called directly with constant sizes.
/// </remarks>
/// <typeparam name="T">The element type: <c>float</c> for use, <c>double</c> for gradient checks.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class NetworkEngine<T> : IEngine<T>
    where T : IFloatingPointIeee754<T>
{
    private readonly EngineLayout _layout;
    private readonly NetworkEngine<T> _root;
    private Kernels.Int8Weights? _int8;
    private readonly Kernels.PackedWeights? _packed;
    private Xoshiro256 _dropoutRandom;
    private int _batch;
    private bool _training;

    // Vectors that stand in for the token embedding's lookup during one forward pass (ForwardEmbedded), else null.
    private T[]? _embeddings;

    /// <summary>
    /// Creates the parameter, gradient and buffer arrays of <paramref name="layout"/>, or, with <paramref name="shared"/>,
    /// takes those of another workspace of the same network, and starts the dropout stream from <paramref name="seed"/>.
    /// </summary>
    /// <param name="layout">The network's sizes and output layer.</param>
    /// <param name="maxBatch">The largest batch a forward pass will be given.</param>
    /// <param name="seed">Starts the stream of dropout masks.</param>
    /// <param name="shared">A workspace whose weights this one reads and writes, or <see langword="null"/> for weights of its own.</param>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="maxBatch"/> is below 1 or the workspace would not fit in an array.</exception>
    protected NetworkEngine(EngineLayout layout, int maxBatch, ulong seed, NetworkEngine<T>? shared)
    {
        ArgumentNullException.ThrowIfNull(layout);
        NetworkGuard.MaxBatch(layout.Name, maxBatch, layout.WidestSample);
        _layout = layout;
        MaxBatch = maxBatch;
        Parameters = shared?.Parameters ?? new T[layout.ParameterCount];
        Gradients = shared?.Gradients ?? new T[layout.ParameterCount];
        Buffers = shared?.Buffers ?? new T[layout.BufferCount];
        _root = shared?._root ?? this;
        WeightVersion = shared?.WeightVersion ?? new WeightVersion();
        _packed = shared is not null ? shared._packed : typeof(T) == typeof(float) ? new Kernels.PackedWeights(WeightVersion) : null;
        ReseedDropout(seed);
    }

    /// <summary>The largest batch <c>Forward</c> accepts.</summary>
    public int MaxBatch { get; }

    /// <summary>Every parameter, in state_dict order.</summary>
    public T[] Parameters { get; }

    /// <summary>The gradients, laid out like <see cref="Parameters"/>.</summary>
    /// <remarks>Generated code reads it at every use, so a shard of a data-parallel step can add into an array of its own.</remarks>
    public T[] Gradients { get; private set; }

    /// <summary>Non-trainable state, such as batch normalisation's running statistics.</summary>
    public T[] Buffers { get; }

    /// <summary>
    /// The int8 weights of a network quantised for inference (shared by all its workspaces), or <see langword="null"/>
    /// for a float network. While it is set the network cannot be trained: its int8 weights would not follow.
    /// </summary>
    public Kernels.Int8Weights? Int8Weights
    {
        get => _root._int8;
        internal set => _root._int8 = value;
    }

    /// <summary>The int8 weight whose float parameter starts at <paramref name="offset"/>, or <see langword="null"/>: the float product runs. For generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public Kernels.Int8Weight? Int8At(int offset) => _root._int8?.Find(offset);

    /// <summary>
    /// Where the weight at <paramref name="offset"/> finds its form packed for the GEMM, shared by all workspaces and
    /// kept while the weights do not change; none in a training pass. For generated code.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public Kernels.PackedWeight PackedAt(int offset) => new(_training ? null : _packed, offset);

    /// <summary>The network's weight version, shared by its workspaces; see <c>NetworkExtensions.MarkWeightsChanged</c>.</summary>
    internal WeightVersion WeightVersion { get; }

    /// <summary>The batch size of the last forward pass; 0 before the first.</summary>
    public int Batch => _batch;

    /// <summary>The network's sizes and output layer. For generated code.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public EngineLayout Layout => _layout;

    // Explicit, so that inside a generated engine InputSize and OutputSize still name the network's constants.
    int IEngine<T>.InputSize => _layout.InputSize;

    int IEngine<T>.OutputSize => _layout.OutputSize;

    /// <summary>The generator of dropout masks, as it stands; set it to continue a saved stream.</summary>
    public Xoshiro256 DropoutRandom
    {
        get => _dropoutRandom;
        set => _dropoutRandom = value;
    }

    /// <summary>Whether the last forward pass ran in training mode (dropout active, batch statistics).</summary>
    protected bool Training => _training;

    /// <summary>
    /// Whether this workspace only predicts (the network's prediction workspaces): its forward passes outside training
    /// skip what only a backward pass reads, such as which position won each max-pooling window.
    /// </summary>
    internal bool PredictionOnly { get; set; }

    /// <summary>
    /// Whether the forward pass in progress keeps what a backward pass reads: in training, and on every workspace but a
    /// prediction workspace (an explanation back-propagates through an inference pass). For generated code.
    /// </summary>
    protected bool KeepsBackwardState => _training || !PredictionOnly;

    /// <summary>The dropout stream itself, for layers that draw their own masks (dropout between stacked recurrent layers).</summary>
    protected ref Xoshiro256 DropoutStream => ref _dropoutRandom;

    /// <summary>
    /// The workspace arrays this class reads and writes: the input, the output, the output layer's pre-activation and
    /// the gradient buffer that <see cref="BackPropagate"/> starts from.
    /// </summary>
    protected abstract EngineBuffers<T> Workspace { get; }

    /// <summary>Runs the forward pass on <c>batch * InputSize</c> values and returns the <c>batch * OutputSize</c> outputs.</summary>
    /// <exception cref="ArgumentException">When <paramref name="input"/> is not whole samples, is empty or exceeds <see cref="MaxBatch"/>.</exception>
    public ReadOnlySpan<T> Forward(ReadOnlySpan<T> input, bool training)
    {
        int batch = NetworkGuard.BatchOf(_layout.Name, input.Length, _layout.InputSize, MaxBatch);
        input.CopyTo(Workspace.Input);
        return Start(batch, training);
    }

    /// <summary>Runs the forward pass of a network over token ids on <c>batch * InputSize</c> ids.</summary>
    /// <exception cref="ArgumentException">When <paramref name="tokens"/> is not whole samples, exceeds <see cref="MaxBatch"/> or holds an id below 0 or above 2^24.</exception>
    /// <exception cref="InvalidOperationException">When the network's input is not token ids.</exception>
    public ReadOnlySpan<T> Forward(ReadOnlySpan<int> tokens, bool training)
    {
        if (!_layout.TokenInput)
        {
            throw new InvalidOperationException($"{_layout.Name} takes floats, not token ids; pass the input as floats.");
        }

        int batch = NetworkGuard.BatchOf(_layout.Name, tokens.Length, _layout.InputSize, MaxBatch);
        TokenIds.Convert<T>(tokens, Workspace.Input);
        return Start(batch, training);
    }

    /// <summary>
    /// Runs the forward pass of a network over token ids with <paramref name="embeddings"/>, <c>batch * steps *
    /// dimension</c> values, in place of the token embedding's lookup; <paramref name="tokens"/> still give the padding
    /// mask. Captum's layer attributions patch the embedding layer's output in the same way.
    /// </summary>
    /// <exception cref="InvalidOperationException">When the network's input is not token ids.</exception>
    internal ReadOnlySpan<T> ForwardEmbedded(ReadOnlySpan<int> tokens, T[] embeddings, bool training)
    {
        _embeddings = embeddings;
        try
        {
            return Forward(tokens, training);
        }
        finally
        {
            _embeddings = null;
        }
    }

    /// <summary>
    /// Back-propagates <paramref name="outputGradient"/> through the last forward pass of a network over token ids and
    /// writes the gradient with respect to the token embedding's output, <c>batch * steps * dimension</c> values, to
    /// <paramref name="embeddingGradient"/>; adds into <see cref="Gradients"/> as <see cref="Backward"/> does.
    /// </summary>
    internal void BackwardToEmbeddings(ReadOnlySpan<T> outputGradient, Span<T> embeddingGradient)
    {
        RefuseBackward();
        int batch = _batch;
        NetworkGuard.OutputGradient(_layout.Name, outputGradient.Length, batch, _layout.OutputSize);
        outputGradient.CopyTo(Workspace.OutputGradient);
        BackPropagate(batch, outputGradientIsPreActivation: false, embeddingGradient);
    }

    /// <summary>
    /// The token embedding's forward pass: row <c>tokens[p]</c> of <paramref name="table"/> for every position, or the
    /// vectors given to <see cref="ForwardEmbedded"/>. For generated code.
    /// </summary>
    /// <exception cref="ArgumentException">When a token is outside the vocabulary.</exception>
    protected void EmbedTokens(ReadOnlySpan<T> tokens, ReadOnlySpan<T> table, Span<T> output, int vocabulary, int dimension)
    {
        if (_embeddings is null)
        {
            Kernels.EmbeddingKernel.Forward(tokens, table, output, vocabulary, dimension);
        }
        else
        {
            _embeddings.AsSpan(0, output.Length).CopyTo(output);
        }
    }

    /// <summary>
    /// Back-propagates <paramref name="outputGradient"/> through the last forward pass, adding into
    /// <see cref="Gradients"/>; writes the input gradient when <paramref name="inputGradient"/> is not empty.
    /// </summary>
    /// <exception cref="InvalidOperationException">When no forward pass has run, or the network is quantised to int8.</exception>
    /// <exception cref="ArgumentException">When a gradient does not cover the last batch exactly (token ids have none).</exception>
    public void Backward(ReadOnlySpan<T> outputGradient, Span<T> inputGradient)
    {
        RefuseBackward();
        int batch = _batch;
        NetworkGuard.OutputGradient(_layout.Name, outputGradient.Length, batch, _layout.OutputSize);
        CheckInputGradient(inputGradient.Length, batch);
        outputGradient.CopyTo(Workspace.OutputGradient);
        BackPropagate(batch, outputGradientIsPreActivation: false, inputGradient);
    }

    /// <summary>The loss of the last forward pass against <paramref name="target"/>, without gradients.</summary>
    /// <remarks>
    /// Cross-entropy on a sequence output <c>[steps, classes]</c> is the mean over every position of every sample whose
    /// target is not the ignore index, as PyTorch's <c>F.cross_entropy(logits.view(-1, classes), targets.view(-1))</c>;
    /// its targets are <c>steps</c> class ids per sample, or <c>steps * classes</c> one-hot values.
    /// </remarks>
    /// <exception cref="InvalidOperationException">When no forward pass has run.</exception>
    /// <exception cref="ArgumentException">
    /// When <paramref name="target"/> does not fit the last batch's output, or a class id is out of range and not the ignore index.
    /// </exception>
    public T Loss(ReadOnlySpan<T> target, LossFunction loss)
    {
        int batch = _batch;
        NetworkGuard.ForwardDone(_layout.Name, batch);
        CheckSequenceTargets(target, loss, batch);
        EngineBuffers<T> workspace = Workspace;
        int length = batch * _layout.OutputSize;
        return Kernels.LossKernel.Compute<T>(
            loss, _layout.OutputActivation, workspace.Output.AsSpan(0, length), PreActivation(workspace, length), target, default, _layout.LossWidth, out _);
    }

    /// <summary>
    /// The loss of the last forward pass against <paramref name="target"/>, back-propagated: adds every parameter's
    /// gradient into <see cref="Gradients"/>. Cross-entropy after Softmax and binary cross-entropy after Sigmoid are
    /// computed from the logits, fused with the activation.
    /// </summary>
    /// <remarks>Positions whose target is the ignore index get no gradient; when every target is ignored, the loss is 0 and so is every gradient.</remarks>
    /// <exception cref="InvalidOperationException">When no forward pass has run, or the network is quantised to int8.</exception>
    /// <exception cref="ArgumentException">
    /// When <paramref name="target"/> or <paramref name="inputGradient"/> does not fit the last batch, or a class id is
    /// out of range and not the ignore index.
    /// </exception>
    public T LossBackward(ReadOnlySpan<T> target, LossFunction loss, Span<T> inputGradient)
        => LossBackward(target, loss, inputGradient, T.One);

    /// <summary>
    /// <see cref="LossBackward(ReadOnlySpan{T}, LossFunction, Span{T})"/> with the output gradient multiplied by
    /// <paramref name="share"/> before it is back-propagated: a shard's part of a batch's mean loss, so that its
    /// parameter gradients need no pass of their own. Returns the shard's own (unweighted) loss.
    /// </summary>
    internal T LossBackward(ReadOnlySpan<T> target, LossFunction loss, Span<T> inputGradient, T share)
    {
        RefuseBackward();
        int batch = _batch;
        NetworkGuard.ForwardDone(_layout.Name, batch);
        CheckInputGradient(inputGradient.Length, batch);
        CheckSequenceTargets(target, loss, batch);
        EngineBuffers<T> workspace = Workspace;
        int length = batch * _layout.OutputSize;
        T value = Kernels.LossKernel.Compute<T>(
            loss, _layout.OutputActivation, workspace.Output.AsSpan(0, length), PreActivation(workspace, length), target,
            workspace.OutputGradient.AsSpan(0, length), _layout.LossWidth, out bool gradientIsPreActivation);
        if (share != T.One)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(workspace.OutputGradient.AsSpan(0, length), share, workspace.OutputGradient.AsSpan(0, length));
        }

        BackPropagate(batch, gradientIsPreActivation, inputGradient);
        return value;
    }

    /// <summary>The output of the last forward pass.</summary>
    internal ReadOnlySpan<T> LastOutput => Workspace.Output.AsSpan(0, _batch * _layout.OutputSize);

    /// <summary>Gives this workspace a zeroed gradient array of its own, for the second shard of a data-parallel step.</summary>
    internal void UseOwnGradients() => Gradients = new T[Gradients.Length];

    /// <summary>
    /// Whether the last forward pass's logits can be read: the output of a linear dense output layer, or the
    /// pre-activation of a Softmax one; false for any other output (then <see cref="LastOutputAsLogits"/> decides).
    /// </summary>
    internal bool HasLogits
        => _layout.OutputActivation == Activation.Identity || (_layout.OutputActivation == Activation.Softmax && Workspace.OutputPreActivation is not null);

    /// <summary>
    /// A teacher's logits from its last forward pass, written to <paramref name="logits"/>: the pre-activation of a
    /// Softmax output layer, the natural log of its probabilities where it keeps none (floored at
    /// <see cref="Kernels.LossKernel.ProbabilityEpsilon"/>, since log 0 would be an infinite logit), and otherwise
    /// the output itself, taken as logits.
    /// </summary>
    internal void LastOutputAsLogits(Span<T> logits)
    {
        int length = _batch * _layout.OutputSize;
        EngineBuffers<T> workspace = Workspace;
        if (_layout.OutputActivation == Activation.Softmax && workspace.OutputPreActivation is not null)
        {
            workspace.OutputPreActivation.AsSpan(0, length).CopyTo(logits);
        }
        else if (_layout.OutputActivation == Activation.Softmax)
        {
            T floor = T.CreateTruncating(Kernels.LossKernel.ProbabilityEpsilon);
            for (int i = 0; i < length; i++)
            {
                logits[i] = T.Log(T.Max(workspace.Output[i], floor));
            }
        }
        else
        {
            workspace.Output.AsSpan(0, length).CopyTo(logits);
        }
    }

    /// <summary>
    /// Knowledge distillation's loss of the last forward pass (<see cref="Kernels.LossKernel.Distillation{T}"/>) on
    /// this network's logits (see <see cref="HasLogits"/>) against <paramref name="teacherLogits"/> and the hard
    /// labels <paramref name="target"/> (cross-entropy, with <paramref name="hardLoss"/>'s ignore index), back-propagated into <see cref="Gradients"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">When no forward pass has run, or the output has no logits to distil into.</exception>
    internal T DistillationBackward(ReadOnlySpan<T> teacherLogits, ReadOnlySpan<T> target, LossFunction hardLoss, double temperature, double hardLabelWeight)
    {
        RefuseBackward();
        int batch = _batch;
        NetworkGuard.ForwardDone(_layout.Name, batch);
        if (!HasLogits)
        {
            throw new InvalidOperationException($"{_layout.Name}'s output layer gives no logits to distil into; end it with a Dense layer without activation or with Softmax.");
        }

        CheckSequenceTargets(target, hardLoss, batch);
        EngineBuffers<T> workspace = Workspace;
        int length = batch * _layout.OutputSize;
        bool preActivation = _layout.OutputActivation == Activation.Softmax;
        ReadOnlySpan<T> logits = preActivation ? workspace.OutputPreActivation.AsSpan(0, length) : workspace.Output.AsSpan(0, length);
        T value = Kernels.LossKernel.Distillation(
            logits, teacherLogits, target, workspace.OutputGradient.AsSpan(0, length), _layout.LossWidth, temperature, hardLabelWeight, hardLoss.IgnoreIndex);
        BackPropagate(batch, preActivation, default);
        return value;
    }

    // The kernel reads rows of classes and would word a mistake by row; a sequence's targets are named by sample and position.
    private void CheckSequenceTargets(ReadOnlySpan<T> target, LossFunction loss, int batch)
        => SequenceTargets.For(_layout.Name, _layout.OutputSize, _layout.LossWidth, loss)?.Check(target, batch, loss.IgnoreIndex);

    /// <summary>Adds the declared L1 and L2 weight penalties' gradients into <see cref="Gradients"/> and returns the penalty; none by default.</summary>
    public virtual T Regularize() => T.Zero;

    /// <summary>Sets every gradient to zero.</summary>
    public void ZeroGradients() => Array.Clear(Gradients);

    /// <summary>Draws fresh weights from <paramref name="seed"/> and zeroes the biases.</summary>
    public abstract void Initialize(ulong seed);

    /// <summary>Restarts the stream of dropout masks from <paramref name="seed"/>.</summary>
    public void ReseedDropout(ulong seed) => _dropoutRandom = Xoshiro256.ForStream(seed, 1);

    /// <summary>A second workspace over this one's weights, with activations of its own, for another thread.</summary>
    protected internal abstract NetworkEngine<T> CreateWorkspace();

    /// <summary>The layers' forward pass on the <paramref name="batch"/> samples now in the input buffer; returns the output.</summary>
    protected abstract ReadOnlySpan<T> Run(int batch, bool training);

    /// <summary>
    /// The layers' backward pass from the output gradient in <see cref="EngineBuffers{T}.OutputGradient"/> (dL/dz of the
    /// output layer when <paramref name="outputGradientIsPreActivation"/>), writing the input gradient when
    /// <paramref name="inputGradient"/> is not empty.
    /// </summary>
    protected abstract void BackPropagate(int batch, bool outputGradientIsPreActivation, Span<T> inputGradient);

    /// <summary>A view of <paramref name="length"/> values of <paramref name="buffer"/> from <paramref name="start"/>.</summary>
    protected static Span<T> View(T[] buffer, int start, int length) => new(buffer, start, length);

    /// <summary>A view of <paramref name="length"/> indices of <paramref name="buffer"/> from <paramref name="start"/>.</summary>
    protected static Span<int> View(int[] buffer, int start, int length) => new(buffer, start, length);

    /// <summary>
    /// A dropout layer's forward pass: in training, zeroes each value of <paramref name="x"/> with probability
    /// <paramref name="rate"/> from the network's dropout stream and scales the rest by 1 / (1 - rate), keeping the
    /// mask; in inference, copies <paramref name="x"/>.
    /// </summary>
    protected void DropoutForward(ReadOnlySpan<T> x, Span<T> y, Span<T> mask, double rate, bool training)
    {
        if (training)
        {
            Kernels.DropoutKernel.Forward<T>(x, y, mask, rate, ref _dropoutRandom);
        }
        else
        {
            x.CopyTo(y);
        }
    }

    /// <summary>
    /// A dropout layer's backward pass: the mask of the last forward pass applied to <paramref name="dy"/> (a copy
    /// after an inference pass), written to the start of <paramref name="dx"/>; nothing when <paramref name="dx"/> is empty.
    /// </summary>
    protected void DropoutBackward(ReadOnlySpan<T> mask, ReadOnlySpan<T> dy, Span<T> dx)
    {
        if (dx.IsEmpty)
        {
            return;
        }

        if (_training)
        {
            Kernels.DropoutKernel.Backward<T>(mask, dy, dx.Slice(0, dy.Length));
        }
        else
        {
            dy.CopyTo(dx);
        }
    }

    // The int8 weights are fixed when the network is quantised; gradients and optimizer steps would move only the
    // float copies, which a quantised network does not read. A prediction workspace keeps no backward state.
    private void RefuseBackward()
    {
        if (_root._int8 is not null)
        {
            throw new InvalidOperationException(
                $"{_layout.Name} is quantised to int8 for inference and cannot be trained; train the float network and quantise it again.");
        }

        if (PredictionOnly)
        {
            throw new InvalidOperationException(
                $"This workspace of {_layout.Name} only predicts and keeps nothing for a backward pass; back-propagate through the network's own engine.");
        }
    }

    private ReadOnlySpan<T> Start(int batch, bool training)
    {
        // A training pass is followed by a step that changes the weights; moving the version on here keeps the packed
        // weights honest even for a training loop that writes them through a view it took once.
        if (training)
        {
            WeightVersion.Bump();
        }

        _batch = batch;
        _training = training;
        return Run(batch, training);
    }

    private void CheckInputGradient(int length, int batch)
    {
        if (_layout.TokenInput)
        {
            NetworkGuard.NoTokenGradient(_layout.Name, length);
        }
        else
        {
            NetworkGuard.InputGradient(_layout.Name, length, batch * _layout.InputSize);
        }
    }

    private static ReadOnlySpan<T> PreActivation(EngineBuffers<T> workspace, int length)
        => workspace.OutputPreActivation is null ? default : workspace.OutputPreActivation.AsSpan(0, length);
}
