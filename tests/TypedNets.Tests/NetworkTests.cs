using System;
using System.Linq;
using TypedNets.Tests.Networks;

namespace TypedNets.Tests;

public sealed class NetworkTests
{
    private static TutorialClassifier.Sample SampleAt(int index)
    {
        var sample = default(TutorialClassifier.Sample);
        for (int i = 0; i < TutorialClassifier.InputSize; i++)
        {
            sample[i] = MathF.Sin((index * 10) + i);
        }

        return sample;
    }

    [Fact]
    public void Parameters_are_laid_out_like_a_pytorch_state_dict()
    {
        var network = new TutorialClassifier(seed: 1);
        Assert.Equal(652, TutorialClassifier.ParameterCount);
        Assert.Equal(TutorialClassifier.ParameterCount, network.Parameters.Length);
        Assert.Equal(network.Parameters.Length, network.Gradients.Length);

        var tensors = network.Layers.SelectMany(layer => layer.Parameters).ToList();
        Assert.Equal(["hidden.weight", "hidden.bias", "output.weight", "output.bias"], tensors.Select(tensor => tensor.Name));
        Assert.Equal([0, 500, 550, 650], tensors.Select(tensor => tensor.Offset));
        Assert.Equal([50, 10], network.Hidden.Weight.Shape.ToArray());
        Assert.Equal([2, 50], network.Output.Weight.Shape.ToArray());

        // The views are views: writing through one is seen in the buffer.
        network.Output.Weight[1, 3] = 42f;
        Assert.Equal(42f, network.Parameters[550 + 50 + 3]);
        Assert.Equal(["Dense", "Dropout", "Dense"], network.Layers.Select(layer => layer.Kind));
        Assert.Equal(0.5, network.Drop.Rate);
    }

    [Fact]
    public void Biases_start_at_zero_and_weights_within_the_initialiser_limits()
    {
        var network = new TutorialClassifier(seed: 3);
        Assert.All(network.Hidden.Bias!.Values.ToArray(), value => Assert.Equal(0f, value));
        float heLimit = MathF.Sqrt(6f / 10);
        Assert.All(network.Hidden.Weight.Values.ToArray(), value => Assert.InRange(value, -heLimit, heLimit));
        float glorotLimit = MathF.Sqrt(6f / 52);
        Assert.All(network.Output.Weight.Values.ToArray(), value => Assert.InRange(value, -glorotLimit, glorotLimit));
    }

    [Fact]
    public void A_seed_fixes_the_weights_and_initialize_restores_them()
    {
        float[] first = new TutorialClassifier(seed: 5).Parameters.ToArray();
        var network = new TutorialClassifier(seed: 5);
        Assert.Equal(first, network.Parameters.ToArray());
        Assert.NotEqual(first, new TutorialClassifier(seed: 6).Parameters.ToArray());

        network.Parameters.Fill(0.25f);
        network.Initialize(5);
        Assert.Equal(first, network.Parameters.ToArray());
    }

    [Fact]
    public void Float_and_double_engines_agree()
    {
        var single = new TutorialClassifier.Engine<float>(4, seed: 8);
        var twin = new TutorialClassifier.Engine<double>(4, seed: 8);
        for (int i = 0; i < single.Parameters.Length; i++)
        {
            Assert.Equal((float)twin.Parameters[i], single.Parameters[i]);
        }

        float[] input = Enumerable.Range(0, 40).Select(i => MathF.Cos(i)).ToArray();
        float[] outputs = single.Forward(input, training: false).ToArray();
        double[] reference = twin.Forward(input.Select(value => (double)value).ToArray(), training: false).ToArray();
        for (int i = 0; i < outputs.Length; i++)
        {
            Assert.Equal(reference[i], outputs[i], 1e-5);
        }
    }

    [Fact]
    public void Predict_one_sample_equals_the_batched_forward_pass()
    {
        var network = new TutorialClassifier(maxBatch: 4, seed: 2);
        TutorialClassifier.Sample[] samples = Enumerable.Range(0, 11).Select(SampleAt).ToArray();

        // Eleven samples through a workspace of four: Predict splits the batch itself.
        var predictions = new TutorialClassifier.Prediction[samples.Length];
        network.Predict(samples, predictions);
        for (int i = 0; i < samples.Length; i++)
        {
            // One sample and a batch take different GEMM kernels, which sum in different orders: equal to a few ulps.
            TutorialClassifier.Prediction single = network.Predict(samples[i]);
            Assert.Equal(single[0], predictions[i][0], 1e-6f);
            Assert.Equal(single[1], predictions[i][1], 1e-6f);
            Assert.Equal(1f, single[0] + single[1], 5);
            Assert.Equal(single[1] > single[0] ? 1 : 0, single.ArgMax());
        }
    }

    [Fact]
    public void Dropout_is_the_identity_in_inference_and_active_in_training()
    {
        var network = new TutorialClassifier(maxBatch: 8, seed: 4);
        TutorialClassifier.Sample[] batch = Enumerable.Range(0, 8).Select(SampleAt).ToArray();
        float[] inference = network.Forward(batch).ToArray().SelectMany(p => new[] { p[0], p[1] }).ToArray();
        network.ReseedDropout(99);
        float[] again = network.Forward(batch).ToArray().SelectMany(p => new[] { p[0], p[1] }).ToArray();
        Assert.Equal(inference, again);

        network.ReseedDropout(99);
        float[] training = network.Forward(batch, training: true).ToArray().SelectMany(p => new[] { p[0], p[1] }).ToArray();
        Assert.NotEqual(inference, training);
        network.ReseedDropout(99);
        float[] replayed = network.Forward(batch, training: true).ToArray().SelectMany(p => new[] { p[0], p[1] }).ToArray();
        Assert.Equal(training, replayed);
    }

