using System;
using System.Globalization;
using System.IO;
using TypedNets.Optimizers;
using TypedNets.Serialization;

namespace TypedNets.Training;

/// <summary>Lets a callback look at the run (network, optimizer, history), save a checkpoint of it, and stop training.</summary>
public sealed class TrainingControl
{
    private readonly FitOptions _options;
    private readonly int _trainingRows;

    internal TrainingControl(INetwork network, Optimizer<float> optimizer, FitOptions options, int trainingRows)
    {
        Network = network;
        Optimizer = optimizer;
        _options = options;
        _trainingRows = trainingRows;
        InitialLearningRate = optimizer.LearningRate;
        ShuffleRandom = Xoshiro256.ForStream(options.Seed, 2);
    }

    /// <summary>The network being trained.</summary>
    public INetwork Network { get; }

    /// <summary>The optimizer training it.</summary>
    public Optimizer<float> Optimizer { get; }

    /// <summary>
    /// The finished epochs, including, in a resumed run, those restored from the checkpoint: a callback's
    /// <see cref="ICallback.OnTrainBegin"/> can rebuild its state from them (as <see cref="EarlyStopping"/> and
    /// <see cref="ModelCheckpoint"/> do).
    /// </summary>
    public History History { get; } = new();

    /// <summary>The number of epochs asked for, <see cref="FitOptions.Epochs"/>.</summary>
    public int Epochs => _options.Epochs;

    /// <summary>The number of finished epochs, counting those restored on resume.</summary>
    public int Epoch => History.Epochs.Count;

    /// <summary>Set to stop after the current epoch.</summary>
    public bool StopTraining { get; set; }

    /// <summary>The number of batches in every epoch: the training rows divided by the batch size, rounded up.</summary>
    public int BatchesPerEpoch { get; internal set; }

    /// <summary>
    /// The mean training loss of the current epoch's batches so far (what Keras' progress bar shows as <c>loss</c>
    /// while an epoch runs); 0 before its first batch.
    /// </summary>
    public double RunningLoss { get; internal set; }

    /// <summary>The training accuracy of the current epoch's batches so far, for classifiers; otherwise <see langword="null"/>.</summary>
    public double? RunningAccuracy { get; internal set; }

    /// <summary>
    /// Says something about the run, such as "Epoch 12: early stopping", to every callback's
    /// <see cref="ICallback.OnLog"/>, in order and on this thread: a <see cref="ProgressLogger"/> prints it.
    /// </summary>
    /// <param name="message">One line, without its line break.</param>
    public void Log(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        for (int i = 0; i < _options.Callbacks.Count; i++)
        {
            _options.Callbacks[i].OnLog(message, this);
        }
    }

    /// <summary>The optimizer's learning rate when the run began, from which a schedule computes each epoch's.</summary>
    internal double InitialLearningRate { get; set; }

    /// <summary>The generator that shuffles the training rows; a field, so that the loop advances it in place.</summary>
    internal Xoshiro256 ShuffleRandom;

    /// <summary>
    /// Saves a checkpoint of the run as it stands, atomically: the network's parameters and buffers, the optimizer's
    /// state, and the progress <see cref="FitOptions.ResumeFrom"/> needs to continue it bit for bit (epochs done,
    /// history, the shuffling and dropout generators). Called from <see cref="ICallback.OnEpochEnd"/>, it captures the
    /// end of that epoch.
    /// </summary>
    /// <param name="path">The file to create or replace; its directory must exist.</param>
    /// <exception cref="System.IO.IOException">When the file cannot be written; any previous file is unchanged.</exception>
    public void SaveCheckpoint(string path)
    {
        var progress = new TrainingProgress(
            Epoch, [.. History.Epochs], _options.Seed, _options.BatchSize, _options.Shuffle, _trainingRows, InitialLearningRate, ShuffleRandom, Network.DropoutRandom);
        Checkpoint.Save(path, Network, Optimizer, progress);
    }
}

