using System;
using TypedNets.Tests.Networks;
using Xunit;

namespace TypedNets.Tests.Inference;

/// <summary>
/// <c>Predict</c> over many rows runs them a chunk at a time, as many as keep a pass's activations in the caches, on a
/// prediction workspace whose max pooling keeps no indices. Its predictions equal, bit for bit, forward passes over
/// the same chunks in the network's own engine (which keeps the indices for a backward pass and pools by another
/// path), and the whole batch's forward pass within rounding.
/// </summary>
public sealed class PredictionChunkTests
{
    private const int Rows = 64;

    [Fact]
    public void Large_activations_are_predicted_a_chunk_at_a_time_and_small_ones_whole()
    {
        // 32 x 26 x 26 + 32 x 13 x 13 + 16 x 11 x 11 + 16 x 5 x 5 + 400 + 10 values a sample: 29,834 floats, 119,336
        // bytes; 2 MiB holds 17 samples.
        Assert.Equal(17, Chunk(new WideConvNet(maxBatch: Rows, seed: 1), Rows));
        Assert.Equal(Rows, Chunk(new PackedMlp(maxBatch: Rows, seed: 1), Rows));
        Assert.Equal(5, Chunk(new WideConvNet(maxBatch: 5, seed: 1), 5));
    }

    [Fact]
    public void Chunked_predictions_equal_forward_passes_over_the_same_chunks()
    {
        var network = new WideConvNet(maxBatch: Rows, seed: 3);
        float[] input = Samples(Rows, seed: 4);
        var predicted = new float[Rows * WideConvNet.OutputSize];
        network.Predict(input, predicted);

        int chunk = Chunk(network, Rows);
        Assert.True(chunk < Rows, $"the test needs chunks: {chunk} of {Rows}");
        var expected = new float[predicted.Length];
        for (int start = 0; start < Rows; start += chunk)
        {
            int count = Math.Min(chunk, Rows - start);
            network.Forward(input.AsSpan(start * WideConvNet.InputSize, count * WideConvNet.InputSize))
                .CopyTo(expected.AsSpan(start * WideConvNet.OutputSize));
        }

        Assert.Equal(expected, predicted);

        float[] whole = network.Forward(input).ToArray();
        for (int i = 0; i < whole.Length; i++)
        {
            Assert.True(Math.Abs(whole[i] - predicted[i]) <= 1e-6f, $"output {i}: {predicted[i]} chunked, {whole[i]} whole");
        }
    }

    [Fact]
    public void An_inference_pass_on_the_networks_own_engine_back_propagates_as_a_training_pass_does()
    {
        // The network's engine keeps the pooling's winners outside training too (an explanation back-propagates
        // through an inference pass); without them the gradient would go to whatever the index buffer last held.
        float[] input = Samples(4, seed: 6);
        Assert.Equal(InputGradient(input, training: true), InputGradient(input, training: false));
    }

    [Fact]
    public void A_prediction_workspace_refuses_a_backward_pass()
    {
        var network = new WideConvNet(maxBatch: 4, seed: 5);
        using WorkspacePool<NetworkEngine<float>>.Lease lease = ((INetwork)network).Core.Predictors.Rent();
        lease.Workspace.Forward(Samples(2, seed: 7), training: false);
        var error = Assert.Throws<InvalidOperationException>(() => lease.Workspace.Backward(new float[2 * WideConvNet.OutputSize], default));
        Assert.Contains("only predicts", error.Message, StringComparison.Ordinal);
    }

    private static float[] InputGradient(float[] input, bool training)
    {
        var network = new WideConvNet(maxBatch: 4, seed: 5);
        network.Forward(input, training);
        var outputGradient = new float[4 * WideConvNet.OutputSize];
        for (int i = 0; i < outputGradient.Length; i++)
        {
            outputGradient[i] = (i % 7) - 3;
        }

        var inputGradient = new float[input.Length];
        network.Backward(outputGradient, inputGradient);
        return inputGradient;
    }

    private static int Chunk(INetwork network, int maxBatch) => network.Core.PredictionBatch(maxBatch);

    private static float[] Samples(int rows, ulong seed)
    {
        var random = new Xoshiro256(seed);
        var values = new float[rows * WideConvNet.InputSize];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextDouble();
        }

        return values;
    }
}
