using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.ExceptionServices;
using System.Threading;
using TypedNets.Kernels;

namespace TypedNets.Training;

/// <summary>
/// The data-parallel training step of one network: a batch split into two fixed halves, the first back-propagated into
/// the network's gradients by the calling thread, the second into a gradient array of its own by a worker thread (or
/// by the caller after the first, with one thread), then added in, in the same order whatever the threads.
/// </summary>
/// <remarks>
/// <para>
/// How a batch is split depends only on the network and the batch size (<see cref="Splits"/>), never on the threads,
/// so one and two threads run the same arithmetic on the same halves and give the same bits. The reduction adds the
/// second half's gradient into the first's element by element, so it does not matter which thread adds which range.
/// </para>
/// <para>
/// The second shard's gradient array is kept at zero between steps: the reduction clears what it has added. An
/// embedding table that only the token lookup writes (no head tied to it) is added row by row over the tokens of the
/// second half alone, so the 1.28 million values of the text classifier's table cost the 600 or so rows a half touches.
/// </para>
/// </remarks>
internal sealed class DataParallel
{
    /// <summary>
    /// The multiply-adds of a training step (three times the forward pass's) from which a batch is split: about 40 µs
    /// of work on one core. Below it the hand-off and the reduction would cost about what the second core saves.
    /// </summary>
    private const long MinimumWork = 1L << 21;

    /// <summary>
    /// A split must also do this many multiply-adds per parameter it adds up (about 1 ns of work for each 4-byte value
    /// read twice and written twice), so that a wide network on a small batch stays whole.
    /// </summary>
    private const long WorkPerReducedValue = 32;

    /// <summary>The values one piece of the reduction adds: 64 KiB of each array, enough to amortise taking a piece.</summary>
    private const int PieceLength = 16 * 1024;

    private readonly NetworkCore _core;
    private readonly bool _splittable;
    private readonly long _multiplyAddsPerSample;
    private readonly int _reducedValues;
    private readonly SparseTable[] _tables;
    private readonly (int Start, int End)[] _pieces;

    // Ranges of the sparse tables whose summed values are checked for NaN and infinity, after the tables' rows are added.
    private readonly (int Start, int End)[] _tableChecks;
    private NetworkEngine<float>? _second;

    // The second shard's gradients may hold values (a step failed midway): cleared in full before the next.
    private bool _secondDirty;

    // The step in flight, for the worker: the second half as pointers (spans cannot cross threads) and its share.
    private unsafe float* _features;
    private int _featureLength;
    private unsafe float* _targets;
    private int _targetLength;
    private LossFunction _loss;
    private float _share;
    private float _secondLoss;
    private ExceptionDispatchInfo? _secondError;
    private volatile int _firstDone;    // 0 running, 1 done, 2 failed
    private volatile int _secondDone;   // likewise
    private PieceEnds _pieceEnds;
    private int _tablesAdded;
    private int _firstNonFinite;

    // The optimizer's update in flight, in pieces that both threads take, or null while the halves run.
    private Optimizers.Optimizer<float>? _optimizer;
    private int _stepNumber;
    private ExceptionDispatchInfo? _updateError;

