using System;
using System.Diagnostics;
using System.Threading;

namespace TypedNets.Kernels;

/// <summary>
/// A background thread that takes work from one caller at a time: it watches for a post for a while after each piece
/// of work and then sleeps on an event. The GEMM's helper thread and the data-parallel training worker are both one.
/// </summary>
/// <remarks>
/// A dedicated thread rather than the thread pool: a <c>Task</c> or <c>Parallel.For</c> allocates on every call, and
/// handing work to a thread that waits on an event allocates nothing. It watches before it sleeps because waking a
/// sleeping thread took 40 to 60 µs on this project's machine (an idle virtual core has to be woken by the host),
/// longer than much of the work handed over; OpenMP runtimes spin for the same reason, and longer.
/// A post is run only by whoever moves the state from posted to claimed, so a caller may take its work back
/// (<see cref="TryClaim"/>) when the thread has not started it.
/// </remarks>
internal abstract class ParkedThread
{
    private const int Idle = 0, Posted = 1, Claimed = 2;

    private readonly ManualResetEventSlim _posted = new(false);
    private readonly TimeSpan _watchTime;
    private int _state;
    private int _owned;

    /// <summary>Starts the thread, named <paramref name="name"/>, which watches for <paramref name="watchTime"/> after each post.</summary>
    protected ParkedThread(string name, TimeSpan watchTime)
    {
        _watchTime = watchTime;
        new Thread(WaitForWork) { IsBackground = true, Name = name }.Start();
    }

    /// <summary>The one thread of type <typeparamref name="TThread"/> in <paramref name="instance"/>, started on first use.</summary>
    protected static TThread Instance<TThread>(ref TThread? instance, Lock creation, Func<TThread> start)
        where TThread : ParkedThread
    {
        TThread? thread = Volatile.Read(ref instance);
        if (thread is not null)
        {
            return thread;
        }

        // Under a lock, so that two first callers cannot start two threads.
        lock (creation)
        {
            return instance ??= start();
        }
    }

    /// <summary>Takes the thread for one caller, unless another caller has it.</summary>
    protected bool TryOwn() => Interlocked.CompareExchange(ref _owned, 1, 0) == 0;

    /// <summary>Lets the next caller take the thread.</summary>
    protected void Disown() => Volatile.Write(ref _owned, 0);

    /// <summary>Wakes the thread, if it sleeps, to watch for the next post.</summary>
    protected void Wake() => _posted.Set();

    /// <summary>Hands the work set up by the derived class to the thread.</summary>
    protected void Signal()
    {
        Volatile.Write(ref _state, Posted);
        _posted.Set();
    }

    /// <summary>Takes the posted work back if the thread has not started it; then the caller runs it.</summary>
    protected bool TryClaim() => Interlocked.CompareExchange(ref _state, Claimed, Posted) == Posted;

    /// <summary>Marks the thread free for the next post.</summary>
    protected void SetIdle() => Volatile.Write(ref _state, Idle);

    /// <summary>Runs the posted work on this thread; called only when this thread claimed it.</summary>
    protected abstract void RunPosted();

    /// <summary>Called with <see langword="true"/> as the thread starts watching for work, <see langword="false"/> just before it sleeps.</summary>
    protected virtual void Watching(bool watching)
    {
    }

    private void WaitForWork()
    {
        while (true)
        {
            Watching(true);
            if (!WatchForPost())
            {
                Watching(false);
                _posted.Wait();
            }

            // Reset before looking at the state: a post after this point sets the event again.
            _posted.Reset();
            if (TryClaim())
            {
                RunPosted();
            }
        }
    }

    private bool WatchForPost()
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(_watchTime.TotalSeconds * Stopwatch.Frequency);
        while (Volatile.Read(ref _state) != Posted)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }

            Thread.SpinWait(20);
        }

        return true;
    }
}