/// <summary>
/// Called by <see cref="Trainer.Fit"/> around training, epochs and batches, as Keras' callbacks, in the order of
/// <see cref="FitOptions.Callbacks"/> and on the training thread. Every method but <see cref="OnEpochEnd"/> does
/// nothing unless implemented.
/// </summary>
public interface ICallback
{
    /// <summary>
    /// Before the first epoch. In a run resumed from a checkpoint (<see cref="FitOptions.ResumeFrom"/>),
    /// <see cref="TrainingControl.History"/> already holds the restored epochs, from which a callback can rebuild its state.
    /// </summary>
    void OnTrainBegin(TrainingControl control)
    {
    }

    /// <summary>
    /// Before every epoch (Keras' <c>on_epoch_begin</c>), after <see cref="FitOptions.LearningRateSchedule"/> has set
    /// the epoch's learning rate, so a callback such as <see cref="LearningRateScheduler"/> can change it.
    /// </summary>
    /// <param name="epoch">The epoch about to run, from 1, as <see cref="EpochResult.Epoch"/>.</param>
    /// <param name="control">The run.</param>
    void OnEpochBegin(int epoch, TrainingControl control)
    {
    }

    /// <summary>
    /// After every optimizer step (Keras' <c>on_train_batch_end</c>), so a callback can change the weights before the
    /// next batch, as <see cref="Compression.MagnitudePruner.Callback"/> does to hold its masks.
    /// </summary>
    /// <param name="batch">The batch within the epoch, from 0.</param>
    /// <param name="control">The run.</param>
    void OnBatchEnd(int batch, TrainingControl control)
    {
    }

    /// <summary>After every epoch.</summary>
    void OnEpochEnd(EpochResult epoch, TrainingControl control);

    /// <summary>After the last epoch, whether all ran or training stopped early.</summary>
    void OnTrainEnd(TrainingControl control)
    {
    }

    /// <summary>
    /// Receives what a callback says about the run through <see cref="TrainingControl.Log"/>, such as
    /// <see cref="EarlyStopping"/>'s "Epoch 12: early stopping"; <see cref="ProgressLogger"/> prints it.
    /// </summary>
    /// <param name="message">One line, without its line break.</param>
    /// <param name="control">The run.</param>
    void OnLog(string message, TrainingControl control)
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
        MonitoredMetric.Check(nameof(EarlyStopping), monitor);

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

    private bool Maximize => MonitoredMetric.IsMaximised(Monitor);

    /// <summary>
    /// Starts afresh or, in a resumed run, from the restored history: <see cref="Best"/>, <see cref="BestEpoch"/> and the
    /// epochs waited are what they were when the checkpoint was saved.
    /// </summary>
    /// <remarks>
    /// The weights of the best epoch are not in a checkpoint. With <see cref="RestoreBestWeights"/>, a resumed run has them
    /// when the best epoch is the checkpoint's own (the weights it restored) or a later one; when the best epoch came
    /// earlier and no later epoch beats it, the weights are left as trained. Keep the best weights across crashes with
    /// <see cref="ModelCheckpoint"/>'s <c>saveBestOnly</c>.
    /// </remarks>
    /// <param name="control">The run.</param>
    public void OnTrainBegin(TrainingControl control)
    {
        ArgumentNullException.ThrowIfNull(control);
        Best = Maximize ? double.NegativeInfinity : double.PositiveInfinity;
        BestEpoch = 0;
        StoppedEpoch = 0;
        _wait = 0;
        _bestWeights = null;
        foreach (EpochResult epoch in control.History.Epochs)
        {
            if (epoch.Get(Monitor) is not double value)
            {
                continue;
            }

            if (Improves(value))
            {
                Best = value;
                BestEpoch = epoch.Epoch;
                _wait = 0;
            }
            else
            {
                _wait++;
            }
        }

        if (RestoreBestWeights && BestEpoch > 0 && BestEpoch == control.Epoch)
        {
            _bestWeights = control.Network.Parameters.ToArray();
        }
    }

