using System;
using System.Diagnostics;
using System.Numerics.Tensors;
using TypedNets.Data;
using TypedNets.Optimizers;

namespace TypedNets.Training;

/// <summary>The result of <see cref="Trainer.Evaluate"/>: the mean loss and, for classifiers, the accuracy.</summary>
public sealed record Evaluation(double Loss, double? Accuracy);

/// <summary>
/// The training loop: Keras' <c>fit</c>, <c>evaluate</c> and <c>predict</c> over any generated network. One step is
/// zero the gradients, forward in training mode, loss and backward (fused with the output activation where it can
/// be), weight penalties, optional clipping, and the optimizer's update; it allocates nothing.
/// </summary>
public static class Trainer
{
    /// <summary>Trains <paramref name="network"/> on <paramref name="data"/> and returns the per-epoch history.</summary>
    /// <exception cref="ArgumentException">When the data does not fit the network or an option is out of range.</exception>
    public static History Fit(INetwork network, Optimizer<float> optimizer, Dataset data, FitOptions options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        LossFunction loss = NetworkGuard.LossToUse(network.GetType().Name, options.Loss, network.DeclaredLoss);
        CheckOptions(network, options);
        CheckData(network, data, "training data");

        (Dataset training, Dataset? validation) = SplitValidation(data, options);
        if (validation is not null)
        {
            CheckData(network, validation, "validation data");
        }

        var history = new History();
        var control = new TrainingControl(network);
        var batches = new BatchBuffers(network, training, options.BatchSize);
        var random = Xoshiro256.ForStream(options.Seed, 2);
        double initialLearningRate = optimizer.LearningRate;
        network.ReseedDropout(options.Seed);

        foreach (ICallback callback in options.Callbacks)
        {
            callback.OnTrainBegin(control);
        }

        for (int epoch = 0; epoch < options.Epochs && !control.StopTraining; epoch++)
        {
            var clock = Stopwatch.StartNew();
            if (options.LearningRateSchedule is not null)
            {
                optimizer.LearningRate = options.LearningRateSchedule.LearningRate(epoch, initialLearningRate);
            }

            if (options.Shuffle)
            {
                batches.Shuffle(ref random);
            }

            double lossSum = 0;
            var counts = new AccuracyCounter();
            for (int start = 0; start < training.Count; start += options.BatchSize)
            {
                int count = Math.Min(options.BatchSize, training.Count - start);
                batches.Gather(start, count);
                options.Augment?.Invoke(batches.MutableFeatures(count));
                lossSum += count * Step(network, optimizer, batches.Features(count), batches.Targets(count), loss, options.ClipGradientNorm, ref counts);
            }

            Evaluation? validationResult = validation is null ? null : Evaluate(network, validation, loss, options.BatchSize);
            var result = new EpochResult(
                epoch + 1,
                options.Epochs,
                lossSum / training.Count,
                counts.Accuracy,
                validationResult?.Loss,
                validationResult?.Accuracy,
                optimizer.LearningRate,
                clock.Elapsed);
            history.Add(result);
            foreach (ICallback callback in options.Callbacks)
            {
                callback.OnEpochEnd(result, control);
            }

            if (control.StopTraining && epoch + 1 < options.Epochs)
            {
                history.StoppedAt = epoch + 1;
            }

            options.Progress?.Report(result);
        }

        foreach (ICallback callback in options.Callbacks)
        {
            callback.OnTrainEnd(control);
        }

        return history;
    }

    /// <summary>
    /// One training step on one batch: returns the batch's loss (weight penalties included). Allocates nothing.
    /// </summary>
    public static double Step(INetwork network, Optimizer<float> optimizer, ReadOnlySpan<float> features, ReadOnlySpan<float> targets, LossFunction loss, double? clipGradientNorm = null)
    {
        var ignored = default(AccuracyCounter);
        return Step(network, optimizer, features, targets, loss, clipGradientNorm, ref ignored);
    }

