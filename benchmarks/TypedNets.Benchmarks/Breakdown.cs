using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using TypedNets.Kernels;
using TypedNets.Optimizers;
using TypedNets.Training;

namespace TypedNets.Benchmarks;

/// <summary>
/// Where the time of a TypedNets training step goes (<c>--breakdown</c>): each phase of <c>Trainer.Step</c> timed on its
/// own, then the GEMM calls the LSTM makes at the text classifier's shapes; and <c>--spin KEY SECONDS</c>, which runs one
/// case in a loop for a sampling profiler (<c>DOTNET_PerfMapEnabled=1 perf record -g</c>).
/// </summary>
internal static class Breakdown
{
    public static void Run(bool full)
    {
        int rounds = full ? 15 : 5;
        Console.WriteLine("Phases of one training step (median of " + rounds + " rounds; Stopwatch, this thread only):");
        Console.WriteLine();
        Phases("(a) MLP 10-50-2, batch 32", new TutorialMlp(maxBatch: 32, seed: 3), Data.Uniform(32 * 10, 4), Data.Labels(32, 2, 5), rounds, 2000);
        Phases("(b) MLP 784-256-128-10, batch 64", new MnistMlp(maxBatch: 64, seed: 3), Data.Uniform(64 * 784, 4), Data.Labels(64, 10, 5), rounds, 200);
        float[] tokens = Array.ConvertAll(Data.Tokens(32 * Cases.TextSteps, 10000, 4), token => (float)token);
        Phases("(c) text LSTM classifier, batch 32", new TextLstm(maxBatch: 32, seed: 3), tokens, Data.Labels(32, 2, 5), rounds, 5);
        LstmGemms(rounds);
    }