    private bool Improves(double value) => Maximize ? value - MinDelta > Best : value + MinDelta < Best;

    /// <inheritdoc/>
    public void OnEpochEnd(EpochResult epoch, TrainingControl control)
    {
        double current = MonitoredMetric.Read(nameof(EarlyStopping), Monitor, epoch);
        if (Improves(current))
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

    /// <summary>
    /// Restores the best epoch's weights (with <see cref="RestoreBestWeights"/>) and says what it did through
    /// <see cref="TrainingControl.Log"/>, as Keras' <c>verbose=1</c>: "Epoch 9: early stopping; restored the weights of
    /// epoch 6 (val_loss 0.1234)".
    /// </summary>
    /// <param name="control">The run.</param>
    public void OnTrainEnd(TrainingControl control)
    {
        ArgumentNullException.ThrowIfNull(control);
        bool restore = RestoreBestWeights && _bestWeights is not null;
        if (restore)
        {
            _bestWeights!.CopyTo(control.Network.Parameters);
        }

        string restored = restore
            ? string.Create(CultureInfo.InvariantCulture, $"restored the weights of epoch {BestEpoch} ({Monitor} {MetricText.Format(Best)})")
            : "";
        if (StoppedEpoch > 0)
        {
            control.Log(string.Create(CultureInfo.InvariantCulture, $"Epoch {StoppedEpoch}: early stopping") + (restore ? "; " + restored : ""));
        }
        else if (restore)
        {
            control.Log("EarlyStopping " + restored);
        }
    }
}

/// <summary>
/// Saves the run after epochs, as Keras' <c>ModelCheckpoint</c>: every <see cref="Period"/> epochs, or only when the
/// monitored value improves (<see cref="SaveBestOnly"/>). By default it saves a full checkpoint (see
/// <see cref="Checkpoint"/>) from which <see cref="FitOptions.ResumeFrom"/> continues the run; with
/// <see cref="WeightsOnly"/>, a plain weights file (<see cref="SafeTensors.Save(INetwork, string, System.Collections.Generic.IReadOnlyDictionary{string, string})"/>).
/// Every save is atomic: a crash while saving leaves the previous file whole.
/// </summary>
/// <remarks>
/// <para>The path may hold <c>{epoch}</c>, replaced by the epoch number (from 1), or <c>{epoch:D3}</c> with a .NET
/// format, as Keras' <c>filepath="ckpt-{epoch:02d}.keras"</c>: each save then makes a new file. Without it, each save
/// replaces the one before. The file's directory is created if missing.</para>
/// <para>In a resumed run, the best value so far is rebuilt from the restored history, so <see cref="SaveBestOnly"/>
/// does not overwrite a better file saved before the crash.</para>
/// </remarks>
public sealed class ModelCheckpoint : ICallback
{
    /// <summary>Creates the callback.</summary>
    /// <param name="filePath">Where to save, such as <c>checkpoints/run.safetensors</c> or <c>checkpoints/epoch-{epoch}.safetensors</c>.</param>
    /// <param name="monitor">With <paramref name="saveBestOnly"/>: <c>val_loss</c> (default), <c>loss</c>, <c>val_accuracy</c> or <c>accuracy</c>; losses are minimised, accuracies maximised.</param>
    /// <param name="saveBestOnly">Whether to save only when the monitored value beats every earlier epoch's.</param>
    /// <param name="period">Save (or consider saving) every this many epochs, at least 1: epochs <c>period</c>, <c>2 * period</c>, ...</param>
    /// <param name="weightsOnly">Whether to save only the network's parameters and buffers, a plain weights file, rather than a checkpoint to resume from.</param>
    /// <exception cref="ArgumentException">When <paramref name="filePath"/> is empty, or <paramref name="monitor"/> is none of the four metrics.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="period"/> is below 1.</exception>
    public ModelCheckpoint(string filePath, string monitor = "val_loss", bool saveBestOnly = false, int period = 1, bool weightsOnly = false)
    {
        if (string.IsNullOrWhiteSpace(filePath))
        {
            throw new ArgumentException("ModelCheckpoint needs a file path, such as \"checkpoints/run.safetensors\".", nameof(filePath));
        }

        MonitoredMetric.Check(nameof(ModelCheckpoint), monitor);

        if (period < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, "The period counts epochs between saves and must be at least 1, such as 1 (every epoch) or 5.");
        }

