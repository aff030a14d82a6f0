using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using TypedNets.Kernels;
using TypedNets.Optimizers;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;
using TypedNets.Tests.Reference;
using TypedNets.Tests.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace TypedNets.Tests;

/// <summary>
/// nanoGPT declared with its own module names (<see cref="NanoGpt"/>: <c>[Block]</c>s whose residual adds read the
/// block's input through <see cref="BlockAttribute.Input"/>, and <c>lm_head</c> tied to <c>transformer.wte</c> by the
/// dotted path <c>"Transformer.Wte"</c>) against PyTorch's <c>gpt_tiny</c> (reference/pytorch/make_gpt_fixtures.py):
/// its state_dict loads by name, and the network gives PyTorch's logits, loss, every gradient and five AdamW steps with
/// nanoGPT's two parameter groups and gradient clipping. Gradient checks in double cover the block on its own.
/// </summary>
public sealed class GptParityTests(ITestOutputHelper output)
{
    private static readonly ReferenceFixture Fixture = ReferenceFixture.PyTorch("gpt_tiny");

    private const int Vocabulary = 11, Batch = 3, Steps = 5;

    // nanoGPT's state_dict names for 2 layers, in its order (lm_head.weight left out: it is transformer.wte.weight).
    private static readonly string[] StateNames =
    [
        "transformer.wte.weight", "transformer.wpe.weight",
        .. Enumerable.Range(0, 2).SelectMany(layer => new[] { "ln_1", "attn.c_attn", "attn.c_proj", "ln_2", "mlp.c_fc", "mlp.c_proj" }
            .SelectMany(module => new[] { $"transformer.h.{layer}.{module}.weight", $"transformer.h.{layer}.{module}.bias" })),
        "transformer.ln_f.weight", "transformer.ln_f.bias",
    ];

    // Every tensor of the network, by name, with its place in the parameter buffer (the same in every element type).
    private static Dictionary<string, ParameterTensor> Tensors(NanoGpt network)
        => network.Layers.SelectMany(layer => layer.Parameters).ToDictionary(tensor => tensor.Name);

    [Fact]
    public void The_networks_tensors_are_nanogpts_state_dict_names_with_the_head_tied()
    {
        var network = new NanoGpt(maxBatch: Batch, seed: 1);
        Assert.Equal(StateNames, network.Layers.SelectMany(layer => layer.Parameters).Select(tensor => tensor.Name));
        Assert.Same(network.Transformer.Wte, network.Lm_head.TiedTo);
        Assert.Same(network.Transformer.Wte.Weight, network.Lm_head.Weight);
        Assert.Equal(NanoGpt.ParameterCount, StateNames.Sum(name => Fixture.Tensor(name).Length));
    }

    [Fact]
    public void A_pytorch_state_dict_with_lm_head_loads_by_name_and_gives_pytorchs_logits()
    {
        var network = new NanoGpt(maxBatch: Batch, seed: 1);
        SafeTensors.Load(network, StateDictFile(withLmHead: true));

        Dictionary<string, ParameterTensor> tensors = Tensors(network);
        foreach (string name in StateNames)
        {
            Assert.Equal(Fixture.TensorAsFloat(name), tensors[name].Values.ToArray());
        }

        int[] ids = Fixture.Ints("input");
        double[] expected = Fixture.Tensor("logits");
        double worst = 0;
        for (int sample = 0; sample < Batch; sample++)
        {
            NanoGpt.Prediction logits = network.Predict(NanoGpt.Sample.From(ids.AsSpan(sample * Steps, Steps)));
            for (int i = 0; i < Steps * Vocabulary; i++)
            {
                worst = Math.Max(worst, Math.Abs(logits[i] - expected[(sample * Steps * Vocabulary) + i]));
            }
        }

        output.WriteLine($"largest logit difference {worst:E2}");
        Assert.True(worst <= 1e-5, $"largest logit difference {worst:E2}");
    }

