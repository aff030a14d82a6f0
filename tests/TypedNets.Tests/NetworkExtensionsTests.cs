using System;
using System.Linq;
using TypedNets.Tests.Networks;

namespace TypedNets.Tests;

// A network whose author declares members named like the runtime's API: an instance member wins over an extension.
[Network, Input(3)]
public partial class NetworkWithOwnMaxBatch
{
    [Dense(2)] public partial DenseLayer Output { get; }

    public int MaxBatch => -1;

    public string Predict(string text) => "own " + text;
}

/// <summary>
/// The network API lives in the runtime as extension members over <see cref="INetwork"/> and
/// <see cref="INetwork{TSample, TPrediction}"/>; these check that each call reaches the overload it names, for float
/// and token networks, and that a network's own member wins.
/// </summary>
public sealed class NetworkExtensionsTests
{
    private static TutorialClassifier.Sample[] Samples(int count)
        => Enumerable.Range(0, count).Select(row =>
        {
            var sample = default(TutorialClassifier.Sample);
            for (int i = 0; i < TutorialClassifier.InputSize; i++)
            {
                sample[i] = MathF.Cos((row * 7) + i);
            }

            return sample;
        }).ToArray();

    private static TinyTextClassifier.Sample[] Sentences(int count)
        => Enumerable.Range(0, count).Select(row =>
        {
            var sample = default(TinyTextClassifier.Sample);
            for (int i = 0; i < TinyTextClassifier.InputSize; i++)
            {
                sample[i] = ((row * 3) + (i * 5)) % 20;
            }

            return sample;
        }).ToArray();

