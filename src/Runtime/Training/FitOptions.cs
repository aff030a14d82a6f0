using System;
using System.Collections.Generic;
using TypedNets.Data;
using TypedNets.Optimizers;

namespace TypedNets.Training;

/// <summary>How <see cref="Trainer.Fit"/> trains: Keras' <c>fit</c> arguments, with a seed for everything random.</summary>
public sealed class FitOptions
{
    /// <summary>Passes over the training data; positive.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Samples per gradient step; positive and at most the network's <c>MaxBatch</c>.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Whether to visit the training rows in a fresh random order each epoch.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Fixes the shuffling and the dropout masks: the same seed gives the same weights, bit for bit.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// The fraction of the data held out for validation, taken from the end of the data before any shuffling, as
    /// Keras' <c>validation_split</c>; in [0, 1). Ignored when <see cref="ValidationData"/> is given.
    /// </summary>
    public double ValidationSplit { get; init; }

    /// <summary>Explicit validation data, as Keras' <c>validation_data</c>.</summary>
    public Dataset? ValidationData { get; init; }

    /// <summary>The loss; the network's declared <c>[Loss]</c> when not given.</summary>
    public LossFunction? Loss { get; init; }

    /// <summary>Changes the optimizer's learning rate at the start of every epoch.</summary>
    public ILearningRateSchedule? LearningRateSchedule { get; init; }

    /// <summary>When set, gradients are rescaled each step so that their global L2 norm is at most this value.</summary>
    public double? ClipGradientNorm { get; init; }

    /// <summary>
    /// Called around training, each epoch and each batch, in order, on the training thread; any of them can stop
    /// training. <see cref="ProgressLogger"/> prints progress; <see cref="EarlyStopping"/>, <see cref="ModelCheckpoint"/>,
    /// <see cref="ReduceLROnPlateau"/>, <see cref="CsvLogger"/> and <see cref="LearningRateScheduler"/> are Keras' callbacks.
    /// </summary>
    public IReadOnlyList<ICallback> Callbacks { get; init; } = [];

    /// <summary>
    /// Receives one report per epoch, after the callbacks' <see cref="ICallback.OnEpochEnd"/>, on the training thread. To
    /// print progress, add a <see cref="ProgressLogger"/> to <see cref="Callbacks"/> instead: a
    /// <see cref="System.Progress{T}"/> posts each report to the thread pool, so printed lines can come out of order or
    /// be lost when the program ends.
    /// </summary>
    public IProgress<EpochResult>? Progress { get; init; }

    /// <summary>
    /// Changes each training batch's features in place before the step, such as image augmentation; validation and
    /// evaluation data are never changed.
    /// </summary>
    public BatchTransform? Augment { get; init; }

    /// <summary>
    /// Trains the network as the student of a teacher network (knowledge distillation): on a mix of the cross-entropy
    /// on the labels and the KL divergence from the teacher's softened predictions. <see langword="null"/> trains on
    /// the loss alone. The loss must be cross-entropy.
    /// </summary>
    public Distillation? Distillation { get; init; }

    /// <summary>
    /// A checkpoint to continue from, saved during an earlier run of the same training by <see cref="ModelCheckpoint"/>
    /// (or <see cref="TrainingControl.SaveCheckpoint"/>): the network's weights and buffers, the optimizer's state, the
    /// epochs done and their history, the learning rate schedule's starting point and the shuffling and dropout
    /// generators are restored, and training continues with the next epoch up to <see cref="Epochs"/>, ending with the
    /// weights an uninterrupted run would have, bit for bit. <see langword="null"/> starts afresh.
    /// </summary>
    /// <remarks>
    /// The run must be given what it was given before: the same data, <see cref="Seed"/>, <see cref="BatchSize"/>,
    /// <see cref="Shuffle"/> and validation split (checked), and the same schedule, loss, clipping and augmentation (not
    /// checked). Randomness inside an <see cref="Augment"/> delegate is the caller's and is not restored. To resume
    /// when a checkpoint exists and start afresh otherwise: <c>ResumeFrom = File.Exists(path) ? path : null</c>.
    /// </remarks>
    public string? ResumeFrom { get; init; }
}

/// <summary>Changes a training batch's features in place: <c>[rows, features]</c>, row-major.</summary>
public delegate void BatchTransform(Span<float> features);

/// <summary>The figures of one finished epoch.</summary>
/// <param name="Epoch">The epoch, counted from 1.</param>
/// <param name="Epochs">The number of epochs asked for.</param>
/// <param name="Loss">The mean training loss over the epoch's batches, weight penalties included.</param>
/// <param name="Accuracy">The training accuracy, for classifiers; otherwise <see langword="null"/>.</param>
/// <param name="ValidationLoss">The validation loss, when there is validation data.</param>
/// <param name="ValidationAccuracy">The validation accuracy, for classifiers with validation data.</param>
/// <param name="LearningRate">The learning rate used during the epoch.</param>
/// <param name="Elapsed">The wall time of the epoch.</param>
public sealed record EpochResult(
    int Epoch,
    int Epochs,
    double Loss,
    double? Accuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double LearningRate,
    TimeSpan Elapsed)
{
    /// <summary>The value of a monitored quantity: <c>loss</c>, <c>accuracy</c>, <c>val_loss</c> or <c>val_accuracy</c>.</summary>
    public double? Get(string metric) => metric switch
    {
        "loss" => Loss,
        "accuracy" => Accuracy,
        "val_loss" => ValidationLoss,
        "val_accuracy" => ValidationAccuracy,
        _ => throw new ArgumentException($"Unknown metric '{metric}'; use loss, accuracy, val_loss or val_accuracy.", nameof(metric)),
    };

    /// <summary>A Keras-style progress line.</summary>
    public override string ToString()
    {
        var text = new System.Text.StringBuilder();
        text.Append(System.Globalization.CultureInfo.InvariantCulture, $"Epoch {Epoch}/{Epochs} - {Elapsed.TotalMilliseconds:F0}ms - loss: {Loss:F4}");
        if (Accuracy is double accuracy)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $" - accuracy: {accuracy:F4}");
        }

        if (ValidationLoss is double validationLoss)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $" - val_loss: {validationLoss:F4}");
        }

        if (ValidationAccuracy is double validationAccuracy)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $" - val_accuracy: {validationAccuracy:F4}");
        }

        return text.ToString();
    }
}

/// <summary>What a training run produced, epoch by epoch, as Keras' <c>History</c>.</summary>
public sealed class History
{
    private readonly List<EpochResult> _epochs = [];

    /// <summary>Every finished epoch, in order.</summary>
    public IReadOnlyList<EpochResult> Epochs => _epochs;

    /// <summary>The epoch (from 1) at which a callback stopped training, or <see langword="null"/> if all ran.</summary>
    public int? StoppedAt { get; internal set; }

    /// <summary>The values of one metric per epoch (<c>loss</c>, <c>accuracy</c>, <c>val_loss</c>, <c>val_accuracy</c>).</summary>
    public IReadOnlyList<double?> this[string metric] => _epochs.ConvertAll(epoch => epoch.Get(metric));

    internal void Add(EpochResult epoch) => _epochs.Add(epoch);
}
