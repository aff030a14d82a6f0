using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using TextClassifier;
using TypedNets.Serialization;
using TypedNets.Text;

namespace Server;

/// <summary>
/// The tutorial's text classifier as <c>examples/TextClassifier --export DIR</c> left it: the trained weights, and the
/// tokenizer fitted on the training quotes. A quote is tokenized and padded exactly as the training quotes were.
/// </summary>
internal sealed class FortuneModel
{
    public const string Name = "fortunes";
    public const string WeightsFile = "FortuneClassifier.safetensors";
    public const string TokenizerFile = "tokenizer.json";
    public const string HeldOutFile = "heldout.jsonl";
    public const string ExportCommand = "bash scripts/fetch-fortunes.sh && dotnet run -c Release --project examples/TextClassifier -- --export artifacts/server";

    /// <summary>Token ids run from 0 (padding) to one below the embedding's vocabulary.</summary>
    public const int Vocabulary = 10000;

    public const int SequenceLength = FortuneClassifier.InputSize;

    private readonly TokenizerFile _tokenizer;
    private readonly int? _oovIndex;

    private FortuneModel(TokenizerFile tokenizer, FortuneClassifier network)
    {
        _tokenizer = tokenizer;
        _oovIndex = tokenizer.OovToken is { } oov && tokenizer.WordIndex.TryGetValue(oov, out int index) ? index : null;
        ClassNames = tokenizer.ClassNames;
        Engine = new TypedNetsFortuneEngine(network);
    }

    public string[] ClassNames { get; }

    public TypedNetsFortuneEngine Engine { get; }

    /// <summary>The body this model takes, for error messages.</summary>
    public static string ExpectedBody =>
        $"{{\"text\": \"a quote\"}} or {{\"tokens\": [at most {SequenceLength} ids]}} for one quote, or {{\"texts\": [...]}} or " +
        $"{{\"token_batch\": [[ids], ...]}} for 1 to {Limits.MaxBatch}; ids run from 0 to {Vocabulary - 1}";

    /// <summary>The shape of each field, for errors in the body's JSON.</summary>
    public static readonly Dictionary<string, string> Shapes = new()
    {
        ["text"] = "a string",
        ["texts"] = $"an array of 1 to {Limits.MaxBatch} strings",
        ["texts[]"] = "a string",
        ["tokens"] = $"an array of at most {SequenceLength} token ids",
        ["tokens[]"] = $"a token id, an integer from 0 to {Vocabulary - 1}",
        ["token_batch"] = $"an array of 1 to {Limits.MaxBatch} arrays of token ids",
        ["token_batch[]"] = $"an array of at most {SequenceLength} token ids",
        ["token_batch[][]"] = $"a token id, an integer from 0 to {Vocabulary - 1}",
    };

    /// <summary>Loads the export in <paramref name="directory"/>, or says what is missing and how to write it.</summary>
    public static FortuneModel? TryLoad(string directory, out string? missing)
    {
        string weights = Path.Combine(directory, WeightsFile);
        string tokenizerPath = Path.Combine(directory, TokenizerFile);
        if (!File.Exists(weights) || !File.Exists(tokenizerPath))
        {
            missing = $"{Name}: no trained weights in {directory} ({WeightsFile} and {TokenizerFile}); write them with `{ExportCommand}`";
            return null;
        }

        TokenizerFile tokenizer;
        using (FileStream stream = File.OpenRead(tokenizerPath))
        {
            tokenizer = JsonSerializer.Deserialize(stream, ServerJsonContext.Default.TokenizerFile)
                ?? throw new InvalidDataException($"{tokenizerPath} holds null, not a tokenizer.");
        }

        // The export writes Keras' defaults; a server that padded otherwise would feed the network inputs it never saw.
        if (tokenizer.SequenceLength != SequenceLength || tokenizer.Padding != "pre" || tokenizer.Truncating != "pre" || tokenizer.ClassNames.Length != FortuneClassifier.OutputSize)
        {
            throw new InvalidDataException(
                $"{tokenizerPath} pads to {tokenizer.SequenceLength} ({tokenizer.Padding}, truncating {tokenizer.Truncating}) with {tokenizer.ClassNames.Length} classes, " +
                $"but the network takes {SequenceLength} ids padded and truncated 'pre' and has {FortuneClassifier.OutputSize} classes; export again with `{ExportCommand}`.");
        }

        var network = new FortuneClassifier(maxBatch: 32);
        SafeTensors.Load(network, weights);
        missing = null;
        return new FortuneModel(tokenizer, network);
    }

