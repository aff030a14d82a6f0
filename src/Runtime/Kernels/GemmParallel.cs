using System;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace TypedNets.Kernels;

public static partial class Gemm
{
    /// <summary>
    /// The multiply-adds (<c>m n k</c>) from which a product is split over two threads. Below it, waking a
    /// thread-pool thread costs more than half the product.
    /// </summary>
    private static readonly long ParallelThreshold = Tune("TN_PAR", 1 << 21);

    /// <summary>Every calling thread's hand-off to a second thread, made on its first large product.</summary>
    [ThreadStatic]
    private static SecondHalf? t_secondHalf;

    /// <summary>
    /// Splits a large product into two halves of <c>C</c>, one for a thread-pool thread and one for the calling
    /// thread. The larger of <c>m</c> and <c>n</c> is split, at a multiple of the micro-tile, so that each half
    /// packs half of the larger operand and the whole of the smaller one (the duplicated packing is the smaller
    /// share of the work).
    /// </summary>
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

        if (rowSplit >= m && columnSplit >= n)
        {
            return false;
        }

        // Spans cannot cross to another thread, so the operands are pinned for the duration of the call and the
        // second half reads them through pointers; the caller waits for it before returning.
        ref float aFirst = ref a.Origin, bFirst = ref b.Origin;
        fixed (float* aOrigin = &aFirst, bOrigin = &bFirst, cOrigin = &c)
        {
            SecondHalf second = t_secondHalf ??= new SecondHalf();
            second.Post(new Problem(aOrigin, a.RowStride, a.ColumnStride, bOrigin, b.RowStride, b.ColumnStride, cOrigin, n, k, accumulate),
                rowSplit < m ? rowSplit : 0, m, columnSplit < n ? columnSplit : 0, n);
            MultiplyBlocked(a, b, ref c, n, 0, rowSplit, 0, columnSplit, k, accumulate, t_packBuffers ??= new PackBuffers());
            second.Join();
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
    /// The half of a product that runs on a thread-pool thread. One instance per calling thread is reused for every
    /// call, queued as an <see cref="IThreadPoolWorkItem"/>, so that a split product allocates nothing (a
    /// <c>Task</c> or <c>Parallel.For</c> would allocate on every call).
    /// </summary>
    /// <remarks>
    /// Whoever moves the state from posted to claimed runs the work: the pool thread, or, if the pool has not got to
    /// it by the time the caller finishes its own half (a busy pool), the caller itself, which then never waits. A
    /// queue entry that finds nothing posted does nothing, so a late entry from an earlier call is harmless.
    /// </remarks>
    private sealed unsafe class SecondHalf : IThreadPoolWorkItem
    {
        private const int Idle = 0, Posted = 1, Claimed = 2;

        private readonly PackBuffers _buffers = new();
        private readonly ManualResetEventSlim _done = new(false);
        private Problem _problem;
        private int _rowStart, _rowEnd, _columnStart, _columnEnd;
        private Exception? _error;
        private int _state;

        public void Post(Problem problem, int rowStart, int rowEnd, int columnStart, int columnEnd)
        {
            _problem = problem;
            (_rowStart, _rowEnd, _columnStart, _columnEnd) = (rowStart, rowEnd, columnStart, columnEnd);
            _error = null;
            _done.Reset();
            Volatile.Write(ref _state, Posted);
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

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

            Volatile.Write(ref _state, Idle);
            if (_error is { } error)
            {
                ExceptionDispatchInfo.Throw(error);
            }
        }

        void IThreadPoolWorkItem.Execute()
        {
            if (Interlocked.CompareExchange(ref _state, Claimed, Posted) == Posted)
            {
                Run();
                _done.Set();
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
