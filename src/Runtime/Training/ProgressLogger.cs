using System;
using System.Globalization;
using System.IO;
using System.Text;

namespace TypedNets.Training;

/// <summary>
/// Prints training progress as Keras' <c>ProgbarLogger</c> (<c>verbose=1</c>, with Keras 2's ASCII bar): on a terminal, an "Epoch 3/10" line
/// and then a bar that moves within the epoch, redrawn in place at most every <see cref="RefreshInterval"/>, with the
/// batches done, the estimated time remaining and the epoch's running loss and accuracy, ending in the epoch's
/// figures:
/// <code>
/// Epoch 3/10
/// 12/12 [==============================] - 0s 2ms/step - loss: 0.3012 - accuracy: 0.8906 - val_loss: 0.2950 - val_accuracy: 0.9000
/// </code>
/// When the output is redirected to a file or a pipe, where carriage returns would pile up, one plain line per epoch
/// (as Keras' <c>verbose=2</c>):
/// <code>
/// Epoch 3/10 - 12/12 - 0s 2ms/step - loss: 0.3012 - accuracy: 0.8906 - val_loss: 0.2950 - val_accuracy: 0.9000
/// </code>
/// It also prints what other callbacks say through <see cref="TrainingControl.Log"/>, such as
/// <see cref="EarlyStopping"/>'s "Epoch 9: early stopping; restored the weights of epoch 6 (val_loss 0.2950)".
/// </summary>
/// <remarks>
/// Everything is written synchronously, on the training thread, in order: unlike
/// <c>new Progress&lt;EpochResult&gt;(Console.WriteLine)</c>, which posts each report to the thread pool (lines then
/// arrive out of order, or after the program has moved on or ended). Between redraws a batch costs a clock reading
/// and allocates nothing; a redraw reuses one buffer.
/// </remarks>
public sealed class ProgressLogger : ICallback
{
    /// <summary>The shortest time between two redraws of the bar (Keras' <c>Progbar</c> has such an interval, of 50 ms), so that printing does not slow fast epochs.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(100);

    private const int BarWidth = 30;

    private readonly TextWriter _writer;
    private readonly TimeProvider _time;
    private readonly StringBuilder _line = new();
    private long _epochStart;
    private long _lastDraw;
    private int _previousWidth;
    private bool _lineOpen;

    /// <summary>
    /// Prints to the console: the moving bar when standard output is a terminal, plain lines when it is redirected
    /// (<see cref="Console.IsOutputRedirected"/>).
    /// </summary>
    public ProgressLogger()
        : this(Console.Out, terminal: !Console.IsOutputRedirected)
    {
    }

    /// <summary>Prints to <paramref name="writer"/>.</summary>
    /// <param name="writer">Where to print; written to on the training thread only.</param>
    /// <param name="terminal">Whether to draw the moving bar with carriage returns; <see langword="false"/> prints one line per epoch.</param>
    /// <param name="timeProvider">The clock for the times shown and the redraw interval; the system's when not given.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="writer"/> is <see langword="null"/>.</exception>
    public ProgressLogger(TextWriter writer, bool terminal, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        Terminal = terminal;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Whether the bar is drawn in place (a terminal) rather than one plain line per epoch.</summary>
    public bool Terminal { get; }

    /// <inheritdoc/>
    public void OnEpochBegin(int epoch, TrainingControl control)
    {
        ArgumentNullException.ThrowIfNull(control);
        _epochStart = _time.GetTimestamp();
        _lastDraw = _epochStart;
        _previousWidth = 0;
        if (Terminal)
        {
            CloseLine();
            _writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch}/{control.Epochs}"));
            _writer.Flush();
        }
    }

