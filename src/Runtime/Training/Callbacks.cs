using System;

namespace TypedNets.Training;

/// <summary>Lets a callback look at the network and stop training.</summary>
public sealed class TrainingControl
{
    internal TrainingControl(INetwork network) => Network = network;

    /// <summary>The network being trained.</summary>
    public INetwork Network { get; }

    /// <summary>Set to stop after the current epoch.</summary>
    public bool StopTraining { get; set; }
}

/// <summary>Called by <see cref="Trainer.Fit"/> around training and after every epoch, as Keras' callbacks.</summary>
public interface ICallback
{
    /// <summary>Before the first epoch.</summary>
    void OnTrainBegin(TrainingControl control)
    {
    }

    /// <summary>After every epoch.</summary>
    void OnEpochEnd(EpochResult epoch, TrainingControl control);

    /// <summary>After the last epoch, whether all ran or training stopped early.</summary>
    void OnTrainEnd(TrainingControl control)
    {
    }
}

/// <summary>
/// Stops training when a monitored metric has stopped improving, as Keras' <c>EarlyStopping</c>: an epoch improves
/// when it beats the best value so far by more than <see cref="MinDelta"/>; after <see cref="Patience"/> epochs
/// without improvement (counting this one) training stops. With <see cref="RestoreBestWeights"/>, the weights of the best epoch are put
/// back when training ends (as Keras 3 does, whether or not it stopped early).
/// </summary>
public sealed class EarlyStopping : ICallback
{
    private float[]? _bestWeights;
    private int _wait;

    /// <summary>Creates the callback.</summary>
    /// <param name="monitor"><c>val_loss</c> (default), <c>loss</c>, <c>val_accuracy</c> or <c>accuracy</c>; losses are minimised, accuracies maximised.</param>
    /// <param name="patience">Epochs without improvement before stopping; at least 0.</param>
    /// <param name="minDelta">The smallest change that counts as an improvement; at least 0.</param>
    /// <param name="restoreBestWeights">Whether to put back the best epoch's weights at the end.</param>
    public EarlyStopping(string monitor = "val_loss", int patience = 0, double minDelta = 0, bool restoreBestWeights = false)
    {
        if (monitor is not ("loss" or "val_loss" or "accuracy" or "val_accuracy"))
        {
            throw new ArgumentException($"EarlyStopping cannot monitor '{monitor}'; use loss, val_loss, accuracy or val_accuracy.", nameof(monitor));
        }

        if (patience < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(patience), patience, "Patience counts epochs and cannot be negative.");
        }

        if (!(minDelta >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "The minimum change must be >= 0, such as 0.001.");
        }

        Monitor = monitor;
        Patience = patience;
        MinDelta = minDelta;
        RestoreBestWeights = restoreBestWeights;
    }

    /// <summary>The monitored metric.</summary>
    public string Monitor { get; }

    /// <summary>Epochs without improvement before stopping.</summary>
    public int Patience { get; }

    /// <summary>The smallest change that counts as an improvement.</summary>
    public double MinDelta { get; }

    /// <summary>Whether the best epoch's weights are restored at the end.</summary>
    public bool RestoreBestWeights { get; }

    /// <summary>The best value seen.</summary>
    public double Best { get; private set; }

    /// <summary>The epoch (from 1) with the best value, or 0 before any.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>The epoch at which this callback stopped training, or 0.</summary>
    public int StoppedEpoch { get; private set; }

    private bool Maximize => Monitor.EndsWith("accuracy", StringComparison.Ordinal);

    /// <inheritdoc/>
    public void OnTrainBegin(TrainingControl control)
    {
        Best = Maximize ? double.NegativeInfinity : double.PositiveInfinity;
        BestEpoch = 0;
        StoppedEpoch = 0;
        _wait = 0;
        _bestWeights = null;
    }

    /// <inheritdoc/>
    public void OnEpochEnd(EpochResult epoch, TrainingControl control)
    {
        double current = epoch.Get(Monitor)
            ?? throw new InvalidOperationException(
                $"EarlyStopping monitors '{Monitor}', which this run does not produce; give validation data (ValidationSplit or ValidationData) or monitor 'loss'.");
        bool improved = Maximize ? current - MinDelta > Best : current + MinDelta < Best;
        if (improved)
        {
            Best = current;
            BestEpoch = epoch.Epoch;
            _wait = 0;
            if (RestoreBestWeights)
            {
                _bestWeights ??= new float[control.Network.Parameters.Length];
                control.Network.Parameters.CopyTo(_bestWeights);
            }

            return;
        }

        _wait++;
        if (_wait >= Patience)
        {
            StoppedEpoch = epoch.Epoch;
            control.StopTraining = true;
        }
    }

    /// <inheritdoc/>
    public void OnTrainEnd(TrainingControl control)
    {
        if (RestoreBestWeights && _bestWeights is not null)
        {
            _bestWeights.CopyTo(control.Network.Parameters);
        }
    }
}
