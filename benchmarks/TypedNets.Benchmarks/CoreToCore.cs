using System;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Threading;

namespace TypedNets.Benchmarks;

/// <summary>
/// What sharing memory between two cores costs on this machine (<c>--cores</c>): the round trip of one cache line
/// between two threads, and the time to read, update in place or overwrite 1 MiB that this thread wrote last, that the
/// other thread wrote last, or that both threads have read since this thread wrote it. A data-parallel training step
/// does each: both halves read all the weights, the optimizer then writes them, and the halves' gradients are added
/// across threads.
/// </summary>
internal static class CoreToCore
{
    private const int Values = 256 * 1024;

    public static void Run(bool full)
    {
        int rounds = full ? 1000 : 300;
        using var other = new OtherThread();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"One cache line to the other thread and back: {RoundTrip(other, rounds * 300):F0} ns"));
        Console.WriteLine();
        float[] data = new float[Values];
        Action read = () => Sum(data), update = () => Scale(data), write = () => data.AsSpan().Fill(1f);
        Console.WriteLine("1 MiB on this thread, µs (median of " + rounds + "):        read   update  overwrite");
        Row("  this thread wrote it last", other, null, read, update, write, rounds);
        Row("  the other thread wrote it last", other, write, read, update, write, rounds);
        Row("  this thread wrote it, the other read it", other, read, read, update, write, rounds);
    }

    private static void Row(string label, OtherThread other, Action? before, Action read, Action update, Action write, int rounds)
    {
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{label,-48}{Time(other, before, read, update, rounds),7:F1}{Time(other, before, update, update, rounds),9:F1}{Time(other, before, write, update, rounds),11:F1}"));
    }

    // Each round: this thread updates the array (its lines now modified here), the other thread acts on it, then this
    // thread's action is timed.
    private static double Time(OtherThread other, Action? before, Action action, Action own, int rounds)
    {
        var samples = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            own();
            if (before is not null)
            {
                other.Run(before);
            }

            long start = Stopwatch.GetTimestamp();
            action();
            samples[r] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        Array.Sort(samples);
        return samples[rounds / 2];
    }

    private static double RoundTrip(OtherThread other, int trips)
    {
        long[] line = new long[16];
        long start = 0;
        other.Start(() =>
        {
            for (long i = 0; i < trips; i++)
            {
                while (Volatile.Read(ref line[8]) != (2 * i) + 1)
                {
                }

                Volatile.Write(ref line[8], (2 * i) + 2);
            }
        });
        start = Stopwatch.GetTimestamp();
        for (long i = 0; i < trips; i++)
        {
            Volatile.Write(ref line[8], (2 * i) + 1);
            while (Volatile.Read(ref line[8]) != (2 * i) + 2)
            {
            }
        }

        double nanoseconds = Stopwatch.GetElapsedTime(start).TotalNanoseconds / trips;
        other.Wait();
        return nanoseconds;
    }

    private static float Sum(float[] values)
    {
        ReadOnlySpan<Vector512<float>> vectors = MemoryMarshal.Cast<float, Vector512<float>>(values.AsSpan());
        Vector512<float> a = Vector512<float>.Zero, b = a, c = a, d = a;
        for (int i = 0; i < vectors.Length; i += 4)
        {
            a += vectors[i];
            b += vectors[i + 1];
            c += vectors[i + 2];
            d += vectors[i + 3];
        }

        return Vector512.Sum(a + b + c + d);
    }

    private static void Scale(float[] values)
    {
        Span<Vector512<float>> vectors = MemoryMarshal.Cast<float, Vector512<float>>(values.AsSpan());
        for (int i = 0; i < vectors.Length; i++)
        {
            vectors[i] *= 0.999f;
        }
    }

    /// <summary>A second thread that runs one action at a time for the caller, spinning between them.</summary>
    private sealed class OtherThread : IDisposable
    {
        private readonly Thread _thread;
        private Action? _work;
        private volatile int _posted, _done;
        private volatile bool _stop;

        public OtherThread()
        {
            _thread = new Thread(Loop) { IsBackground = true, Name = "TypedNets core-to-core probe" };
            _thread.Start();
        }

        public void Start(Action work)
        {
            _work = work;
            _posted++;
        }

        public void Wait()
        {
            while (_done != _posted)
            {
            }
        }

        public void Run(Action work)
        {
            Start(work);
            Wait();
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }

        private void Loop()
        {
            int seen = 0;
            while (!_stop)
            {
                if (_posted != seen)
                {
                    _work!();
                    seen++;
                    _done = seen;
                }
            }
        }
    }
}
