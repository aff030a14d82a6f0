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
        StateDict(network, fixture, "").CopyTo(engine.Parameters, 0);
        Buffers(network, fixture).CopyTo(engine.Buffers, 0);
        bool training = name.EndsWith("_train", StringComparison.Ordinal);

        double[] input = fixture.Tensor("input");
        AssertClose(fixture.Tensor("output"), engine.Forward(input, training).ToArray(), 1e-12, $"{name} output");
        if (training)
        {
            AssertClose(fixture.Tensor("running_mean_after").Concat(fixture.Tensor("running_var_after")).ToArray(), engine.Buffers, 1e-12, $"{name} running statistics");
        }

        engine.ZeroGradients();
        double[] inputGradient = new double[input.Length];
        engine.Backward(fixture.Tensor("output_weights"), inputGradient);
        AssertClose(StateDict(network, fixture, "grad."), engine.Gradients, 1e-10, $"{name} parameter gradients");
        AssertClose(fixture.Tensor("grad.input"), inputGradient, 1e-10, $"{name} input gradient");
    }

    [Theory]
    [MemberData(nameof(LayerFixtures))]
    public void Layer_matches_pytorch_in_float(string name)
    {
        (INetwork network, _) = Create(name);
        ReferenceFixture fixture = ReferenceFixture.PyTorch(name);
        double[] parameters = StateDict(network, fixture, "");
        double[] buffers = Buffers(network, fixture);
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
        AssertAbsolute(fixture.Tensor("output"), network.Forward(input, training).ToArray(), 1e-5, $"{name} output");
        network.ZeroGradients();
        float[] inputGradient = new float[input.Length];
        network.Backward(fixture.TensorAsFloat("output_weights"), inputGradient);
        AssertAbsolute(StateDict(network, fixture, "grad."), network.Gradients.ToArray(), 1e-4, $"{name} parameter gradients");
        AssertAbsolute(fixture.Tensor("grad.input"), inputGradient, 1e-4, $"{name} input gradient");
    }

    [Fact]
    public void Convnet_matches_pytorch_with_five_adam_steps()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("convnet_tiny");
        var network = new TinyConvNet(maxBatch: 4);
        var engine = new TinyConvNet.Engine<double>(4, 0);
        StateDict(network, fixture, "").CopyTo(engine.Parameters, 0);
        double[] input = fixture.Tensor("input");
        double[] target = fixture.Tensor("target");

        AssertClose(fixture.Tensor("probabilities"), engine.Forward(input, training: false).ToArray(), 1e-12, "probabilities");
        engine.ZeroGradients();
        double[] inputGradient = new double[input.Length];
        double loss = engine.LossBackward(target, LossKind.CrossEntropy, inputGradient);
        AssertClose([fixture.Scalar("loss")], [loss], 1e-12, "loss");
        AssertClose(StateDict(network, fixture, "grad."), engine.Gradients, 1e-10, "gradients");
        AssertClose(fixture.Tensor("grad.input"), inputGradient, 1e-10, "input gradient");

        var adam = new Adam<double>(learningRate: 0.01);
        double[] losses = new double[5];
        for (int step = 0; step < 5; step++)
        {
            engine.ZeroGradients();
            engine.Forward(input, training: false);
            losses[step] = engine.LossBackward(target, LossKind.CrossEntropy, default);
            adam.Step(engine.Parameters, engine.Gradients);
        }

        AssertClose(fixture.Tensor("adam_losses"), losses, 1e-10, "Adam losses");
        AssertClose(StateDict(network, fixture, "final."), engine.Parameters, 1e-9, "weights after five Adam steps");
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

    private static double[] StateDict(INetwork network, ReferenceFixture fixture, string prefix)
    {
        var values = new List<double>();
        foreach (ParameterTensor tensor in network.Layers.SelectMany(layer => layer.Parameters))
        {
            (double[] data, int[] shape) = fixture.TensorWithShape(prefix + tensor.Name);
            Assert.Equal(tensor.Shape.ToArray(), shape);
            values.AddRange(data);
        }

        return values.ToArray();
    }

    private static double[] Buffers(INetwork network, ReferenceFixture fixture)
        => network.Layers.SelectMany(layer => layer.Buffers).SelectMany(buffer => fixture.Tensor(buffer.Name)).ToArray();

    private static void AssertClose(double[] expected, ReadOnlySpan<double> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(
                Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"{what}[{i}]: {actual[i]:R}, PyTorch {expected[i]:R}");
        }
    }

    private static void AssertAbsolute(double[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"{what}[{i}]: {actual[i]:R}, PyTorch {expected[i]:R}");
        }
    }
}
