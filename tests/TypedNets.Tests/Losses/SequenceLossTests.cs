using System;
using System.Linq;
using TypedNets.Data;
using TypedNets.Kernels;
using TypedNets.Optimizers;
using TypedNets.Tests.Networks;
using TypedNets.Training;

namespace TypedNets.Tests.Losses;

/// <summary>
/// Cross-entropy at every position of a sequence output, as a GPT is trained: PyTorch's
/// <c>F.cross_entropy(logits.view(-1, V), targets.view(-1), ignore_index=...)</c> over a network's <c>[steps, V]</c> output.
/// </summary>
public sealed class SequenceLossTests
{
    private const int Steps = 5;
    private const int Vocabulary = 7;

    // Three sequences of 5 token ids and their next-token targets; -1 marks the padding after a sequence's end, so the
    // batch has 11 positions that count, unevenly spread over its samples.
    private static readonly double[] Tokens = [1, 2, 3, 4, 5, 6, 0, 1, 0, 0, 3, 3, 2, 1, 0];
    private static readonly double[] Targets = [2, 3, 4, 5, 6, 0, 1, -1, -1, -1, 3, 2, 1, 0, -1];

    private static readonly LossFunction IgnoringPadding = LossFunction.CrossEntropyIgnoring(-1);

    private static float[] AsFloats(double[] values) => values.Select(value => (float)value).ToArray();

    /// <summary>The mean over the positions whose target is not <paramref name="ignoreIndex"/> of <c>logsumexp(z) - z[target]</c>, written out.</summary>
    private static double ReferenceLoss(ReadOnlySpan<double> logits, double[] targets, int classes, int? ignoreIndex)
    {
        double sum = 0;
        int counted = 0;
        for (int row = 0; row < targets.Length; row++)
        {
            if (targets[row] == ignoreIndex)
            {
                continue;
            }

            ReadOnlySpan<double> z = logits.Slice(row * classes, classes);
            double max = double.NegativeInfinity;
            foreach (double value in z)
            {
                max = Math.Max(max, value);
            }

            double total = 0;
            foreach (double value in z)
            {
                total += Math.Exp(value - max);
            }

            sum += max + Math.Log(total) - z[(int)targets[row]];
            counted++;
        }

        return sum / counted;
    }

    [Fact]
    public void The_loss_is_the_mean_over_every_position_whose_target_is_not_ignored()
    {
        var engine = new NextTokenNet.Engine<double>(3, 5);
        double[] logits = engine.Forward(Tokens, training: true).ToArray();
        Assert.Equal(3 * Steps * Vocabulary, logits.Length);

        double value = engine.Loss(Targets, IgnoringPadding);
        Assert.Equal(ReferenceLoss(logits, Targets, Vocabulary, -1), value, 12);

        // The kernel over the flattened rows, which LossTests holds to PyTorch's fixtures with ignored targets.
        Assert.Equal(LossKernel.CrossEntropyFromLogits<double>(logits, Targets, new double[logits.Length], Vocabulary, -1), value, 14);

        // Without an ignore index every position counts, and -1 is no class id.
        double[] complete = Targets.Select(target => target < 0 ? 0 : target).ToArray();
        Assert.Equal(ReferenceLoss(logits, complete, Vocabulary, null), engine.Loss(complete, LossKind.CrossEntropy), 12);
    }

    [Fact]
    public void One_hot_targets_at_every_position_give_the_loss_of_class_ids()
    {
        var engine = new NextTokenNet.Engine<double>(3, 5);
        engine.Forward(Tokens, training: true);
        double[] ids = Targets.Select(target => target < 0 ? 4 : target).ToArray();
        double[] oneHot = new double[ids.Length * Vocabulary];
        for (int row = 0; row < ids.Length; row++)
        {
            oneHot[(row * Vocabulary) + (int)ids[row]] = 1;
        }

        Assert.Equal(engine.Loss(ids, LossKind.CrossEntropy), engine.Loss(oneHot, LossKind.CrossEntropy), 12);
    }

