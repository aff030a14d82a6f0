using System;

namespace TypedNets.Training;

/// <summary>
/// What the callbacks that watch a metric (<see cref="EarlyStopping"/>, <see cref="ModelCheckpoint"/>,
/// <see cref="ReduceLROnPlateau"/>) share: the names they accept, which way is better, and reading it from an epoch.
/// </summary>
internal static class MonitoredMetric
{
    /// <summary>Refuses a metric an <see cref="EpochResult"/> does not hold, naming <paramref name="callback"/>.</summary>
    /// <exception cref="ArgumentException">When <paramref name="monitor"/> is not loss, val_loss, accuracy or val_accuracy (ParamName <c>monitor</c>).</exception>
    public static void Check(string callback, string monitor)
    {
        if (monitor is not ("loss" or "val_loss" or "accuracy" or "val_accuracy"))
        {
            throw new ArgumentException($"{callback} cannot monitor '{monitor}'; use loss, val_loss, accuracy or val_accuracy.", nameof(monitor));
        }
    }

    /// <summary>Whether larger is better: accuracies are maximised, losses minimised (Keras' <c>mode="auto"</c>).</summary>
    public static bool IsMaximised(string monitor) => monitor.EndsWith("accuracy", StringComparison.Ordinal);

    /// <summary>The metric's value in <paramref name="epoch"/>.</summary>
    /// <exception cref="InvalidOperationException">When the run does not produce it (a validation metric without validation data).</exception>
    public static double Read(string callback, string monitor, EpochResult epoch)
        => epoch.Get(monitor)
            ?? throw new InvalidOperationException(
                $"{callback} monitors '{monitor}', which this run does not produce; give validation data (ValidationSplit or ValidationData) or monitor 'loss'.");
}