    private DataParallel(NetworkCore core)
    {
        _core = core;
        EngineLayout layout = core.Engine.Layout;
        IReadOnlyList<Layer> layers = core.Layers;
        _splittable = layout.BufferCount == 0 && layers.Count > 0;
        var tied = new HashSet<EmbeddingLayer>();
        foreach (Layer layer in layers)
        {
            ChecksFinite &= layer is not DenseLayer { L1: not 0 } and not DenseLayer { L2: not 0 };
            _multiplyAddsPerSample += MultiplyAdds(layer);
            _splittable &= SamplesIndependent(layer);
            if (layer is DenseLayer { TiedTo: EmbeddingLayer table })
            {
                tied.Add(table);
            }
        }

        var tables = new List<SparseTable>();
        foreach (Layer layer in layers)
        {
            // Only a table looked up with the network's own token ids, whose gradient nothing else writes.
            if (layer is EmbeddingLayer embedding && layout.TokenInput && !tied.Contains(embedding)
                && embedding.Sources is ["input"] && embedding.InputShape.Length == 1 && embedding.InputShape[0] == layout.InputSize)
            {
                tables.Add(new SparseTable(embedding.Weight.Offset, embedding.Vocabulary, embedding.Dimension, core.Engine.MaxBatch * layout.InputSize));
            }
        }

        tables.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        _tables = [.. tables];
        var pieces = new List<(int, int)>();
        int start = 0;
        foreach (SparseTable table in _tables)
        {
            AddPieces(pieces, start, table.Offset);
            start = table.Offset + (table.Vocabulary * table.Dimension);
        }

        AddPieces(pieces, start, layout.ParameterCount);
        _pieces = [.. pieces];
        var checks = new List<(int, int)>();
        foreach (SparseTable table in _tables)
        {
            AddPieces(checks, table.Offset, table.Offset + (table.Vocabulary * table.Dimension));
        }

        _tableChecks = [.. checks];
        foreach ((int s, int e) in _pieces)
        {
            _reducedValues += e - s;
        }
    }

    /// <summary>
    /// Whether <see cref="Run"/> finds the first NaN or infinity among the summed gradients as it adds them (its
    /// <c>firstNonFinite</c>): when nothing adds to them afterwards, that is, no layer has a weight penalty.
    /// </summary>
    public bool ChecksFinite { get; } = true;

    /// <summary>The network's data-parallel step, made on first use.</summary>
    public static DataParallel Of(NetworkCore core)
    {
        DataParallel? existing = Volatile.Read(ref core.DataParallelStep);
        if (existing is not null)
        {
            return existing;
        }

        var made = new DataParallel(core);
        return Interlocked.CompareExchange(ref core.DataParallelStep, made, null) ?? made;
    }

    /// <summary>
    /// Whether a batch of <paramref name="batch"/> samples is split in two: when no layer couples the samples of a
    /// batch in training (batch normalisation does), and the step's work pays for the hand-off and the reduction.
    /// </summary>
    public bool Splits(int batch)
    {
        if (!_splittable || batch < 2)
        {
            return false;
        }

        long work = 3 * _multiplyAddsPerSample * batch;
        return work >= MinimumWork && work >= WorkPerReducedValue * _reducedValues;
    }

