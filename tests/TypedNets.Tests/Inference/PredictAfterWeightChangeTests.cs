using System;
using System.IO;
using TypedNets.Compression;
using TypedNets.Onnx;
using TypedNets.Optimizers;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;
using TypedNets.Training;
using Xunit;

namespace TypedNets.Tests.Inference;

/// <summary>
/// Predictions follow every change of the weights: after each way the library offers of writing them, a prediction
/// equals, bit for bit, that of a fresh network given the same weights, and differs from the prediction before the
/// change. Inference that kept a derived form of the weights (packed for the GEMM) and missed a change fails here.
/// </summary>
public sealed class PredictAfterWeightChangeTests
{
    private const int Rows = 24;

    [Fact]
    public void A_write_through_Parameters_is_seen()
        => AfterChange(network => network.Parameters[3] += 0.5f);

    [Fact]
    public void A_write_through_a_tensors_values_is_seen()
        => AfterChange(network => network.Middle.Weight.Values.Fill(0.01f));

    [Fact]
    public void A_write_through_a_tensors_indexer_is_seen()
        => AfterChange(network => network.Hidden.Weight[5, 7] = 3f);

    [Fact]
    public void Initialize_is_seen()
        => AfterChange(network => network.Initialize(seed: 99));

    [Fact]
    public void A_safetensors_load_is_seen()
    {
        var other = new PackedMlp(maxBatch: Rows, seed: 77);
        using var file = new MemoryStream();
        SafeTensors.Save(other, file);
        AfterChange(network => SafeTensors.Load(network, file.ToArray()));
    }

    [Fact]
    public void A_training_step_is_seen()
    {
        float[] features = Samples(Rows, seed: 8);
        var targets = new float[Rows * PackedMlp.OutputSize];
        for (int row = 0; row < Rows; row++)
        {
            targets[(row * PackedMlp.OutputSize) + (row % PackedMlp.OutputSize)] = 1;
        }

        AfterChange(network => Trainer.Step(network, new Adam(0.01), features, targets, LossFunction.CrossEntropy));
    }

    [Fact]
    public void A_hand_written_optimizer_step_is_seen()
        => AfterChange(network =>
        {
            network.Gradients.Fill(0.1f);
            new Sgd(0.5).Step(network.Parameters, network.Gradients);
        });

    [Fact]
    public void An_onnx_weight_load_is_seen()
    {
        byte[] model = TypedNets.Onnx.Onnx.ToBytes(new PackedMlp(maxBatch: Rows, seed: 78));
        AfterChange(network => OnnxWeights.Load(network, model));
    }

    [Fact]
    public void A_checkpoint_load_is_seen()
    {
        string path = Path.Combine(Path.GetTempPath(), $"packed-{Guid.NewGuid():N}.safetensors");
        try
        {
            Checkpoint.Save(path, new PackedMlp(maxBatch: Rows, seed: 79), new Adam(0.01));
            AfterChange(network => Checkpoint.Load(path, network, new Adam(0.01)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Pruning_is_seen()
        => AfterChange(network => new MagnitudePruner(network, new ConstantSparsity(0.5, 0)).Prune(0.5));

    /// <summary>Predicts, changes the weights with <paramref name="change"/>, and checks the next prediction.</summary>
    private static void AfterChange(Action<PackedMlp> change)
    {
        var network = new PackedMlp(maxBatch: Rows, seed: 5);
        float[] input = Samples(Rows, seed: 6);
        float[] before = Predict(network, input);
        Predict(network, input);

        change(network);
        float[] after = Predict(network, input);

        var fresh = new PackedMlp(maxBatch: Rows, seed: 1);
        network.Parameters.CopyTo(fresh.Parameters);
        Assert.Equal(Predict(fresh, input), after);
        Assert.NotEqual(before, after);
    }

    private static float[] Predict(PackedMlp network, float[] input)
    {
        var output = new float[Rows * PackedMlp.OutputSize];
        network.Predict(input, output);
        return output;
    }

    private static float[] Samples(int rows, ulong seed)
    {
        var random = new Xoshiro256(seed);
        var values = new float[rows * PackedMlp.InputSize];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((2 * random.NextDouble()) - 1);
        }

        return values;
    }
}
