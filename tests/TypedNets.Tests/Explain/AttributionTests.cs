using System;
using System.Threading;
using System.Threading.Tasks;
using TypedNets.Compression;
using TypedNets.Explain;
using Xunit.Abstractions;

namespace TypedNets.Tests.Explain;

/// <summary>Integrated Gradients' completeness, saliency against finite differences, batching, and the argument checks.</summary>
public sealed class AttributionTests(ITestOutputHelper output)
{
    [Fact]
    public void Integrated_gradients_add_up_to_the_change_of_the_output_on_an_mlp()
    {
        var network = new ExplainMlp(maxBatch: 8, seed: 11);
        var sample = ExplainMlp.Sample.From([0.9f, -1.3f, 0.4f, 2.1f]);
        var baseline = ExplainMlp.Sample.From([0.1f, 0.2f, -0.3f, 0.0f]);
        for (int target = 0; target < 3; target++)
        {
            AttributionResult ig = Attribution.IntegratedGradients(network, sample, target, baseline, steps: 50);
            CheckCompleteness(ig, network.Predict(sample)[target] - network.Predict(baseline)[target]);
        }
    }

    [Fact]
    public void Integrated_gradients_add_up_to_the_change_of_the_output_on_a_convnet()
    {
        var network = new ExplainPoolNet(maxBatch: 16, seed: 5);
        float[] pixels = new float[64];
        var random = new Random(3);
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (float)random.NextDouble();
        }

