using System;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace TypedNets.Kernels;

public static partial class Gemm
{
    /// <summary>
    /// The multiply-adds (<c>m n k</c>) from which a product is shared with the helper thread when the helper is
    /// awake (it stays awake for a while after a product, see <see cref="HelperThread"/>): about 5 µs of work on one
    /// core. Measured on two cores, with the helper awake, 32 × 256 × 64 (2^19) took 4.4 µs instead of 5.3 and
    /// 128 × 128 × 256 (2^22) 20 µs instead of 35.
    /// </summary>
    private const long SharedWhenAwake = 1 << 20;

    /// <summary>
    /// The multiply-adds from which a product is worth waking the helper for, about 140 µs of work on one core.
    /// Waking a sleeping thread took 40 to 60 µs on this project's machine (a virtual core that has gone idle has to
    /// be woken by the host): measured with the helper asleep, 128 × 128 × 256 (2^22) took 57 µs shared instead of
    /// 35 alone, and 256 × 256 × 256 (2^24) 120 to 150 µs instead of 135; with it awake, 74 µs.
    /// </summary>
    private const long WorthWaking = 1 << 25;

    /// <summary>
    /// The multiply-adds from which a product that runs alone wakes the helper for the products after it, about
    /// 135 µs of work: a stream of 256 × 256 × 256 products then runs on two threads from the second one on (75 µs
    /// instead of 137, measured). Waking costs the caller about 9 µs here (a system call that interrupts the other
    /// virtual core; measured on 128 × 128 × 256, 44 µs instead of 35), hence not for smaller products.
    /// </summary>
    private const long WorthNudging = 1 << 24;

    private static int s_maxThreads = Environment.ProcessorCount >= 2 ? 2 : 1;

