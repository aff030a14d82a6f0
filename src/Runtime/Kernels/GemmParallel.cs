using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace TypedNets.Kernels;

public static partial class Gemm
{
    /// <summary>
    /// The multiply-adds (<c>m n k</c>) from which a product is split over two threads. Below it, waking the helper
    /// thread costs more than half the product saves.
    /// </summary>
    private static readonly long ParallelThreshold = Tune("TN_PAR", 1 << 21);

    /// <summary>
    /// Splits a large product into two halves of <c>C</c>, one for the helper thread and one for the calling thread.
    /// The larger of <c>m</c> and <c>n</c> is split, at a multiple of the micro-tile, so that each half packs half of
    /// the larger operand and the whole of the smaller one (the duplicated packing is the smaller share of the work).
    /// </summary>
    /// <returns>Whether the product was done; not when it is too small, the machine has one core, or the helper is
    /// busy with another caller's product.</returns>
    private static unsafe bool TryMultiplyOnTwoThreads(StridedMatrix a, StridedMatrix b, ref float c, int m, int n, int k, bool accumulate)
    {
        if ((long)m * n * k < ParallelThreshold || Environment.ProcessorCount < 2)
        {
            return false;
        }

        int rowSplit = m, columnSplit = n;
        if (n >= m)
        {
            columnSplit = RoundUp(n / 2, MicroColumns);
        }
        else
        {
            rowSplit = RoundUp(m / 2, MicroRows);
        }

        if ((rowSplit >= m && columnSplit >= n) || !HelperThread.TryAcquire(out HelperThread? helper))
        {
            return false;
        }

        // Spans cannot cross to another thread, so the operands are pinned for the duration of the call and the
        // helper reads them through pointers; the caller waits for it before returning.
        ref float aFirst = ref a.Origin, bFirst = ref b.Origin;
        fixed (float* aOrigin = &aFirst, bOrigin = &bFirst, cOrigin = &c)
        {
            helper.Post(new Problem(aOrigin, a.RowStride, a.ColumnStride, bOrigin, b.RowStride, b.ColumnStride, cOrigin, n, k, accumulate),
                rowSplit < m ? rowSplit : 0, m, columnSplit < n ? columnSplit : 0, n);
            MultiplyBlocked(a, b, ref c, n, 0, rowSplit, 0, columnSplit, k, accumulate, t_packBuffers ??= new PackBuffers());
            helper.Join();
        }

        return true;
    }

    /// <summary>A product as raw pointers, the form in which it can be handed to another thread.</summary>
    private readonly unsafe struct Problem(
        float* a, nint aRowStride, nint aColumnStride,
        float* b, nint bRowStride, nint bColumnStride,
        float* c, int ldc, int k, bool accumulate)
    {
        public readonly float* A = a, B = b, C = c;
        public readonly nint ARowStride = aRowStride, AColumnStride = aColumnStride, BRowStride = bRowStride, BColumnStride = bColumnStride;
        public readonly int Ldc = ldc, K = k;
        public readonly bool Accumulate = accumulate;
    }

    /// <summary>
    /// One background thread, started on the first large product, that computes the second half of split products
    /// for one caller at a time.
    /// </summary>
    /// <remarks>
    /// <para>
    /// A dedicated thread rather than the thread pool: a <c>Task</c> or <c>Parallel.For</c> allocates on every call,
    /// and even a reused <see cref="IThreadPoolWorkItem"/> made the calling thread allocate when the pool was busy
    /// (its global queue grows in segments: 1 to 4 KB every hundred calls, measured under the test runner). Handing
    /// work to a thread that waits on an event allocates nothing.
    /// </para>
    /// <para>
    /// Whoever moves the state from posted to claimed runs the half: the helper, or, if the helper has not woken by
    /// the time the caller finishes its own half (the other core is busy), the caller itself, which then never waits.
    /// </para>
    /// </remarks>
    private sealed unsafe class HelperThread
    {
        private const int Idle = 0, Posted = 1, Claimed = 2;

        private static HelperThread? s_instance;

        private readonly PackBuffers _buffers = new();
        private readonly ManualResetEventSlim _posted = new(false);
        private readonly ManualResetEventSlim _done = new(false);
        private Problem _problem;
        private int _rowStart, _rowEnd, _columnStart, _columnEnd;
        private Exception? _error;
        private int _state;
        private int _owned;

        private HelperThread()
        {
            new Thread(WaitForWork) { IsBackground = true, Name = "TypedNets GEMM helper" }.Start();
        }

        /// <summary>Takes the helper for one product, unless another caller has it.</summary>
        public static bool TryAcquire([NotNullWhen(true)] out HelperThread? helper)
        {
            helper = Volatile.Read(ref s_instance);
            if (helper is null)
            {
                var created = new HelperThread();
                helper = Interlocked.CompareExchange(ref s_instance, created, null) ?? created;
            }

            if (Interlocked.CompareExchange(ref helper._owned, 1, 0) == 0)
            {
                return true;
            }

            helper = null;
            return false;
        }

        public void Post(Problem problem, int rowStart, int rowEnd, int columnStart, int columnEnd)
        {
            _problem = problem;
            (_rowStart, _rowEnd, _columnStart, _columnEnd) = (rowStart, rowEnd, columnStart, columnEnd);
            _error = null;
            _done.Reset();
            Volatile.Write(ref _state, Posted);
            _posted.Set();
        }

        /// <summary>Waits for the posted half (or runs it, if the helper has not started it) and releases the helper.</summary>
        public void Join()
        {
            if (Interlocked.CompareExchange(ref _state, Claimed, Posted) == Posted)
            {
                Run();
            }
            else
            {
                _done.Wait();
            }

            Exception? error = _error;
            Volatile.Write(ref _state, Idle);
            Volatile.Write(ref _owned, 0);
            if (error is not null)
            {
                ExceptionDispatchInfo.Throw(error);
            }
        }

        private void WaitForWork()
        {
            while (true)
            {
                _posted.Wait();

                // Reset before looking at the state: a post after this point sets the event again.
                _posted.Reset();
                if (Interlocked.CompareExchange(ref _state, Claimed, Posted) == Posted)
                {
                    Run();
                    _done.Set();
                }
            }
        }

        private void Run()
        {
            try
            {
                Problem p = _problem;
                MultiplyBlocked(
                    new StridedMatrix(ref Unsafe.AsRef<float>(p.A), p.ARowStride, p.AColumnStride),
                    new StridedMatrix(ref Unsafe.AsRef<float>(p.B), p.BRowStride, p.BColumnStride),
                    ref Unsafe.AsRef<float>(p.C), p.Ldc, _rowStart, _rowEnd, _columnStart, _columnEnd, p.K, p.Accumulate, _buffers);
            }
            catch (Exception error)
            {
                _error = error;
            }
        }
    }
}
