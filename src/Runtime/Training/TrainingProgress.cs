using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using TypedNets.Serialization;

namespace TypedNets.Training;

/// <summary>
/// Where a <see cref="Trainer.Fit"/> run stood when a checkpoint was saved: the epochs done and their history, the
/// options a resumed run must repeat, and the random generators, so that <see cref="FitOptions.ResumeFrom"/> continues
/// the run exactly.
/// </summary>
public sealed class TrainingProgress
{
    private const string EpochKey = "epoch";
    private const string SeedKey = "seed";
    private const string BatchSizeKey = "batch_size";
    private const string ShuffleKey = "shuffle";
    private const string RowsKey = "training_rows";
    private const string InitialLearningRateKey = "initial_lr";
    private const string ShuffleRandomKey = "shuffle_random";
    private const string DropoutRandomKey = "dropout_random";
    private const string HistoryKey = "history";
    private const string Prefix = "training.";

    internal TrainingProgress(
        int epoch, IReadOnlyList<EpochResult> history, ulong seed, int batchSize, bool shuffle, int trainingRows, double initialLearningRate, Xoshiro256 shuffleRandom, Xoshiro256 dropoutRandom)
    {
        Epoch = epoch;
        History = history;
        Seed = seed;
        BatchSize = batchSize;
        Shuffle = shuffle;
        TrainingRows = trainingRows;
        InitialLearningRate = initialLearningRate;
        ShuffleRandom = shuffleRandom;
        DropoutRandom = dropoutRandom;
    }

    /// <summary>The epochs finished when the checkpoint was saved; a resumed run starts with the next.</summary>
    public int Epoch { get; }

    /// <summary>The finished epochs' results, which a resumed run's <see cref="History"/> starts with.</summary>
    public IReadOnlyList<EpochResult> History { get; }

    /// <summary>The run's <see cref="FitOptions.Seed"/>; a resumed run must give the same.</summary>
    public ulong Seed { get; }

    /// <summary>The run's <see cref="FitOptions.BatchSize"/>; a resumed run must give the same.</summary>
    public int BatchSize { get; }

    /// <summary>The run's <see cref="FitOptions.Shuffle"/>; a resumed run must give the same.</summary>
    public bool Shuffle { get; }

    /// <summary>The training rows (after any validation split); a resumed run must train on as many.</summary>
    public int TrainingRows { get; }

    /// <summary>The optimizer's learning rate when the run began, from which the schedule computes every epoch's.</summary>
    public double InitialLearningRate { get; }

    /// <summary>The generator that shuffles the training rows, as it stood after the last finished epoch.</summary>
    public Xoshiro256 ShuffleRandom { get; }

    /// <summary>The network's generator of dropout masks (<c>DropoutRandom</c>), as it stood after the last finished epoch.</summary>
    public Xoshiro256 DropoutRandom { get; }

    internal void AddTo(Dictionary<string, string> metadata)
    {
        metadata.Add(Prefix + EpochKey, Checkpoint.Invariant(Epoch));
        metadata.Add(Prefix + SeedKey, Seed.ToString(CultureInfo.InvariantCulture));
        metadata.Add(Prefix + BatchSizeKey, Checkpoint.Invariant(BatchSize));
        metadata.Add(Prefix + ShuffleKey, Shuffle ? "true" : "false");
        metadata.Add(Prefix + RowsKey, Checkpoint.Invariant(TrainingRows));
        metadata.Add(Prefix + InitialLearningRateKey, Checkpoint.Invariant(InitialLearningRate));
        metadata.Add(Prefix + ShuffleRandomKey, Words(ShuffleRandom));
        metadata.Add(Prefix + DropoutRandomKey, Words(DropoutRandom));
        metadata.Add(Prefix + HistoryKey, HistoryJson(History));
    }

    /// <summary>The progress in a checkpoint's metadata, or <see langword="null"/> when it has none.</summary>
    /// <exception cref="SafeTensorsFormatException">When the progress is there but malformed.</exception>
    internal static TrainingProgress? FromMetadata(IReadOnlyDictionary<string, string> metadata, string? path)
    {
        if (!metadata.ContainsKey(Prefix + EpochKey))
        {
            return null;
        }

        int epoch = Checkpoint.ParseInt(metadata, Prefix + EpochKey, path);
        ulong seed = metadata.TryGetValue(Prefix + SeedKey, out string? seedText) && ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong parsed)
            ? parsed
            : throw Checkpoint.Malformed(metadata, Prefix + SeedKey, "a whole number", path);
        int batchSize = Checkpoint.ParseInt(metadata, Prefix + BatchSizeKey, path);
        bool shuffle = metadata.TryGetValue(Prefix + ShuffleKey, out string? shuffleText) && shuffleText is "true" or "false"
            ? shuffleText == "true"
            : throw Checkpoint.Malformed(metadata, Prefix + ShuffleKey, "true or false", path);
        int rows = Checkpoint.ParseInt(metadata, Prefix + RowsKey, path);
        double initialLearningRate = Checkpoint.ParseDouble(metadata, Prefix + InitialLearningRateKey, path);
        Xoshiro256 shuffleRandom = ParseWords(metadata, Prefix + ShuffleRandomKey, path);
        Xoshiro256 dropoutRandom = ParseWords(metadata, Prefix + DropoutRandomKey, path);
        List<EpochResult> history = ParseHistory(metadata, Prefix + HistoryKey, path);
        if (history.Count != epoch || batchSize <= 0 || rows <= 0 || !(initialLearningRate >= 0) || double.IsInfinity(initialLearningRate))
        {
            throw SafeTensorsHeader.Error(
                path,
                null,
                $"The checkpoint's progress does not hold together: {epoch} epochs done but {history.Count} in the history, batch size {batchSize}, {rows} training rows, " +
                $"initial learning rate {Checkpoint.Invariant(initialLearningRate)}; the file was edited or corrupted.");
        }

