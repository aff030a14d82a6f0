using System;
using System.Linq;
using TypedNets.Tests.Networks;
using TypedNets.Tests.Reference;
using Xunit.Abstractions;

namespace TypedNets.Tests.Training;

/// <summary>
/// Batch normalisation over the features of sequences <c>[steps, features]</c>: against PyTorch's
/// <c>nn.BatchNorm1d</c> on the transposed input (fixtures from reference/pytorch/make_option_fixtures.py) in training
/// and inference, in double and in float; every gradient against central differences; and what a padding mask does.
/// </summary>
public sealed class SequenceBatchNormTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("batch_norm_sequence_train")]
    [InlineData("batch_norm_sequence_eval")]
    public void Sequence_batch_norm_matches_pytorch_in_double(string name)
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name);
        var network = new SequenceBatchNormFixtureNet(3);
        var engine = new SequenceBatchNormFixtureNet.Engine<double>(3, 0);
        Parity.StateDict(network, fixture, "").CopyTo(engine.Parameters, 0);
        Parity.Buffers(network, fixture).CopyTo(engine.Buffers, 0);
        bool training = name.EndsWith("_train", StringComparison.Ordinal);

        double[] input = fixture.Tensor("input");
        Assert.Null(Parity.Mismatch(fixture.Tensor("output"), engine.Forward(input, training).ToArray(), 1e-12, $"{name} output"));
        double[] statistics = training
            ? fixture.Tensor("running_mean_after").Concat(fixture.Tensor("running_var_after")).ToArray()
            : Parity.Buffers(network, fixture);
        Assert.Null(Parity.Mismatch(statistics, engine.Buffers, 1e-12, $"{name} running statistics"));

        engine.ZeroGradients();
        double[] inputGradient = new double[input.Length];
        engine.Backward(fixture.Tensor("output_weights"), inputGradient);
        Assert.Null(Parity.Mismatch(Parity.StateDict(network, fixture, "grad."), engine.Gradients, 1e-10, $"{name} parameter gradients"));
        Assert.Null(Parity.Mismatch(fixture.Tensor("grad.input"), inputGradient, 1e-10, $"{name} input gradient"));
    }

    [Theory]
    [InlineData("batch_norm_sequence_train")]
    [InlineData("batch_norm_sequence_eval")]
    public void Sequence_batch_norm_matches_pytorch_in_float(string name)
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name);
        var network = new SequenceBatchNormFixtureNet(3);
        double[] parameters = Parity.StateDict(network, fixture, "");
        double[] buffers = Parity.Buffers(network, fixture);
        for (int i = 0; i < parameters.Length; i++)
        {
            network.Parameters[i] = (float)parameters[i];
        }

        for (int i = 0; i < buffers.Length; i++)
        {
            network.Buffers[i] = (float)buffers[i];
        }

        bool training = name.EndsWith("_train", StringComparison.Ordinal);
        float[] input = fixture.TensorAsFloat("input");
        Assert.Null(Parity.AbsoluteMismatch(fixture.Tensor("output"), network.Forward(input, training).ToArray(), 1e-5, $"{name} output"));
        if (training)
        {
            double[] after = fixture.Tensor("running_mean_after").Concat(fixture.Tensor("running_var_after")).ToArray();
            Assert.Null(Parity.AbsoluteMismatch(after, network.Buffers.ToArray(), 1e-5, $"{name} running statistics"));
        }

        network.ZeroGradients();
        float[] inputGradient = new float[input.Length];
        network.Backward(fixture.TensorAsFloat("output_weights"), inputGradient);
        Assert.Null(Parity.AbsoluteMismatch(Parity.StateDict(network, fixture, "grad."), network.Gradients.ToArray(), 1e-4, $"{name} parameter gradients"));
        Assert.Null(Parity.AbsoluteMismatch(fixture.Tensor("grad.input"), inputGradient, 1e-4, $"{name} input gradient"));
    }

    [Fact]
    public void Sequence_batch_norm_keeps_one_statistic_per_feature_under_pytorchs_names()
    {
        var network = new SequenceBatchNormFixtureNet(1);

        Assert.Equal(["norm.weight", "norm.bias"], network.Layers.SelectMany(layer => layer.Parameters).Select(tensor => tensor.Name));
        Assert.Equal(["norm.running_mean", "norm.running_var"], network.Layers.SelectMany(layer => layer.Buffers).Select(tensor => tensor.Name));
        Assert.Equal([6], network.Norm.Weight.Shape.ToArray());
        Assert.Equal([6], network.Norm.RunningMean.Shape.ToArray());
        Assert.Equal([4, 6], network.Norm.OutputShape.ToArray());
        Assert.Equal(0.2, network.Norm.Momentum);
        Assert.Equal(1e-3, network.Norm.Epsilon);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Backward_matches_central_differences(bool training)
    {
        var engine = new SequenceBatchNormGradientNet.Engine<double>(3, 5);
        GradientCheck.Report report = GradientCheck.Run(engine, batch: 3, training, seed: 29);
        output.WriteLine($"training {training}: {report.Checked} gradients, worst relative error {report.WorstRelativeError:E2} at {report.Where}");
        Assert.True(report.WorstRelativeError <= 1e-6, $"worst relative error {report.WorstRelativeError:E2} at {report.Where}");
    }

    [Fact]
    public void The_padding_mask_passes_through_so_the_recurrent_layer_after_it_skips_padded_steps()
    {
        // In inference batch normalisation acts on each value alone, so the padding embedding (row 0) can reach the
        // output only through steps the GRU should skip.
        var network = new MaskedSequenceBatchNormNet(2, seed: 3);
        float[] tokens = [3, 5, 0, 0, 0, 7, 2, 4, 0, 0];
        float[] before = network.Forward(tokens, training: false).ToArray();
        ChangePaddingEmbedding(network);

        Assert.Equal(before, network.Forward(tokens, training: false).ToArray());
    }

    [Fact]
    public void Padded_steps_are_counted_in_the_training_statistics_as_pytorch_counts_every_position()
    {
        var network = new MaskedSequenceBatchNormNet(2, seed: 3);
        float[] tokens = [3, 5, 0, 0, 0, 7, 2, 4, 0, 0];
        float[] before = network.Forward(tokens, training: true).ToArray();
        ChangePaddingEmbedding(network);
        float[] after = network.Forward(tokens, training: true).ToArray();

        Assert.True(
            before.Zip(after).Any(pair => Math.Abs(pair.First - pair.Second) > 1e-3f),
            "the padding embedding changed but the training output did not: padded steps were left out of the statistics");
    }

    private static void ChangePaddingEmbedding(MaskedSequenceBatchNormNet network)
    {
        Span<float> padding = network.Embedding.Weight.Values.Slice(0, 3);
        padding[0] += 2f;
        padding[1] -= 3f;
        padding[2] += 1.5f;
    }
}
