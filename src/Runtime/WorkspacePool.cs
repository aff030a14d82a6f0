using System;
using System.ComponentModel;
using System.Threading;

namespace TypedNets;

/// <summary>
/// Prediction workspaces of one network, lent to one thread at a time: a generated network predicts on a workspace
/// from its pool, so that any number of threads can predict at once without sharing activations. A lease also counts
/// as a prediction in the network's <see cref="NetworkAccess"/>, so that training cannot start under it. For generated code.
/// </summary>
/// <remarks>
/// The pool is a fixed array of slots taken and filled with interlocked exchanges, so renting and returning neither
/// lock nor allocate. A thread starts looking at a slot of its own (its managed id modulo the slot count), so that
/// threads on different cores rarely touch the same slot. When every slot is empty (more predictions at once than
/// were ever returned), a new workspace is made; when every slot is full on return, the workspace is left to the
/// garbage collector. In steady state, with no more concurrent predictions than slots, nothing is allocated.
/// </remarks>
/// <typeparam name="T">The workspace type, a generated network's <c>Engine&lt;float&gt;</c>.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class WorkspacePool<T>
    where T : class
{
    private readonly T?[] _slots;
    private readonly Func<T> _create;
    private readonly NetworkAccess _access;

    /// <summary>Creates an empty pool that makes workspaces with <paramref name="create"/> as they are needed.</summary>
    /// <param name="access">The guard of the network whose workspaces these are.</param>
    /// <param name="create">Makes a workspace.</param>
    /// <param name="slots">How many idle workspaces the pool keeps; 0 (the default) for four per processor, at least eight.</param>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="slots"/> is negative.</exception>
    public WorkspacePool(NetworkAccess access, Func<T> create, int slots = 0)
    {
        ArgumentNullException.ThrowIfNull(access);
        ArgumentNullException.ThrowIfNull(create);
        ArgumentOutOfRangeException.ThrowIfNegative(slots);
        _access = access;
        _create = create;
        _slots = new T?[slots == 0 ? Math.Max(8, 4 * Environment.ProcessorCount) : slots];
    }

    /// <summary>How many idle workspaces the pool can keep.</summary>
    public int Capacity => _slots.Length;

    /// <summary>
    /// Starts a prediction (<see cref="NetworkAccess.EnterPrediction"/>) and lends it a workspace; disposing the lease
    /// gives both back.
    /// </summary>
    /// <exception cref="InvalidOperationException">When another thread is training the network or loading its weights.</exception>
#pragma warning disable RS0041 // The analyzer reads the containing type's T in the struct's name as oblivious; nothing in Lease is.
    public Lease Rent()
#pragma warning restore RS0041
    {
        _access.EnterPrediction();
        try
        {
            return new Lease(this, Take());
        }
        catch
        {
            _access.ExitPrediction();
            throw;
        }
    }

    /// <summary>Takes an idle workspace, or makes one when none is idle.</summary>
    private T Take()
    {
        int start = Environment.CurrentManagedThreadId % _slots.Length;
        for (int i = 0; i < _slots.Length; i++)
        {
            int slot = start + i < _slots.Length ? start + i : start + i - _slots.Length;
            if (Volatile.Read(ref _slots[slot]) is not null && Interlocked.Exchange(ref _slots[slot], null) is T workspace)
            {
                return workspace;
            }
        }

        return _create();
    }

    /// <summary>Puts an idle workspace back, or leaves it to the garbage collector when every slot is full.</summary>
    private void Return(T workspace)
    {
        int start = Environment.CurrentManagedThreadId % _slots.Length;
        for (int i = 0; i < _slots.Length; i++)
        {
            int slot = start + i < _slots.Length ? start + i : start + i - _slots.Length;
            if (Volatile.Read(ref _slots[slot]) is null && Interlocked.CompareExchange(ref _slots[slot], workspace, null) is null)
            {
                return;
            }
        }
    }

    /// <summary>A workspace lent for one prediction; <see cref="Dispose"/> gives it back.</summary>
    public readonly struct Lease : IDisposable
    {
        private readonly WorkspacePool<T> _pool;

        internal Lease(WorkspacePool<T> pool, T workspace)
        {
            _pool = pool;
            Workspace = workspace;
        }

        /// <summary>The workspace, this thread's until the lease is disposed.</summary>
        public T Workspace { get; }

        /// <summary>Gives the workspace back to the pool and ends the prediction.</summary>
        public void Dispose()
        {
            _pool.Return(Workspace);
            _pool._access.ExitPrediction();
        }
    }
}
