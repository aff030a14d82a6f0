using System;
using System.Collections.Generic;
using System.IO;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;

namespace TypedNets.Benchmarks;

/// <summary>
/// The same models in ONNX Runtime, in process, exported from PyTorch by <c>pytorch_bench.py</c> (with the Softmax, as
/// TypedNets' <c>Predict</c> returns probabilities). One intra-op and one inter-op thread, sequential execution, every
/// graph optimization, and inputs and outputs bound once through an <see cref="OrtIoBinding"/> so that a run pays no
/// marshalling: the cheapest way ONNX Runtime offers to call a model.
/// </summary>
public class OnnxRuntimeBenchmarks
{
    private readonly List<IDisposable> _owned = [];
    private RunOptions _runOptions = null!;
    private (InferenceSession Session, OrtIoBinding Binding) _mlp10;
    private (InferenceSession Session, OrtIoBinding Binding) _mlp784One;
    private (InferenceSession Session, OrtIoBinding Binding) _mlp784Batch;
    private (InferenceSession Session, OrtIoBinding Binding) _text;

    /// <summary>The models the PyTorch script writes; the suite runs these benchmarks only when all of them exist.</summary>
    public static readonly string[] ModelFiles = ["mlp10.onnx", "mlp784.onnx", "text_lstm.onnx"];

    [GlobalSetup]
    public void Setup()
    {
        _runOptions = Own(new RunOptions());
        _mlp10 = Bind("mlp10.onnx", Data.Uniform(10, 2), [1, 10], [1, 2]);
        _mlp784One = Bind("mlp784.onnx", Data.Uniform(784, 2), [1, 784], [1, 10]);
        _mlp784Batch = Bind("mlp784.onnx", Data.Uniform(256 * 784, 2), [256, 784], [256, 10]);
        long[] tokens = Array.ConvertAll(Data.Tokens(Cases.TextSteps, 10000, 2), token => (long)token);
        _text = Bind("text_lstm.onnx", tokens, [1, Cases.TextSteps], [1, 2]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        _owned.Clear();
    }

    [Benchmark, Case("mlp10_predict1", Library.OnnxRuntime)]
    public void Mlp10Predict1() => _mlp10.Session.RunWithBinding(_runOptions, _mlp10.Binding);

    [Benchmark, Case("mlp784_predict1", Library.OnnxRuntime)]
    public void Mlp784Predict1() => _mlp784One.Session.RunWithBinding(_runOptions, _mlp784One.Binding);

    [Benchmark, Case("mlp784_predict256", Library.OnnxRuntime)]
    public void Mlp784Predict256() => _mlp784Batch.Session.RunWithBinding(_runOptions, _mlp784Batch.Binding);

    [Benchmark, Case("text_predict1", Library.OnnxRuntime)]
    public void TextPredict1() => _text.Session.RunWithBinding(_runOptions, _text.Binding);

    public static SessionOptions SingleThreaded()
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return options;
    }

    private (InferenceSession, OrtIoBinding) Bind<TInput>(string file, TInput[] input, long[] inputShape, long[] outputShape)
        where TInput : unmanaged
    {
        using SessionOptions options = SingleThreaded();
        var session = Own(new InferenceSession(Path.Combine(Settings.ArtifactsDirectory, file), options));
        OrtValue inputValue = Own(OrtValue.CreateTensorValueFromMemory(input, inputShape));
        OrtValue outputValue = Own(OrtValue.CreateTensorValueFromMemory(new float[checked((int)(outputShape[0] * outputShape[1]))], outputShape));
        OrtIoBinding binding = Own(session.CreateIoBinding());
        binding.BindInput("x", inputValue);
        binding.BindOutput("y", outputValue);
        return (session, binding);
    }

    private T Own<T>(T value)
        where T : IDisposable
    {
        _owned.Add(value);
        return value;
    }
}
