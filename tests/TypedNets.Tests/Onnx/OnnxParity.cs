using System;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using TypedNets.Data;
using TypedNets.Optimizers;
using TypedNets.Training;

namespace TypedNets.Tests.Onnx;

/// <summary>
/// Runs an exported network in ONNX Runtime at batch sizes 1 and 3 (the batch dimension is dynamic) and compares it
/// with TypedNets' own Predict. With the environment variable <c>TYPEDNETS_ONNX_DIR</c> set, the model is also written
/// there, for reference/onnx/check_models.py.
/// </summary>
internal static class OnnxParity
{
    private const double Tolerance = 1e-5;

    /// <summary>
    /// Exports <paramref name="network"/>, writes it for the checker and compares ONNX Runtime with Predict: each output
    /// within 1e-5 of Predict's, relative to its magnitude where that is over 1, or, with <paramref name="rowWidth"/>,
    /// to the largest magnitude in its row of that many outputs (a language model's logits at one step).
    /// </summary>
    public static void AssertRuntimeMatchesPredict(string name, INetwork network, int rowWidth = 1)
    {
        byte[] model = TypedNets.Onnx.Onnx.ToBytes(network);
        WriteForChecker(name, model);

        using var session = new InferenceSession(model);
        var random = new Random(17);
        foreach (int batch in new[] { 1, 3 })
        {
            float[] input = RandomInput(network, batch, random);
            float[] expected = new float[batch * network.OutputSize];
            network.Predict(input, expected);

            float[] actual = Run(session, network, input, batch);
            Assert.Equal(expected.Length, actual.Length);
            int worst = 0;
            double worstRatio = -1;
            int over = 0;
            for (int i = 0; i < expected.Length; i++)
            {
                double scale = 1;
                for (int j = i - (i % rowWidth); j < i - (i % rowWidth) + rowWidth; j++)
                {
                    scale = Math.Max(scale, Math.Abs(expected[j]));
                }

                double ratio = Math.Abs(actual[i] - expected[i]) / (Tolerance * scale);
                over += ratio > 1 ? 1 : 0;
                if (!(ratio <= worstRatio))
                {
                    (worst, worstRatio) = (i, ratio);
                }
            }

            Assert.True(
                over == 0,
                $"{name}, batch {batch}: {over} of {expected.Length} outputs differ by more than {Tolerance:E0}; the worst, output {worst}: " +
                $"ONNX Runtime {actual[worst]:R}, TypedNets {expected[worst]:R}, error {Math.Abs(actual[worst] - expected[worst]):E2}.");
        }
    }

    /// <summary>
    /// Draws every parameter and running statistic afresh: biases, norm scales and running statistics start at
    /// zeros and ones, which would hide a bias, scale or statistic given to the wrong input.
    /// </summary>
    public static void Randomise(INetwork network, int seed)
    {
        var random = new Random(seed);
        foreach (Layer layer in network.Layers)
        {
            foreach (ParameterTensor parameter in layer.Parameters)
            {
                Span<float> values = parameter.Values;
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = (float)(random.NextDouble() * 1.6 - 0.8);
                }
            }

            foreach (BufferTensor buffer in layer.Buffers)
            {
                bool variance = buffer.Name.EndsWith("running_var", StringComparison.Ordinal);
                Span<float> values = buffer.Values;
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = variance ? (float)(0.2 + random.NextDouble()) : (float)(random.NextDouble() - 0.5);
                }
            }
        }
    }

    /// <summary>
    /// A few steps of Adam on random data, as a trained network has them: batch normalisation's running statistics
    /// move off their initial zeros and ones.
    /// </summary>
    public static void TrainBriefly(INetwork network, int samples, int batchSize)
    {
        var random = new Random(23);
        float[] features = RandomInput(network, samples, random);
        float[] targets = new float[samples * network.OutputSize];
        for (int i = 0; i < targets.Length; i++)
        {
            targets[i] = (float)random.NextDouble();
        }

        var data = new Dataset(features, network.InputSize, targets, network.OutputSize);
        Trainer.Fit(network, new Adam(0.01), data, new FitOptions { Epochs = 1, BatchSize = batchSize, Loss = new LossFunction(LossKind.MeanSquaredError) });
    }

    /// <summary>
    /// Random features, or random token ids for a network on tokens. Where an embedding masks id 0 (MaskZero), about
    /// two ids in five are padding, anywhere in the sequence, and the third sample of a batch is all padding.
    /// </summary>
    private static float[] RandomInput(INetwork network, int batch, Random random)
    {
        float[] input = new float[batch * network.InputSize];
        EmbeddingLayer[] readers = network.Layers.OfType<EmbeddingLayer>().Where(e => e.Sources.Contains("input")).ToArray();
        bool tokens = network.Core.TokenInput;
        int vocabulary = tokens ? readers.Min(e => e.Vocabulary) : 0;
        bool masked = readers.Any(e => e.MaskZero);
        for (int i = 0; i < input.Length; i++)
        {
            bool padding = masked && (random.NextDouble() < 0.4 || i / network.InputSize == 2);
            input[i] = !tokens ? (float)(random.NextDouble() * 4 - 2) : padding ? 0 : random.Next(masked ? 1 : 0, vocabulary);
        }

        return input;
    }

    private static float[] Run(InferenceSession session, INetwork network, float[] input, int batch)
    {
        long[] shape = [batch, .. network.Layers[0].InputShape.ToArray().Select(d => (long)d)];
        using OrtValue value = network.Core.TokenInput
            ? OrtValue.CreateTensorValueFromMemory(input.Select(id => (long)id).ToArray(), shape)
            : OrtValue.CreateTensorValueFromMemory(input, shape);
        using var options = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(options, ["input"], [value], ["output"]);
        long[] outputShape = outputs[0].GetTensorTypeAndShape().Shape;
        Assert.Equal(batch, outputShape[0]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static void WriteForChecker(string name, byte[] model)
    {
        string? folder = Environment.GetEnvironmentVariable("TYPEDNETS_ONNX_DIR");
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(Path.Combine(folder, name + ".onnx"), model);
        }
    }
}
