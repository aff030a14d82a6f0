using System;
using System.Collections.Generic;
using Microsoft.ML.OnnxRuntime;

namespace Server;

/// <summary>
/// A model exported from PyTorch with the same weights (<c>reference/pytorch/export_server_models.py</c>), run by ONNX
/// Runtime in this process. <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string})"/>
/// may be called from many threads at once (ONNX Runtime documents a session as thread-safe), so one session serves
/// every request, as one TypedNets network does.
/// </summary>
internal sealed class OnnxEngine : IClassifierEngine<float>, IClassifierEngine<int>, IDisposable
{
    private static readonly string[] InputNames = ["x"];
    private static readonly string[] OutputNames = ["y"];
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly int _inputSize;
    private readonly int _classes;

    public OnnxEngine(string path, int inputSize, int classes)
    {
        // Each request runs on the thread that serves it, as TypedNets' Predict does: one intra-op thread and no
        // spinning, so the two engines share the machine's cores in the same way (the settings of benchmarks/).
        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        _session = new InferenceSession(path, options);
        _inputSize = inputSize;
        _classes = classes;
    }

    public string Name => Engines.OnnxRuntime;

    public void Predict(ReadOnlySpan<float> inputs, Span<float> probabilities)
        => Run(inputs.ToArray(), inputs.Length / _inputSize, probabilities);

    // The PyTorch export takes int64 token ids, as nn.Embedding does.
    public void Predict(ReadOnlySpan<int> inputs, Span<float> probabilities)
    {
        long[] ids = new long[inputs.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = inputs[i];
        }

        Run(ids, inputs.Length / _inputSize, probabilities);
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }

    private void Run<T>(T[] input, int rows, Span<float> probabilities)
        where T : unmanaged
    {
        using OrtValue value = OrtValue.CreateTensorValueFromMemory(input, [rows, _inputSize]);
        using IDisposableReadOnlyCollection<OrtValue> outputs = _session.Run(_runOptions, InputNames, [value], OutputNames);
        ReadOnlySpan<float> output = outputs[0].GetTensorDataAsSpan<float>();
        if (output.Length != rows * _classes)
        {
            throw new InvalidOperationException($"The ONNX model gave {output.Length} values for {rows} rows of {_classes} classes.");
        }

        output.CopyTo(probabilities);
    }
}
