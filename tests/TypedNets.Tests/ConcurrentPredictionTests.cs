using System;
using System.Threading;
using System.Threading.Tasks;
using TypedNets.Tests.Networks;
using Xunit;

namespace TypedNets.Tests;

/// <summary>
/// One network instance shared by several threads, as an ASP.NET Core endpoint shares it: every concurrent
/// prediction must equal the single-threaded one, bit for bit.
/// </summary>
public sealed class ConcurrentPredictionTests
{
    private const int Threads = 4;

    [Fact]
    public void Single_predictions_from_four_threads_equal_the_single_threaded_ones()
    {
        var network = new TutorialClassifier(maxBatch: 64, seed: 3);
        TutorialClassifier.Sample[] samples = RandomSamples<TutorialClassifier.Sample>(500, TutorialClassifier.InputSize, seed: 4);
        var expected = new TutorialClassifier.Prediction[samples.Length];
        for (int i = 0; i < samples.Length; i++)
        {
            expected[i] = network.Predict(samples[i]);
        }

        long wrong = RunOnThreads(thread =>
        {
            long mismatches = 0;
            for (int round = 0; round < 60; round++)
            {
                for (int i = 0; i < samples.Length; i++)
                {
                    int index = (i + (thread * 97)) % samples.Length;
                    TutorialClassifier.Prediction actual = network.Predict(samples[index]);
                    mismatches += SameBits(actual, expected[index]) ? 0 : 1;
                }
            }

            return mismatches;
        });

        Assert.Equal(0, wrong);
    }

    [Fact]
    public void Batched_predictions_from_four_threads_equal_the_single_threaded_ones()
    {
        var network = new TutorialClassifier(maxBatch: 32, seed: 5);
        TutorialClassifier.Sample[] samples = RandomSamples<TutorialClassifier.Sample>(300, TutorialClassifier.InputSize, seed: 6);
        var expected = new TutorialClassifier.Prediction[samples.Length];
        network.Predict(samples, expected);

        long wrong = RunOnThreads(thread =>
        {
            long mismatches = 0;
            var actual = new TutorialClassifier.Prediction[samples.Length];
            for (int round = 0; round < 150; round++)
            {
                network.Predict(samples, actual);
                for (int i = 0; i < samples.Length; i++)
                {
                    mismatches += SameBits(actual[i], expected[i]) ? 0 : 1;
                }
            }

            return mismatches;
        });

        Assert.Equal(0, wrong);
    }

    [Fact]
    public void Text_predictions_from_four_threads_equal_the_single_threaded_ones()
    {
        var network = new TinyTextClassifier(maxBatch: 8, seed: 7);
        var random = new Xoshiro256(8);
        var samples = new TinyTextClassifier.Sample[200];
        for (int i = 0; i < samples.Length; i++)
        {
            for (int t = 0; t < TinyTextClassifier.InputSize; t++)
            {
                samples[i][t] = random.NextInt(20);
            }
        }

        var expected = new TinyTextClassifier.Prediction[samples.Length];
        for (int i = 0; i < samples.Length; i++)
        {
            expected[i] = network.Predict(samples[i]);
        }

        long wrong = RunOnThreads(thread =>
        {
            long mismatches = 0;
            for (int round = 0; round < 40; round++)
            {
                for (int i = 0; i < samples.Length; i++)
                {
                    int index = (i + (thread * 31)) % samples.Length;
                    mismatches += SameBits(network.Predict(samples[index]), expected[index]) ? 0 : 1;
                }
            }

            return mismatches;
        });

        Assert.Equal(0, wrong);
    }

    // Starts every thread at once (a barrier), so that their predictions overlap, and sums what they count.
    private static long RunOnThreads(Func<int, long> work)
    {
        using var start = new Barrier(Threads);
        var tasks = new Task<long>[Threads];
        for (int thread = 0; thread < Threads; thread++)
        {
            int id = thread;
            tasks[thread] = Task.Factory.StartNew(
                () =>
                {
                    start.SignalAndWait();
                    return work(id);
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
        }

        Task.WaitAll(tasks);
        long total = 0;
        foreach (Task<long> task in tasks)
        {
            total += task.Result;
        }

        return total;
    }

    private static T[] RandomSamples<T>(int count, int size, ulong seed)
        where T : struct
    {
        var random = new Xoshiro256(seed);
        var samples = new T[count];
        Span<float> values = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(samples.AsSpan());
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextDouble(-2, 2);
        }

        Assert.Equal(count * size, values.Length);
        return samples;
    }

    private static bool SameBits<T>(T actual, T expected)
        where T : struct
        => System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in actual))
            .SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in expected)));
}