    /// <summary>Redraws the bar on a terminal when <see cref="RefreshInterval"/> has passed since the last draw.</summary>
    /// <param name="batch">The batch within the epoch, from 0.</param>
    /// <param name="control">The run.</param>
    public void OnBatchEnd(int batch, TrainingControl control)
    {
        ArgumentNullException.ThrowIfNull(control);
        int done = batch + 1;

        // The last batch is drawn by OnEpochEnd, with the validation figures.
        if (!Terminal || done >= control.BatchesPerEpoch)
        {
            return;
        }

        long now = _time.GetTimestamp();
        if (_time.GetElapsedTime(_lastDraw, now) < RefreshInterval)
        {
            return;
        }

        _lastDraw = now;
        double elapsed = _time.GetElapsedTime(_epochStart, now).TotalSeconds;
        _line.Clear();
        AppendBar(done, control.BatchesPerEpoch);
        _line.Append(" - ETA: ");
        MetricText.AppendEta(_line, elapsed / done * (control.BatchesPerEpoch - done));
        AppendMetric("loss", control.RunningLoss);
        if (control.RunningAccuracy is double accuracy)
        {
            AppendMetric("accuracy", accuracy);
        }

        Draw();
    }

    /// <summary>Ends the epoch's bar (or writes its line) with the epoch's figures.</summary>
    /// <param name="epoch">The finished epoch.</param>
    /// <param name="control">The run.</param>
    public void OnEpochEnd(EpochResult epoch, TrainingControl control)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        ArgumentNullException.ThrowIfNull(control);
        double elapsed = _time.GetElapsedTime(_epochStart).TotalSeconds;
        int batches = control.BatchesPerEpoch;
        _line.Clear();
        if (Terminal)
        {
            AppendBar(batches, batches);
        }
        else
        {
            _line.Append(CultureInfo.InvariantCulture, $"Epoch {epoch.Epoch}/{epoch.Epochs} - {batches}/{batches}");
        }

        _line.Append(CultureInfo.InvariantCulture, $" - {elapsed:F0}s ");
        MetricText.AppendStepTime(_line, elapsed / batches);
        AppendMetric("loss", epoch.Loss);
        AppendOptional("accuracy", epoch.Accuracy);
        AppendOptional("val_loss", epoch.ValidationLoss);
        AppendOptional("val_accuracy", epoch.ValidationAccuracy);
        Draw();
        CloseLine();
    }

    /// <summary>Prints a callback's message on a line of its own.</summary>
    /// <param name="message">The message.</param>
    /// <param name="control">The run.</param>
    public void OnLog(string message, TrainingControl control)
    {
        CloseLine();
        _writer.WriteLine(message);
        _writer.Flush();
    }

    /// <inheritdoc/>
    public void OnTrainEnd(TrainingControl control) => CloseLine();

    private void AppendBar(int done, int total)
    {
        // As Keras: the count right-aligned to the total's width, then '=' for each finished thirtieth, '>' at the head.
        _line.Append(' ', Digits(total) - Digits(done));
        _line.Append(CultureInfo.InvariantCulture, $"{done}/{total} [");
        int filled = (int)((long)BarWidth * done / total);
        if (filled > 0)
        {
            _line.Append('=', filled - 1);
            _line.Append(done < total ? '>' : '=');
        }

        _line.Append('.', BarWidth - filled);
        _line.Append(']');
    }

    private static int Digits(int value)
    {
        int digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }

    private void AppendMetric(string name, double value)
    {
        _line.Append(" - ").Append(name).Append(": ");
        MetricText.Append(_line, value);
    }

    private void AppendOptional(string name, double? value)
    {
        if (value is double present)
        {
            AppendMetric(name, present);
        }
    }

    /// <summary>Writes the line in <see cref="_line"/>: on a terminal over the one before, padded to cover it.</summary>
    private void Draw()
    {
        if (Terminal)
        {
            int width = _line.Length;
            if (width < _previousWidth)
            {
                _line.Append(' ', _previousWidth - width);
            }

            _previousWidth = width;
            _writer.Write('\r');
            _writer.Write(_line);
            _lineOpen = true;
        }
        else
        {
            _writer.Write(_line);
            _writer.WriteLine();
        }

        _writer.Flush();
    }

    private void CloseLine()
    {
        if (_lineOpen)
        {
            _writer.WriteLine();
            _lineOpen = false;
        }
    }
}