        return new TrainingProgress(epoch, history, seed, batchSize, shuffle, rows, initialLearningRate, shuffleRandom, dropoutRandom);
    }

    private static string Words(Xoshiro256 random)
    {
        (ulong s0, ulong s1, ulong s2, ulong s3) = random.State;
        return string.Create(CultureInfo.InvariantCulture, $"{s0:x16},{s1:x16},{s2:x16},{s3:x16}");
    }

    private static Xoshiro256 ParseWords(IReadOnlyDictionary<string, string> metadata, string key, string? path)
    {
        string[] parts = metadata.TryGetValue(key, out string? text) ? text.Split(',') : [];
        ulong[] words = new ulong[4];
        bool valid = parts.Length == 4;
        for (int i = 0; valid && i < 4; i++)
        {
            valid = parts[i].Length == 16 && ulong.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out words[i]);
        }

        if (!valid || (words[0] | words[1] | words[2] | words[3]) == 0)
        {
            throw Checkpoint.Malformed(metadata, key, "four 16-digit hexadecimal words, not all zero (a generator's state)", path);
        }

        return new Xoshiro256(words[0], words[1], words[2], words[3]);
    }

    // Numbers are written as round-trip strings: JSON numbers cannot hold the NaN of a diverged epoch.
    private static string HistoryJson(IReadOnlyList<EpochResult> history)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartArray();
            foreach (EpochResult epoch in history)
            {
                writer.WriteStartObject();
                writer.WriteString("epoch", Checkpoint.Invariant(epoch.Epoch));
                writer.WriteString("epochs", Checkpoint.Invariant(epoch.Epochs));
                writer.WriteString("loss", Checkpoint.Invariant(epoch.Loss));
                WriteOptional(writer, "accuracy", epoch.Accuracy);
                WriteOptional(writer, "val_loss", epoch.ValidationLoss);
                WriteOptional(writer, "val_accuracy", epoch.ValidationAccuracy);
                writer.WriteString("lr", Checkpoint.Invariant(epoch.LearningRate));
                writer.WriteString("elapsed_ticks", Checkpoint.Invariant(epoch.Elapsed.Ticks));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is double number)
        {
            writer.WriteString(name, Checkpoint.Invariant(number));
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static List<EpochResult> ParseHistory(IReadOnlyDictionary<string, string> metadata, string key, string? path)
    {
        if (!metadata.TryGetValue(key, out string? text))
        {
            throw Checkpoint.Malformed(metadata, key, "the history as JSON", path);
        }

        var history = new List<EpochResult>();
        try
        {
            using var document = JsonDocument.Parse(text);
            foreach (JsonElement epoch in document.RootElement.EnumerateArray())
            {
                history.Add(new EpochResult(
                    (int)Number(epoch, "epoch"),
                    (int)Number(epoch, "epochs"),
                    Number(epoch, "loss"),
                    Optional(epoch, "accuracy"),
                    Optional(epoch, "val_loss"),
                    Optional(epoch, "val_accuracy"),
                    Number(epoch, "lr"),
                    TimeSpan.FromTicks((long)Number(epoch, "elapsed_ticks"))));
            }
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException or FormatException or KeyNotFoundException or OverflowException)
        {
            throw SafeTensorsHeader.Error(path, null, $"The checkpoint's history is not the JSON this library writes ({exception.Message}); the file was edited or corrupted.", exception);
        }

        for (int i = 0; i < history.Count; i++)
        {
            if (history[i].Epoch != i + 1)
            {
                throw SafeTensorsHeader.Error(path, null, $"The checkpoint's history lists epoch {history[i].Epoch} in place {i + 1}; the file was edited or corrupted.");
            }
        }

        return history;
    }

    private static double Number(JsonElement epoch, string name)
        => double.Parse(epoch.GetProperty(name).GetString() ?? throw new FormatException($"'{name}' is null."), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static double? Optional(JsonElement epoch, string name)
        => epoch.GetProperty(name).ValueKind == JsonValueKind.Null ? null : Number(epoch, name);
}
