using System;
using System.Linq;
using FashionMnist;
using TypedNets.Optimizers;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;
using TypedNets.Tests.Reference;
using Xunit.Abstractions;

namespace TypedNets.Tests;

/// <summary>
/// Residual blocks, blocks used as layers and repeated, and skip connections (Add, Concatenate, From): the backward
/// pass against central differences in double (a tensor read by several layers must get the sum of their
/// gradients), and a torchvision-style ResNet against PyTorch through five Adam steps (fixture resnet_tiny).
/// </summary>
public sealed class GraphTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-6;

    [Theory]
    [InlineData(nameof(SmoothResNet), true)]
    [InlineData(nameof(SmoothResNet), false)]
    [InlineData(nameof(InputResidualNet), true)]
    [InlineData(nameof(SkipDenseNet), true)]
    [InlineData(nameof(TwoShapesNet), true)]
    [InlineData(nameof(TinyInception), true)]
    [InlineData(nameof(TinyInception), false)]
    public void Backward_matches_central_differences(string network, bool training)
    {
        IEngine<double> engine = network switch
        {
            nameof(SmoothResNet) => new SmoothResNet.Engine<double>(3, 5),
            nameof(InputResidualNet) => new InputResidualNet.Engine<double>(3, 5),
            nameof(SkipDenseNet) => new SkipDenseNet.Engine<double>(3, 5),
            nameof(TwoShapesNet) => new TwoShapesNet.Engine<double>(3, 5),
            _ => new TinyInception.Engine<double>(3, 5),
        };

        // Away from BatchNorm's initial scale 1 and shift 0, so that those gradients are not special cases.
        var random = new Xoshiro256(23);
        for (int i = 0; i < engine.Parameters.Length; i++)
        {
            engine.Parameters[i] += random.NextDouble(-0.2, 0.2);
        }

        GradientCheck.Report report = GradientCheck.Run(engine, batch: 3, training, seed: 19);
        output.WriteLine($"{network} (training {training}): {report.Checked} gradients, worst relative error {report.WorstRelativeError:E2} at {report.Where}");
        Assert.True(report.WorstRelativeError <= Tolerance, $"{network}: worst relative error {report.WorstRelativeError:E2} at {report.Where}");
    }

    [Fact]
    public void Parameters_are_named_as_pytorch_nests_modules()
    {
        var network = new TinyResNet(maxBatch: 4);
        string[] names = network.Layers.SelectMany(layer => layer.Parameters).Select(tensor => tensor.Name).ToArray();
        Assert.Equal(
        [
            "conv1.weight", "bn1.weight", "bn1.bias",
            "layer1.0.conv1.weight", "layer1.0.bn1.weight", "layer1.0.bn1.bias", "layer1.0.conv2.weight", "layer1.0.bn2.weight", "layer1.0.bn2.bias",
            "layer2.0.conv1.weight", "layer2.0.bn1.weight", "layer2.0.bn1.bias", "layer2.0.conv2.weight", "layer2.0.bn2.weight", "layer2.0.bn2.bias",
            "layer2.0.downsample.0.weight", "layer2.0.downsample.1.weight", "layer2.0.downsample.1.bias",
            "layer2.1.conv1.weight", "layer2.1.bn1.weight", "layer2.1.bn1.bias", "layer2.1.conv2.weight", "layer2.1.bn2.weight", "layer2.1.bn2.bias",
            "fc.weight", "fc.bias",
        ],
            names);
        Assert.Equal("layer2.0.downsample.0.weight", network.Layer2.First.Downsample.Conv.Weight.Name);
        Assert.Equal("layer2.1.bn2.running_var", network.Layer2.Rest[0].Bn2.RunningVariance.Name);
        Assert.Equal("layer1.0.conv1.weight", network.Layer1[0].Conv1.Weight.Name);
        Assert.Equal([4, 2, 1, 1], network.Layer2.First.Downsample.Conv.Weight.Shape.ToArray());
    }

    [Fact]
    public void Each_layer_names_the_layers_it_reads()
    {
        var inception = new TinyInception(maxBatch: 2);
        Assert.Equal(
        [
            "stem <- input", "branch1 <- stem", "branch2.reduce <- stem", "branch2.conv <- branch2.reduce", "branch3 <- stem",
            "merge <- branch1, branch2.conv, branch3", "norm <- merge", "flat <- norm", "output <- flat",
        ],
            inception.Layers.Select(layer => $"{layer.Name} <- {string.Join(", ", layer.Sources)}"));

        var skip = new SkipDenseNet(maxBatch: 2);
        Assert.Equal(["hidden", "stem"], skip.Join.Sources);
        Assert.Equal(["stem", "wide", "join"], skip.Merge.Inputs);
        Assert.Equal(["join"], skip.Wide.Sources);
    }

    [Fact]
    public void A_block_used_on_two_shapes_has_weights_of_each_shape()
    {
        var network = new TwoShapesNet(maxBatch: 2);
        Assert.Equal("first.reduce.weight", network.First.Reduce.Weight.Name);
        Assert.Equal([3, 6], network.First.Reduce.Weight.Shape.ToArray());
        Assert.Equal("second.reduce.weight", network.Second.Reduce.Weight.Name);
        Assert.Equal([3, 5], network.Second.Reduce.Weight.Shape.ToArray());
        Assert.Equal([5], network.Second.Reduce.InputShape.ToArray());
    }

    [Fact]
    public void Pytorch_state_dict_of_the_residual_network_loads_one_to_one()
    {
        // PyTorch's own safetensors file (num_batches_tracked included) after the fixture's five Adam steps.
        ReferenceFixture fixture = ReferenceFixture.PyTorch("resnet_tiny");
        var network = new TinyResNet(maxBatch: 4);
        SafeTensors.Load(network, System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "safetensors", "resnet_tiny.safetensors"));

        Assert.Null(Parity.AbsoluteMismatch(Parity.StateDict(network, fixture, "final."), network.Parameters.ToArray(), 1e-6, "parameters"));
        double[] buffers = network.Layers.SelectMany(layer => layer.Buffers).SelectMany(buffer => fixture.Tensor("final." + buffer.Name)).ToArray();
        Assert.Null(Parity.AbsoluteMismatch(buffers, network.Buffers.ToArray(), 1e-6, "running statistics"));
    }

    [Fact]
    public void Readme_resnet_has_the_state_dict_of_its_pytorch_module()
    {
        // Counted from the PyTorch module (torchvision's BasicBlock at 16, 32, 64 channels, two a stage, fc 64 -> 10).
        var network = new FashionResNet(maxBatch: 2);
        Assert.Equal(174_970, FashionResNet.ParameterCount);
        Assert.Equal(1_120, network.Buffers.Length);
        string[] names = network.Layers.SelectMany(layer => layer.Parameters.Select(tensor => tensor.Name).Concat(layer.Buffers.Select(buffer => buffer.Name))).ToArray();
        Assert.Equal(77, names.Length);
        Assert.Equal(["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "layer1.0.conv1.weight"], names[..6]);
        Assert.Contains("layer3.0.downsample.1.running_var", names);
        Assert.Equal(["layer3.1.bn2.running_mean", "layer3.1.bn2.running_var", "fc.weight", "fc.bias"], names[^4..]);
        Assert.Equal([10], FashionResNet.OutputShape.ToArray());
    }

    [Fact]
    public void Residual_network_matches_pytorch_through_five_adam_steps()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("resnet_tiny");
        var network = new TinyResNet(maxBatch: 4);
        var engine = new TinyResNet.Engine<double>(4, 0);
        Parity.StateDict(network, fixture, "").CopyTo(engine.Parameters, 0);
        Parity.Buffers(network, fixture).CopyTo(engine.Buffers, 0);

        double[] input = fixture.Tensor("input");
        double[] target = fixture.Tensor("target");
        Assert.Null(Parity.Mismatch(fixture.Tensor("logits"), engine.Forward(input, training: true), 1e-12, "logits"));
        engine.ZeroGradients();
        double[] inputGradient = new double[input.Length];
        double loss = engine.LossBackward(target, LossKind.CrossEntropy, inputGradient);
        Assert.Null(Parity.Mismatch([fixture.Scalar("loss")], [loss], 1e-12, "loss"));
        Assert.Null(Parity.Mismatch(Parity.StateDict(network, fixture, "grad."), engine.Gradients, 1e-10, "parameter gradients"));
        Assert.Null(Parity.Mismatch(fixture.Tensor("grad.input"), inputGradient, 1e-10, "input gradient"));

        // Again from the recorded state: the forward pass above moved the running statistics, as PyTorch's did.
        Parity.StateDict(network, fixture, "").CopyTo(engine.Parameters, 0);
        Parity.Buffers(network, fixture).CopyTo(engine.Buffers, 0);
        var adam = new Adam<double>(learningRate: 0.01);
        double[] losses = new double[5];
        for (int step = 0; step < 5; step++)
        {
            engine.ZeroGradients();
            engine.Forward(input, training: true);
            losses[step] = engine.LossBackward(target, LossKind.CrossEntropy, default);
            adam.Step(engine.Parameters, engine.Gradients);
        }

        Assert.Null(Parity.Mismatch(fixture.Tensor("adam_losses"), losses, 1e-10, "Adam losses"));
        Assert.Null(Parity.Mismatch(Parity.StateDict(network, fixture, "final."), engine.Parameters, 1e-9, "weights after 5 Adam steps"));
        double[] finalBuffers = network.Layers.SelectMany(layer => layer.Buffers).SelectMany(buffer => fixture.Tensor("final." + buffer.Name)).ToArray();
        Assert.Null(Parity.Mismatch(finalBuffers, engine.Buffers, 1e-9, "running statistics after 5 Adam steps"));
    }

    [Fact]
    public void Float_residual_network_matches_pytorch()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("resnet_tiny");
        var network = new TinyResNet(maxBatch: 4);
        double[] state = Parity.StateDict(network, fixture, "");
        for (int i = 0; i < state.Length; i++)
        {
            network.Parameters[i] = (float)state[i];
        }

        double[] buffers = Parity.Buffers(network, fixture);
        for (int i = 0; i < buffers.Length; i++)
        {
            network.Buffers[i] = (float)buffers[i];
        }

        float[] input = fixture.TensorAsFloat("input");
        Assert.Null(Parity.AbsoluteMismatch(fixture.Tensor("logits"), network.Forward(input, training: true).ToArray(), 1e-5, "logits"));
        network.ZeroGradients();
        float loss = network.LossBackward(fixture.TensorAsFloat("target"), LossKind.CrossEntropy);
        Assert.True(Math.Abs(loss - fixture.Scalar("loss")) <= 1e-5, $"loss {loss:R}, PyTorch {fixture.Scalar("loss"):R}");
        Assert.Null(Parity.AbsoluteMismatch(Parity.StateDict(network, fixture, "grad."), network.Gradients.ToArray(), 1e-4, "parameter gradients"));
    }
}
