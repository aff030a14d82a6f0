using System;
using TypedNets.Optimizers;
using TypedNets.Tests.Networks;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Training;

/// <summary>Whole networks against PyTorch: outputs, loss, every gradient, then ten optimizer steps (fixtures mlp_tiny*).</summary>
public sealed class PyTorchNetworkTests
{
    private static readonly string[] StateDict = ["hidden.weight", "hidden.bias", "output.weight", "output.bias"];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Cross_entropy_network_matches_pytorch(bool softmaxInside)
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("mlp_tiny");
        IEngine<double> engine = softmaxInside ? new TinyMlpSoftmax.Engine<double>(6, 0) : new TinyMlp.Engine<double>(6, 0);
        LoadStateDict(engine, fixture, prefix: "");

        double[] output = engine.Forward(fixture.Tensor("input"), training: false).ToArray();
        Assert.Null(Parity.Mismatch(fixture.Tensor(softmaxInside ? "probabilities" : "logits"), output, 1e-12, "output"));

        engine.ZeroGradients();
        double[] inputGradient = new double[24];
        double loss = engine.LossBackward(fixture.Tensor("target"), LossKind.CrossEntropy, inputGradient);
        Assert.Null(Parity.Mismatch([fixture.Scalar("loss")], [loss], 1e-12, "loss"));
        Assert.Null(Parity.Mismatch(Concatenate(fixture, "grad."), engine.Gradients, 1e-10, "parameter gradients"));
        Assert.Null(Parity.Mismatch(fixture.Tensor("grad.input"), inputGradient, 1e-10, "input gradient"));

        var adam = new Adam<double>(learningRate: 0.01);
        double[] losses = Train(engine, adam, fixture.Tensor("input"), fixture.Tensor("target"), LossKind.CrossEntropy);
        Assert.Null(Parity.Mismatch(fixture.Tensor("adam_losses"), losses, 1e-10, "Adam losses"));
        Assert.Null(Parity.Mismatch(Concatenate(fixture, "final."), engine.Parameters, 1e-10, "weights after 10 Adam steps"));
    }

    [Fact]
    public void Mse_network_with_sigmoid_output_matches_pytorch()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("mlp_tiny_mse");
        var engine = new TinyMlpMse.Engine<double>(6, 0);
        LoadStateDict(engine, fixture, prefix: "");

        Assert.Null(Parity.Mismatch(fixture.Tensor("output"), engine.Forward(fixture.Tensor("input"), training: false).ToArray(), 1e-12, "output"));
        engine.ZeroGradients();
        double[] inputGradient = new double[24];
        double loss = engine.LossBackward(fixture.Tensor("target"), LossKind.MeanSquaredError, inputGradient);
        Assert.Null(Parity.Mismatch([fixture.Scalar("loss")], [loss], 1e-12, "loss"));
        Assert.Null(Parity.Mismatch(Concatenate(fixture, "grad."), engine.Gradients, 1e-10, "parameter gradients"));
        Assert.Null(Parity.Mismatch(fixture.Tensor("grad.input"), inputGradient, 1e-10, "input gradient"));

        var sgd = new Sgd<double>(learningRate: 0.1, momentum: 0.9);
        double[] losses = Train(engine, sgd, fixture.Tensor("input"), fixture.Tensor("target"), LossKind.MeanSquaredError);
        Assert.Null(Parity.Mismatch(fixture.Tensor("sgd_losses"), losses, 1e-10, "SGD losses"));
        Assert.Null(Parity.Mismatch(Concatenate(fixture, "final."), engine.Parameters, 1e-10, "weights after 10 SGD steps"));
    }

    [Fact]
    public void Float_network_follows_pytorch_within_float_precision()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("mlp_tiny");
        var network = new TinyMlpSoftmax(maxBatch: 6);
        double[] state = Concatenate(fixture, "");
        for (int i = 0; i < state.Length; i++)
        {
            network.Parameters[i] = (float)state[i];
        }

        var adam = new Adam(learningRate: 0.01);
        float[] input = fixture.TensorAsFloat("input");
        float[] target = fixture.TensorAsFloat("target");
        double[] expected = fixture.Tensor("adam_losses");
        for (int step = 0; step < 10; step++)
        {
            double loss = TypedNets.Training.Trainer.Step(network, adam, input, target, LossKind.CrossEntropy);
            Assert.True(Math.Abs(loss - expected[step]) <= 1e-5, $"step {step}: loss {loss:R}, PyTorch {expected[step]:R}");
        }
    }

    private static double[] Train(IEngine<double> engine, Optimizer<double> optimizer, double[] input, double[] target, LossFunction loss)
    {
        double[] losses = new double[10];
        for (int step = 0; step < 10; step++)
        {
            engine.ZeroGradients();
            engine.Forward(input, training: true);
            losses[step] = engine.LossBackward(target, loss, default);
            optimizer.Step(engine.Parameters, engine.Gradients);
        }

        return losses;
    }

    private static void LoadStateDict(IEngine<double> engine, ReferenceFixture fixture, string prefix)
        => Concatenate(fixture, prefix).CopyTo(engine.Parameters, 0);

    // The parameter buffer is the state_dict, tensor after tensor, in declaration order.
    private static double[] Concatenate(ReferenceFixture fixture, string prefix)
    {
        var values = new System.Collections.Generic.List<double>();
        foreach (string name in StateDict)
        {
            values.AddRange(fixture.Tensor(prefix + name));
        }

        return values.ToArray();
    }
}