    /// <summary>
    /// A quote's token ids as the TextClassifier's <see cref="Tokenizer.TextsToSequences"/> gave them: words split by
    /// the same <see cref="Tokenizer.TextToWordSequence"/>, numbered by the fitted word index, words at or past
    /// <c>num_words</c> or unseen dropped (or the OOV token's id, with one).
    /// </summary>
    public int[] Tokenize(string text)
    {
        string[] words = Tokenizer.TextToWordSequence(text, _tokenizer.Filters, _tokenizer.Lower, _tokenizer.Split);
        var ids = new List<int>(words.Length);
        foreach (string word in words)
        {
            if (_tokenizer.WordIndex.TryGetValue(word, out int id) && (_tokenizer.NumWords is not { } numWords || id < numWords))
            {
                ids.Add(id);
            }
            else if (_oovIndex is { } oov)
            {
                ids.Add(oov);
            }
        }

        return ids.ToArray();
    }

    public Samples<int> Validate(FortuneRequest request, RequestErrors errors)
    {
        int given = (request.Text is null ? 0 : 1) + (request.Texts is null ? 0 : 1) + (request.Tokens is null ? 0 : 1) + (request.TokenBatch is null ? 0 : 1);
        if (given != 1)
        {
            errors.Add(given == 0 ? "text" : "request",
                $"send exactly one of \"text\", \"tokens\" (one quote), \"texts\" and \"token_batch\" (1 to {Limits.MaxBatch} quotes); got {given}");
            return default;
        }

        if (request.Text is { } text)
        {
            int[] rows = new int[SequenceLength];
            Pad(Tokenize(text), rows);
            return new Samples<int>(rows, 1, IsBatch: false);
        }

        if (request.Tokens is { } tokens)
        {
            int[] rows = new int[SequenceLength];
            if (CheckIds("tokens", tokens, errors))
            {
                Pad(tokens, rows);
            }

            return new Samples<int>(rows, 1, IsBatch: false);
        }

        if (request.Texts is { } texts)
        {
            if (!CheckBatch("texts", texts.Length, errors))
            {
                return default;
            }

            int[] rows = new int[texts.Length * SequenceLength];
            for (int i = 0; i < texts.Length; i++)
            {
                if (texts[i] is { } quote)
                {
                    Pad(Tokenize(quote), rows.AsSpan(i * SequenceLength, SequenceLength));
                }
                else
                {
                    errors.Add(Item("texts", i), $"{Item("texts", i)} must be a string, got null");
                }
            }

            return new Samples<int>(rows, texts.Length, IsBatch: true);
        }

        int[]?[] batch = request.TokenBatch!;
        if (!CheckBatch("token_batch", batch.Length, errors))
        {
            return default;
        }

        int[] batchRows = new int[batch.Length * SequenceLength];
        for (int i = 0; i < batch.Length; i++)
        {
            string field = Item("token_batch", i);
            if (batch[i] is null)
            {
                errors.Add(field, $"{field} must be an array of at most {SequenceLength} token ids, got null");
            }
            else if (CheckIds(field, batch[i]!, errors))
            {
                Pad(batch[i]!, batchRows.AsSpan(i * SequenceLength, SequenceLength));
            }
        }

        return new Samples<int>(batchRows, batch.Length, IsBatch: true);
    }

    // Keras' pad_sequences with its defaults, as the training quotes were padded: the last SequenceLength ids
    // ('pre' truncation), zeros in front ('pre' padding).
    private static void Pad(int[] ids, Span<int> row)
        => Sequences.Pad([ids], SequenceLength, Padding.Pre, Truncating.Pre).CopyTo(row);

    private static bool CheckBatch(string field, int length, RequestErrors errors)
    {
        if (length is 0 or > Limits.MaxBatch)
        {
            errors.Add(field, $"{field} must hold 1 to {Limits.MaxBatch} quotes, got {length}");
            return false;
        }

        return true;
    }

    private static bool CheckIds(string field, int[] ids, RequestErrors errors)
    {
        if (ids.Length > SequenceLength)
        {
            errors.Add(field, $"{field} must hold at most {SequenceLength} token ids (shorter sequences are padded with 0 in front, as the training quotes were), got {ids.Length}");
            return false;
        }

        bool valid = true;
        for (int i = 0; i < ids.Length; i++)
        {
            if (ids[i] is < 0 or >= Vocabulary)
            {
                errors.Add(Item(field, i), $"{Item(field, i)} is {ids[i]}, but token ids run from 0 (padding) to {Vocabulary - 1}");
                valid = false;
            }
        }

        return valid;
    }

    private static string Item(string field, int index) => string.Create(CultureInfo.InvariantCulture, $"{field}[{index}]");
}