    /// <summary>
    /// Runs the forward and backward pass of both halves and adds their parameter gradients into the network's
    /// <c>Gradients</c>, which it zeroes first. Each half's output gradient is weighted by <paramref name="firstShare"/>
    /// or <paramref name="secondShare"/>, its part of what the batch's loss is a mean over. Returns each half's own loss
    /// and, where <see cref="ChecksFinite"/>, the index of the first gradient that is NaN or infinite (else -1).
    /// </summary>
    public unsafe (float First, float Second) Run(
        ReadOnlySpan<float> firstFeatures, ReadOnlySpan<float> firstTargets, float firstShare,
        ReadOnlySpan<float> secondFeatures, ReadOnlySpan<float> secondTargets, float secondShare, LossFunction loss, out int firstNonFinite)
    {
        firstNonFinite = -1;
        NetworkEngine<float> first = _core.Engine;
        NetworkEngine<float> second = Second();
        if (_secondDirty)
        {
            // A step failed midway: its second half's gradients were never added and cleared.
            second.ZeroGradients();
            foreach (SparseTable table in _tables)
            {
                table.Clear();
            }

            _secondDirty = false;
        }

        // The second half's dropout masks come from a stream of its own, started from the network's stream: the same
        // masks whatever the threads, and a checkpoint's saved stream resumes them.
        Xoshiro256 stream = first.DropoutRandom;
        ulong seed = stream.NextUInt64();
        first.DropoutRandom = stream;
        second.DropoutRandom = Xoshiro256.ForStream(seed, 2);

        fixed (float* features = secondFeatures, targets = secondTargets)
        {
            _features = features;
            _featureLength = secondFeatures.Length;
            _targets = targets;
            _targetLength = secondTargets.Length;
            _loss = loss;
            _share = secondShare;
            _secondError = null;
            _firstDone = 0;
            _secondDone = 0;
            _tablesAdded = 0;
            _firstNonFinite = int.MaxValue;

            // Until the reduction has added and cleared every value, the second half's gradients may hold some.
            _secondDirty = true;
            _pieceEnds = new PieceEnds(_tables.Length + (ChecksFinite ? _tableChecks.Length : 0) + _pieces.Length);
            ShardWorker? worker = Trainer.Threads == 2 && ShardWorker.TryAcquire(out ShardWorker? acquired) ? acquired : null;
            try
            {
                worker?.Post(this);
                float firstLoss = RunFirst(first, firstFeatures, firstTargets, firstShare, loss, parallel: worker is not null, out ExceptionDispatchInfo? firstError);
                if (worker is null || worker.TryReclaim())
                {
                    // One thread, or the worker had not started: the second half here, after the first.
                    RunSecond();
                    Reduce(fromTop: false);
                }
                else
                {
                    SpinWait spin = default;
                    while (_secondDone == 0)
                    {
                        spin.SpinOnce(sleep1Threshold: -1);
                    }

                    Reduce(fromTop: false);
                    worker.Join();
                }

                if (firstError is not null || _secondError is not null)
                {
                    (firstError ?? _secondError)!.Throw();
                }

                _secondDirty = false;

                firstNonFinite = _firstNonFinite == int.MaxValue ? -1 : _firstNonFinite;
                return (firstLoss, _secondLoss);
            }
            finally
            {
                worker?.Release();
                _features = null;
                _targets = null;
                _loss = default;
            }
        }
    }

    /// <summary>The second half's output from the last step.</summary>
    public ReadOnlySpan<float> SecondOutput => _second!.LastOutput;

    /// <summary>
    /// Applies <paramref name="optimizer"/>'s step to the network's parameters (its <c>UpdatesRanges</c> must be
    /// true), in pieces that the worker takes too: the update of each parameter is its own, so the bits are those of
    /// one <c>Step</c> whichever thread updates which piece.
    /// </summary>
    public void Step(Optimizers.Optimizer<float> optimizer)
    {
        float[] parameters = _core.Engine.Parameters;
        _stepNumber = optimizer.BeginStep(parameters.Length, _core.Engine.Gradients.Length);
        _pieceEnds = new PieceEnds((parameters.Length + PieceLength - 1) / PieceLength);
        _updateError = null;
        _optimizer = optimizer;
        ShardWorker? worker = Trainer.Threads == 2 && ShardWorker.TryAcquire(out ShardWorker? acquired) ? acquired : null;
        try
        {
            worker?.Post(this);
            Update(fromTop: false);
            if (worker is not null && !worker.TryReclaim())
            {
                worker.Join();
            }

            _updateError?.Throw();
        }
        finally
        {
            worker?.Release();
            _optimizer = null;
        }
    }

    private void Update(bool fromTop)
    {
        float[] parameters = _core.Engine.Parameters;
        float[] gradients = _core.Engine.Gradients;
        while (_pieceEnds.TryTake(fromTop, out int piece))
        {
            int start = piece * PieceLength;
            try
            {
                _optimizer!.UpdateRange(parameters, gradients, _stepNumber, start, Math.Min(parameters.Length, start + PieceLength));
            }
            catch (Exception exception)
            {
                _updateError ??= ExceptionDispatchInfo.Capture(exception);
            }
        }
    }

