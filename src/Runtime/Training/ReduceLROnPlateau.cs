using System;
using System.Globalization;

namespace TypedNets.Training;

/// <summary>
/// Lowers the learning rate when a monitored metric has stopped improving, as Keras' <c>ReduceLROnPlateau</c>, with
/// its defaults and rule. After each epoch: during a cooldown (the <see cref="Cooldown"/> epochs after a reduction)
/// the count of epochs without improvement stays at 0; an epoch improves when it beats the best value by more than
/// <see cref="MinDelta"/>; otherwise, outside a cooldown, it counts, and at <see cref="Patience"/> such epochs the
/// rate becomes <c>max(rate * factor, minLearningRate)</c> (unless it is already at or below the minimum), the count
/// restarts and the cooldown begins. Each reduction is said through <see cref="TrainingControl.Log"/>:
/// "Epoch 12: ReduceLROnPlateau reducing learning rate to 0.0001."
/// </summary>
/// <remarks>
/// It sets <see cref="Optimizers.Optimizer{T}.LearningRate"/>, which a <see cref="FitOptions.LearningRateSchedule"/>
/// overwrites at the start of every epoch: use one or the other. In a resumed run its state (best value, epochs
/// waited, cooldown) is rebuilt from the restored history, and the rate is the checkpoint's.
/// </remarks>
public sealed class ReduceLROnPlateau : ICallback
{
    private int _wait;
    private int _cooldownCounter;

    /// <summary>Creates the callback with Keras' defaults.</summary>
    /// <param name="monitor"><c>val_loss</c> (default), <c>loss</c>, <c>val_accuracy</c> or <c>accuracy</c>.</param>
    /// <param name="factor">What the rate is multiplied by at a plateau; in (0, 1).</param>
    /// <param name="patience">Epochs without improvement before the rate is lowered; at least 0.</param>
    /// <param name="mode"><c>auto</c> (accuracies are maximised, losses minimised), <c>min</c> or <c>max</c>.</param>
    /// <param name="minDelta">The smallest change that counts as an improvement; at least 0.</param>
    /// <param name="cooldown">Epochs after a reduction during which epochs without improvement are not counted; at least 0.</param>
    /// <param name="minLearningRate">The lowest rate a reduction gives; at least 0.</param>
    /// <exception cref="ArgumentException">When <paramref name="monitor"/> or <paramref name="mode"/> is none of those listed.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When a number is out of its range (parameter named).</exception>
    public ReduceLROnPlateau(
        string monitor = "val_loss", double factor = 0.1, int patience = 10, string mode = "auto", double minDelta = 1e-4, int cooldown = 0, double minLearningRate = 0)
    {
        MonitoredMetric.Check(nameof(ReduceLROnPlateau), monitor);

        if (mode is not ("auto" or "min" or "max"))
        {
            throw new ArgumentException($"ReduceLROnPlateau's mode is '{mode}'; use auto, min or max.", nameof(mode));
        }

        if (!(factor > 0 && factor < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "The factor multiplies the learning rate at a plateau and must be in (0, 1), such as 0.1 or 0.5.");
        }

        if (patience < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(patience), patience, "Patience counts epochs and cannot be negative.");
        }

        if (!(minDelta >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "The minimum change must be >= 0, such as 0.0001.");
        }

        if (cooldown < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(cooldown), cooldown, "The cooldown counts epochs and cannot be negative.");
        }

        if (!(minLearningRate >= 0) || double.IsInfinity(minLearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(minLearningRate), minLearningRate, "The minimum learning rate must be a finite number >= 0, such as 1e-6.");
        }

        Monitor = monitor;
        Factor = factor;
        Patience = patience;
        Mode = mode;
        MinDelta = minDelta;
        Cooldown = cooldown;
        MinLearningRate = minLearningRate;
        Maximize = mode == "max" || (mode == "auto" && MonitoredMetric.IsMaximised(monitor));
    }

    /// <summary>The monitored metric.</summary>
    public string Monitor { get; }

    /// <summary>What the rate is multiplied by at a plateau.</summary>
    public double Factor { get; }

    /// <summary>Epochs without improvement before the rate is lowered.</summary>
    public int Patience { get; }

    /// <summary><c>auto</c>, <c>min</c> or <c>max</c>.</summary>
    public string Mode { get; }

    /// <summary>The smallest change that counts as an improvement.</summary>
    public double MinDelta { get; }

    /// <summary>Epochs after a reduction during which epochs without improvement are not counted.</summary>
    public int Cooldown { get; }

    /// <summary>The lowest rate a reduction gives.</summary>
    public double MinLearningRate { get; }

    /// <summary>The best monitored value so far (infinite before any).</summary>
    public double Best { get; private set; }

    private bool Maximize { get; }

    /// <summary>Starts afresh or, in a resumed run, with the state the restored epochs leave.</summary>
    /// <param name="control">The run.</param>
    public void OnTrainBegin(TrainingControl control)
    {
        ArgumentNullException.ThrowIfNull(control);
        Best = Maximize ? double.NegativeInfinity : double.PositiveInfinity;
        _wait = 0;
        _cooldownCounter = 0;
        foreach (EpochResult epoch in control.History.Epochs)
        {
            if (epoch.Get(Monitor) is double value)
            {
                Update(value, epoch.LearningRate);
            }
        }
    }

    /// <inheritdoc/>
    public void OnEpochEnd(EpochResult epoch, TrainingControl control)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        ArgumentNullException.ThrowIfNull(control);
        double current = MonitoredMetric.Read(nameof(ReduceLROnPlateau), Monitor, epoch);
        double rate = control.Optimizer.LearningRate;
        double lowered = Update(current, rate);
        if (lowered != rate)
        {
            control.Optimizer.LearningRate = lowered;
            control.Log(string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch.Epoch}: ReduceLROnPlateau reducing learning rate to {lowered:G6}."));
        }
    }

    /// <summary>Keras' rule for one epoch's value: advances the state and returns the rate to use from now on.</summary>
    private double Update(double current, double rate)
    {
        if (_cooldownCounter > 0)
        {
            _cooldownCounter--;
            _wait = 0;
        }

        if (Maximize ? current > Best + MinDelta : current < Best - MinDelta)
        {
            Best = current;
            _wait = 0;
            return rate;
        }

        if (_cooldownCounter > 0)
        {
            return rate;
        }

        _wait++;
        if (_wait < Patience || !(rate > MinLearningRate))
        {
            return rate;
        }

        _cooldownCounter = Cooldown;
        _wait = 0;
        return Math.Max(rate * Factor, MinLearningRate);
    }
}