        var sample = ExplainPoolNet.Sample.From(pixels);
        AttributionResult ig = Attribution.IntegratedGradients(network, sample);
        Assert.Equal([1, 8, 8], ig.Shape);
        int predicted = ArgMax(network.Predict(sample));
        Assert.Equal(predicted, ig.Target);
        CheckCompleteness(ig, network.Predict(sample)[predicted] - network.Predict(default(ExplainPoolNet.Sample))[predicted]);
    }

    [Fact]
    public void Integrated_gradients_add_up_to_the_change_of_the_output_on_a_text_network()
    {
        var network = new ExplainText(maxBatch: 8, seed: 2);
        var sample = ExplainText.Sample.From([4, 8, 1, 6, 2]);
        var padding = ExplainText.Sample.From([5, 5, 5, 5, 5]);
        for (int target = 0; target < 3; target++)
        {
            AttributionResult ig = Attribution.IntegratedGradients(network, sample, target);
            CheckCompleteness(ig, network.Predict(sample)[target] - network.Predict(default(ExplainText.Sample))[target]);
            AttributionResult fromPadding = Attribution.IntegratedGradients(network, sample, target, padding);
            CheckCompleteness(fromPadding, network.Predict(sample)[target] - network.Predict(padding)[target]);
        }
    }

    [Fact]
    public void Saliency_matches_central_differences_of_the_double_engine()
    {
        var network = new ExplainConvNet(maxBatch: 4, seed: 9);
        var engine = new ExplainConvNet.Engine<double>(1, 0);
        for (int i = 0; i < engine.Parameters.Length; i++)
        {
            engine.Parameters[i] = network.Parameters[i];
        }

        float[] pixels = new float[36];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (float)Math.Sin(i * 0.7);
        }

        var sample = ExplainConvNet.Sample.From(pixels);
        const double h = 1e-5;
        for (int target = 0; target < 3; target++)
        {
            AttributionResult saliency = Attribution.Saliency(network, sample, target, absolute: false);
            AttributionResult magnitude = Attribution.Saliency(network, sample, target);
            double worst = 0;
            for (int i = 0; i < pixels.Length; i++)
            {
                double[] x = Array.ConvertAll(pixels, p => (double)p);
                x[i] += h;
                double up = engine.Forward(x, training: false)[target];
                x[i] -= 2 * h;
                double down = engine.Forward(x, training: false)[target];
                double difference = (up - down) / (2 * h);
                double error = Math.Abs(saliency.Values[i] - difference);
                worst = Math.Max(worst, error);

                // float32 gradients against float64 differences: agreement to float32's roundoff times the size of the values.
                Assert.True(error <= 1e-5 + (1e-4 * Math.Abs(difference)), $"target {target}, pixel {i}: saliency {saliency.Values[i]:R}, central difference {difference:R}");
                Assert.Equal(Math.Abs(saliency.Values[i]), magnitude.Values[i]);
            }

            output.WriteLine($"target {target}: worst error {worst:E2}");
        }
    }

    [Fact]
    public void Results_do_not_depend_on_the_batch_size()
    {
        var small = new ExplainText(maxBatch: 3, seed: 4);
        var large = new ExplainText(maxBatch: 64, seed: 4);
        var sample = ExplainText.Sample.From([1, 2, 3, 4, 5]);
        // The kernels may sum in another order for another batch size, so the results agree to float32's roundoff.
        Close(Attribution.IntegratedGradients(large, sample, 1, steps: 20).Values, Attribution.IntegratedGradients(small, sample, 1, steps: 20).Values);
        Close(Attribution.SmoothGrad(large, sample, 1, samples: 10, seed: 8).Values, Attribution.SmoothGrad(small, sample, 1, samples: 10, seed: 8).Values);
        Close(Attribution.Occlusion(large, sample, [2], 1).Values, Attribution.Occlusion(small, sample, [2], 1).Values);

        static void Close(float[] expected, float[] actual)
        {
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6 + (1e-5 * Math.Abs(expected[i])), $"[{i}]: {actual[i]:R} against {expected[i]:R}");
            }
        }
    }

    [Fact]
    public void More_steps_shrink_the_convergence_delta()
    {
        var network = new ExplainMlp(maxBatch: 8, seed: 13);
        var sample = ExplainMlp.Sample.From([2.5f, -2f, 1.5f, -3f]);
        double coarse = Math.Abs(Attribution.IntegratedGradients(network, sample, 0, steps: 4).Delta!.Value);
        double fine = Math.Abs(Attribution.IntegratedGradients(network, sample, 0, steps: 200).Delta!.Value);
        output.WriteLine($"|delta| at 4 steps {coarse:E2}, at 200 steps {fine:E2}");
        Assert.True(fine < coarse / 100, $"|delta| {fine:E2} at 200 steps against {coarse:E2} at 4");
    }

    [Fact]
    public void The_network_gradients_are_left_as_they_were()
    {
        var network = new ExplainText(maxBatch: 8, seed: 1);
        for (int i = 0; i < network.Gradients.Length; i++)
        {
            network.Gradients[i] = i * 0.001f;
        }

        float[] before = network.Gradients.ToArray();
        var sample = ExplainText.Sample.From([1, 2, 3, 4, 5]);
        Attribution.IntegratedGradients(network, sample);
        Attribution.SmoothGrad(network, sample, samples: 5);
        Assert.Equal(before, network.Gradients.ToArray());
    }

    [Fact]
    public void A_quantised_network_is_explained_by_occlusion_and_refused_by_the_gradient_methods()
    {
        var network = new ExplainMlp(maxBatch: 2, seed: 6).Quantize();
        var sample = ExplainMlp.Sample.From([0.5f, -0.5f, 1f, 2f]);
        var saliency = Assert.Throws<InvalidOperationException>(() => Attribution.Saliency(network, sample));
        Assert.Contains("gradient attributions run through the float backward pass", saliency.Message, StringComparison.Ordinal);
        Assert.Contains("Attribution.Occlusion", saliency.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => Attribution.IntegratedGradients(network, sample));
        Assert.Throws<InvalidOperationException>(() => Attribution.SmoothGrad(network, sample));

        AttributionResult occlusion = Attribution.Occlusion(network, sample, [1], target: 2);
        ExplainMlp.Sample occluded = sample;
        occluded[3] = 0;
        Assert.Equal(network.Predict(sample)[2] - network.Predict(occluded)[2], occlusion.Values[3], 6);
    }

    [Fact]
    public void Occlusion_of_a_single_value_is_the_drop_of_the_output()
    {
        var network = new ExplainMlp(maxBatch: 2, seed: 6);
        var sample = ExplainMlp.Sample.From([0.5f, -0.5f, 1f, 2f]);
        AttributionResult occlusion = Attribution.Occlusion(network, sample, [1], target: 2, baselineValue: 0.25f);
        float full = network.Predict(sample)[2];
        for (int i = 0; i < 4; i++)
        {
            ExplainMlp.Sample occluded = sample;
            occluded[i] = 0.25f;
            Assert.Equal(full - network.Predict(occluded)[2], occlusion.Values[i], 6);
        }
    }

    [Fact]
    public async Task Gradient_methods_refuse_a_network_that_another_thread_trains()
    {
        var network = new ExplainMlp(maxBatch: 2);
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        Task trainer = Task.Run(() =>
        {
            using NetworkAccess.Scope scope = network.Access.Exclusive("Trainer.Fit");
            held.Set();
            release.Wait();
        });
        held.Wait();
        try
        {
            Assert.Throws<InvalidOperationException>(() => Attribution.IntegratedGradients(network, default(ExplainMlp.Sample)));
            Assert.Throws<InvalidOperationException>(() => Attribution.Occlusion(network, default(ExplainMlp.Sample), [1]));
        }
        finally
        {
            release.Set();
            await trainer;
        }
    }

    [Fact]
    public void Bad_arguments_throw_naming_the_parameter()
    {
        var mlp = new ExplainMlp(maxBatch: 2);
        var convnet = new ExplainConvNet(maxBatch: 2);
        var text = new ExplainText(maxBatch: 2);
        ExplainMlp.Sample x = default;
        ExplainConvNet.Sample image = default;
        ExplainText.Sample tokens = ExplainText.Sample.From([1, 2, 3, 4, 5]);

        Assert.Equal("network", Assert.Throws<ArgumentNullException>(() => Attribution.Saliency<ExplainMlp.Sample, ExplainMlp.Prediction>(null!, x)).ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentOutOfRangeException>(() => Attribution.Saliency(mlp, x, target: 3)).ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentOutOfRangeException>(() => Attribution.IntegratedGradients(mlp, x, target: -1)).ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentOutOfRangeException>(() => Attribution.Occlusion(mlp, x, [1], target: 3)).ParamName);
        Assert.Equal("steps", Assert.Throws<ArgumentOutOfRangeException>(() => Attribution.IntegratedGradients(mlp, x, steps: 1)).ParamName);
        Assert.Equal("samples", Assert.Throws<ArgumentOutOfRangeException>(() => Attribution.SmoothGrad(mlp, x, samples: 0)).ParamName);
        Assert.Equal("noise", Assert.Throws<ArgumentOutOfRangeException>(() => Attribution.SmoothGrad(mlp, x, noise: -0.1)).ParamName);
        Assert.Equal("noise", Assert.Throws<ArgumentOutOfRangeException>(() => Attribution.SmoothGrad(mlp, x, noise: double.NaN)).ParamName);
        Assert.Equal("window", Assert.Throws<ArgumentException>(() => Attribution.Occlusion(mlp, x, [5])).ParamName);
        Assert.Equal("window", Assert.Throws<ArgumentException>(() => Attribution.Occlusion(mlp, x, [0])).ParamName);
        Assert.Equal("window", Assert.Throws<ArgumentException>(() => Attribution.Occlusion(convnet, image, [3])).ParamName);
        Assert.Equal("window", Assert.Throws<ArgumentException>(() => Attribution.Occlusion(convnet, image, [7, 2])).ParamName);
        Assert.Equal("window", Assert.Throws<ArgumentNullException>(() => Attribution.Occlusion(convnet, image, null!)).ParamName);
        Assert.Equal("strides", Assert.Throws<ArgumentException>(() => Attribution.Occlusion(convnet, image, [2, 2], strides: [3, 1])).ParamName);
        Assert.Equal("strides", Assert.Throws<ArgumentException>(() => Attribution.Occlusion(convnet, image, [2, 2], strides: [1])).ParamName);
        Assert.Equal("sample", Assert.Throws<ArgumentException>(() => Attribution.Saliency(text, ExplainText.Sample.From([1, 2, 10, 4, 5]))).ParamName);
        Assert.Equal("baseline", Assert.Throws<ArgumentException>(() => Attribution.IntegratedGradients(text, tokens, baseline: ExplainText.Sample.From([0, 0, -1, 0, 0]))).ParamName);
        Assert.Equal("baselineValue", Assert.Throws<ArgumentException>(() => Attribution.Occlusion(text, tokens, [1], baselineValue: 0.5f)).ParamName);
        Assert.Equal("baselineValue", Assert.Throws<ArgumentException>(() => Attribution.Occlusion(text, tokens, [1], baselineValue: 10)).ParamName);
    }

    private void CheckCompleteness(AttributionResult ig, double change)
    {
        double sum = ig.Sum();
        output.WriteLine($"target {ig.Target}: sum {sum:R}, f(x) - f(baseline) {change:R}, delta {ig.Delta:R}");
        Assert.True(Math.Abs(change) > 1e-3, $"f(x) - f(baseline) = {change}: too small to test completeness with");
        Assert.True(Math.Abs(sum - change) < 0.01 * Math.Abs(change), $"sum {sum:R} against f(x) - f(baseline) = {change:R}");

        // The delta is the same difference, computed from the path's ends.
        Assert.True(Math.Abs(ig.Delta!.Value - (sum - change)) <= 1e-5, $"delta {ig.Delta:R}, sum - change {sum - change:R}");
    }

    private static int ArgMax<T>(T prediction)
        where T : unmanaged
    {
        ReadOnlySpan<float> values = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(new ReadOnlySpan<T>(in prediction));
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