    private static void AssertClose(float[] expected, System.Collections.Generic.IEnumerable<float> actual)
    {
        float[] values = actual.ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(expected[i] - values[i]) <= 1e-6f, $"value {i}: expected {expected[i]}, got {values[i]}");
        }
    }

    private static float[] Values(TutorialClassifier.Prediction prediction) => ((ReadOnlySpan<float>)prediction).ToArray();

    private static float[] Values(TinyTextClassifier.Prediction prediction) => ((ReadOnlySpan<float>)prediction).ToArray();

    [Fact]
    public void Typed_and_flat_predictions_of_a_float_network_agree_with_the_engine()
    {
        var network = new TutorialClassifier(maxBatch: 2, seed: 3);
        TutorialClassifier.Sample[] samples = Samples(5);
        float[] flat = samples.SelectMany(sample => ((ReadOnlySpan<float>)sample).ToArray()).ToArray();

        // An engine of its own from the same seed computes the reference, two rows at a time.
        var engine = new TutorialClassifier.Engine<float>(maxBatch: 5, seed: 3);
        float[] expected = engine.Forward(flat, training: false).ToArray();

        var typed = new TutorialClassifier.Prediction[5];
        network.Predict(samples, typed);
        var flatOutput = new float[10];
        network.Predict(flat, flatOutput);
        float[] one = samples.SelectMany(sample => Values(network.Predict(sample))).ToArray();

        // Batches of other sizes take other matrix-product paths: the same values to rounding.
        AssertClose(expected, typed.SelectMany(prediction => ((ReadOnlySpan<float>)prediction).ToArray()));
        AssertClose(expected, flatOutput);
        AssertClose(expected, one);
        AssertClose(expected[..4], network.Forward(flat.AsSpan(0, 20)).ToArray());
        AssertClose(expected[..4], network.Forward(samples.AsSpan(0, 2)).ToArray().SelectMany(prediction => ((ReadOnlySpan<float>)prediction).ToArray()));
    }

    [Fact]
    public void The_typed_backward_writes_the_input_gradient_of_the_flat_one()
    {
        var network = new TutorialClassifier(maxBatch: 3, seed: 5);
        TutorialClassifier.Sample[] samples = Samples(3);
        var outputGradient = new TutorialClassifier.Prediction[3];
        for (int row = 0; row < 3; row++)
        {
            outputGradient[row][0] = 1f;
            outputGradient[row][1] = -0.5f * row;
        }

        network.Forward(samples, training: false);
        var typedInputGradient = new TutorialClassifier.Sample[3];
        network.Backward(outputGradient, typedInputGradient);
        float[] typedGradients = network.Gradients.ToArray();

        network.ZeroGradients();
        float[] flatOutputGradient = outputGradient.SelectMany(prediction => ((ReadOnlySpan<float>)prediction).ToArray()).ToArray();
        var flatInputGradient = new float[30];
        network.Backward(flatOutputGradient, flatInputGradient);

        Assert.Equal(flatInputGradient, typedInputGradient.SelectMany(sample => ((ReadOnlySpan<float>)sample).ToArray()));
        Assert.Equal(network.Gradients.ToArray(), typedGradients);
        Assert.Contains(flatInputGradient, value => value != 0f);
    }

    [Fact]
    public void A_token_network_predicts_its_int_samples_as_it_predicts_the_ids_as_floats()
    {
        var network = new TinyTextClassifier(maxBatch: 2, seed: 2);
        TinyTextClassifier.Sample[] sentences = Sentences(3);
        float[] ids = sentences.SelectMany(sample => ((ReadOnlySpan<int>)sample).ToArray().Select(id => (float)id)).ToArray();

        var flat = new float[6];
        network.Predict(ids, flat);
        var typed = new TinyTextClassifier.Prediction[3];
        network.Predict(sentences, typed);
        float[] one = sentences.SelectMany(sample => Values(network.Predict(sample))).ToArray();

        AssertClose(flat, typed.SelectMany(prediction => ((ReadOnlySpan<float>)prediction).ToArray()));
        AssertClose(flat, one);
        AssertClose(flat[..4], network.Forward(sentences.AsSpan(0, 2)).ToArray().SelectMany(prediction => ((ReadOnlySpan<float>)prediction).ToArray()));
    }

    [Fact]
    public void A_token_network_trains_through_the_typed_backward_and_refuses_an_input_gradient()
    {
        var network = new TinyTextClassifier(maxBatch: 2, seed: 2);
        TinyTextClassifier.Sample[] sentences = Sentences(2);
        var outputGradient = new TinyTextClassifier.Prediction[2];
        outputGradient[0][0] = 1f;
        outputGradient[1][0] = 1f;

        network.Forward(sentences, training: true);
        network.Backward(outputGradient);
        Assert.Contains(network.Gradients.ToArray(), value => value != 0f);

        var inputGradient = new TinyTextClassifier.Sample[2];
        ArgumentException error = Assert.Throws<ArgumentException>(() => network.Backward(outputGradient, inputGradient));
        Assert.Equal("inputGradient", error.ParamName);
    }

    [Fact]
    public void A_bad_token_id_is_refused_by_the_typed_prediction()
    {
        var network = new TinyTextClassifier(maxBatch: 2, seed: 2);
        var sentence = default(TinyTextClassifier.Sample);
        sentence[3] = -4;

        ArgumentException error = Assert.Throws<ArgumentException>(() => network.Predict(sentence));
        Assert.Contains("Token id -4 at position 3", error.Message);
        Assert.Equal(0, network.Access.PredictionsInFlight);
    }

    [Fact]
    public void The_engine_of_a_float_network_refuses_token_ids()
    {
        var engine = new TutorialClassifier.Engine<double>(maxBatch: 1, seed: 0);

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => engine.Forward(new int[10], training: false));
        Assert.Contains("TutorialClassifier takes floats, not token ids", error.Message);
    }

    [Fact]
    public void The_same_calls_work_through_the_interface()
    {
        INetwork network = new TutorialClassifier(maxBatch: 4, seed: 1);

        Assert.Equal(TutorialClassifier.InputSize, network.InputSize);
        Assert.Equal(TutorialClassifier.OutputSize, network.OutputSize);
        Assert.Equal(4, network.MaxBatch);
        Assert.Equal(TutorialClassifier.ParameterCount, network.Parameters.Length);
        Assert.Equal(TutorialClassifier.DeclaredLoss, network.DeclaredLoss);
        Assert.Equal(3, network.Layers.Count);

        network.Forward(new float[20], training: true);
        float loss = network.LossBackward([1f, 0f, 1f, 0f], LossFunction.CrossEntropy);
        Assert.True(float.IsFinite(loss) && loss > 0f);
        Assert.Contains(network.Gradients.ToArray(), value => value != 0f);
    }

    [Fact]
    public void A_member_of_the_network_wins_over_the_extension_of_the_same_name()
    {
        var network = new NetworkWithOwnMaxBatch(maxBatch: 8);

        Assert.Equal(-1, network.MaxBatch);
        Assert.Equal(8, ((INetwork)network).MaxBatch);

        // The network's own Predict(string) and the runtime's Predict overloads are one set: each call takes its own.
        Assert.Equal("own text", network.Predict("text"));
        var sample = NetworkWithOwnMaxBatch.Sample.From([1f, 2f, 3f]);
        NetworkWithOwnMaxBatch.Prediction prediction = network.Predict(sample);
        var expected = new float[2];
        network.Predict([1f, 2f, 3f], expected);
        Assert.Equal(expected, ((ReadOnlySpan<float>)prediction).ToArray());
    }
}