    /// <summary>Runs one TypedNets case in a loop for <paramref name="seconds"/> seconds, for a profiler.</summary>
    public static void Spin(string key, double seconds)
    {
        // A training case's "_two_threads" key spins the same case with both thread knobs at two.
        string label = key;
        if (Cases.IsTwoThreadTraining(key) || (key.EndsWith(Cases.TwoThreads, StringComparison.Ordinal) && key.StartsWith("convnet_train", StringComparison.Ordinal)))
        {
            Threading.Use(2);
            key = key[..^Cases.TwoThreads.Length];
        }

        Action action = key switch
        {
            "mlp10_predict1" => PredictOne(new TutorialMlp(maxBatch: 1, seed: 1), TutorialMlp.Sample.From(Data.Uniform(10, 2))),
            "mlp10_train32" => Step(new TutorialMlp(maxBatch: 32, seed: 3), Data.Uniform(32 * 10, 4), Data.Labels(32, 2, 5)),
            "mlp784_train64" => Step(new MnistMlp(maxBatch: 64, seed: 3), Data.Uniform(64 * 784, 4), Data.Labels(64, 10, 5)),
            "text_train32" => Step(new TextLstm(maxBatch: 32, seed: 3), Array.ConvertAll(Data.Tokens(32 * Cases.TextSteps, 10000, 4), t => (float)t), Data.Labels(32, 2, 5)),
            "mlp784_predict1" => Predict(new MnistMlp(maxBatch: 1, seed: 1), Data.Uniform(784, 2)),
            "mlp784_predict256" => Predict(new MnistMlp(maxBatch: 256, seed: 1), Data.Uniform(256 * 784, 2)),
            "text_predict1" => Predict(new TextLstm(maxBatch: 1, seed: 1), Array.ConvertAll(Data.Tokens(Cases.TextSteps, 10000, 2), t => (float)t)),
            "gpt_baby_train12" => GptStep(),
            "gpt_baby_generate" => GptGenerate(stories15M: false),
            "gpt15m_generate" => GptGenerate(stories15M: true),
            "gemm256" => SquareGemm(256),
            "gemm1024" => SquareGemm(1024),
            "convnet_train64" => Step(new FashionMnist.FashionConvnet(maxBatch: 64, seed: 3), Data.Uniform(64 * 784, 4), Data.Labels(64, 10, 5)),
            "convnet_predict256" => ConvnetPredict256(),
            "resnet_train128" => ResNetStep(),
            "resnet_predict256" => ResNetPredict256(),
            _ => throw new ArgumentException($"--spin takes mlp10_predict1, mlp10_train32, mlp784_train64, text_train32, gpt_baby_train12, gpt_baby_generate, gpt15m_generate, mlp784_predict1, mlp784_predict256, text_predict1, gemm256, gemm1024, convnet_train64 (a step of the convnet's epoch), convnet_predict256, resnet_train128 or resnet_predict256 (a training key with _two_threads: on two threads), not {key}."),
        };
        var clock = Stopwatch.StartNew();
        long count = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            action();
            count++;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label}: {count} runs in {clock.Elapsed.TotalSeconds:F1} s, {Report.Time(clock.Elapsed.TotalSeconds / count)} each"));
    }

    private static Action Step(INetwork network, float[] features, float[] labels)
    {
        var adam = new Adam(0.001);
        return () => Trainer.Step(network, adam, features, labels, LossFunction.CrossEntropy);
    }

    private static Action Predict(INetwork network, float[] features) => () => network.Forward(features, training: false);

    /// <summary>The (h) row's predict 256, through the typed <c>Predict</c> and so a prediction workspace, as the row times it.</summary>
    private static Action ConvnetPredict256()
    {
        var bench = new ConvnetBenchmarks();
        bench.Setup();
        return () => bench.Predict256();
    }

    /// <summary>The (i) row's predict 256, as the row times it.</summary>
    private static Action ResNetPredict256()
    {
        var bench = new ResNetBenchmarks();
        bench.Setup();
        return () => bench.Predict256();
    }

    /// <summary>The (i) row's step: the ResNet at batch 128 with its SGD.</summary>
    private static Action ResNetStep()
    {
        var bench = new ResNetBenchmarks();
        bench.Setup();
        return () => bench.TrainStep128();
    }

    /// <summary>One sample through the typed <c>Predict</c>, as the (a) row times it.</summary>
    private static Action PredictOne(TutorialMlp network, TutorialMlp.Sample sample) => () => network.Predict(sample);

    private static Action GptGenerate(bool stories15M)
    {
        var bench = new GptGenerationBenchmarks();
        bench.Setup();
        return stories15M ? () => bench.GenerateStories15M() : () => bench.GenerateBaby();
    }

    private static Action GptStep()
    {
        var bench = new GptTrainingBenchmarks();
        bench.Setup();
        return () => bench.TrainStep();
    }

    private static Action SquareGemm(int n)
    {
        float[] a = Data.Uniform(n * n, 1, -1, 1), b = Data.Uniform(n * n, 2, -1, 1), c = new float[n * n];
        return () => Gemm.Multiply<float>(a, b, c, n, n, n, accumulate: false);
    }

    internal static void Phases(string name, INetwork network, float[] features, float[] labels, int rounds, int stepsPerRound)
    {
        var adam = new Adam(0.001);
        string[] phases = ["ZeroGradients", "Forward (training)", "LossBackward (loss + backward)", "Adam step"];
        var samples = phases.Select(_ => new List<double>()).ToArray();
        for (int warm = 0; warm < Math.Max(3, stepsPerRound); warm++)
        {
            Trainer.Step(network, adam, features, labels, LossFunction.CrossEntropy);
        }

        var allocated = new long[phases.Length];
        int steps = 0;
        for (int round = 0; round < rounds; round++)
        {
            var totals = new double[phases.Length];
            for (int step = 0; step < stepsPerRound; step++)
            {
                long a0 = GC.GetAllocatedBytesForCurrentThread();
                long t0 = Stopwatch.GetTimestamp();
                network.ZeroGradients();
                long t1 = Stopwatch.GetTimestamp();
                long a1 = GC.GetAllocatedBytesForCurrentThread();
                network.Forward(features, training: true);
                long t2 = Stopwatch.GetTimestamp();
                long a2 = GC.GetAllocatedBytesForCurrentThread();
                network.LossBackward(labels, LossFunction.CrossEntropy);
                long t3 = Stopwatch.GetTimestamp();
                long a3 = GC.GetAllocatedBytesForCurrentThread();
                adam.Step(network.Parameters, network.Gradients);
                long t4 = Stopwatch.GetTimestamp();
                long a4 = GC.GetAllocatedBytesForCurrentThread();
                allocated[0] += a1 - a0;
                allocated[1] += a2 - a1;
                allocated[2] += a3 - a2;
                allocated[3] += a4 - a3;
                totals[0] += t1 - t0;
                totals[1] += t2 - t1;
                totals[2] += t3 - t2;
                totals[3] += t4 - t3;
                steps++;
            }

            for (int phase = 0; phase < phases.Length; phase++)
            {
                samples[phase].Add(totals[phase] / stepsPerRound / Stopwatch.Frequency);
            }
        }

        double[] medians = samples.Select(Median).ToArray();
        double total = medians.Sum();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {Report.Time(total)} per step, {network.Parameters.Length:N0} parameters, {allocated.Sum() / (double)steps:F1} bytes allocated per step"));
        for (int phase = 0; phase < phases.Length; phase++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {phases[phase],-32} {Report.Time(medians[phase]),10}  {100 * medians[phase] / total,5:F1}%   {allocated[phase] / (double)steps,6:F1} B"));
        }

        Console.WriteLine();
    }

    /// <summary>The matrix products <c>LstmKernel</c> makes for batch 32, 100 steps, 128 inputs, 64 units, at the same shapes.</summary>
    private static void LstmGemms(int rounds)
    {
        const int batch = 32, steps = Cases.TextSteps, inputs = Cases.TextEmbedding, units = Cases.TextUnits, width = 4 * units;
        float[] x = Data.Uniform(batch * steps * inputs, 1), weightIh = Data.Uniform(width * inputs, 2), weightHh = Data.Uniform(width * units, 3);
        float[] projection = new float[batch * steps * width], hidden = Data.Uniform(batch * units, 4), gates = new float[batch * width];
        float[] gradient = Data.Uniform(batch * width, 5), dWhh = new float[width * units], dh = new float[batch * units];
        float[] dWih = new float[width * inputs], dx = new float[batch * steps * inputs];
        (string Name, double Flops, Action Run)[] kernels =
        [
            ("forward: input projection, MultiplyTransposedB 3200x256x128", 2.0 * batch * steps * width * inputs,
                () => Gemm.MultiplyTransposedB<float>(x, weightIh, projection, batch * steps, width, inputs, accumulate: false)),
            ("forward: recurrent, MultiplyTransposedB 32x256x64, x99", 2.0 * (steps - 1) * batch * width * units,
                () => { for (int t = 1; t < steps; t++) { Gemm.MultiplyTransposedB<float>(hidden, weightHh, gates, batch, width, units, accumulate: true); } }),
            ("backward: dW_hh, MultiplyTransposedA 256x64 over 32, x99", 2.0 * (steps - 1) * batch * width * units,
                () => { for (int t = 1; t < steps; t++) { Gemm.MultiplyTransposedA<float>(gradient, hidden, dWhh, width, units, batch, accumulate: true); } }),
            ("backward: dh, Multiply 32x64x256, x99", 2.0 * (steps - 1) * batch * width * units,
                () => { for (int t = 1; t < steps; t++) { Gemm.Multiply<float>(gradient, weightHh, dh, batch, units, width, accumulate: false); } }),
            ("backward: dW_ih, MultiplyTransposedA 256x128 over 3200", 2.0 * batch * steps * width * inputs,
                () => Gemm.MultiplyTransposedA<float>(projection, x, dWih, width, inputs, batch * steps, accumulate: true)),
            ("backward: dx, Multiply 3200x128x256", 2.0 * batch * steps * width * inputs,
                () => Gemm.Multiply<float>(projection, weightIh, dx, batch * steps, inputs, width, accumulate: false)),
        ];

        Console.WriteLine("The LSTM's kernels at the text classifier's shapes (batch 32, 100 steps, 128 inputs, 64 units):");
        double sum = 0;
        foreach ((string kernelName, double flops, Action run) in kernels)
        {
            run();
            var times = new List<double>();
            for (int round = 0; round < rounds; round++)
            {
                long start = Stopwatch.GetTimestamp();
                run();
                times.Add((Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency);
            }

            double median = Median(times);
            sum += median;
            string rate = flops > 0 ? string.Create(CultureInfo.InvariantCulture, $"{flops / median / 1e9,6:F1} GFLOP/s") : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {kernelName,-68} {Report.Time(median),10}  {rate}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"sum",-68} {Report.Time(sum),10}"));

        // The whole kernels, whose time beyond the products above is the fused gate passes and the bookkeeping. The
        // weights are drawn as PyTorch draws them, U(-1/8, 1/8) for 64 units: with the products' weights from U(0, 1)
        // every gate saturates and the backward pass runs on subnormal numbers, several times slower.
        float[] lstmWeightIh = Data.Uniform(width * inputs, 2, -0.125f, 0.125f), lstmWeightHh = Data.Uniform(width * units, 3, -0.125f, 0.125f);
        var workspace = new RecurrentWorkspace<float>(batch, steps, units, 4);
        float[] bias = new float[width], biasGradient = new float[width], last = new float[batch * units], lastGradient = Data.Uniform(batch * units, 7);
        Console.WriteLine();
        Time("LstmKernel.Forward, batch 32 (products and fused gates)", rounds,
            () => LstmKernel.Forward<float>(x, lstmWeightIh, lstmWeightHh, bias, bias, default, workspace, last, batch, inputs, returnSequences: false));
        Time("LstmKernel.Backward, batch 32 (products and fused gates)", rounds,
            () => LstmKernel.Backward<float>(x, lstmWeightIh, lstmWeightHh, default, workspace, lastGradient, dWih, dWhh, biasGradient, biasGradient, dx, batch, inputs, returnSequences: false));
        var single = new RecurrentWorkspace<float>(1, steps, units, 4);
        Time("LstmKernel.Forward, batch 1 (a prediction)", rounds,
            () => LstmKernel.Forward<float>(x.AsSpan(0, steps * inputs), lstmWeightIh, lstmWeightHh, bias, bias, default, single, last.AsSpan(0, units), 1, inputs, returnSequences: false));

        // What the embedding table of 10,000 x 128 costs each step. Its backward pass adds into the rows of the tokens
        // in the batch only; clearing its gradient and Adam's update cover every row, as PyTorch's dense Adam does.
        const int vocabulary = 10000, tableLength = vocabulary * inputs, rest = 53954;
        float[] tokens = Array.ConvertAll(Data.Tokens(batch * steps, vocabulary, 4), token => (float)token);
        float[] table = Data.Uniform(tableLength, 8), tableGradient = new float[tableLength];
        float[] restParameters = Data.Uniform(rest, 9), restGradient = Data.Uniform(rest, 10);
        var tableAdam = new Adam(0.001);
        var restAdam = new Adam(0.001);
        Console.WriteLine();
        Time("embedding: backward, 3200 tokens into a 10000x128 table", rounds,
            () => EmbeddingKernel.Backward<float>(tokens, x, tableGradient, vocabulary, inputs));
        Time("embedding: clearing its gradient (all rows)", rounds, () => Array.Clear(tableGradient));
        Time("embedding: Adam step over the table (all rows)", rounds, () => tableAdam.Step(table, tableGradient));
        Time("Adam step over the other 53,954 parameters", rounds, () => restAdam.Step(restParameters, restGradient));

        // Opted in (Adam.UpdateRowsLazily, PyTorch's SparseAdam): only the rows of this batch's tokens step.
        var lazyAdam = new Adam(0.001);
        lazyAdam.UpdateRowsLazily(0, vocabulary, inputs);
        EmbeddingKernel.Backward<float>(tokens, x, tableGradient, vocabulary, inputs);
        int touched = 0;
        for (int row = 0; row < vocabulary; row++)
        {
            touched += tableGradient.AsSpan(row * inputs, inputs).ContainsAnyExcept(0f) ? 1 : 0;
        }

        Time($"embedding: Adam step over the table, lazy rows ({touched} touched)", rounds, () => lazyAdam.Step(table, tableGradient));
    }

    private static void Time(string name, int rounds, Action run)
    {
        run();
        var times = new List<double>();
        for (int round = 0; round < rounds * 4; round++)
        {
            long start = Stopwatch.GetTimestamp();
            run();
            times.Add((Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-68} {Report.Time(Median(times)),10}"));
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        int middle = values.Count / 2;
        return values.Count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }
}