    /// <summary>The worker's part: the second half, then pieces of the reduction once the first half is done too; or pieces of the optimizer's update.</summary>
    internal void RunOnWorker()
    {
        if (_optimizer is not null)
        {
            Update(fromTop: true);
            return;
        }

        Gemm.t_coresTaken = true;
        try
        {
            RunSecond();
        }
        finally
        {
            Gemm.t_coresTaken = false;
        }

        SpinWait spin = default;
        while (_firstDone == 0)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }

        Reduce(fromTop: true);
    }

    private float RunFirst(NetworkEngine<float> first, ReadOnlySpan<float> features, ReadOnlySpan<float> targets, float share, LossFunction loss, bool parallel, out ExceptionDispatchInfo? error)
    {
        error = null;
        Gemm.t_coresTaken = parallel;
        try
        {
            first.ZeroGradients();
            first.Forward(features, training: true);
            float value = first.LossBackward(targets, loss, default, share);
            _firstDone = 1;
            return value;
        }
        catch (Exception exception)
        {
            error = ExceptionDispatchInfo.Capture(exception);
            _firstDone = 2;
            return float.NaN;
        }
        finally
        {
            Gemm.t_coresTaken = false;
        }
    }

    private unsafe void RunSecond()
    {
        NetworkEngine<float> second = _second!;
        try
        {
            var features = new ReadOnlySpan<float>(_features, _featureLength);
            second.Forward(features, training: true);
            _secondLoss = second.LossBackward(new ReadOnlySpan<float>(_targets, _targetLength), _loss, default, _share);
            foreach (SparseTable table in _tables)
            {
                table.Collect(features);
            }

            _secondDone = 1;
        }
        catch (Exception exception)
        {
            _secondError = ExceptionDispatchInfo.Capture(exception);
            _secondDone = 2;
        }
    }

    /// <summary>
    /// Takes pieces of the reduction until none are left: the sparse tables' rows first, then (where
    /// <see cref="ChecksFinite"/>) ranges of the tables to check, then ranges of the rest. Each piece's sums are checked
    /// for NaN and infinity as they are made, so the finite check costs no pass of its own and runs on both threads.
    /// The caller takes pieces from the first up and the worker from the last down (<see cref="PieceEnds"/>).
    /// </summary>
    private void Reduce(bool fromTop)
    {
        if (_firstDone != 1 || _secondDone != 1)
        {
            return;
        }

        float[] sum = _core.Engine.Gradients;
        float[] second = _second!.Gradients;
        int tables = _tables.Length, checks = ChecksFinite ? _tableChecks.Length : 0;
        while (_pieceEnds.TryTake(fromTop, out int piece))
        {
            if (piece < tables)
            {
                _tables[piece].AddInto(sum, second);
                Interlocked.Increment(ref _tablesAdded);
                continue;
            }

            (int start, int end) = piece < tables + checks ? _tableChecks[piece - tables] : _pieces[piece - tables - checks];
            Span<float> total = sum.AsSpan(start, end - start);
            if (piece >= tables + checks)
            {
                Span<float> from = second.AsSpan(start, end - start);
                TensorPrimitives.Add(total, from, total);
                from.Clear();
            }
            else
            {
                // A table's range holds rows the other thread may still be adding: checked once every table is summed.
                SpinWait spin = default;
                while (Volatile.Read(ref _tablesAdded) < tables)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                }
            }

            if (ChecksFinite)
            {
                int bad = Data.Missing.IndexOfNonFinite(total);
                if (bad >= 0)
                {
                    int index = start + bad, seen;
                    while (index < (seen = Volatile.Read(ref _firstNonFinite)) && Interlocked.CompareExchange(ref _firstNonFinite, index, seen) != seen)
                    {
                    }
                }
            }
        }
    }

    private NetworkEngine<float> Second()
    {
        if (_second is null)
        {
            NetworkEngine<float> workspace = _core.Engine.CreateWorkspace();
            workspace.UseOwnGradients();
            _second = workspace;
        }

        return _second;
    }

    private static void AddPieces(List<(int, int)> pieces, int start, int end)
    {
        for (int s = start; s < end; s += PieceLength)
        {
            pieces.Add((s, Math.Min(end, s + PieceLength)));
        }
    }

    // Layers whose training pass treats every sample on its own. Batch normalisation averages over the batch, and a
    // layer kind added later is assumed to couple samples until it is listed here.
    private static bool SamplesIndependent(Layer layer) => layer is DenseLayer or DropoutLayer or FlattenLayer or EmbeddingLayer
        or RecurrentLayer or GlobalAveragePooling1DLayer or GlobalMaxPooling1DLayer or Conv2DLayer or Pool2DLayer or Conv1DLayer
        or Pool1DLayer or GlobalAveragePooling2DLayer or LayerNormLayer or PositionEmbeddingLayer or SelfAttentionLayer
        or AddLayer or ConcatenateLayer;

    // The forward pass's multiply-adds for one sample: each weight times the positions it is applied at, attention's
    // two products over every pair of positions, and one per output value for everything else.
    private static long MultiplyAdds(Layer layer)
    {
        long outputs = 1;
        foreach (int d in layer.OutputShape)
        {
            outputs *= d;
        }

        switch (layer)
        {
            case DenseLayer dense:
                int weights = dense.TiedTo?.Weight.Length ?? dense.Weight.Length;
                int units = layer.OutputShape[^1];
                return (long)weights * (outputs / units);
            case Conv2DLayer conv:
                return (long)conv.Weight.Length * (outputs / conv.Weight.Shape[0]);
            case Conv1DLayer conv:
                return (long)conv.Weight.Length * (outputs / conv.Filters);
            case RecurrentLayer recurrent:
                long perStep = 0;
                for (int i = 0; i < recurrent.Parameters.Count; i++)
                {
                    perStep += i % 4 < 2 ? recurrent.Parameters[i].Length : 0;
                }

                return perStep * layer.InputShape[0];
            case SelfAttentionLayer:
                return layer.OutputShape.Length == 2 ? (long)layer.OutputShape[0] * outputs : outputs;
            default:
                return outputs;
        }
    }

    /// <summary>
    /// Pieces 0 to count - 1 handed out from both ends: the caller takes them from the first up, the worker from the
    /// last down, until they meet.
    /// </summary>
    /// <remarks>
    /// The two ends keep each thread on the same ranges of the arrays step after step (the reduction's and the
    /// optimizer's alike), so the parameters, gradients and moments a thread updates are mostly in its own core's
    /// cache. Handed out in one order to both threads, a piece went to either at random, and updating memory the other
    /// core last wrote took two to three times as long as updating its own (29 against 9-14 µs a MiB on this project's
    /// machine, the benchmarks' <c>--cores</c>).
    /// </remarks>
    private struct PieceEnds(int count)
    {
        // The next piece from the bottom in the low 32 bits, one past the next from the top in the high 32 bits.
        private long _ends = (long)count << 32;

        /// <summary>Takes the lowest piece left (the caller) or the highest (<paramref name="fromTop"/>: the worker).</summary>
        public bool TryTake(bool fromTop, out int piece)
        {
            while (true)
            {
                long ends = Volatile.Read(ref _ends);
                int low = (int)ends, high = (int)(ends >> 32);
                if (low >= high)
                {
                    piece = -1;
                    return false;
                }

                piece = fromTop ? high - 1 : low;
                long next = fromTop ? ((long)(high - 1) << 32) | (uint)low : ((long)high << 32) | (uint)(low + 1);
                if (Interlocked.CompareExchange(ref _ends, next, ends) == ends)
                {
                    return true;
                }
            }
        }
    }

    /// <summary>An embedding table whose second-half gradient is added over the rows the second half's tokens touch.</summary>
    private sealed class SparseTable(int offset, int vocabulary, int dimension, int mostTokens)
    {
        private readonly bool[] _touched = new bool[vocabulary];
        private readonly int[] _rows = new int[Math.Min(vocabulary, mostTokens)];
        private int _count;

        public int Offset => offset;

        public int Vocabulary => vocabulary;

        public int Dimension => dimension;

        /// <summary>Notes the distinct rows that <paramref name="tokens"/> (ids as floats, all valid: the lookup checked them) touch.</summary>
        public void Collect(ReadOnlySpan<float> tokens)
        {
            foreach (float token in tokens)
            {
                int row = (int)token;
                if (!_touched[row])
                {
                    _touched[row] = true;
                    _rows[_count++] = row;
                }
            }
        }

        /// <summary>Adds the noted rows of <paramref name="second"/> into <paramref name="sum"/> and clears them there.</summary>
        public void AddInto(float[] sum, float[] second)
        {
            for (int i = 0; i < _count; i++)
            {
                int start = offset + (_rows[i] * dimension);
                Span<float> from = second.AsSpan(start, dimension);
                TensorPrimitives.Add(sum.AsSpan(start, dimension), from, sum.AsSpan(start, dimension));
                from.Clear();
                _touched[_rows[i]] = false;
            }

            _count = 0;
        }

        public void Clear()
        {
            Array.Clear(_touched);
            _count = 0;
        }
    }
}

