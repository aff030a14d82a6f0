using System;
using System.Threading;
using System.Threading.Tasks;
using TypedNets.Data;
using TypedNets.Optimizers;
using TypedNets.Tests.Networks;
using TypedNets.Training;
using Xunit;

namespace TypedNets.Tests;

/// <summary>The threading contract: predictions share a network; training and the training workspace do not.</summary>
public sealed class NetworkAccessTests
{
    private static Dataset Data(int rows)
    {
        var random = new Xoshiro256(1);
        float[] features = new float[rows * 10];
        float[] labels = new float[rows];
        for (int i = 0; i < features.Length; i++)
        {
            features[i] = (float)random.NextDouble(-1, 1);
        }

        for (int row = 0; row < rows; row++)
        {
            labels[row] = features[row * 10] > 0 ? 1 : 0;
        }

        return new Dataset(features, 10, labels, 1);
    }

    // Runs on another thread and waits for it, so that "another thread" is real.
    private static T OnAnotherThread<T>(Func<T> work)
        => Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).GetAwaiter().GetResult();

    [Fact]
    public async Task Training_is_refused_while_another_thread_predicts()
    {
        var network = new TutorialClassifier(maxBatch: 8, seed: 1);
        using var predicting = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        Task prediction = Task.Factory.StartNew(
            () =>
            {
                // A prediction in flight, held open as a long one would be.
                network.Access.EnterPrediction();
                predicting.Set();
                release.Wait();
                network.Access.ExitPrediction();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        predicting.Wait();
        float[] before = network.Parameters.ToArray();

        var error = Assert.Throws<InvalidOperationException>(() =>
            Trainer.Fit(network, new Adam(0.01), Data(32), new FitOptions { Epochs = 1, BatchSize = 8, Loss = new LossFunction(LossKind.CrossEntropy) }));
        Assert.Contains("TutorialClassifier.Trainer.Fit was called while 1 prediction(s) or save(s) run on other threads", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, network.Parameters.ToArray());
        Assert.Throws<InvalidOperationException>(() => network.Forward(new TutorialClassifier.Sample[1], training: true));

        release.Set();
        await prediction;
        Trainer.Fit(network, new Adam(0.01), Data(32), new FitOptions { Epochs = 1, BatchSize = 8, Loss = new LossFunction(LossKind.CrossEntropy) });
        Assert.NotEqual(before, network.Parameters.ToArray());
    }

    [Fact]
    public void Prediction_is_refused_while_another_thread_trains()
    {
        var network = new TutorialClassifier(maxBatch: 8, seed: 2);
        var sample = default(TutorialClassifier.Sample);
        TutorialClassifier.Prediction expected = network.Predict(sample);
        using (network.Access.Exclusive("a training loop"))
        {
            // The training thread itself may predict between its steps.
            Assert.Equal(expected[0], network.Predict(sample)[0]);
            var error = OnAnotherThread(() => Assert.Throws<InvalidOperationException>(() => network.Predict(sample)));
            Assert.Contains("TutorialClassifier.Predict was called while another thread runs a training loop", error.Message, StringComparison.Ordinal);
            var flat = OnAnotherThread(() => Assert.Throws<InvalidOperationException>(() => Trainer.Predict(network, new float[10])));
            Assert.Contains("a training loop", flat.Message, StringComparison.Ordinal);
            var second = OnAnotherThread(() => Assert.Throws<InvalidOperationException>(() => network.Forward(new float[10])));
            Assert.Contains("TutorialClassifier.Forward was called while another thread runs a training loop", second.Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, network.Access.PredictionsInFlight);
        Assert.False(network.Access.IsExclusive);
        Assert.Equal(expected[1], OnAnotherThread(() => network.Predict(sample))[1]);
    }

    [Fact]
    public void Loading_weights_is_refused_while_another_thread_predicts_and_leaves_the_network_as_it_was()
    {
        var source = new TutorialClassifier(maxBatch: 4, seed: 8);
        using var file = new System.IO.MemoryStream();
        TypedNets.Serialization.SafeTensors.Save(source, file);
        var network = new TutorialClassifier(maxBatch: 4, seed: 9);
        float[] before = network.Parameters.ToArray();

        OnAnotherThread(() =>
        {
            network.Access.EnterPrediction();
            return 0;
        });
        var error = Assert.Throws<InvalidOperationException>(() => TypedNets.Serialization.SafeTensors.Load(network, file.ToArray()));
        Assert.Contains("TutorialClassifier.SafeTensors.Load was called while 1 prediction(s) or save(s) run on other threads", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, network.Parameters.ToArray());

        network.Access.ExitPrediction();
        TypedNets.Serialization.SafeTensors.Load(network, file.ToArray());
        Assert.Equal(source.Parameters.ToArray(), network.Parameters.ToArray());
    }

    [Fact]
    public void Saving_runs_beside_predictions_but_not_beside_training_on_another_thread()
    {
        var network = new TutorialClassifier(maxBatch: 4, seed: 10);
        using var file = new System.IO.MemoryStream();
        network.Access.EnterPrediction();
        TypedNets.Serialization.SafeTensors.Save(network, file);
        network.Access.ExitPrediction();
        Assert.True(file.Length > 0);

        using (network.Access.Exclusive("a training loop"))
        {
            var error = OnAnotherThread(() => Assert.Throws<InvalidOperationException>(() => TypedNets.Serialization.SafeTensors.Save(network, new System.IO.MemoryStream())));
            Assert.Contains("TutorialClassifier.SafeTensors.Save was called while another thread runs a training loop", error.Message, StringComparison.Ordinal);

            // The training thread itself saves between its steps (ModelCheckpoint does).
            TypedNets.Serialization.SafeTensors.Save(network, new System.IO.MemoryStream());
        }

        Assert.Equal(0, network.Access.PredictionsInFlight);
    }

    [Fact]
    public void Exclusive_use_nests_on_one_thread_and_must_be_given_back_by_it()
    {
        var access = new NetworkAccess("Net");
        access.EnterExclusive("outer");
        access.EnterExclusive("inner");
        access.ExitExclusive();
        Assert.True(access.IsExclusive);
        Assert.Throws<InvalidOperationException>(() => OnAnotherThread(() =>
        {
            access.ExitExclusive();
            return 0;
        }));
        access.ExitExclusive();
        Assert.False(access.IsExclusive);
        Assert.Throws<InvalidOperationException>(access.ExitExclusive);
    }

    [Fact]
    public void Prediction_allocates_nothing_in_steady_state()
    {
        var network = new TutorialClassifier(maxBatch: 16, seed: 3);
        var text = new TinyTextClassifier(maxBatch: 4, seed: 4);
        var samples = new TutorialClassifier.Sample[40];
        var predictions = new TutorialClassifier.Prediction[40];
        var tokens = default(TinyTextClassifier.Sample);
        float[] flatInput = new float[3 * TutorialClassifier.InputSize];
        float[] flatOutput = new float[3 * TutorialClassifier.OutputSize];
        network.Predict(samples[0]);
        network.Predict(samples, predictions);
        text.Predict(tokens);
        network.Predict(flatInput, flatOutput);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            network.Predict(samples[i % samples.Length]);
            network.Predict(samples, predictions);
            network.Predict(flatInput, flatOutput);
            text.Predict(tokens);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void The_flat_prediction_checks_its_spans()
    {
        var network = new TutorialClassifier(maxBatch: 4, seed: 5);
        var input = Assert.Throws<ArgumentException>(() => network.Predict(new float[15], new float[2]));
        Assert.Equal("input", input.ParamName);
        Assert.Contains("whole samples of 10 values, but the input has 15", input.Message, StringComparison.Ordinal);
        var output = Assert.Throws<ArgumentException>(() => network.Predict(new float[20], new float[2]));
        Assert.Equal("output", output.ParamName);
        Assert.Contains("2 x 2 = 4 floats, but the output span holds 2", output.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_flat_prediction_equals_the_typed_one_across_batches()
    {
        var network = new TutorialClassifier(maxBatch: 4, seed: 6);
        var random = new Xoshiro256(7);
        var samples = new TutorialClassifier.Sample[11];
        float[] flat = new float[11 * 10];
        for (int i = 0; i < flat.Length; i++)
        {
            flat[i] = (float)random.NextDouble(-1, 1);
            samples[i / 10][i % 10] = flat[i];
        }

        // The same batches of four as the typed call, so the same products: the same bits.
        float[] output = new float[11 * 2];
        network.Predict(flat, output);
        var typed = new TutorialClassifier.Prediction[11];
        network.Predict(samples, typed);
        for (int i = 0; i < samples.Length; i++)
        {
            Assert.Equal(typed[i][0], output[2 * i]);
            Assert.Equal(typed[i][1], output[(2 * i) + 1]);
        }
    }
}