    [Fact]
    public void The_logits_loss_and_every_gradient_are_pytorchs_in_double()
    {
        NanoGpt.Engine<double> engine = EngineWithFixtureWeights(out Dictionary<string, ParameterTensor> tensors);
        double[] logits = engine.Forward(Fixture.Tensor("input"), training: true).ToArray();
        AssertClose(Fixture.Tensor("logits"), logits, 1e-10, "logits");

        double[] dLogits = new double[logits.Length];
        double loss = LossKernel.CrossEntropyFromLogits<double>(logits, Fixture.Tensor("target"), dLogits, Vocabulary, ignoreIndex: -1);
        Assert.Equal(Fixture.Scalar("loss"), loss, 1e-12);

        engine.ZeroGradients();
        engine.Backward(dLogits, []);
        foreach (string name in StateNames)
        {
            ParameterTensor tensor = tensors[name];
            // transformer.wte.weight's gradient is the sum of the embedding's and lm_head's uses.
            AssertClose(Fixture.Tensor("grad." + name), engine.Gradients.AsSpan(tensor.Offset, tensor.Length).ToArray(), 1e-10, "grad." + name);
        }
    }

    [Fact]
    public void Five_adamw_steps_with_nanogpts_groups_and_clipping_are_pytorchs()
    {
        NanoGpt.Engine<double> engine = EngineWithFixtureWeights(out Dictionary<string, ParameterTensor> tensors);
        var optimizer = new AdamW<double>(learningRate: 0.01, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.1);
        // nanoGPT's configure_optimizers: decay the tensors of two or more dimensions, not the biases and norm weights.
        optimizer.ExcludeFromWeightDecay(tensors.Values.Where(tensor => tensor.Shape.Length < 2));

        double[] input = Fixture.Tensor("input"), target = Fixture.Tensor("target");
        double[] expectedLosses = Fixture.Tensor("adamw_losses");
        double[] dLogits = new double[Batch * Steps * Vocabulary];
        for (int step = 0; step < expectedLosses.Length; step++)
        {
            ReadOnlySpan<double> logits = engine.Forward(input, training: true);
            double loss = LossKernel.CrossEntropyFromLogits<double>(logits, target, dLogits, Vocabulary, ignoreIndex: -1);
            Assert.True(Math.Abs(expectedLosses[step] - loss) <= 1e-10, $"step {step}: loss {loss:R}, PyTorch {expectedLosses[step]:R}");
            engine.ZeroGradients();
            engine.Backward(dLogits, []);
            GradientClipping.ClipByGlobalNorm<double>(engine.Gradients, 1.0);
            optimizer.Step(engine.Parameters, engine.Gradients);
        }

        foreach (string name in StateNames)
        {
            ParameterTensor tensor = tensors[name];
            AssertClose(Fixture.Tensor("final." + name), engine.Parameters.AsSpan(tensor.Offset, tensor.Length).ToArray(), 1e-9, "final." + name);
        }
    }

    public static TheoryData<string> BlockNetworks => new() { nameof(GptBlockNet), nameof(GptBlockOnInputNet), nameof(InputSkipNet), nameof(GrowthNet) };

    [Theory]
    [MemberData(nameof(BlockNetworks))]
    public void Backward_matches_central_differences(string network)
    {
        // GptBlockOnInputNet, InputSkipNet and GrowthNet read features, so the input gradient (two readers each) is
        // checked too; GrowthNet concatenates each block's input with its new features.
        (IEngine<double> engine, double[]? tokens) = network switch
        {
            nameof(GptBlockNet) => ((IEngine<double>)new GptBlockNet.Engine<double>(3, 5), (double[]?)[1, 4, 4, 6, 0, 3, 3, 0, 2, 5, 6, 2, 5, 1, 1]),
            nameof(GptBlockOnInputNet) => (new GptBlockOnInputNet.Engine<double>(3, 5), null),
            nameof(InputSkipNet) => (new InputSkipNet.Engine<double>(3, 5), null),
            _ => (new GrowthNet.Engine<double>(3, 5), null),
        };
        RandomizeNormAndBiases(engine.Parameters, seed: 7);
        GradientCheck.Report report = GradientCheck.Run(engine, batch: 3, training: true, seed: 13, tokens);
        output.WriteLine($"{network}: {report.Checked} gradients, worst relative error {report.WorstRelativeError:E2} at {report.Where}");
        Assert.Equal(engine.Parameters.Length + (tokens is null ? 3 * engine.InputSize : 0), report.Checked);
        Assert.True(report.WorstRelativeError <= 1e-6, $"{network}: worst relative error {report.WorstRelativeError:E2} at {report.Where}");
    }

