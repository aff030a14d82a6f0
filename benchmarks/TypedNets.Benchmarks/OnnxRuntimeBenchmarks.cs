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
    private readonly OrtBindings _ort = new();
    private (InferenceSession Session, OrtIoBinding Binding) _mlp10;
    private (InferenceSession Session, OrtIoBinding Binding) _mlp784One;
    private (InferenceSession Session, OrtIoBinding Binding) _mlp784Batch;
    private (InferenceSession Session, OrtIoBinding Binding) _text;

    /// <summary>The models the PyTorch script writes; the suite runs these benchmarks only when all of them exist.</summary>
    public static readonly string[] ModelFiles = ["mlp10.onnx", "mlp784.onnx", "text_lstm.onnx"];

    [GlobalSetup]
    public void Setup()
    {
        _mlp10 = _ort.Bind("mlp10.onnx", Data.Uniform(10, 2), [1, 10], [1, 2]);
        _mlp784One = _ort.Bind("mlp784.onnx", Data.Uniform(784, 2), [1, 784], [1, 10]);
        _mlp784Batch = _ort.Bind("mlp784.onnx", Data.Uniform(256 * 784, 2), [256, 784], [256, 10]);
        long[] tokens = Array.ConvertAll(Data.Tokens(Cases.TextSteps, 10000, 2), token => (long)token);
        _text = _ort.Bind("text_lstm.onnx", tokens, [1, Cases.TextSteps], [1, 2]);
    }

    [GlobalCleanup]
    public void Cleanup() => _ort.Dispose();

    [Benchmark, Case("mlp10_predict1", Library.OnnxRuntime)]
    public void Mlp10Predict1() => _ort.Run(_mlp10);

    [Benchmark, Case("mlp784_predict1", Library.OnnxRuntime)]
    public void Mlp784Predict1() => _ort.Run(_mlp784One);

    [Benchmark, Case("mlp784_predict256", Library.OnnxRuntime)]
    public void Mlp784Predict256() => _ort.Run(_mlp784Batch);

    [Benchmark, Case("text_predict1", Library.OnnxRuntime)]
    public void TextPredict1() => _ort.Run(_text);

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

}

/// <summary>
/// (h) and (i) in ONNX Runtime: the convnet and the ResNet as <c>pytorch_bench.py</c> exported them (the ResNet in eval
/// mode, its BatchNorm on running statistics), on the same 256 images as TypedNets' rows (one for predict 1).
/// </summary>
public class OnnxRuntimeConvBenchmarks
{
    private readonly OrtBindings _ort = new();
    private (InferenceSession Session, OrtIoBinding Binding) _convnetOne;
    private (InferenceSession Session, OrtIoBinding Binding) _convnetBatch;
    private (InferenceSession Session, OrtIoBinding Binding) _resnetBatch;

    /// <summary>The models these benchmarks need; the suite runs them only when both exist.</summary>
    public static readonly string[] ModelFiles = ["convnet.onnx", "resnet.onnx"];

    [GlobalSetup]
    public void Setup()
    {
        float[] images = Data.Uniform(256 * 784, 2);
        _convnetOne = _ort.Bind("convnet.onnx", images[..784], [1, 1, 28, 28], [1, 10]);
        _convnetBatch = _ort.Bind("convnet.onnx", images, [256, 1, 28, 28], [256, 10]);
        _resnetBatch = _ort.Bind("resnet.onnx", images, [256, 1, 28, 28], [256, 10]);
    }

    [GlobalCleanup]
    public void Cleanup() => _ort.Dispose();

    [Benchmark, Case("convnet_predict1", Library.OnnxRuntime)]
    public void ConvnetPredict1() => _ort.Run(_convnetOne);

    [Benchmark, Case("convnet_predict256", Library.OnnxRuntime)]
    public void ConvnetPredict256() => _ort.Run(_convnetBatch);

    [Benchmark, Case("resnet_predict256", Library.OnnxRuntime)]
    public void ResNetPredict256() => _ort.Run(_resnetBatch);
}

/// <summary>Sessions with their inputs and outputs bound once, and everything they own, disposed together.</summary>
internal sealed class OrtBindings : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private RunOptions? _runOptions;

    public void Run((InferenceSession Session, OrtIoBinding Binding) model) => model.Session.RunWithBinding(_runOptions!, model.Binding);

    public (InferenceSession, OrtIoBinding) Bind<TInput>(string file, TInput[] input, long[] inputShape, long[] outputShape)
        where TInput : unmanaged
    {
        _runOptions ??= Own(new RunOptions());
        using SessionOptions options = OnnxRuntimeBenchmarks.SingleThreaded();
        var session = Own(new InferenceSession(Path.Combine(Settings.ArtifactsDirectory, file), options));
        OrtValue inputValue = Own(OrtValue.CreateTensorValueFromMemory(input, inputShape));
        OrtValue outputValue = Own(OrtValue.CreateTensorValueFromMemory(new float[checked((int)(outputShape[0] * outputShape[1]))], outputShape));
        OrtIoBinding binding = Own(session.CreateIoBinding());
        binding.BindInput("x", inputValue);
        binding.BindOutput("y", outputValue);
        return (session, binding);
    }

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        _owned.Clear();
        _runOptions = null;
    }

    private T Own<T>(T value)
        where T : IDisposable
    {
        _owned.Add(value);
        return value;
    }
}