    /// <summary>The mean loss and, for classifiers, the accuracy of <paramref name="network"/> on <paramref name="data"/>, in inference mode.</summary>
    public static Evaluation Evaluate(INetwork network, Dataset data, LossFunction? loss = null, int batchSize = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        CheckData(network, data, "evaluation data");
        LossFunction chosen = NetworkGuard.LossToUse(network.GetType().Name, loss, network.DeclaredLoss);
        int size = batchSize <= 0 ? network.MaxBatch : Math.Min(batchSize, network.MaxBatch);
        double lossSum = 0;
        var counts = new AccuracyCounter();
        for (int start = 0; start < data.Count; start += size)
        {
            int count = Math.Min(size, data.Count - start);
            ReadOnlySpan<float> targets = data.Targets.Slice(start * data.TargetWidth, count * data.TargetWidth);
            ReadOnlySpan<float> output = network.Forward(data.Features.Slice(start * data.FeatureWidth, count * data.FeatureWidth), training: false);
            lossSum += count * (double)network.Loss(targets, chosen);
            counts.Add(output, targets, network.OutputSize, data.TargetWidth, chosen, OutputIsLogit(network));
        }

        return new Evaluation((lossSum / data.Count) + network.Regularize(), counts.Accuracy);
    }

    /// <summary>The outputs of <paramref name="network"/> for every row of <paramref name="features"/>, in inference mode.</summary>
    public static float[] Predict(INetwork network, ReadOnlySpan<float> features)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (features.Length % network.InputSize != 0)
        {
            throw new ArgumentException($"{features.Length} features are not whole rows of {network.InputSize}.", nameof(features));
        }

        int rows = features.Length / network.InputSize;
        float[] outputs = new float[rows * network.OutputSize];
        for (int start = 0; start < rows; start += network.MaxBatch)
        {
            int count = Math.Min(network.MaxBatch, rows - start);
            network.Forward(features.Slice(start * network.InputSize, count * network.InputSize), training: false)
                .CopyTo(outputs.AsSpan(start * network.OutputSize, count * network.OutputSize));
        }

