using System;
using System.Threading;

namespace TypedNets;

/// <summary>
/// Holds a network to its threading contract: any number of threads may call <c>Predict</c> at once, each on a
/// workspace of its own over the shared weights, while training, loading weights and the calls that use the one
/// training workspace (<c>Forward</c>, <c>Backward</c>, <c>Loss</c>, ...) need the network to themselves. A call that
/// would break the contract throws <see cref="InvalidOperationException"/> at once instead of computing on weights
/// that another thread is changing.
/// </summary>
/// <remarks>
/// <para>
/// Exclusive use belongs to one thread and nests: <c>Trainer.Fit</c> holds it for the whole run and calls
/// <c>Forward</c> inside it. The thread that holds it may also predict (a callback between epochs, say), since its
/// own calls never overlap.
/// </para>
/// <para>
/// Both sides announce themselves with an interlocked write and then read the other side's state; the interlocked
/// operations are full fences, so of a prediction and an exclusive use that start together at least one sees the
/// other and backs off. A prediction costs two interlocked operations on an uncontended cache line.
/// </para>
/// </remarks>
public sealed class NetworkAccess
{
    private readonly string _network;
    private int _predictions;
    private int _owner;
    private int _depth;
    private string? _operation;

    /// <summary>Creates the guard of the network named <paramref name="network"/> (used in messages).</summary>
    public NetworkAccess(string network)
    {
        ArgumentException.ThrowIfNullOrEmpty(network);
        _network = network;
    }

    /// <summary>The number of predictions running now, on any thread.</summary>
    public int PredictionsInFlight => Volatile.Read(ref _predictions);

    /// <summary>Whether some thread holds exclusive use now.</summary>
    public bool IsExclusive => Volatile.Read(ref _owner) != 0;

    /// <summary>
    /// Starts a prediction, which shares the weights with other predictions; pair it with <see cref="ExitPrediction"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">When another thread trains the network or loads its weights.</exception>
    public void EnterPrediction() => EnterShared("Predict");

    /// <summary>Ends a prediction started by <see cref="EnterPrediction"/>.</summary>
    public void ExitPrediction() => ExitShared();

    /// <summary>
    /// Starts <paramref name="operation"/>, which reads the weights and may share them with predictions and other
    /// readers (a save, say); pair it with <see cref="ExitShared"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">When another thread trains the network or loads its weights.</exception>
    public void EnterShared(string operation)
    {
        Interlocked.Increment(ref _predictions);
        int owner = Volatile.Read(ref _owner);
        if (owner != 0 && owner != Environment.CurrentManagedThreadId)
        {
            Interlocked.Decrement(ref _predictions);
            throw new InvalidOperationException(
                $"{_network}.{operation} was called while another thread runs {Volatile.Read(ref _operation) ?? "training"} on the same instance, " +
                $"which changes the weights that {operation} reads. Call it after training ends, or train a copy " +
                "(a second instance loaded with the same weights) and swap it in when it is done.");
        }
    }

    /// <summary>Ends a read started by <see cref="EnterShared"/>.</summary>
    public void ExitShared() => Interlocked.Decrement(ref _predictions);

    /// <summary>
    /// Takes the network for the calling thread alone, for <paramref name="operation"/> (a name for messages, such as
    /// <c>Trainer.Fit</c>); pair it with <see cref="ExitExclusive"/>. Nests on one thread.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// When another thread holds the network, or predictions run on other threads.
    /// </exception>
    public void EnterExclusive(string operation)
    {
        int me = Environment.CurrentManagedThreadId;
        if (Volatile.Read(ref _owner) == me)
        {
            _depth++;
            return;
        }

        if (Interlocked.CompareExchange(ref _owner, me, 0) != 0)
        {
            throw new InvalidOperationException(
                $"{_network}.{operation} was called while another thread runs {Volatile.Read(ref _operation) ?? "training"} on the same instance. " +
                "Training, loading weights and Forward/Backward use one workspace and need the network to themselves; " +
                "call them from one thread at a time (Predict is the call that is safe from many threads).");
        }

        int predictions = Volatile.Read(ref _predictions);
        if (predictions != 0)
        {
            Volatile.Write(ref _owner, 0);
            throw new InvalidOperationException(
                $"{_network}.{operation} was called while {predictions} prediction(s) or save(s) run on other threads, and it would change or " +
                "use what they read. Train or load weights before serving predictions, or train a copy (a second instance) and " +
                "swap it in when it is done.");
        }

        _operation = operation;
        _depth = 1;
    }

    /// <summary>Gives back exclusive use taken by <see cref="EnterExclusive"/>.</summary>
    /// <exception cref="InvalidOperationException">When the calling thread does not hold exclusive use.</exception>
    public void ExitExclusive()
    {
        if (Volatile.Read(ref _owner) != Environment.CurrentManagedThreadId)
        {
            throw new InvalidOperationException($"{_network}: ExitExclusive was called by a thread that does not hold the network; pair every EnterExclusive with one ExitExclusive on the same thread.");
        }

        if (--_depth == 0)
        {
            _operation = null;
            Volatile.Write(ref _owner, 0);
        }
    }

    /// <summary>
    /// Takes the network for the calling thread until the returned scope is disposed: for a hand-written training
    /// loop, so that a prediction started on another thread meanwhile is refused rather than reading weights that an
    /// optimizer is changing.
    /// </summary>
    /// <exception cref="InvalidOperationException">When another thread holds the network, or predictions run on other threads.</exception>
    public Scope Exclusive(string operation)
    {
        EnterExclusive(operation);
        return new Scope(this);
    }

    /// <summary>
    /// Reads the network for <paramref name="operation"/> until the returned scope is disposed: predictions and other
    /// readers may run meanwhile, training and loading may not.
    /// </summary>
    /// <exception cref="InvalidOperationException">When another thread trains the network or loads its weights.</exception>
    public SharedScope Shared(string operation)
    {
        EnterShared(operation);
        return new SharedScope(this);
    }

    /// <summary>Shared use of a network, given back by <see cref="Dispose"/>.</summary>
    public readonly struct SharedScope : IDisposable
    {
        private readonly NetworkAccess? _access;

        internal SharedScope(NetworkAccess access) => _access = access;

        /// <summary>Ends the read.</summary>
        public void Dispose() => _access?.ExitShared();
    }

    /// <summary>Exclusive use of a network, given back by <see cref="Dispose"/>.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly NetworkAccess? _access;

        internal Scope(NetworkAccess access) => _access = access;

        /// <summary>Gives back exclusive use.</summary>
        public void Dispose() => _access?.ExitExclusive();
    }
}