        FilePath = filePath;
        Monitor = monitor;
        SaveBestOnly = saveBestOnly;
        Period = period;
        WeightsOnly = weightsOnly;
    }

    /// <summary>The path to save to, with <c>{epoch}</c> replaced at each save.</summary>
    public string FilePath { get; }

    /// <summary>The value compared with <see cref="SaveBestOnly"/>.</summary>
    public string Monitor { get; }

    /// <summary>Whether only improving epochs are saved.</summary>
    public bool SaveBestOnly { get; }

    /// <summary>Epochs between saves.</summary>
    public int Period { get; }

    /// <summary>Whether a save writes only the network's weights, not a checkpoint to resume from.</summary>
    public bool WeightsOnly { get; }

    /// <summary>The best monitored value so far (infinite before any).</summary>
    public double Best { get; private set; }

    /// <summary>The file of the last save, or <see langword="null"/> before one.</summary>
    public string? LastSaved { get; private set; }

    private bool Maximize => MonitoredMetric.IsMaximised(Monitor);

    /// <summary>Starts afresh or, in a resumed run, with the best monitored value of the restored history.</summary>
    /// <param name="control">The run.</param>
    public void OnTrainBegin(TrainingControl control)
    {
        ArgumentNullException.ThrowIfNull(control);
        Best = Maximize ? double.NegativeInfinity : double.PositiveInfinity;
        LastSaved = null;
        foreach (EpochResult epoch in control.History.Epochs)
        {
            if (epoch.Epoch % Period == 0 && epoch.Get(Monitor) is double value && Improves(value))
            {
                Best = value;
            }
        }
    }

    /// <inheritdoc/>
    public void OnEpochEnd(EpochResult epoch, TrainingControl control)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        ArgumentNullException.ThrowIfNull(control);
        if (epoch.Epoch % Period != 0)
        {
            return;
        }

        if (SaveBestOnly)
        {
            double current = epoch.Get(Monitor)
                ?? throw new InvalidOperationException(
                    $"ModelCheckpoint saves the best '{Monitor}', which this run does not produce; give validation data (ValidationSplit or ValidationData) or monitor 'loss'.");
            if (!Improves(current))
            {
                return;
            }

            Best = current;
        }

        string path = PathFor(epoch.Epoch);
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        if (WeightsOnly)
        {
            SafeTensors.Save(control.Network, path);
        }
        else
        {
            control.SaveCheckpoint(path);
        }

        LastSaved = path;
    }

    private bool Improves(double value) => Maximize ? value > Best : value < Best;

    /// <summary>The file path with <c>{epoch}</c> or <c>{epoch:format}</c> replaced by <paramref name="epoch"/>.</summary>
    private string PathFor(int epoch)
    {
        string path = FilePath;
        int start;
        while ((start = path.IndexOf("{epoch", StringComparison.Ordinal)) >= 0)
        {
            int end = path.IndexOf('}', start);
            string inside = end < 0 ? "" : path[(start + "{epoch".Length)..end];
            if (end < 0 || (inside.Length > 0 && inside[0] != ':'))
            {
                break;
            }

            string number = epoch.ToString(inside.Length > 1 ? inside[1..] : null, CultureInfo.InvariantCulture);
            path = string.Concat(path.AsSpan(0, start), number, path.AsSpan(end + 1));
        }

        return path;
    }
}