    [Fact]
    public void The_gradient_leaves_ignored_positions_out_and_the_fused_softmax_path_agrees_with_finite_differences()
    {
        var logitsNet = new NextTokenNet.Engine<double>(3, 5);
        var softmaxNet = new SoftmaxNextTokenNet.Engine<double>(3, 5);
        Assert.Equal(logitsNet.Parameters.Length, softmaxNet.Parameters.Length);
        Array.Copy(logitsNet.Parameters, softmaxNet.Parameters, logitsNet.Parameters.Length);

        // The kernel's gradient of the logits, back-propagated by the network's own Backward.
        double[] logits = logitsNet.Forward(Tokens, training: true).ToArray();
        double[] outputGradient = new double[logits.Length];
        LossKernel.CrossEntropyFromLogits<double>(logits, Targets, outputGradient, Vocabulary, -1);
        for (int row = 0; row < Targets.Length; row++)
        {
            bool ignored = Targets[row] == -1;
            Assert.Equal(ignored, outputGradient.AsSpan(row * Vocabulary, Vocabulary).ToArray().All(value => value == 0));
        }

        logitsNet.ZeroGradients();
        logitsNet.Backward(outputGradient, default);
        double[] expected = (double[])logitsNet.Gradients.Clone();

        // The network's LossBackward through the Softmax head, fused with the loss.
        softmaxNet.ZeroGradients();
        softmaxNet.Forward(Tokens, training: true);
        double value = softmaxNet.LossBackward(Targets, IgnoringPadding, default);
        Assert.Equal(ReferenceLoss(logits, Targets, Vocabulary, -1), value, 12);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - softmaxNet.Gradients[i]) <= 1e-12 + (1e-9 * Math.Abs(expected[i])), $"parameter {i}: {expected[i]:R} vs {softmaxNet.Gradients[i]:R}");
        }

        double[] analytic = (double[])softmaxNet.Gradients.Clone();
        double[] parameters = softmaxNet.Parameters;
        for (int i = 0; i < parameters.Length; i++)
        {
            double saved = parameters[i];
            const double step = 1e-5;
            parameters[i] = saved + step;
            softmaxNet.Forward(Tokens, training: true);
            double plus = softmaxNet.Loss(Targets, IgnoringPadding);
            parameters[i] = saved - step;
            softmaxNet.Forward(Tokens, training: true);
            double minus = softmaxNet.Loss(Targets, IgnoringPadding);
            parameters[i] = saved;
            double numeric = (plus - minus) / (2 * step);
            double scale = Math.Max(Math.Max(Math.Abs(analytic[i]), Math.Abs(numeric)), 1e-5);
            Assert.True(Math.Abs(analytic[i] - numeric) / scale < 1e-5, $"parameter {i}: analytic {analytic[i]:R}, numeric {numeric:R}");
        }
    }

    [Fact]
    public void A_batch_whose_every_target_is_ignored_has_loss_0_and_no_gradient()
    {
        // PyTorch gives NaN (0 / 0); a NaN would stop Fit, and a batch of padding alone has nothing to learn.
        var engine = new NextTokenNet.Engine<double>(3, 5);
        engine.Forward(Tokens, training: true);
        engine.ZeroGradients();
        double[] padding = Enumerable.Repeat(-1.0, Targets.Length).ToArray();
        Assert.Equal(0, engine.LossBackward(padding, IgnoringPadding, default));
        Assert.All(engine.Gradients, gradient => Assert.Equal(0, gradient));
    }

    [Fact]
    public void A_recurrent_tagger_takes_a_class_at_every_step_with_padding_ignored()
    {
        var engine = new StepTaggerNet.Engine<double>(2, 3);
        double[] tokens = [1, 2, 3, 0, 5, 4, 0, 0];
        double[] tags = [2, 1, 2, 0, 1, 1, 0, 0];
        double[] logits = engine.Forward(tokens, training: true).ToArray();
        Assert.Equal(ReferenceLoss(logits, tags, 3, 0), engine.Loss(tags, LossFunction.CrossEntropyIgnoring(0)), 12);
    }

    [Fact]
    public void Targets_that_are_neither_ids_nor_one_hot_at_every_position_are_refused_with_both_widths()
    {
        var network = new NextTokenNet(maxBatch: 3, seed: 5);
        network.Forward(AsFloats(Tokens), training: true);
        ArgumentException error = Assert.Throws<ArgumentException>(() => network.Loss(new float[3], LossKind.CrossEntropy));
        Assert.Equal("target", error.ParamName);
        Assert.Contains("a sequence of 5 positions of 7 classes", error.Message, StringComparison.Ordinal);
        Assert.Contains("5 class ids per sample", error.Message, StringComparison.Ordinal);
        Assert.Contains("5 x 7 = 35 one-hot values", error.Message, StringComparison.Ordinal);
        Assert.Contains("got 3", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<ArgumentException>(() => network.LossBackward(new float[16], LossKind.CrossEntropy));
        Assert.Equal("target", error.ParamName);
        Assert.Contains("needs 15 class ids or 105 one-hot values", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(7.0, null, "target 7")]
    [InlineData(-1.0, null, "target -1")]
    [InlineData(2.5, null, "target 2.5")]
    [InlineData(-2.0, -1, "target -2")]
    public void A_target_that_is_no_class_id_nor_the_ignore_index_is_refused_naming_its_sample_and_position(double bad, int? ignoreIndex, string shown)
    {
        var network = new NextTokenNet(maxBatch: 3, seed: 5);
        network.Forward(AsFloats(Tokens), training: true);
        float[] targets = AsFloats(Targets.Select(target => target < 0 ? 0 : target).ToArray());
        targets[(1 * Steps) + 2] = (float)bad;
        var loss = new LossFunction(LossKind.CrossEntropy, ignoreIndex: ignoreIndex);
        ArgumentException error = Assert.Throws<ArgumentException>(() => network.LossBackward(targets, loss));
        Assert.Equal("target", error.ParamName);
        Assert.Contains($"Sample 1, position 2 has {shown}", error.Message, StringComparison.Ordinal);
        Assert.Contains("class ids from 0 to 6", error.Message, StringComparison.Ordinal);
        if (ignoreIndex is null)
        {
            Assert.Contains("IgnoreIndex", error.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("or -1, the ignore index", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Trainer_Step_trains_on_the_loss_at_every_position()
    {
        var network = new NextTokenNet(maxBatch: 3, seed: 5);
        float[] features = AsFloats(Tokens);
        float[] targets = AsFloats(Targets);
        float[] logits = network.Forward(features, training: true).ToArray();
        float expected = LossKernel.CrossEntropyFromLogits<float>(logits, targets, new float[logits.Length], Vocabulary, -1);
        float[] before = network.Parameters.ToArray();

        double value = Trainer.Step(network, new Sgd(0.1), features, targets, IgnoringPadding);

        Assert.Equal(expected, value, 5);
        Assert.NotEqual(before, network.Parameters.ToArray());
        network.Forward(features, training: true);
        Assert.True(network.Loss(targets, IgnoringPadding) < expected, "one step of gradient descent did not lower the loss");
    }

    /// <summary>
    /// Sequences that count up modulo the vocabulary from a random start, each of a random length from 2 to 5 steps,
    /// padded with token 0; the target at each position is the next token, and -1 after the sequence's end.
    /// </summary>
    private static Dataset CountingSequences(int count, ulong seed)
    {
        var random = new Xoshiro256(seed);
        float[] features = new float[count * Steps];
        float[] targets = new float[count * Steps];
        for (int row = 0; row < count; row++)
        {
            int start = random.NextInt(Vocabulary);
            int length = 2 + random.NextInt(Steps - 1);
            for (int step = 0; step < Steps; step++)
            {
                bool inside = step < length;
                features[(row * Steps) + step] = inside ? (start + step) % Vocabulary : 0;
                targets[(row * Steps) + step] = inside ? (start + step + 1) % Vocabulary : -1;
            }
        }

        return new Dataset(features, Steps, targets, Steps);
    }

    [Fact]
    public void Fit_learns_the_next_token_and_Evaluate_counts_accuracy_at_every_position_not_ignored()
    {
        var network = new NextTokenNet(maxBatch: 8, seed: 3);
        Dataset data = CountingSequences(64, 4);
        History history = Trainer.Fit(network, new Adam(0.02), data, new FitOptions { Epochs = 40, BatchSize = 8, Seed = 1, Loss = IgnoringPadding });

        Assert.True(history.Epochs[^1].Loss < history.Epochs[0].Loss * 0.3, $"loss went {history.Epochs[0].Loss} -> {history.Epochs[^1].Loss}");
        Assert.NotNull(history.Epochs[^1].Accuracy);

        Dataset test = CountingSequences(20, 9);
        Evaluation evaluation = Trainer.Evaluate(network, test, IgnoringPadding, batchSize: 3);
        Assert.True(evaluation.Accuracy > 0.95, $"accuracy {evaluation.Accuracy}");

        // Written out: the predictions' argmax at every position whose target is not padding.
        float[] outputs = Trainer.Predict(network, test.Features);
        int correct = 0;
        int counted = 0;
        for (int row = 0; row < test.Count * Steps; row++)
        {
            float target = test.Targets[row];
            if (target == -1)
            {
                continue;
            }

            counted++;
            correct += System.Numerics.Tensors.TensorPrimitives.IndexOfMax(outputs.AsSpan(row * Vocabulary, Vocabulary)) == (int)target ? 1 : 0;
        }

        Assert.Equal((double)correct / counted, evaluation.Accuracy);

        // The loss is the mean over every position that counts in the whole set, whatever the batches: batches of 3
        // samples hold different numbers of them.
        double whole = LossKernel.CrossEntropyFromLogits<float>(outputs, test.Targets, new float[outputs.Length], Vocabulary, -1);
        Assert.Equal(whole, evaluation.Loss, 5);
    }

    [Fact]
    public void The_declared_ignore_index_is_the_loss_Fit_and_Evaluate_use()
    {
        Assert.Equal(IgnoringPadding, NextTokenNet.DeclaredLoss);
        Assert.Equal(-1, ((INetwork)new NextTokenNet(maxBatch: 1, seed: 0)).DeclaredLoss!.Value.IgnoreIndex);
        Assert.Null(SoftmaxNextTokenNet.DeclaredLoss);

        Dataset data = CountingSequences(24, 6);
        var declared = new NextTokenNet(maxBatch: 8, seed: 3);
        var given = new NextTokenNet(maxBatch: 8, seed: 3);
        History fromDeclaration = Trainer.Fit(declared, new Adam(0.01), data, new FitOptions { Epochs = 2, BatchSize = 8, Seed = 1 });
        History fromOptions = Trainer.Fit(given, new Adam(0.01), data, new FitOptions { Epochs = 2, BatchSize = 8, Seed = 1, Loss = IgnoringPadding });
        Assert.Equal(fromOptions.Epochs[^1].Loss, fromDeclaration.Epochs[^1].Loss);
        Assert.Equal(given.Parameters.ToArray(), declared.Parameters.ToArray());
        Assert.Equal(Trainer.Evaluate(given, data, IgnoringPadding), Trainer.Evaluate(declared, data));
    }

    [Fact]
    public void The_attribute_records_whether_an_ignore_index_was_set()
    {
        var unset = new LossAttribute(LossKind.CrossEntropy);
        Assert.False(unset.HasIgnoreIndex);
        Assert.Throws<InvalidOperationException>(() => unset.IgnoreIndex);

        // -100 is PyTorch's default, but here only a value that is set is in force.
        var set = new LossAttribute(LossKind.CrossEntropy) { IgnoreIndex = -100 };
        Assert.True(set.HasIgnoreIndex);
        Assert.Equal(-100, set.IgnoreIndex);

        LossAttribute declared = Assert.Single(typeof(NextTokenNet).GetCustomAttributes(typeof(LossAttribute), inherit: false).Cast<LossAttribute>());
        Assert.Equal(-1, declared.IgnoreIndex);
    }

    [Fact]
    public void Evaluate_takes_one_hot_targets_at_every_position_as_it_takes_ids()
    {
        var network = new NextTokenNet(maxBatch: 8, seed: 3);
        Dataset ids = CountingSequences(12, 7);
        float[] labels = ids.Targets.ToArray().Select(target => target < 0 ? 0f : target).ToArray();
        float[] oneHot = new float[labels.Length * Vocabulary];
        for (int i = 0; i < labels.Length; i++)
        {
            oneHot[(i * Vocabulary) + (int)labels[i]] = 1;
        }

        var asIds = new Dataset(ids.Features.ToArray(), Steps, labels, Steps);
        var asOneHot = new Dataset(ids.Features.ToArray(), Steps, oneHot, Steps * Vocabulary);
        Evaluation fromIds = Trainer.Evaluate(network, asIds, LossKind.CrossEntropy, batchSize: 5);
        Evaluation fromOneHot = Trainer.Evaluate(network, asOneHot, LossKind.CrossEntropy, batchSize: 5);
        Assert.Equal(fromIds.Loss, fromOneHot.Loss, 6);
        Assert.Equal(fromIds.Accuracy, fromOneHot.Accuracy);
    }

    [Fact]
    public void Fit_refuses_targets_of_one_class_per_sample_for_a_sequence_output()
    {
        var network = new NextTokenNet(maxBatch: 8, seed: 3);
        Dataset data = CountingSequences(16, 4);
        var perSample = new Dataset(data.Features.ToArray(), Steps, new float[16], 1);
        ArgumentException error = Assert.Throws<ArgumentException>(() => Trainer.Fit(network, new Adam(0.01), perSample, new FitOptions { Epochs = 1, BatchSize = 8, Loss = IgnoringPadding }));
        Assert.Equal("data", error.ParamName);
        Assert.Contains("1 targets per row", error.Message, StringComparison.Ordinal);
        Assert.Contains("5 class ids per row", error.Message, StringComparison.Ordinal);
        Assert.Contains("5 x 7 = 35 one-hot values", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<ArgumentException>(() => Trainer.Evaluate(network, perSample, IgnoringPadding));
        Assert.Equal("data", error.ParamName);
    }

    [Fact]
    public void Fit_refuses_a_target_that_is_no_class_id_naming_its_row_and_position()
    {
        var network = new NextTokenNet(maxBatch: 8, seed: 3);
        Dataset data = CountingSequences(16, 4);
        float[] targets = data.Targets.ToArray();
        targets[(3 * Steps) + 1] = 9;
        var bad = new Dataset(data.Features.ToArray(), Steps, targets, Steps);
        float[] before = network.Parameters.ToArray();

        ArgumentException error = Assert.Throws<ArgumentException>(() => Trainer.Fit(network, new Adam(0.01), bad, new FitOptions { Epochs = 1, BatchSize = 8, Loss = IgnoringPadding }));
        Assert.Equal("data", error.ParamName);
        Assert.Contains("Row 3, position 1 of the training data has target 9", error.Message, StringComparison.Ordinal);
        Assert.Contains("class ids from 0 to 6 (or -1, the ignore index)", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, network.Parameters.ToArray());

        // Padding marked -1 without an ignore index is no class id either, and the message says how to ignore it.
        error = Assert.Throws<ArgumentException>(() => Trainer.Evaluate(network, data, LossKind.CrossEntropy));
        Assert.Equal("data", error.ParamName);
        Assert.Contains("has target -1", error.Message, StringComparison.Ordinal);
        Assert.Contains("IgnoreIndex", error.Message, StringComparison.Ordinal);
    }
}
