using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace TypedNets.Training;

/// <summary>
/// Writes each epoch's figures to a CSV file as it ends, as Keras' <c>CSVLogger</c>: a header, then one row per epoch
/// with Keras' columns in Keras' order, <c>epoch</c> (counted from 0, as Keras writes it) and the metrics by name:
/// <c>accuracy</c> (classifiers), <c>learning_rate</c>, <c>loss</c>, <c>val_accuracy</c> and <c>val_loss</c> (with
/// validation data). Numbers are written in full (shortest round-trip form, invariant culture).
/// </summary>
/// <remarks>
/// <para>Each row is appended and the file closed when the epoch ends, so the file holds every finished epoch even if
/// the process is killed; nothing stays open between epochs.</para>
/// <para>Without <c>append</c> the file is started afresh when training begins; in a run resumed from a checkpoint it
/// is rewritten with the rows of the restored epochs, so it covers the whole run. With <c>append</c>, rows are added
/// to the existing file, and the header is written only if the file is missing or empty (as Keras).</para>
/// </remarks>
public sealed class CsvLogger : ICallback
{
    private string[]? _columns;
    private bool _headerWritten;

    /// <summary>Creates the callback.</summary>
    /// <param name="fileName">The CSV file, such as <c>training.csv</c>; its directory is created if missing.</param>
    /// <param name="separator">Between fields, as Keras' <c>separator</c>: <c>','</c> by default, or such as <c>';'</c> or <c>'\t'</c>.</param>
    /// <param name="append">Whether to add to an existing file rather than start it afresh.</param>
    /// <exception cref="ArgumentException">
    /// When <paramref name="fileName"/> is empty, or <paramref name="separator"/> is a letter, digit, quote, line break
    /// or a character of a number (<c>. - +</c>), which would make the rows ambiguous.
    /// </exception>
    public CsvLogger(string fileName, char separator = ',', bool append = false)
    {
        if (string.IsNullOrWhiteSpace(fileName))
        {
            throw new ArgumentException("CsvLogger needs a file name, such as \"training.csv\".", nameof(fileName));
        }

        if (char.IsLetterOrDigit(separator) || separator is '.' or '-' or '+' or '"' or '\r' or '\n')
        {
            throw new ArgumentException(
                $"The separator '{separator}' (U+{(int)separator:X4}) could be part of a number or a row; use ',', ';' or '\\t'.", nameof(separator));
        }

        FileName = fileName;
        Separator = separator;
        Append = append;
    }

    /// <summary>The CSV file.</summary>
    public string FileName { get; }

    /// <summary>The field separator.</summary>
    public char Separator { get; }

    /// <summary>Whether rows are added to an existing file.</summary>
    public bool Append { get; }

    /// <summary>Starts the file (or, with <see cref="Append"/>, checks whether it needs a header) and writes the restored epochs of a resumed run.</summary>
    /// <param name="control">The run.</param>
    /// <exception cref="IOException">When the file cannot be written.</exception>
    public void OnTrainBegin(TrainingControl control)
    {
        ArgumentNullException.ThrowIfNull(control);
        _columns = null;
        string? directory = Path.GetDirectoryName(Path.GetFullPath(FileName));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        if (Append)
        {
            var file = new FileInfo(FileName);
            _headerWritten = file.Exists && file.Length > 0;
            return;
        }

        File.WriteAllText(FileName, "");
        _headerWritten = false;
        if (control.History.Epochs.Count > 0)
        {
            var rows = new StringBuilder();
            foreach (EpochResult epoch in control.History.Epochs)
            {
                AppendRow(rows, epoch);
            }

            File.AppendAllText(FileName, rows.ToString());
        }
    }

    /// <summary>Appends the epoch's row (after the header, at the first) and closes the file.</summary>
    /// <param name="epoch">The finished epoch.</param>
    /// <param name="control">The run.</param>
    /// <exception cref="IOException">When the file cannot be written.</exception>
    public void OnEpochEnd(EpochResult epoch, TrainingControl control)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        var row = new StringBuilder();
        AppendRow(row, epoch);
        File.AppendAllText(FileName, row.ToString());
    }

    private void AppendRow(StringBuilder text, EpochResult epoch)
    {
        // As Keras: the columns are fixed by the first epoch written, sorted by name.
        if (_columns is null)
        {
            var columns = new List<string>();
            if (epoch.Accuracy is not null)
            {
                columns.Add("accuracy");
            }

            columns.Add("learning_rate");
            columns.Add("loss");
            if (epoch.ValidationAccuracy is not null)
            {
                columns.Add("val_accuracy");
            }

            if (epoch.ValidationLoss is not null)
            {
                columns.Add("val_loss");
            }

            _columns = [.. columns];
        }

        if (!_headerWritten)
        {
            text.Append("epoch");
            foreach (string column in _columns)
            {
                text.Append(Separator).Append(column);
            }

            text.Append('\n');
            _headerWritten = true;
        }

        text.Append(CultureInfo.InvariantCulture, $"{epoch.Epoch - 1}");
        foreach (string column in _columns)
        {
            double? value = column == "learning_rate" ? epoch.LearningRate : epoch.Get(column);
            text.Append(Separator);
            if (value is double present)
            {
                text.Append(present.ToString("R", CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append("NA");
            }
        }

        text.Append('\n');
    }
}
