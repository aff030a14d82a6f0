using System;
using System.Collections.Generic;
using System.Linq;
using TypedNets.Optimizers;
using TypedNets.Tests.Networks;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Training;

/// <summary>
/// Conv2D, pooling and batch normalisation, and a small convnet, against PyTorch (fixtures from
/// reference/pytorch/make_image_fixtures.py): outputs, running statistics and every gradient of L = sum(output * R).
/// </summary>
public sealed class ImageParityTests
{
    public static TheoryData<string> LayerFixtures => new()
    {
        "conv2d", "conv2d_stride_padding", "maxpool2d", "avgpool2d", "avgpool2d_stride1", "global_avgpool2d",
        "batchnorm2d_train", "batchnorm2d_eval", "batchnorm1d_train", "batchnorm1d_eval",
    };

    [Theory]
    [MemberData(nameof(LayerFixtures))]
    public void Layer_matches_pytorch_in_double(string name)
    {
        (INetwork network, IEngine<double> engine) = Create(name);
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name);
        Parity.StateDict(network, fixture, "").CopyTo(engine.Parameters, 0);
        Parity.Buffers(network, fixture).CopyTo(engine.Buffers, 0);
        bool training = name.EndsWith("_train", StringComparison.Ordinal);

        double[] input = fixture.Tensor("input");
        Assert.Null(Parity.Mismatch(fixture.Tensor("output"), engine.Forward(input, training).ToArray(), 1e-12, $"{name} output"));
        if (training)
        {
            Assert.Null(Parity.Mismatch(fixture.Tensor("running_mean_after").Concat(fixture.Tensor("running_var_after")).ToArray(), engine.Buffers, 1e-12, $"{name} running statistics"));
        }

        engine.ZeroGradients();
        double[] inputGradient = new double[input.Length];
        engine.Backward(fixture.Tensor("output_weights"), inputGradient);
        Assert.Null(Parity.Mismatch(Parity.StateDict(network, fixture, "grad."), engine.Gradients, 1e-10, $"{name} parameter gradients"));
        Assert.Null(Parity.Mismatch(fixture.Tensor("grad.input"), inputGradient, 1e-10, $"{name} input gradient"));
    }

    [Theory]
    [MemberData(nameof(LayerFixtures))]
    public void Layer_matches_pytorch_in_float(string name)
    {
        (INetwork network, _) = Create(name);
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name);
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
        network.ZeroGradients();
        float[] inputGradient = new float[input.Length];
        network.Backward(fixture.TensorAsFloat("output_weights"), inputGradient);
        Assert.Null(Parity.AbsoluteMismatch(Parity.StateDict(network, fixture, "grad."), network.Gradients.ToArray(), 1e-4, $"{name} parameter gradients"));
        Assert.Null(Parity.AbsoluteMismatch(fixture.Tensor("grad.input"), inputGradient, 1e-4, $"{name} input gradient"));
    }

    [Fact]
    public void Convnet_matches_pytorch_with_five_adam_steps()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("convnet_tiny");
        var network = new TinyConvNet(maxBatch: 4);
        var engine = new TinyConvNet.Engine<double>(4, 0);
        Parity.StateDict(network, fixture, "").CopyTo(engine.Parameters, 0);
        double[] input = fixture.Tensor("input");
        double[] target = fixture.Tensor("target");

        Assert.Null(Parity.Mismatch(fixture.Tensor("probabilities"), engine.Forward(input, training: false).ToArray(), 1e-12, "probabilities"));
        engine.ZeroGradients();
        double[] inputGradient = new double[input.Length];
        double loss = engine.LossBackward(target, LossKind.CrossEntropy, inputGradient);
        Assert.Null(Parity.Mismatch([fixture.Scalar("loss")], [loss], 1e-12, "loss"));
        Assert.Null(Parity.Mismatch(Parity.StateDict(network, fixture, "grad."), engine.Gradients, 1e-10, "gradients"));
        Assert.Null(Parity.Mismatch(fixture.Tensor("grad.input"), inputGradient, 1e-10, "input gradient"));

        var adam = new Adam<double>(learningRate: 0.01);
        double[] losses = new double[5];
        for (int step = 0; step < 5; step++)
        {
            engine.ZeroGradients();
            engine.Forward(input, training: false);
            losses[step] = engine.LossBackward(target, LossKind.CrossEntropy, default);
            adam.Step(engine.Parameters, engine.Gradients);
        }

        Assert.Null(Parity.Mismatch(fixture.Tensor("adam_losses"), losses, 1e-10, "Adam losses"));
        Assert.Null(Parity.Mismatch(Parity.StateDict(network, fixture, "final."), engine.Parameters, 1e-9, "weights after five Adam steps"));
    }

    private static (INetwork Network, IEngine<double> Engine) Create(string name) => name switch
    {
        "conv2d" => (new Conv2DFixtureNet(2), new Conv2DFixtureNet.Engine<double>(2, 0)),
        "conv2d_stride_padding" => (new Conv2DStridePaddingFixtureNet(2), new Conv2DStridePaddingFixtureNet.Engine<double>(2, 0)),
        "maxpool2d" => (new MaxPoolFixtureNet(2), new MaxPoolFixtureNet.Engine<double>(2, 0)),
        "avgpool2d" => (new AvgPoolFixtureNet(2), new AvgPoolFixtureNet.Engine<double>(2, 0)),
        "avgpool2d_stride1" => (new AvgPoolStrideOneFixtureNet(2), new AvgPoolStrideOneFixtureNet.Engine<double>(2, 0)),
        "global_avgpool2d" => (new GlobalAvgPoolFixtureNet(2), new GlobalAvgPoolFixtureNet.Engine<double>(2, 0)),
        "batchnorm2d_train" or "batchnorm2d_eval" => (new BatchNorm2DFixtureNet(4), new BatchNorm2DFixtureNet.Engine<double>(4, 0)),
        "batchnorm1d_train" or "batchnorm1d_eval" => (new BatchNorm1DFixtureNet(6), new BatchNorm1DFixtureNet.Engine<double>(6, 0)),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such fixture."),
    };
}