    /// <summary>
    /// How many threads a large single-precision product may use: 2 (the caller and one helper thread, the default on
    /// a machine with two or more cores) or 1 (the caller only, as <c>torch.set_num_threads(1)</c> would have it).
    /// Products always give the same bits, whichever threads did the work.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">When the value is not 1 or 2.</exception>
    public static int MaxThreads
    {
        get => s_maxThreads;
        set
        {
            if (value is not (1 or 2))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Gemm.MaxThreads is 1 (the calling thread only) or 2 (with one helper thread).");
            }

            s_maxThreads = value;
        }
    }

    /// <summary>
    /// Set on a thread while it runs one shard of a data-parallel training step beside another: both cores are busy,
    /// so its products stay on it (a third thread would only take turns with the two). The bits are the same either way.
    /// </summary>
    [ThreadStatic]
    internal static bool t_coresTaken;

    /// <summary>The most pieces a shared product is cut into.</summary>
    private const int MaxChunks = 8;

    /// <summary>
    /// The fewest rows or columns of <c>C</c> in a piece. Every piece packs the whole of the smaller operand again,
    /// one float copied for every <c>piece</c> multiply-adds, and a copied float costs about as much as 16 to 32 of
    /// them; so pieces of 32 doubled the time of the LSTM's <c>dW_ih</c> (256 × 128 over 3,200, cut into eight) when
    /// the caller ran most pieces itself. From 128 the repacking stays near a fifth or less (measured on that product:
    /// 1.15-1.3 ms instead of 1.4-1.6; SGEMM 256 and 1024 unchanged).
    /// </summary>
    private const int MinChunk = 128;

    /// <summary>
    /// Shares a large product with the helper thread. The larger of <c>m</c> and <c>n</c> is cut into up to
    /// <see cref="MaxChunks"/> pieces, each a multiple of the micro-tile, and the two threads take pieces from a
    /// shared counter until none are left. Pieces rather than two fixed halves, because on a busy machine the other
    /// core is often taken: the caller then does most of the pieces itself instead of waiting for a half that the
    /// helper cannot run. Each piece packs its own part of the larger operand and the whole of the smaller one, so
    /// pieces are at least <see cref="MinChunk"/> long.
    /// </summary>
    /// <returns>Whether the product was done; not when it is too small, <see cref="MaxThreads"/> is 1, the machine has one core, the helper sleeps
    /// and the product is not worth waking it for, or the helper is busy with another caller's product.</returns>
    private static unsafe bool TryMultiplyOnTwoThreads(StridedMatrix a, StridedMatrix b, ref float c, int m, int n, int k, bool accumulate, Epilogue epilogue, PrepackedB prepacked)
    {
        long work = (long)m * n * k;
        if (work < SharedWhenAwake || s_maxThreads < 2 || t_coresTaken || Environment.ProcessorCount < 2)
        {
            return false;
        }

        if (work < WorthWaking && !HelperThread.IsAwake)
        {
            // Not worth waiting for the helper to wake, but the next product of a stream like this one will be.
            if (work >= WorthNudging)
            {
                HelperThread.Nudge();
            }

            return false;
        }

        bool splitColumns = n >= m;
        int extent = splitColumns ? n : m;
        int micro = splitColumns ? MicroColumns : MicroRows;
        int chunkSize = Math.Max(RoundUp((extent + MaxChunks - 1) / MaxChunks, micro), RoundUp(MinChunk, micro));
        int chunks = (extent + chunkSize - 1) / chunkSize;
        if (chunks < 2 || !HelperThread.TryAcquire(out HelperThread? helper))
        {
            return false;
        }

        // Spans cannot cross to another thread, so the operands are pinned for the duration of the call and both
        // threads read them through pointers; the caller waits for the helper before returning.
        ref float aFirst = ref a.Origin, bFirst = ref b.Origin;
        fixed (float* aOrigin = &aFirst, bOrigin = &bFirst, cOrigin = &c)
        {
            var problem = new Problem(
                aOrigin, a.RowStride, a.ColumnStride, bOrigin, b.RowStride, b.ColumnStride, cOrigin,
                m, n, k, accumulate, epilogue, prepacked, splitColumns, chunkSize, chunks);
            helper.Post(problem);
            RunChunks(problem, ref helper.NextChunk, t_packBuffers ??= new PackBuffers());
            helper.Join();
        }

        return true;
    }

    /// <summary>Takes pieces of a shared product from <paramref name="nextChunk"/> until none are left.</summary>
    private static unsafe void RunChunks(in Problem p, ref int nextChunk, PackBuffers buffers)
    {
        var a = new StridedMatrix(ref Unsafe.AsRef<float>(p.A), p.ARowStride, p.AColumnStride);
        var b = new StridedMatrix(ref Unsafe.AsRef<float>(p.B), p.BRowStride, p.BColumnStride);
        ref float c = ref Unsafe.AsRef<float>(p.C);
        int chunk;
        while ((chunk = Interlocked.Increment(ref nextChunk) - 1) < p.Chunks)
        {
            int start = chunk * p.ChunkSize;
            if (p.SplitColumns)
            {
                MultiplyBlocked(a, b, ref c, p.N, 0, p.M, start, Math.Min(start + p.ChunkSize, p.N), p.K, p.Accumulate, p.Epilogue, p.Prepacked, buffers);
            }
            else
            {
                MultiplyBlocked(a, b, ref c, p.N, start, Math.Min(start + p.ChunkSize, p.M), 0, p.N, p.K, p.Accumulate, p.Epilogue, p.Prepacked, buffers);
            }
        }
    }

    /// <summary>A shared product as raw pointers, the form in which it can be handed to another thread.</summary>
    private readonly unsafe struct Problem(
        float* a, nint aRowStride, nint aColumnStride,
        float* b, nint bRowStride, nint bColumnStride,
        float* c, int m, int n, int k, bool accumulate, Epilogue epilogue, PrepackedB prepacked, bool splitColumns, int chunkSize, int chunks)
    {
        public readonly float* A = a, B = b, C = c;
        public readonly nint ARowStride = aRowStride, AColumnStride = aColumnStride, BRowStride = bRowStride, BColumnStride = bColumnStride;
        public readonly int M = m, N = n, K = k;
        public readonly bool Accumulate = accumulate;
        public readonly Epilogue Epilogue = epilogue;
        public readonly PrepackedB Prepacked = prepacked;

        /// <summary>Whether the pieces are ranges of columns of <c>C</c> (otherwise of rows).</summary>
        public readonly bool SplitColumns = splitColumns;
        public readonly int ChunkSize = chunkSize, Chunks = chunks;
    }

    /// <summary>
    /// One background thread, started on the first large product, that takes pieces of shared products for one
    /// caller at a time.
    /// </summary>
    /// <remarks>
    /// <para>
    /// A dedicated thread rather than the thread pool: a <c>Task</c> or <c>Parallel.For</c> allocates on every call,
    /// and even a reused <see cref="IThreadPoolWorkItem"/> made the calling thread allocate when the pool was busy
    /// (its global queue grows in segments: 1 to 4 KB every hundred calls, measured under the test runner). Handing
    /// work to a thread that waits on an event allocates nothing.
    /// </para>
    /// <para>
    /// The helper runs a posted product only if it moves the state from posted to claimed. When the caller has taken
    /// every piece before the helper woke, it makes that move itself and returns without waiting; the helper then
    /// finds nothing posted and goes back to sleep.
    /// </para>
    /// </remarks>
    private sealed class HelperThread : ParkedThread
    {
        /// <summary>How long the helper keeps watching for work after a product before it sleeps.</summary>
        private static readonly TimeSpan SpinTime = TimeSpan.FromMicroseconds(200);

        private static readonly Lock s_creation = new();
        private static HelperThread? s_instance;

        /// <summary>Set while the helper runs or watches for work, cleared just before it sleeps.</summary>
        private static volatile bool s_awake;

        /// <summary>The next piece of the posted product to take; both threads increment it.</summary>
        public int NextChunk;

        private readonly PackBuffers _buffers = new();
        // A semaphore, released once for each product the helper runs: a ManualResetEventSlim allocates its lock
        // object on the first wait that blocks, which made the calling thread allocate once, mid-run (measured).
        private readonly SemaphoreSlim _done = new(0);
        private Problem _problem;
        private Exception? _error;

        private HelperThread()
            : base("TypedNets GEMM helper", SpinTime)
        {
        }

        /// <summary>Whether the helper would take up a product at once, without being woken.</summary>
        public static bool IsAwake => s_awake;

        /// <summary>
        /// Wakes the helper, if it sleeps, to watch for the next product. A training step's large products come a few
        /// microseconds apart, and a watching helper catches them; waking it took longer than a 40 µs product.
        /// </summary>
        public static void Nudge() => Instance(ref s_instance, s_creation, () => new HelperThread()).Wake();

        /// <summary>Takes the helper for one product, unless another caller has it.</summary>
        public static bool TryAcquire([NotNullWhen(true)] out HelperThread? helper)
        {
            helper = Instance(ref s_instance, s_creation, () => new HelperThread());
            if (helper.TryOwn())
            {
                return true;
            }

            helper = null;
            return false;
        }

        public void Post(Problem problem)
        {
            _problem = problem;
            _error = null;
            NextChunk = 0;
            Signal();
        }

        /// <summary>Once the caller has run out of pieces: waits for the helper's last one, and releases the helper.</summary>
        public void Join()
        {
            if (!TryClaim())
            {
                _done.Wait();
            }

            Exception? error = _error;
            SetIdle();
            Disown();
            if (error is not null)
            {
                ExceptionDispatchInfo.Throw(error);
            }
        }

        protected override void Watching(bool watching) => s_awake = watching;

        protected override void RunPosted()
        {
            try
            {
                RunChunks(_problem, ref NextChunk, _buffers);
            }
            catch (Exception error)
            {
                _error = error;
            }

            _done.Release();
        }
    }
}
