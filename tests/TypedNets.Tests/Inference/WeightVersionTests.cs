using System;
using System.IO;
using TypedNets.Optimizers;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;
using TypedNets.Training;
using Xunit;

namespace TypedNets.Tests.Inference;

/// <summary>
/// The weight version moves on at every change of the weights the library makes or hands out a writable view for, and
/// stays where it is for what only reads them: predictions and saves.
/// </summary>
public sealed class WeightVersionTests
{
    private const int Rows = 8;

    [Fact]
    public void Moves_on_at_every_view_of_the_weights()
    {
        var network = new PackedMlp(maxBatch: Rows, seed: 1);
        MovesOn(network, () => _ = network.Parameters);
        MovesOn(network, () => _ = network.Hidden.Weight.Values);
        MovesOn(network, () => _ = network.Hidden.Weight[1, 2]);
        MovesOn(network, () => _ = network.Output.Bias![3]);
        MovesOn(network, network.MarkWeightsChanged);
    }

    [Fact]
    public void Moves_on_at_initialization_loads_steps_and_training_passes()
    {
        var network = new PackedMlp(maxBatch: Rows, seed: 1);
        using var file = new MemoryStream();
        SafeTensors.Save(new PackedMlp(maxBatch: Rows, seed: 2), file);
        float[] features = new float[Rows * PackedMlp.InputSize];
        float[] targets = new float[Rows * PackedMlp.OutputSize];

        MovesOn(network, () => network.Initialize(seed: 3));
        MovesOn(network, () => SafeTensors.Load(network, file.ToArray()));
        MovesOn(network, () => network.Forward(features, training: true));
        MovesOn(network, () => Trainer.Step(network, new Sgd(0.1), features, targets, LossFunction.MeanSquaredError));
    }

    [Fact]
    public void Stays_at_predictions_inference_passes_and_saves()
    {
        var network = new PackedMlp(maxBatch: Rows, seed: 1);
        float[] input = new float[Rows * PackedMlp.InputSize];
        float[] output = new float[Rows * PackedMlp.OutputSize];
        long version = network.WeightVersion;

        network.Predict(input, output);
        network.Predict(new PackedMlp.Sample());
        network.Forward(input, training: false);
        SafeTensors.Save(network, new MemoryStream());
        _ = network.Gradients;

        Assert.Equal(version, network.WeightVersion);
    }

    [Fact]
    public void A_span_kept_and_written_after_a_prediction_is_seen_after_MarkWeightsChanged()
    {
        var network = new PackedMlp(maxBatch: Rows, seed: 1);
        float[] input = new float[Rows * PackedMlp.InputSize];
        input.AsSpan().Fill(0.25f);
        float[] before = new float[Rows * PackedMlp.OutputSize];
        float[] after = new float[Rows * PackedMlp.OutputSize];
        Span<float> weights = network.Parameters;
        network.Predict(input, before);

        weights.Slice(0, PackedMlp.InputSize * 40).Fill(0.03f);
        network.MarkWeightsChanged();
        network.Predict(input, after);

        var fresh = new PackedMlp(maxBatch: Rows, seed: 9);
        network.Parameters.CopyTo(fresh.Parameters);
        float[] expected = new float[Rows * PackedMlp.OutputSize];
        fresh.Predict(input, expected);
        Assert.Equal(expected, after);
        Assert.NotEqual(before, after);
    }

    private static void MovesOn(PackedMlp network, Action action)
    {
        long before = network.WeightVersion;
        action();
        Assert.True(network.WeightVersion > before, $"The weight version stayed at {before}.");
    }
}