        return outputs;
    }

    private static double Step(
        INetwork network, Optimizer<float> optimizer, ReadOnlySpan<float> features, ReadOnlySpan<float> targets,
        LossFunction loss, double? clipGradientNorm, ref AccuracyCounter counts)
    {
        network.ZeroGradients();
        ReadOnlySpan<float> output = network.Forward(features, training: true);
        double value = network.LossBackward(targets, loss);
        value += network.Regularize();
        counts.Add(output, targets, network.OutputSize, targets.Length / (features.Length / network.InputSize), loss, OutputIsLogit(network));
        if (clipGradientNorm is double maxNorm)
        {
            GradientClipping.ClipByGlobalNorm(network.Gradients, maxNorm);
        }

        optimizer.Step(network.Parameters, network.Gradients);
        return value;
    }

    private static bool OutputIsLogit(INetwork network)
        => network.Layers.Count > 0 && network.Layers[network.Layers.Count - 1] is DenseLayer { Activation: Activation.Identity };

    private static (Dataset Training, Dataset? Validation) SplitValidation(Dataset data, FitOptions options)
    {
        if (options.ValidationData is not null || options.ValidationSplit == 0)
        {
            return (data, options.ValidationData);
        }

        // Keras: the last fraction of the rows, before any shuffling.
        int trainingRows = (int)(data.Count * (1 - options.ValidationSplit));
        if (trainingRows == 0 || trainingRows == data.Count)
        {
            throw new ArgumentException(
                $"A validation split of {options.ValidationSplit} leaves {trainingRows} of {data.Count} rows for training; choose a fraction that leaves rows on both sides.");
        }

        (Dataset training, Dataset validation) = data.SplitAt(trainingRows);
        return (training, validation);
    }

    private static void CheckOptions(INetwork network, FitOptions options)
    {
        if (options.Epochs <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Epochs, "Epochs must be positive, such as 10.");
        }

        if (options.BatchSize <= 0 || options.BatchSize > network.MaxBatch)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options),
                options.BatchSize,
                $"The batch size must be from 1 to the network's MaxBatch of {network.MaxBatch}; construct the network with maxBatch: {Math.Max(options.BatchSize, 1)} for larger batches.");
        }

        if (!(options.ValidationSplit >= 0 && options.ValidationSplit < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.ValidationSplit, "The validation split is a fraction in [0, 1), such as 0.2.");
        }

        if (options.ClipGradientNorm is double clip && !(clip > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(options), clip, "The gradient norm bound must be positive, such as 1.0.");
        }
    }

    private static void CheckData(INetwork network, Dataset data, string what)
    {
        if (data.FeatureWidth != network.InputSize)
        {
            throw new ArgumentException(
                $"The {what} has {data.FeatureWidth} features per row, but the network takes {network.InputSize}; select the right columns or change [Input].");
        }

        if (data.TargetWidth != network.OutputSize && data.TargetWidth != 1)
        {
            throw new ArgumentException(
                $"The {what} has {data.TargetWidth} targets per row, but the network gives {network.OutputSize} outputs; " +
                "use one target per output, or one class index per row.");
        }

        if (data.Count == 0)
        {
            throw new ArgumentException($"The {what} is empty.");
        }
    }

    /// <summary>The training rows, gathered batch by batch into buffers allocated once.</summary>
    private sealed class BatchBuffers
    {
        private readonly Dataset _data;
        private readonly int[] _order;
        private readonly float[] _features;
        private readonly float[] _targets;

        public BatchBuffers(INetwork network, Dataset data, int batchSize)
        {
            _data = data;
            _order = new int[data.Count];
            for (int i = 0; i < _order.Length; i++)
            {
                _order[i] = i;
            }

            _features = new float[batchSize * network.InputSize];
            _targets = new float[batchSize * data.TargetWidth];
        }

        public void Shuffle(ref Xoshiro256 random)
        {
            // Fisher-Yates, from the last position down.
            for (int i = _order.Length - 1; i > 0; i--)
            {
                int j = random.NextInt(i + 1);
                (_order[i], _order[j]) = (_order[j], _order[i]);
            }
        }

        public void Gather(int start, int count)
        {
            for (int i = 0; i < count; i++)
            {
                int row = _order[start + i];
                _data.FeatureRow(row).CopyTo(_features.AsSpan(i * _data.FeatureWidth, _data.FeatureWidth));
                _data.TargetRow(row).CopyTo(_targets.AsSpan(i * _data.TargetWidth, _data.TargetWidth));
            }
        }

        public ReadOnlySpan<float> Features(int count) => _features.AsSpan(0, count * _data.FeatureWidth);

        public Span<float> MutableFeatures(int count) => _features.AsSpan(0, count * _data.FeatureWidth);

        public ReadOnlySpan<float> Targets(int count) => _targets.AsSpan(0, count * _data.TargetWidth);
    }

    /// <summary>Counts correct predictions where the task is classification.</summary>
    private struct AccuracyCounter
    {
        private long _correct;
        private long _total;

        public readonly double? Accuracy => _total == 0 ? null : (double)_correct / _total;

        public void Add(ReadOnlySpan<float> output, ReadOnlySpan<float> targets, int width, int targetWidth, LossFunction loss, bool outputIsLogit)
        {
            int rows = output.Length / width;
            if (width >= 2 && (targetWidth == 1 || targetWidth == width))
            {
                for (int row = 0; row < rows; row++)
                {
                    int predicted = TensorPrimitives.IndexOfMax(output.Slice(row * width, width));
                    int actual = targetWidth == 1 ? (int)targets[row] : TensorPrimitives.IndexOfMax(targets.Slice(row * width, width));
                    _correct += predicted == actual ? 1 : 0;
                }

                _total += rows;
            }
            else if (width == 1 && loss.Kind == LossKind.BinaryCrossEntropy)
            {
                // A sigmoid output is a probability, a linear one a logit: each says "positive" above its midpoint.
                float midpoint = outputIsLogit ? 0f : 0.5f;
                for (int row = 0; row < rows; row++)
                {
                    bool positive = output[row] > midpoint;
                    _correct += positive == (targets[row] > 0.5f) ? 1 : 0;
                }

                _total += rows;
            }
        }
    }
}