/// <summary>
/// The thread that runs the second half of data-parallel training steps, one caller at a time: a background thread
/// started on first use, which watches for work for a while after each step and then sleeps on an event.
/// </summary>
/// <remarks>
/// It watches for <see cref="SpinTime"/> after a step, longer than the optimizer's update between two steps. The caller
/// does not wait for it to wake: when the caller has finished its half before the worker has taken the other, it takes
/// it back (<see cref="TryReclaim"/>) and runs it itself.
/// </remarks>
internal sealed class ShardWorker : ParkedThread
{
    /// <summary>How long the worker keeps watching for the next step before it sleeps.</summary>
    private static readonly TimeSpan SpinTime = TimeSpan.FromMicroseconds(500);

    private static readonly Lock s_creation = new();
    private static ShardWorker? s_instance;

    private DataParallel? _step;
    private ExceptionDispatchInfo? _error;

    // Set by the worker when its part is done. The caller spins (yielding) on it rather than blocking on an event:
    // its part and the worker's end within microseconds of each other, and a blocked thread took 40 to 60 µs to wake.
    private volatile int _finished;

    private ShardWorker()
        : base("TypedNets data-parallel worker", SpinTime)
    {
    }

    /// <summary>Takes the worker for one step, unless another network's step has it (that step then runs on one thread).</summary>
    public static bool TryAcquire(out ShardWorker? worker)
    {
        worker = Instance(ref s_instance, s_creation, () => new ShardWorker());
        if (worker.TryOwn())
        {
            return true;
        }

        worker = null;
        return false;
    }

    public void Post(DataParallel step)
    {
        _step = step;
        _finished = 0;
        Signal();
    }

    /// <summary>Takes the posted half back if the worker has not started it; then the caller runs it.</summary>
    public bool TryReclaim()
    {
        if (!TryClaim())
        {
            return false;
        }

        SetIdle();
        return true;
    }

    /// <summary>Waits until the worker has finished its half and its pieces of the reduction.</summary>
    /// <exception cref="Exception">Whatever the worker's part threw outside the step's own error handling.</exception>
    public void Join()
    {
        SpinWait spin = default;
        while (_finished == 0)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }

        SetIdle();
        ExceptionDispatchInfo? error = _error;
        _error = null;
        error?.Throw();
    }

    public void Release()
    {
        _step = null;
        Disown();
    }

    protected override void RunPosted()
    {
        // The step's own exceptions are caught where they are thrown and handed to the caller; anything else is
        // rethrown by Join, so that neither this thread nor the caller is left waiting.
        try
        {
            _step!.RunOnWorker();
        }
        catch (Exception error)
        {
            _error = ExceptionDispatchInfo.Capture(error);
        }
        finally
        {
            _finished = 1;
        }
    }
}
