using System;
using System.Collections.Generic;
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
    private static int s_threads = Math.Min(2, Environment.ProcessorCount);

    /// <summary>
    /// The threads a training step (<see cref="Step(INetwork, Optimizer{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, LossFunction, double?)"/>, <see cref="Fit"/>) spreads its batch over: 2 (the default on a
    /// machine with two or more cores) or 1. A batch that <see cref="Shards"/> splits in two runs one half on a worker
    /// thread; with 1 the same halves run one after the other, so the weights, losses and optimizer state are the same
    /// bits either way. <see cref="Kernels.Gemm.MaxThreads"/> is the knob of one product's helper thread, which a step
    /// that is not split uses.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">When the value is not 1 or 2.</exception>
    public static int Threads
    {
        get => s_threads;
        set
        {
            if (value is not (1 or 2))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"Trainer.Threads is 1 (the training thread only) or 2 (with a worker thread), not {value}.");
            }

            s_threads = value;
        }
    }

    /// <summary>
    /// How many shards a training step splits a batch of <paramref name="batchSize"/> samples of
    /// <paramref name="network"/> into: 2 (two halves, the first <c>ceil(n / 2)</c> samples and the rest) or 1. It
    /// depends only on the network and the batch size, never on <see cref="Threads"/>, which is what makes one and two
    /// threads give the same bits. A batch is split when its step does enough work to pay for the hand-off and the
    /// gradient reduction (about 2 million multiply-adds, and 32 for every parameter added up), and never when a layer
    /// couples the samples of a batch in training (<c>BatchNorm</c>), nor under distillation.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="batchSize"/> is not from 1 to the network's <c>MaxBatch</c>.</exception>
    public static int Shards(INetwork network, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (batchSize < 1 || batchSize > network.MaxBatch)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"The batch size must be from 1 to the network's MaxBatch of {network.MaxBatch}.");
        }

        return DataParallel.Of(network.Core).Splits(batchSize) ? 2 : 1;
    }

    /// <summary>Trains <paramref name="network"/> on <paramref name="data"/> and returns the per-epoch history.</summary>
    /// <remarks>
    /// Every step checks the loss and the gradients: at the first NaN or infinity, training stops with a
    /// <see cref="TrainingDivergedException"/> naming the epoch and batch, before the optimizer applies that step, so
    /// the network keeps the weights (and batch-normalisation statistics) of the last finite step, as Keras'
    /// <c>TerminateOnNaN</c> stops, with nothing lost. The network is held for the run: a <c>Predict</c> on another
    /// thread meanwhile throws instead of reading weights that are changing.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// When the data does not fit the network or an option is out of range, or <see cref="FitOptions.ResumeFrom"/> names a
    /// checkpoint of a run with another seed, batch size, shuffling or number of training rows, or the
    /// <see cref="FitOptions.Distillation"/> teacher cannot teach this network (another input or output width, a
    /// smaller <c>MaxBatch</c> than the batch size, the network itself, a loss other than cross-entropy, or a student
    /// whose output layer gives no logits); parameter <c>options</c>.
    /// </exception>
    /// <exception cref="Serialization.SafeTensorsFormatException">
    /// When the <see cref="FitOptions.ResumeFrom"/> checkpoint is corrupt, or of another network or optimizer; nothing was changed.
    /// </exception>
    /// <exception cref="System.IO.FileNotFoundException">When there is no file at <see cref="FitOptions.ResumeFrom"/>.</exception>
    /// <exception cref="TrainingDivergedException">When a step's loss or gradient is not finite.</exception>
    /// <exception cref="InvalidOperationException">When other threads are predicting with, or training, the same network or the distillation teacher.</exception>
    public static History Fit(INetwork network, Optimizer<float> optimizer, Dataset data, FitOptions options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        LossFunction loss = NetworkGuard.LossToUse(network.GetType().Name, options.Loss, network.DeclaredLoss);
        CheckOptions(network, options);
        CheckData(network, data, "training data", loss, nameof(data));

        (Dataset training, Dataset? validation) = SplitValidation(network, data, options, loss);
        if (validation is not null)
        {
            CheckData(network, validation, "validation data", loss, options.ValidationData is null ? nameof(data) : nameof(options));
        }

        Distiller? distiller = options.Distillation is null ? null : Distiller.For(network, options.Distillation, loss, options.BatchSize);
        using NetworkAccess.Scope exclusive = network.Access.Exclusive("Trainer.Fit");

        // The teacher is held too, so that nobody trains it or loads weights into it while it teaches.
        using NetworkAccess.Scope teacherHeld = distiller is null ? default : options.Distillation!.Teacher.Access.Exclusive("Trainer.Fit (as teacher)");
        float[] bufferBackup = new float[network.Buffers.Length];

        var control = new TrainingControl(network, optimizer, options, training.Count)
        {
            BatchesPerEpoch = (training.Count + options.BatchSize - 1) / options.BatchSize,
        };
        History history = control.History;
        var batches = new BatchBuffers(network, training, options.BatchSize);
        network.ReseedDropout(options.Seed);
        int firstEpoch = options.ResumeFrom is null ? 0 : Resume(network, optimizer, options, batches, training.Count, control);

        foreach (ICallback callback in options.Callbacks)
        {
            callback.OnTrainBegin(control);
        }

        for (int epoch = firstEpoch; epoch < options.Epochs && !control.StopTraining; epoch++)
        {
            var clock = Stopwatch.StartNew();
            if (options.LearningRateSchedule is not null)
            {
                optimizer.LearningRate = options.LearningRateSchedule.LearningRate(epoch, control.InitialLearningRate);
            }

            if (options.Shuffle)
            {
                batches.Shuffle(ref control.ShuffleRandom);
            }

            control.RunningLoss = 0;
            control.RunningAccuracy = null;
            foreach (ICallback callback in options.Callbacks)
            {
                callback.OnEpochBegin(epoch + 1, control);
            }

            var mean = new LossMean();
            var counts = new AccuracyCounter();
            for (int start = 0; start < training.Count; start += options.BatchSize)
            {
                int count = Math.Min(options.BatchSize, training.Count - start);
                batches.Gather(start, count);
                options.Augment?.Invoke(batches.MutableFeatures(count));
                network.Buffers.CopyTo(bufferBackup);
                double stepLoss = Step(network, optimizer, batches.Features(count), batches.Targets(count), loss, options.ClipGradientNorm, distiller, ref counts, out int badGradient);
                if (badGradient >= 0 || !double.IsFinite(stepLoss))
                {
                    bufferBackup.CopyTo(network.Buffers);
                    throw TrainingDivergedException.Create(network, epoch + 1, (start / options.BatchSize) + 1, stepLoss, badGradient, history);
                }

                mean.Add(stepLoss, count, LossWeight(network, batches.Targets(count), count, loss));
                control.RunningLoss = mean.Value;
                control.RunningAccuracy = counts.Accuracy;
                // Indexed rather than foreach: an interface's enumerator would be allocated every batch.
                IReadOnlyList<ICallback> callbacks = options.Callbacks;
                for (int i = 0; i < callbacks.Count; i++)
                {
                    callbacks[i].OnBatchEnd(start / options.BatchSize, control);
                }
            }

            Evaluation? validationResult = validation is null ? null : Evaluate(network, validation, loss, options.BatchSize);
            var result = new EpochResult(
                epoch + 1,
                options.Epochs,
                mean.Value,
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
    /// Restores the run saved in <see cref="FitOptions.ResumeFrom"/> into the network, the optimizer and the loop's
    /// state, after checking all of it and that the options repeat the saved run's; returns the first epoch to train.
    /// </summary>
    private static int Resume(INetwork network, Optimizer<float> optimizer, FitOptions options, BatchBuffers batches, int trainingRows, TrainingControl control)
    {
        string path = options.ResumeFrom!;
        Checkpoint.PendingLoad pending = Checkpoint.Read(path, network, optimizer);
        TrainingProgress progress = pending.Progress
            ?? throw new ArgumentException(
                $"The checkpoint '{path}' holds weights and optimizer state but no training progress (it was saved by Checkpoint.Save, outside Fit); " +
                "load it with Checkpoint.Load and call Fit without ResumeFrom.",
                nameof(options));
        string? differs = progress.Seed != options.Seed ? $"Seed {options.Seed}, but the checkpoint's run had Seed {progress.Seed}"
            : progress.BatchSize != options.BatchSize ? $"BatchSize {options.BatchSize}, but the checkpoint's run had BatchSize {progress.BatchSize}"
            : progress.Shuffle != options.Shuffle ? $"Shuffle {options.Shuffle}, but the checkpoint's run had Shuffle {progress.Shuffle}"
            : progress.TrainingRows != trainingRows ? $"{trainingRows} training rows, but the checkpoint's run had {progress.TrainingRows} (other data or another validation split)"
            : null;
        if (differs is not null)
        {
            throw new ArgumentException(
                $"ResumeFrom '{path}' continues a run that this one does not repeat: this run has {differs}. Give the options and data of the saved run, " +
                "or start afresh without ResumeFrom.",
                nameof(options));
        }

        // Each epoch shuffles the previous epoch's order in place, so the order is state too. It is rebuilt by replaying
        // the shuffles from the seed, which must arrive at the saved generator: a check that the data and seed match.
        if (options.Shuffle)
        {
            for (int epoch = 0; epoch < progress.Epoch; epoch++)
            {
                batches.Shuffle(ref control.ShuffleRandom);
            }

            if (control.ShuffleRandom.State != progress.ShuffleRandom.State)
            {
                throw new ArgumentException(
                    $"ResumeFrom '{path}': replaying {progress.Epoch} epochs of shuffling from Seed {options.Seed} does not reach the checkpoint's shuffling generator; " +
                    "the checkpoint was edited, or written by a version that shuffles differently.",
                    nameof(options));
            }
        }

        pending.Commit();
        foreach (EpochResult epoch in progress.History)
        {
            control.History.Add(epoch);
        }

        control.InitialLearningRate = progress.InitialLearningRate;
        network.DropoutRandom = progress.DropoutRandom;
        return progress.Epoch;
    }

    /// <summary>
    /// One training step on one batch: returns the batch's loss (weight penalties included). Allocates nothing. For a
    /// network whose output is a sequence <c>[steps, classes]</c>, cross-entropy's targets are <c>steps</c> class ids per
    /// sample (or <c>steps * classes</c> one-hot values), and the loss is the mean over every position not ignored.
    /// When the loss or a gradient is not finite the optimizer does not run, the weights stay as they were, and a
    /// <see cref="TrainingDivergedException"/> says which.
    /// </summary>
    /// <exception cref="TrainingDivergedException">When the loss or a gradient is not finite.</exception>
    /// <exception cref="InvalidOperationException">When other threads are predicting with, or training, the same network.</exception>
    /// <exception cref="ArgumentException">
    /// When the targets do not fit the batch's output (parameter <c>target</c>, as the network's <c>LossBackward</c> names it),
    /// or a class id is out of range and not the ignore index.
    /// </exception>
    public static double Step(INetwork network, Optimizer<float> optimizer, ReadOnlySpan<float> features, ReadOnlySpan<float> targets, LossFunction loss, double? clipGradientNorm = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(optimizer);
        using NetworkAccess.Scope exclusive = network.Access.Exclusive("Trainer.Step");
        var ignored = default(AccuracyCounter);
        double value = Step(network, optimizer, features, targets, loss, clipGradientNorm, distiller: null, ref ignored, out int badGradient);
        if (badGradient >= 0 || !double.IsFinite(value))
        {
            throw TrainingDivergedException.Create(network, epoch: 0, batch: 0, value, badGradient, history: null);
        }

        return value;
    }

    /// <summary>The mean loss and, for classifiers, the accuracy of <paramref name="network"/> on <paramref name="data"/>, in inference mode.</summary>
    /// <remarks>
    /// For cross-entropy on a sequence output <c>[steps, classes]</c>, the accuracy is over every position whose target
    /// is not the ignore index, and the loss is the mean over those positions in the whole set, whatever the batches,
    /// as PyTorch's <c>F.cross_entropy</c> over every position at once.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// When the data does not fit the network (its feature or target width), is empty, or holds a class id out of range
    /// that is not the ignore index (parameter <c>data</c>).
    /// </exception>
    /// <exception cref="InvalidOperationException">When no loss is given or declared, or other threads are using the network.</exception>
    public static Evaluation Evaluate(INetwork network, Dataset data, LossFunction? loss = null, int batchSize = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        LossFunction chosen = NetworkGuard.LossToUse(network.GetType().Name, loss, network.DeclaredLoss);
        CheckData(network, data, "evaluation data", chosen, nameof(data));
        using NetworkAccess.Scope exclusive = network.Access.Exclusive("Trainer.Evaluate");
        int size = batchSize <= 0 ? network.MaxBatch : Math.Min(batchSize, network.MaxBatch);
        var mean = new LossMean();
        var counts = new AccuracyCounter();
        for (int start = 0; start < data.Count; start += size)
        {
            int count = Math.Min(size, data.Count - start);
            ReadOnlySpan<float> targets = data.Targets.Slice(start * data.TargetWidth, count * data.TargetWidth);
            ReadOnlySpan<float> output = network.Forward(data.Features.Slice(start * data.FeatureWidth, count * data.FeatureWidth), training: false);
            mean.Add(network.Loss(targets, chosen), count, LossWeight(network, targets, count, chosen));
            counts.Add(output, targets, AccuracyWidth(network, chosen), chosen, OutputIsLogit(network));
        }

        return new Evaluation(mean.Value + network.Regularize(), counts.Accuracy);
    }

    /// <summary>
    /// The outputs of <paramref name="network"/> for every row of <paramref name="features"/>, in inference mode. Safe
    /// to call from many threads at once, as the network's own <c>Predict</c>.
    /// </summary>
    /// <exception cref="ArgumentException">When <paramref name="features"/> is not whole rows of the network's input.</exception>
    public static float[] Predict(INetwork network, ReadOnlySpan<float> features)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (features.Length % network.InputSize != 0)
        {
            throw new ArgumentException($"{features.Length} features are not whole rows of {network.InputSize}.", nameof(features));
        }

        float[] outputs = new float[features.Length / network.InputSize * network.OutputSize];
        network.Predict(features, outputs);
        return outputs;
    }

    // badGradient: the index of the first gradient that is NaN or infinite, or -1. Either that or a loss that is not
    // finite skips the optimizer, so the weights stay those of the last finite step.
    private static double Step(
        INetwork network, Optimizer<float> optimizer, ReadOnlySpan<float> features, ReadOnlySpan<float> targets,
        LossFunction loss, double? clipGradientNorm, Distiller? distiller, ref AccuracyCounter counts, out int badGradient)
    {
        int batch = features.Length / network.InputSize;
        double value;
        DataParallel parallel = DataParallel.Of(network.Core);
        bool split = distiller is null && features.Length == batch * network.InputSize && batch >= 2 && batch <= network.MaxBatch
            && targets.Length % batch == 0 && parallel.Splits(batch);
        if (split)
        {
            value = SplitStep(network, parallel, features, targets, loss, batch, out int width, out int nonFinite);
            value += network.Regularize();
            badGradient = parallel.ChecksFinite ? nonFinite : Missing.IndexOfNonFinite(network.Gradients);
            if (badGradient >= 0 || !double.IsFinite(value))
            {
                return value;
            }

            // Accuracy counts each sample on its own, so the halves' counts add up to the batch's.
            int half = (batch + 1) / 2;
            int accuracyWidth = AccuracyWidth(network, loss);
            bool logits = OutputIsLogit(network);
            counts.Add(network.Core.Engine.LastOutput, targets[..(half * width)], accuracyWidth, loss, logits);
            counts.Add(parallel.SecondOutput, targets[(half * width)..], accuracyWidth, loss, logits);
        }
        else
        {
            network.ZeroGradients();
            ReadOnlySpan<float> output = network.Forward(features, training: true);
            value = distiller is null ? network.LossBackward(targets, loss) : distiller.LossBackward(network, features, targets, loss);
            value += network.Regularize();
            badGradient = Missing.IndexOfNonFinite(network.Gradients);
            if (badGradient >= 0 || !double.IsFinite(value))
            {
                return value;
            }

            counts.Add(output, targets, AccuracyWidth(network, loss), loss, OutputIsLogit(network));
        }

        if (clipGradientNorm is double maxNorm)
        {
            GradientClipping.ClipByGlobalNorm(network.Gradients, maxNorm);
        }

        if (split && optimizer.UpdatesRanges)
        {
            parallel.Step(optimizer);
        }
        else
        {
            optimizer.Step(network.Parameters, network.Gradients);
        }

        return value;
    }

    // The forward and backward pass of a batch split in two halves (DataParallel), each weighted by its share of what
    // the batch's loss is a mean over; returns the batch's loss, the shares' sum of the halves' losses.
    // A loss weight adds up over the samples (it counts samples, or targets not ignored), so the whole batch's is the sum.
    private static double SplitStep(
        INetwork network, DataParallel parallel, ReadOnlySpan<float> features, ReadOnlySpan<float> targets, LossFunction loss, int batch,
        out int targetWidth, out int firstNonFinite)
    {
        int half = (batch + 1) / 2;
        targetWidth = targets.Length / batch;
        ReadOnlySpan<float> firstTargets = targets[..(half * targetWidth)], secondTargets = targets[(half * targetWidth)..];
        double firstWeight = LossWeight(network, firstTargets, half, loss);
        double secondWeight = LossWeight(network, secondTargets, batch - half, loss);
        double whole = firstWeight + secondWeight;
        double firstShare = whole > 0 ? firstWeight / whole : 0;
        double secondShare = whole > 0 ? secondWeight / whole : 0;
        int split = half * network.InputSize;
        (float first, float second) = parallel.Run(
            features[..split], firstTargets, (float)firstShare, features[split..], secondTargets, (float)secondShare, loss, out firstNonFinite);
        return (firstShare * first) + (secondShare * second);
    }

    private static bool OutputIsLogit(INetwork network)
        => network.Layers.Count > 0 && network.Layers[network.Layers.Count - 1] is DenseLayer { Activation: Activation.Identity };

    private static SequenceTargets? SequenceOf(INetwork network, LossFunction loss)
        => SequenceTargets.For(network.Core.Name, network.OutputSize, network.Core.Engine.Layout.LossWidth, loss);

    // The values one prediction spans: the classes at each position of a sequence, else the whole output (as before
    // sequence targets, so that regression outputs keep their accuracy).
    private static int AccuracyWidth(INetwork network, LossFunction loss)
        => SequenceOf(network, loss)?.Classes ?? network.OutputSize;

    // What a batch's mean loss is a mean over: its samples, or, for class ids with an ignore index, the targets not
    // ignored, so that the loss over many batches is the mean over every target that counts however the batches split
    // them, as PyTorch's cross_entropy over the whole set at once.
    private static double LossWeight(INetwork network, ReadOnlySpan<float> targets, int samples, LossFunction loss)
    {
        if (loss.Kind != LossKind.CrossEntropy || loss.IgnoreIndex is not int ignored)
        {
            return samples;
        }

        int rows = samples * (SequenceOf(network, loss)?.Steps ?? 1);
        if (targets.Length != rows)
        {
            return rows;
        }

        int counted = 0;
        foreach (float target in targets)
        {
            counted += target == ignored ? 0 : 1;
        }

        return counted;
    }

    private static (Dataset Training, Dataset? Validation) SplitValidation(INetwork network, Dataset data, FitOptions options, LossFunction loss)
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
        CheckValidationClasses(network, data, validation, trainingRows, options.ValidationSplit, loss);
        return (training, validation);
    }

    // Data sorted by class (Iris is) puts a single class in its last rows; a validation loss over one class says
    // nothing about the model, and early stopping would watch it. Refused when the data as a whole has several classes.
    private static void CheckValidationClasses(INetwork network, Dataset data, Dataset validation, int trainingRows, double fraction, LossFunction loss)
    {
        if (!IsClassification(network, data, loss))
        {
            return;
        }

        int first = ClassOf(validation, 0, loss);
        for (int row = 1; row < validation.Count; row++)
        {
            if (ClassOf(validation, row, loss) != first)
            {
                return;
            }
        }

        for (int row = 0; row < trainingRows; row++)
        {
            if (ClassOf(data, row, loss) != first)
            {
                throw new ArgumentException(
                    $"The validation split takes the last {validation.Count} rows (rows {trainingRows} to {data.Count - 1}; as in Keras, " +
                    $"ValidationSplit = {fraction} takes them from the end, before shuffling), and every one of them is class {first}, " +
                    "so the validation loss would measure one class only. Shuffle the rows first (Split.TrainTest and " +
                    "Split.StratifiedTrainTest return them shuffled, or use data.Subset(Split.Shuffle(data.Count, seed))), " +
                    "or pass ValidationData.",
                    "options");
            }
        }
    }

    private static bool IsClassification(INetwork network, Dataset data, LossFunction loss)
        => (loss.Kind == LossKind.CrossEntropy && SequenceOf(network, loss) is null && (data.TargetWidth == 1 || data.TargetWidth == network.OutputSize) && network.OutputSize >= 2)
            || (loss.Kind == LossKind.BinaryCrossEntropy && data.TargetWidth == 1 && network.OutputSize == 1);

    private static int ClassOf(Dataset data, int row, LossFunction loss)
    {
        ReadOnlySpan<float> target = data.TargetRow(row);
        if (loss.Kind == LossKind.BinaryCrossEntropy)
        {
            return target[0] > 0.5f ? 1 : 0;
        }

        return target.Length == 1 ? (int)target[0] : TensorPrimitives.IndexOfMax(target);
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

    private static void CheckData(INetwork network, Dataset data, string what, LossFunction loss, string parameter)
    {
        if (data.FeatureWidth != network.InputSize)
        {
            throw new ArgumentException(
                $"The {what} has {data.FeatureWidth} features per row, but the network takes {network.InputSize}; select the right columns or change [Input].",
                parameter);
        }

        SequenceTargets? sequence = SequenceOf(network, loss);
        if (sequence is SequenceTargets widths)
        {
            if (data.TargetWidth != widths.Steps && data.TargetWidth != widths.OutputSize)
            {
                throw new ArgumentException(
                    $"The {what} has {data.TargetWidth} targets per row, but {widths.Widths("row")}; give each row the targets of every position, " +
                    $"such as the next token at each; {SequenceTargets.PerSampleFix}.",
                    parameter);
            }
        }
        else if (data.TargetWidth != network.OutputSize && data.TargetWidth != 1)
        {
            throw new ArgumentException(
                $"The {what} has {data.TargetWidth} targets per row, but the network gives {network.OutputSize} outputs; " +
                "use one target per output, or one class index per row.",
                parameter);
        }

        if (data.Count == 0)
        {
            throw new ArgumentException($"The {what} is empty.", parameter);
        }

        // Checked here, where rows are the data set's, rather than in the loss, which sees a shuffled batch.
        ReadOnlySpan<float> labels = data.Targets;
        if (sequence is SequenceTargets positions && data.TargetWidth == positions.Steps)
        {
            for (int i = 0; i < labels.Length; i++)
            {
                if (!positions.IsTarget(labels[i], loss.IgnoreIndex))
                {
                    throw new ArgumentException(
                        $"Row {i / positions.Steps}, position {i % positions.Steps} of the {what} has target {SequenceTargets.Format(labels[i])}, " +
                        $"but {positions.IdRange(loss.IgnoreIndex)}; {SequenceTargets.IdFix(loss.IgnoreIndex)}.",
                        parameter);
                }
            }
        }
        else if (loss.Kind == LossKind.CrossEntropy && data.TargetWidth == 1 && network.OutputSize >= 2)
        {
            for (int row = 0; row < labels.Length; row++)
            {
                float label = labels[row];
                if (!OneHot.IsClassIndex(label, network.OutputSize) && !(loss.IgnoreIndex is int ignored && label == ignored))
                {
                    string ignoring = loss.IgnoreIndex is int index ? $" (or {index.ToString(System.Globalization.CultureInfo.InvariantCulture)}, the ignore index)" : "";
                    throw new ArgumentException(
                        $"Row {row} of the {what} has class label {label.ToString(System.Globalization.CultureInfo.InvariantCulture)}, but the network's " +
                        $"{network.OutputSize} outputs take whole labels from 0 to {network.OutputSize - 1}{ignoring}; check the label column, or give the output layer more units.",
                        parameter);
                }
            }
        }
    }

    /// <summary>A teacher checked against its student, and the buffer its logits go into, allocated once per run.</summary>
    private sealed class Distiller
    {
        private readonly NetworkEngine<float> _teacher;
        private readonly float[] _teacherLogits;
        private readonly double _temperature;
        private readonly double _hardLabelWeight;

        private Distiller(NetworkEngine<float> teacher, int length, Distillation distillation)
        {
            _teacher = teacher;
            _teacherLogits = new float[length];
            _temperature = distillation.Temperature;
            _hardLabelWeight = distillation.HardLabelWeight;
        }

        public static Distiller For(INetwork student, Distillation distillation, LossFunction loss, int batchSize)
        {
            INetwork teacher = distillation.Teacher;
            string? refused = ReferenceEquals(teacher, student) || ReferenceEquals(teacher.Core, student.Core)
                    ? $"The teacher is the network being trained ({student.GetType().Name}); distil from another, already trained network"
                : teacher.OutputSize != student.OutputSize
                    ? $"The teacher {teacher.GetType().Name} gives {teacher.OutputSize} outputs but the student {student.GetType().Name} {student.OutputSize}; " +
                      "teacher and student must predict the same classes, one output each"
                : teacher.InputSize != student.InputSize
                    ? $"The teacher {teacher.GetType().Name} takes {teacher.InputSize} features but the student {student.GetType().Name} {student.InputSize}; " +
                      "both are given the same batch, so they must take the same input"
                : teacher.MaxBatch < batchSize
                    ? $"The teacher {teacher.GetType().Name} was built for batches of at most {teacher.MaxBatch}, but BatchSize is {batchSize}; " +
                      $"construct it with maxBatch: {batchSize} or train with smaller batches"
                : loss.Kind != LossKind.CrossEntropy
                    ? $"Distillation's hard-label term is cross-entropy, but the loss is {loss}; distil a classifier with Loss = LossFunction.CrossEntropy"
                : !student.Core.Engine.HasLogits
                    ? $"The student {student.GetType().Name} gives no logits to distil into; end it with a Dense layer with Softmax or without activation"
                : null;
            if (refused is not null)
            {
                throw new ArgumentException(refused + ".", "options");
            }

            return new Distiller(teacher.Core.Engine, batchSize * student.OutputSize, distillation);
        }

        // The teacher's forward pass in inference mode only: nothing of the teacher's is written but its activations.
        public double LossBackward(INetwork student, ReadOnlySpan<float> features, ReadOnlySpan<float> targets, LossFunction loss)
        {
            _teacher.Forward(features, training: false);
            Span<float> logits = _teacherLogits.AsSpan(0, student.Core.Engine.Batch * student.OutputSize);
            _teacher.LastOutputAsLogits(logits);
            return student.Core.Engine.DistillationBackward(logits, targets, loss, _temperature, _hardLabelWeight);
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

    /// <summary>
    /// The mean of batch losses over what each is a mean of (see <see cref="LossWeight"/>); by samples when no batch
    /// has any weight, so that a set whose every target is ignored reports its penalty alone rather than 0 / 0.
    /// </summary>
    private struct LossMean
    {
        private double _sum;
        private double _weight;
        private double _perSample;
        private int _samples;

        public readonly double Value => _weight > 0 ? _sum / _weight : _samples == 0 ? 0 : _perSample / _samples;

        public void Add(double loss, int samples, double weight)
        {
            _sum += weight * loss;
            _weight += weight;
            _perSample += samples * loss;
            _samples += samples;
        }
    }

    /// <summary>Counts correct predictions where the task is classification: per sample, or per position of a sequence.</summary>
    private struct AccuracyCounter
    {
        private long _correct;
        private long _total;

        public readonly double? Accuracy => _total == 0 ? null : (double)_correct / _total;

        /// <param name="output">The batch's outputs, rows of <paramref name="width"/>.</param>
        /// <param name="targets">One class id per row, or rows of <paramref name="width"/> (or other targets, where there is no accuracy).</param>
        /// <param name="width">The values of one prediction: a sample's output, or the classes at one position.</param>
        /// <param name="loss">The loss, whose ignore index marks rows left out.</param>
        /// <param name="outputIsLogit">Whether a single output is a logit rather than a probability.</param>
        public void Add(ReadOnlySpan<float> output, ReadOnlySpan<float> targets, int width, LossFunction loss, bool outputIsLogit)
        {
            int rows = output.Length / width;
            int targetWidth = targets.Length / rows;
            if (width >= 2 && (targetWidth == 1 || targetWidth == width))
            {
                for (int row = 0; row < rows; row++)
                {
                    if (targetWidth == 1 && loss.IgnoreIndex is int ignored && targets[row] == ignored)
                    {
                        continue;
                    }

                    int predicted = TensorPrimitives.IndexOfMax(output.Slice(row * width, width));
                    int actual = targetWidth == 1 ? (int)targets[row] : TensorPrimitives.IndexOfMax(targets.Slice(row * width, width));
                    _correct += predicted == actual ? 1 : 0;
                    _total++;
                }
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
