using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using TypedNets;
using TypedNets.Serialization;
using TypedNets.Text;

namespace TextClassifier;

/// <summary>
/// Writes what <c>examples/Server</c> serves (<c>--export DIR</c>): the trained LSTM classifier's weights as a
/// safetensors file, the fitted tokenizer's vocabulary and settings as JSON, and the held-out quotes with their token
/// ids and this program's predictions, which the server must reproduce.
/// </summary>
internal static class Export
{
    public const string WeightsFile = "FortuneClassifier.safetensors";
    public const string TokenizerFile = "tokenizer.json";
    public const string HeldOutFile = "heldout.jsonl";

    public static void Write(
        string directory,
        FortuneClassifier network,
        Tokenizer tokenizer,
        int sequenceLength,
        string[] classNames,
        IReadOnlyList<string> texts,
        IReadOnlyList<int> labels,
        float[] probabilities,
        int epochs,
        ulong seed)
    {
        Directory.CreateDirectory(directory);
        string command = $"dotnet run -c Release --project examples/TextClassifier -- --export <dir>{(epochs == 10 ? "" : $" --epochs {epochs}")}{(seed == 0 ? "" : $" --seed {seed}")}";
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["typednets.network"] = "TextClassifier.FortuneClassifier",
            ["typednets.training"] = $"cross-entropy, Adam(0.001), batch 32, {epochs} epochs, seed {seed}, fortunes computers/politics",
            ["typednets.written_by"] = command,
        };
        SafeTensors.Save(network, Path.Combine(directory, WeightsFile), metadata);
        AtomicFile.Write(Path.Combine(directory, TokenizerFile), stream => WriteTokenizer(stream, tokenizer, sequenceLength, classNames, command));
        AtomicFile.Write(Path.Combine(directory, HeldOutFile), stream => WriteHeldOut(stream, tokenizer, sequenceLength, texts, labels, probabilities));
        Console.WriteLine($"Exported {WeightsFile}, {TokenizerFile} and {HeldOutFile} ({texts.Count} held-out quotes) to {directory}.");
    }

    // Everything a server needs to turn a text into the network's input as this program did: the tokenizer's settings
    // and word index (Keras' names), and how sequences were padded. Words are listed by index, so the file reads in
    // order of frequency.
    private static void WriteTokenizer(Stream stream, Tokenizer tokenizer, int sequenceLength, string[] classNames, string command)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("written_by", command);
        if (tokenizer.NumWords is { } numWords)
        {
            json.WriteNumber("num_words", numWords);
        }
        else
        {
            json.WriteNull("num_words");
        }

        json.WriteString("filters", tokenizer.Filters);
        json.WriteBoolean("lower", tokenizer.Lower);
        json.WriteString("split", tokenizer.Split);
        json.WriteString("oov_token", tokenizer.OovToken);
        json.WriteNumber("sequence_length", sequenceLength);
        json.WriteString("padding", "pre");
        json.WriteString("truncating", "pre");
        json.WriteStartArray("class_names");
        foreach (string name in classNames)
        {
            json.WriteStringValue(name);
        }

        json.WriteEndArray();
        json.WriteStartObject("word_index");
        foreach (KeyValuePair<string, int> entry in tokenizer.WordIndex)
        {
            json.WriteNumber(entry.Key, entry.Value);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    // One JSON object per line: the quote, its label, the ids the tokenizer gave it (truncated to the sequence length
    // as the padding truncates, not yet padded) and the probabilities this network predicted for it.
    private static void WriteHeldOut(Stream stream, Tokenizer tokenizer, int sequenceLength, IReadOnlyList<string> texts, IReadOnlyList<int> labels, float[] probabilities)
    {
        int[][] sequences = tokenizer.TextsToSequences(texts);
        var options = new JsonWriterOptions { Indented = false };
        for (int row = 0; row < texts.Count; row++)
        {
            using (var json = new Utf8JsonWriter(stream, options))
            {
                json.WriteStartObject();
                json.WriteString("text", texts[row]);
                json.WriteNumber("label", labels[row]);
                json.WriteStartArray("tokens");
                int[] ids = sequences[row];
                foreach (int id in ids.AsSpan(Math.Max(0, ids.Length - sequenceLength)))
                {
                    json.WriteNumberValue(id);
                }

                json.WriteEndArray();
                json.WriteStartArray("probabilities");
                json.WriteNumberValue(probabilities[2 * row]);
                json.WriteNumberValue(probabilities[(2 * row) + 1]);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            stream.WriteByte((byte)'\n');
        }
    }
}
