using System;
using System.Collections.Generic;
using System.Linq;

namespace TypedNets.Benchmarks;

/// <summary>
/// Bytes that each TypedNets case allocates per call on the calling thread (on every thread for the two-thread rows). BenchmarkDotNet's own figure counts the whole
/// process and divides its per-iteration bookkeeping by the few calls a long case makes per iteration, so it shows
/// kilobytes for a training step that allocates nothing; this counts the call alone.
/// </summary>
internal static class Allocations
{
    public static Dictionary<string, double> Measure(IReadOnlySet<string> keys)
    {
        var tutorial = new TutorialMlpBenchmarks();
        var mnist = new MnistMlpBenchmarks();
        var text = new TextLstmBenchmarks();
        var gemm = new GemmBenchmarks();
        var epoch = new EpochBenchmarks();
        var gpt = new GptTrainingBenchmarks();
        var generation = new GptGenerationBenchmarks();
        var convnet = new ConvnetBenchmarks();
        var resnet = new ResNetBenchmarks();
        var cases = new (string Key, Action Setup, Action Run, int Calls)[]
        {
            ("mlp10_predict1", tutorial.Setup, () => tutorial.Predict1(), 1000),
            ("mlp10_train32", tutorial.Setup, () => tutorial.TrainStep32(), 1000),
            ("mlp784_predict1", mnist.Setup, () => mnist.Predict1(), 100),
            ("mlp784_read_weights", mnist.Setup, () => mnist.ReadWeights(), 100),
            ("mlp784_predict256", mnist.Setup, () => mnist.Predict256(), 10),
            ("mlp784_train64", mnist.Setup, () => mnist.TrainStep64(), 10),
            ("text_predict1", text.Setup, () => text.Predict1(), 10),
            ("text_train32", text.Setup, () => text.TrainStep32(), 3),
            ("gemm256", gemm.Setup, () => gemm.Gemm256(), 3),
            ("gemm1024", gemm.Setup, () => gemm.Gemm1024(), 1),
            ("gemm1024_two_threads", gemm.Setup, () => gemm.Gemm1024TwoThreads(), 1),
            ("mlp784_epoch", epoch.Setup, () => epoch.Epoch(), 1),
            ("convnet_predict1", convnet.Setup, () => convnet.Predict1(), 10),
            ("convnet_predict256", convnet.Setup, () => convnet.Predict256(), 2),
            ("resnet_predict256", resnet.Setup, () => resnet.Predict256(), 1),
            ("resnet_train128", resnet.Setup, () => resnet.TrainStep128(), 2),
            ("gpt_baby_train12", gpt.Setup, () => gpt.TrainStep(), 2),
            ("gpt_baby_generate", generation.Setup, () => generation.GenerateBaby(), 3),
            ("gpt15m_generate", generation.Setup, () => generation.GenerateStories15M(), 1),
        };

        var bytes = new Dictionary<string, double>();
        var setUp = new HashSet<Action>();
        // Each training case again on two threads, where its helper may allocate too: counted on every thread.
        foreach ((string key, Action setup, Action run, int calls, int threads) in cases
            .Select(c => (c.Key, c.Setup, c.Run, c.Calls, Threads: 1))
            .Concat(cases.Where(c => Cases.ThreadedTraining.Contains(c.Key)).Select(c => (c.Key + Cases.TwoThreads, c.Setup, c.Run, c.Calls, Threads: 2))))
        {
            if (!keys.Contains(key))
            {
                continue;
            }

            if (setUp.Add(setup))
            {
                setup();
            }

            Threading.Use(threads);
            try
            {
                run();
                long before = Allocated(threads);
                for (int call = 0; call < calls; call++)
                {
                    run();
                }

                bytes[key] = (Allocated(threads) - before) / (double)calls;
            }
            finally
            {
                Threading.Use(1);
            }
        }

        return bytes;
    }

    private static long Allocated(int threads) => threads == 1 ? GC.GetAllocatedBytesForCurrentThread() : GC.GetTotalAllocatedBytes(precise: true);
}