    [Fact]
    public void Backward_accumulates_until_gradients_are_zeroed()
    {
        var network = new TutorialClassifier(maxBatch: 2, seed: 4);
        TutorialClassifier.Sample[] batch = [SampleAt(0), SampleAt(1)];
        TutorialClassifier.Prediction[] gradient = [TutorialClassifier.Prediction.From([1f, -1f]), TutorialClassifier.Prediction.From([0.5f, 0.25f])];
        var inputGradient = new TutorialClassifier.Sample[2];

        network.Forward(batch, training: false);
        network.Backward(gradient, inputGradient);
        float[] once = network.Gradients.ToArray();
        Assert.Contains(once, value => value != 0);
        Assert.Contains(Enumerable.Range(0, 10).Select(i => inputGradient[0][i]), value => value != 0);

        network.Backward(gradient);
        float[] twice = network.Gradients.ToArray();
        for (int i = 0; i < once.Length; i++)
        {
            Assert.Equal(2 * once[i], twice[i], 5);
        }

        network.ZeroGradients();
        Assert.All(network.Gradients.ToArray(), value => Assert.Equal(0f, value));
    }

    [Fact]
    public void Bad_input_is_rejected_with_the_sizes_and_the_fix()
    {
        var network = new TutorialClassifier(maxBatch: 4, seed: 1);

        var wrongLength = Assert.Throws<ArgumentException>(() => TutorialClassifier.Sample.From(new float[784]));
        Assert.Contains("holds 10 floats (shape [10]), but 784 were given", wrongLength.Message);

        var tooLarge = Assert.Throws<ArgumentException>(() => network.Forward(new float[50]));
        Assert.Contains("batch of 5 samples exceeds", tooLarge.Message);
        Assert.Contains("maxBatch: 5", tooLarge.Message);

        var ragged = Assert.Throws<ArgumentException>(() => network.Forward(new float[15]));
        Assert.Contains("whole samples of 10 floats", ragged.Message);

        var fresh = new TutorialClassifier(seed: 1);
        var noForward = Assert.Throws<InvalidOperationException>(() => fresh.Backward(new float[2]));
        Assert.Contains("needs a forward pass first", noForward.Message);

        network.Forward(new float[20], training: true);
        var wrongGradient = Assert.Throws<ArgumentException>(() => network.Backward(new float[3]));
        Assert.Contains("2 x 2 = 4 floats", wrongGradient.Message);

        var wrongInputGradient = Assert.Throws<ArgumentException>(() => network.Backward(new float[4], new float[7]));
        Assert.Contains("input gradient of 20 floats", wrongInputGradient.Message);

        Assert.Throws<ArgumentOutOfRangeException>(() => new TutorialClassifier(maxBatch: 0));
        Assert.Throws<ArgumentException>(() => network.Predict(new TutorialClassifier.Sample[3], new TutorialClassifier.Prediction[2]));
    }

    [Fact]
    public void The_generated_network_serves_the_runtime_interfaces()
    {
        INetwork network = new TutorialClassifier(maxBatch: 3, seed: 1);
        Assert.Equal(10, network.InputSize);
        Assert.Equal(2, network.OutputSize);
        Assert.Equal(3, network.MaxBatch);
        Assert.Equal(6, network.Forward(new float[30], training: false).Length);

        IEngine<double> engine = new FlattenNet.Engine<double>(2, seed: 1);
        Assert.Equal(12, engine.InputSize);
        Assert.Equal([2, 3, 2], FlattenNet.InputShape.ToArray());
        Assert.Equal([2], FlattenNet.OutputShape.ToArray());
    }

    [Fact]
    public void Summary_lists_every_layer_like_keras()
    {
        string[] lines = TutorialClassifier.Summary.Split('\n');
        Assert.Equal("Model: \"TutorialClassifier\"", lines[0]);
        Assert.Contains(lines, line => line.StartsWith(" hidden (Dense)", StringComparison.Ordinal) && line.Contains("(None, 50)") && line.TrimEnd().EndsWith("550", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith(" drop (Dropout)", StringComparison.Ordinal) && line.TrimEnd().EndsWith('0'));
        Assert.Contains("Total params: 652", lines);
    }

    [Fact]
    public void Predicting_and_training_steps_allocate_nothing()
    {
        var network = new TutorialClassifier(maxBatch: 32, seed: 1);
        TutorialClassifier.Sample[] batch = Enumerable.Range(0, 32).Select(SampleAt).ToArray();
        var gradient = new TutorialClassifier.Prediction[32];
        var predictions = new TutorialClassifier.Prediction[32];
        TutorialClassifier.Sample one = batch[0];

        void Step()
        {
            network.Predict(one);
            network.Predict(batch, predictions);
            network.ZeroGradients();
            network.Forward(batch, training: true);
            network.Backward(gradient);
        }

        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            Step();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
