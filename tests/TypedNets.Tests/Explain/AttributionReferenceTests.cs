using System;
using System.Collections.Generic;
using System.Text.Json;
using TypedNets.Explain;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Explain;

/// <summary>
/// Every attribution method against reference/pytorch/attributions.py, which computes them in float64 PyTorch from
/// Captum's definitions, on the same float32 weights and inputs.
/// </summary>
/// <remarks>
/// Tolerance: the C# networks run in float32 (unit roundoff 6e-8) through a few dozen operations per value, and
/// Integrated Gradients also rounds each path point to float32, so values of order 0.1-1 agree to about 1e-6; an
/// absolute 2e-5 plus a relative 1e-4 leaves room for that and still fails on any wrong step size, end point, target,
/// window or sign, which move values by 1e-3 or more. SmoothGrad's draws differ from PyTorch's, so it is compared in
/// expectation: the fixture holds the mean over 20,000 draws and the standard deviation s of one draw; the C# mean of
/// n draws may differ from it by 5 s sqrt(1/n + 1/20000) (five standard errors, seeded so the test is repeatable).
/// </remarks>
public sealed class AttributionReferenceTests
{
    private const double Absolute = 2e-5;
    private const double Relative = 1e-4;
    private const int SmoothGradSamples = 2000;

    [Fact]
    public void Mlp_attributions_match_pytorch()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("attributions_mlp");
        var network = new ExplainMlp(maxBatch: 16);
        Load(network, fixture);
        var sample = ExplainMlp.Sample.From(fixture.Floats("input"));
        CheckFloatNetwork(network, sample, fixture);
        AttributionResult occlusion = Attribution.Occlusion(network, sample, window: [2], target: Target(fixture));
        Expect(fixture, "occlusion", occlusion.Values);
    }

    [Fact]
    public void Convnet_attributions_match_pytorch()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("attributions_convnet");
        var network = new ExplainConvNet(maxBatch: 16);
        Load(network, fixture);
        var sample = ExplainConvNet.Sample.From(fixture.Floats("input"));
        CheckFloatNetwork(network, sample, fixture);

        // The fixture's window (1, 3, 3) spans the one channel; [3, 3] says the same, as height and width.
        AttributionResult occlusion = Attribution.Occlusion(network, sample, window: [3, 3], target: Target(fixture), strides: [2, 2]);
        Assert.Equal([1, 6, 6], occlusion.Shape);
        Expect(fixture, "occlusion", occlusion.Values);
        Expect(fixture, "occlusion", Attribution.Occlusion(network, sample, window: [1, 3, 3], target: Target(fixture), strides: [1, 2, 2]).Values);
    }

    [Fact]
    public void Text_attributions_on_the_embedding_match_pytorch_per_token()
    {
        ReferenceFixture fixture = ReferenceFixture.PyTorch("attributions_text");
        var network = new ExplainText(maxBatch: 16);
        Load(network, fixture);
        var sample = ExplainText.Sample.From(fixture.Ints("input"));
        int target = Target(fixture);

        AttributionResult saliency = Attribution.Saliency(network, sample, target);
        Assert.Equal([5], saliency.Shape);
        Assert.Equal([5, 4], saliency.EmbeddingShape!);
        Expect(fixture, "saliency", saliency.Values);
        Expect(fixture, "saliency_embedding", saliency.EmbeddingValues!);
        Expect(fixture, "saliency_signed", Attribution.Saliency(network, sample, target, absolute: false).Values);

        AttributionResult ig = Attribution.IntegratedGradients(network, sample, target, steps: 50);
        Expect(fixture, "integrated_gradients", ig.Values);
        Expect(fixture, "integrated_gradients_embedding", ig.EmbeddingValues!);
        Assert.True(Math.Abs(ig.Delta!.Value - fixture.Scalar("delta")) <= Absolute, $"delta {ig.Delta}, PyTorch {fixture.Scalar("delta")}");

        Expect(fixture, "occlusion", Attribution.Occlusion(network, sample, window: [1], target: target).Values);
        ExpectMean(fixture, "smoothgrad", Attribution.SmoothGrad(network, sample, target, samples: SmoothGradSamples, noise: Stdev(fixture), seed: 5).Values);

        Assert.Equal((int)fixture.ConfigNumber("predicted"), Attribution.Saliency(network, sample).Target);
    }

    private static void CheckFloatNetwork<TSample, TPrediction>(INetwork<TSample, TPrediction> network, TSample sample, ReferenceFixture fixture)
        where TSample : unmanaged
        where TPrediction : unmanaged
    {
        int target = Target(fixture);
        int predicted = (int)fixture.ConfigNumber("predicted");
        Assert.NotEqual(target, predicted); // so that the default target is told apart from the given one

        Expect(fixture, "saliency", Attribution.Saliency(network, sample, target).Values);
        Expect(fixture, "saliency_signed", Attribution.Saliency(network, sample, target, absolute: false).Values);
        AttributionResult byDefault = Attribution.Saliency(network, sample);
        Assert.Equal(predicted, byDefault.Target);
        Expect(fixture, "saliency_predicted", byDefault.Values);

        AttributionResult ig = Attribution.IntegratedGradients(network, sample, target, steps: (int)fixture.ConfigNumber("steps"));
        Assert.Equal(target, ig.Target);
        Expect(fixture, "integrated_gradients", ig.Values);
        Assert.True(Math.Abs(ig.Delta!.Value - fixture.Scalar("delta")) <= Absolute, $"delta {ig.Delta}, PyTorch {fixture.Scalar("delta")}");
        Expect(fixture, "integrated_gradients_predicted", Attribution.IntegratedGradients(network, sample).Values);

        ExpectMean(fixture, "smoothgrad", Attribution.SmoothGrad(network, sample, target, samples: SmoothGradSamples, noise: Stdev(fixture), seed: 3).Values);
        ExpectMean(fixture, "smoothgrad_signed", Attribution.SmoothGrad(network, sample, target, samples: SmoothGradSamples, noise: Stdev(fixture), seed: 4, absolute: false).Values);
    }

    private static int Target(ReferenceFixture fixture) => (int)fixture.ConfigNumber("target");

    private static double Stdev(ReferenceFixture fixture) => fixture.ConfigNumber("smoothgrad_stdev");

    private static void Expect(ReferenceFixture fixture, string name, float[] actual)
    {
        double[] expected = fixture.Tensor(name);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            Assert.True(error <= Absolute + (Relative * Math.Abs(expected[i])), $"{fixture.Name} {name}[{i}]: {actual[i]:R}, PyTorch {expected[i]:R}");
        }
    }

    private static void ExpectMean(ReferenceFixture fixture, string name, float[] actual)
    {
        double[] expected = fixture.Tensor(name);
        double[] spread = fixture.Tensor(name + "_std");
        double draws = fixture.ConfigNumber("smoothgrad_draws");
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double bound = (5 * spread[i] * Math.Sqrt((1.0 / SmoothGradSamples) + (1.0 / draws))) + Absolute;
            Assert.True(Math.Abs(actual[i] - expected[i]) <= bound, $"{fixture.Name} {name}[{i}]: {actual[i]:R}, PyTorch's expectation {expected[i]:R} (bound {bound:E2})");
        }
    }

    // The parameter buffer is the state_dict, tensor after tensor; the fixture lists its keys in that order.
    internal static void Load(INetwork network, ReferenceFixture fixture)
    {
        var values = new List<float>();
        foreach (JsonElement key in fixture.Config("state_dict").EnumerateArray())
        {
            values.AddRange(fixture.Floats(key.GetString()!));
        }

        Assert.Equal(network.Parameters.Length, values.Count);
        values.ToArray().CopyTo(network.Parameters);
    }
}