    [Fact]
    public void The_block_input_gradient_is_the_sum_of_its_two_readers()
    {
        // y = tanh(W x + b) + x: dL/dx = Wᵀ (dy * (1 - h²)) + dy, checked against a direct computation.
        var engine = new InputSkipNet.Engine<double>(1, 3);
        var random = new Xoshiro256(4);
        double[] x = GradientCheck.Fill(6, ref random, 1.0);
        double[] dOutput = GradientCheck.Fill(2, ref random, 1.0);
        engine.Forward(x, training: true);
        engine.ZeroGradients();
        double[] dx = new double[6];
        engine.Backward(dOutput, dx);

        double[] p = engine.Parameters;
        // Hidden: weight [6, 6] then bias [6]; Output: weight [2, 6] then bias [2].
        double[] hidden = new double[6], skip = new double[6];
        for (int j = 0; j < 6; j++)
        {
            double z = p[36 + j];
            for (int i = 0; i < 6; i++)
            {
                z += p[(j * 6) + i] * x[i];
            }

            hidden[j] = Math.Tanh(z);
            skip[j] = hidden[j] + x[j];
        }

        double[] dSkip = new double[6];
        for (int j = 0; j < 6; j++)
        {
            dSkip[j] = (dOutput[0] * p[42 + j]) + (dOutput[1] * p[48 + j]);
        }

        for (int i = 0; i < 6; i++)
        {
            double expected = dSkip[i];
            for (int j = 0; j < 6; j++)
            {
                expected += p[(j * 6) + i] * dSkip[j] * (1 - (hidden[j] * hidden[j]));
            }

            Assert.Equal(expected, dx[i], 12);
        }
    }

    // Layer norms start at weight 1 and bias 0 and biases at 0: values away from those make every gradient count.
    private static void RandomizeNormAndBiases(double[] parameters, ulong seed)
    {
        var random = new Xoshiro256(seed);
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] += random.NextDouble(-0.1, 0.1);
        }
    }

    private static NanoGpt.Engine<double> EngineWithFixtureWeights(out Dictionary<string, ParameterTensor> tensors)
    {
        tensors = Tensors(new NanoGpt(maxBatch: 1, seed: 1));
        var engine = new NanoGpt.Engine<double>(Batch, 2);
        foreach (string name in StateNames)
        {
            double[] values = Fixture.Tensor(name);
            Assert.Equal(values.Length, tensors[name].Length);
            values.CopyTo(engine.Parameters, tensors[name].Offset);
        }

        return engine;
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"{what}[{i}] = {actual[i]:R}, PyTorch {expected[i]:R}");
        }
    }

    // gpt_tiny's tensors as F32 in a safetensors file, in state_dict order; with lm_head.weight too, as PyTorch's
    // state_dict() of nanoGPT lists the tied matrix under both names.
    private static byte[] StateDictFile(bool withLmHead)
    {
                var values = new List<float>();
        var entries = new List<string>();
        void Add(string name, string source)
        {
            (double[] data, int[] shape) = Fixture.TensorWithShape(source);
            int begin = values.Count * 4;
            values.AddRange(data.Select(value => (float)value));
            entries.Add(string.Create(CultureInfo.InvariantCulture,
                $"\"{name}\":{{\"dtype\":\"F32\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{begin},{values.Count * 4}]}}"));
        }

        foreach (string name in StateNames)
        {
            Add(name, name);
        }

        if (withLmHead)
        {
            Add("lm_head.weight", "transformer.wte.weight");
        }

        string header = "{" + string.Join(",", entries) + "}";
        while ((8 + Encoding.UTF8.GetByteCount(header)) % 8 != 0)
        {
            header += " ";
        }

        byte[] data = new byte[values.Count * 4];
        Buffer.BlockCopy(values.ToArray(), 0, data, 0, data.Length);
        return SafeTensorsTesting.Assemble(header, data);
    }
}
