using System;
using System.Collections.Generic;
using System.Linq;
using TypedNets.Optimizers;
using TypedNets.Tests.Networks;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Training;

/// <summary>
/// Embedding, LSTM, GRU, pooling and per-step dense layers, and the tutorial's text classifier, against PyTorch
/// (fixtures from reference/pytorch/make_sequence_fixtures.py): outputs and every gradient of L = sum(output * R).
/// </summary>
public sealed class SequenceParityTests
{
    public static TheoryData<string> LayerFixtures => new()
    {
        "embedding", "lstm_last", "lstm_sequences", "gru_last", "gru_sequences", "pooling_average", "pooling_max", "dense_per_step",
    };

    [Theory]
    [MemberData(nameof(LayerFixtures))]
    public void Layer_matches_pytorch_in_double(string name)
    {
        (INetwork network, IEngine<double> engine) = Create(name);
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name.StartsWith("pooling", StringComparison.Ordinal) ? "pooling" : name);
        string suffix = name switch { "pooling_average" => ".average", "pooling_max" => ".max", _ => "" };
        double[] stateDict = Parity.StateDict(network, fixture, prefix: "");
        stateDict.CopyTo(engine.Parameters, 0);

        double[] input = fixture.Tensor("input");
        double[] output = engine.Forward(input, training: false).ToArray();
        Assert.Null(Parity.Mismatch(fixture.Tensor(suffix == "" ? "output" : suffix.TrimStart('.')), output, 1e-12, $"{name} output"));

        engine.ZeroGradients();
        bool tokens = name == "embedding";
        double[] inputGradient = new double[tokens ? 0 : input.Length];
        engine.Backward(fixture.Tensor("output_weights" + suffix), inputGradient);
        Assert.Null(Parity.Mismatch(Parity.StateDict(network, fixture, prefix: "grad."), engine.Gradients, 1e-10, $"{name} parameter gradients"));
        if (!tokens)
        {
            Assert.Null(Parity.Mismatch(fixture.Tensor("grad.input" + suffix), inputGradient, 1e-10, $"{name} input gradient"));
        }
    }

    [Theory]
    [MemberData(nameof(LayerFixtures))]
    public void Layer_matches_pytorch_in_float(string name)
    {
        (INetwork network, _) = Create(name);
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name.StartsWith("pooling", StringComparison.Ordinal) ? "pooling" : name);
        string suffix = name switch { "pooling_average" => ".average", "pooling_max" => ".max", _ => "" };
        double[] stateDict = Parity.StateDict(network, fixture, prefix: "");
        for (int i = 0; i < stateDict.Length; i++)
        {
            network.Parameters[i] = (float)stateDict[i];
        }

        float[] input = fixture.TensorAsFloat("input");
        float[] output = network.Forward(input, training: false).ToArray();
        Assert.Null(Parity.AbsoluteMismatch(fixture.Tensor(suffix == "" ? "output" : suffix.TrimStart('.')), output, 1e-5, $"{name} output"));

        network.ZeroGradients();
        bool tokens = name == "embedding";
        float[] inputGradient = new float[tokens ? 0 : input.Length];
        network.Backward(fixture.TensorAsFloat("output_weights" + suffix), inputGradient);
        Assert.Null(Parity.AbsoluteMismatch(Parity.StateDict(network, fixture, prefix: "grad."), network.Gradients.ToArray(), 1e-4, $"{name} parameter gradients"));
        if (!tokens)
        {
            Assert.Null(Parity.AbsoluteMismatch(fixture.Tensor("grad.input" + suffix), inputGradient, 1e-4, $"{name} input gradient"));
        }
    }

    [Fact]
    public void Text_classifier_matches_pytorch_with_five_adam_steps()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("text_classifier_tiny");
        var network = new TinyTextClassifier(maxBatch: 4);
        var engine = new TinyTextClassifier.Engine<double>(4, 0);
        Parity.StateDict(network, fixture, prefix: "").CopyTo(engine.Parameters, 0);
        double[] tokens = fixture.Tensor("input");
        double[] target = fixture.Tensor("target");

        Assert.Null(Parity.Mismatch(fixture.Tensor("probabilities"), engine.Forward(tokens, training: false).ToArray(), 1e-12, "probabilities"));
        engine.ZeroGradients();
        double loss = engine.LossBackward(target, LossKind.CrossEntropy, default);
        Assert.Null(Parity.Mismatch([fixture.Scalar("loss")], [loss], 1e-12, "loss"));
        Assert.Null(Parity.Mismatch(Parity.StateDict(network, fixture, prefix: "grad."), engine.Gradients, 1e-10, "gradients"));

        // PyTorch took its steps in eval mode (dropout off); so does this.
        var adam = new Adam<double>(learningRate: 0.01);
        double[] losses = new double[5];
        engine.ZeroGradients();
        for (int step = 0; step < 5; step++)
        {
            engine.ZeroGradients();
            engine.Forward(tokens, training: false);
            losses[step] = engine.LossBackward(target, LossKind.CrossEntropy, default);
            adam.Step(engine.Parameters, engine.Gradients);
        }

        Assert.Null(Parity.Mismatch(fixture.Tensor("adam_losses"), losses, 1e-10, "Adam losses"));
        Assert.Null(Parity.Mismatch(Parity.StateDict(network, fixture, prefix: "final."), engine.Parameters, 1e-9, "weights after five Adam steps"));
    }

    private static (INetwork Network, IEngine<double> Engine) Create(string name) => name switch
    {
        "embedding" => (new EmbeddingFixtureNet(3), new EmbeddingFixtureNet.Engine<double>(3, 0)),
        "lstm_last" => (new LstmLastFixtureNet(3), new LstmLastFixtureNet.Engine<double>(3, 0)),
        "lstm_sequences" => (new LstmSequencesFixtureNet(3), new LstmSequencesFixtureNet.Engine<double>(3, 0)),
        "gru_last" => (new GruLastFixtureNet(3), new GruLastFixtureNet.Engine<double>(3, 0)),
        "gru_sequences" => (new GruSequencesFixtureNet(3), new GruSequencesFixtureNet.Engine<double>(3, 0)),
        "pooling_average" => (new AveragePoolingFixtureNet(3), new AveragePoolingFixtureNet.Engine<double>(3, 0)),
        "pooling_max" => (new MaxPoolingFixtureNet(3), new MaxPoolingFixtureNet.Engine<double>(3, 0)),
        "dense_per_step" => (new DensePerStepFixtureNet(3), new DensePerStepFixtureNet.Engine<double>(3, 0)),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such fixture."),
    };
}
