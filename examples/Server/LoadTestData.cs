using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Server;

/// <summary>
/// <c>--write-load-test DIR</c>: the requests of the load test and, for each, the answer computed beforehand on one
/// thread, serialized as the endpoint serializes it. Under load every answer must equal it byte for byte (TypedNets)
/// or within a tolerance (ONNX Runtime, another engine).
/// </summary>
/// <remarks>
/// The answers are checked here too, against predictions made without the server: the breast-cancer answers against
/// the probabilities the Quickstart's own network gave the 113 held-out rows (<c>heldout.csv</c>, committed), the
/// fortune answers against the probabilities <c>examples/TextClassifier</c> gave the 351 held-out quotes
/// (<c>heldout.jsonl</c> of its export), and a quote sent as text against the same quote sent as the token ids the
/// TextClassifier's own <c>Tokenizer</c> gave it, which must answer identically (the server tokenizes from the exported
/// vocabulary).
/// </remarks>
internal static class LoadTestData
{
    /// <summary>How far the server's probabilities may be from the examples' own (other batch sizes take other kernel paths).</summary>
    private const float Tolerance = 1e-5f;

    /// <summary>Samples per batch request.</summary>
    private const int BatchSize = 8;

    public static int Write(string directory, Models models)
    {
        if (models.Fortunes is null)
        {
            Console.Error.WriteLine($"The load test needs both models; {models.Why(FortuneModel.Name, Engines.TypedNets)}.");
            return 1;
        }

        Directory.CreateDirectory(directory);
        int faults = WriteTumor(directory, models.TumorTypedNets) + WriteFortunes(directory, models.Fortunes, models.ModelsDirectory);
        return faults == 0 ? 0 : 1;
    }

    private static int WriteTumor(string directory, TypedNetsTumorEngine engine)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "heldout.csv");
        string[] lines = File.ReadAllLines(path);
        var rows = new List<float[]>();
        var writer = new Writer(directory, TumorModel.Name);
        int faults = 0;
        float largest = 0;
        for (int line = 1; line < lines.Length; line++)
        {
            // The ten raw features, then label, the Quickstart's predicted class and its two probabilities.
            string[] fields = lines[line].Split(',');
            float[] features = fields[..10].Select(field => float.Parse(field, CultureInfo.InvariantCulture)).ToArray();
            int predicted = int.Parse(fields[11], CultureInfo.InvariantCulture);
            float[] probabilities = fields[12..14].Select(field => float.Parse(field, CultureInfo.InvariantCulture)).ToArray();
            rows.Add(features);
            var response = (PredictionResponse)Answer(new TumorRequest { Features = features }, TumorModel.Validate, engine, TumorModel.ClassNames);
            float difference = Math.Max(Math.Abs(response.Probabilities[0] - probabilities[0]), Math.Abs(response.Probabilities[1] - probabilities[1]));
            largest = Math.Max(largest, difference);
            if (response.Class != predicted || !(difference <= Tolerance))
            {
                Console.Error.WriteLine($"{path} row {line}: the Quickstart predicted class {predicted} ({probabilities[0]}, {probabilities[1]}), the server {response.Class} ({response.Probabilities[0]}, {response.Probabilities[1]})");
                faults++;
            }

            writer.Add(new TumorRequest { Features = features }, ServerJsonContext.Default.TumorRequest, response);
        }

        foreach (float[][] batch in rows.Chunk(BatchSize))
        {
            var request = new TumorRequest { Batch = batch };
            writer.Add(request, ServerJsonContext.Default.TumorRequest, Answer(request, TumorModel.Validate, engine, TumorModel.ClassNames));
        }

        writer.Save();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{TumorModel.Name}: {writer.Count} requests ({rows.Count} rows one at a time, then in batches of {BatchSize}); " +
            $"largest difference from the Quickstart's own predictions {largest:G3}"));
        return faults;
    }

    private static int WriteFortunes(string directory, FortuneModel model, string modelsDirectory)
    {
        string path = Path.Combine(modelsDirectory, FortuneModel.HeldOutFile);
        var quotes = File.ReadLines(path)
            .Select(line => JsonSerializer.Deserialize(line, ServerJsonContext.Default.HeldOutQuote)!)
            .ToList();
        var writer = new Writer(directory, FortuneModel.Name);
        int faults = 0;
        float largest = 0;
        for (int i = 0; i < quotes.Count; i++)
        {
            HeldOutQuote quote = quotes[i];
            var byText = (PredictionResponse)Answer(new FortuneRequest { Text = quote.Text }, model.Validate, model.Engine, model.ClassNames);
            var byTokens = (PredictionResponse)Answer(new FortuneRequest { Tokens = quote.Tokens }, model.Validate, model.Engine, model.ClassNames);
            float difference = Math.Max(Math.Abs(byText.Probabilities[0] - quote.Probabilities[0]), Math.Abs(byText.Probabilities[1] - quote.Probabilities[1]));
            largest = Math.Max(largest, difference);
            int predicted = quote.Probabilities[1] > quote.Probabilities[0] ? 1 : 0;
            if (byText.Class != predicted || !(difference <= Tolerance))
            {
                Console.Error.WriteLine($"{path} line {i + 1}: the TextClassifier predicted ({quote.Probabilities[0]}, {quote.Probabilities[1]}), the server ({byText.Probabilities[0]}, {byText.Probabilities[1]})");
                faults++;
            }

            string textAnswer = JsonSerializer.Serialize(byText, ServerJsonContext.Default.PredictionResponse);
            string tokenAnswer = JsonSerializer.Serialize(byTokens, ServerJsonContext.Default.PredictionResponse);
            int[] ids = model.Tokenize(quote.Text);
            if (textAnswer != tokenAnswer || !ids.AsSpan(Math.Max(0, ids.Length - FortuneModel.SequenceLength)).SequenceEqual(quote.Tokens))
            {
                Console.Error.WriteLine($"{path} line {i + 1}: the server's tokens differ from the TextClassifier's ({textAnswer} as text, {tokenAnswer} as tokens)");
                faults++;
            }

            writer.Add(new FortuneRequest { Text = quote.Text }, ServerJsonContext.Default.FortuneRequest, byText);
            writer.Add(new FortuneRequest { Tokens = quote.Tokens }, ServerJsonContext.Default.FortuneRequest, byTokens);
        }

        foreach (HeldOutQuote[] batch in quotes.Chunk(BatchSize))
        {
            var texts = new FortuneRequest { Texts = batch.Select(quote => quote.Text).ToArray() };
            writer.Add(texts, ServerJsonContext.Default.FortuneRequest, Answer(texts, model.Validate, model.Engine, model.ClassNames));
            var tokens = new FortuneRequest { TokenBatch = batch.Select(quote => quote.Tokens).ToArray() };
            writer.Add(tokens, ServerJsonContext.Default.FortuneRequest, Answer(tokens, model.Validate, model.Engine, model.ClassNames));
        }

        writer.Save();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{FortuneModel.Name}: {writer.Count} requests ({quotes.Count} quotes one at a time as text and as tokens, then in batches of {BatchSize}); " +
            $"largest difference from the TextClassifier's own predictions {largest:G3}"));
        return faults;
    }

    private static object Answer<TRequest, TInput>(TRequest request, Func<TRequest, RequestErrors, Samples<TInput>> validate, IClassifierEngine<TInput> engine, string[] classNames)
        where TInput : unmanaged
    {
        var errors = new RequestErrors();
        Samples<TInput> samples = validate(request, errors);
        if (errors.Any)
        {
            throw new InvalidOperationException($"A load-test request was refused: {string.Join("; ", errors.ToDictionary().Select(entry => $"{entry.Key}: {string.Join(", ", entry.Value)}"))}");
        }

        return Predictor.Predict(engine, samples, classNames);
    }

    /// <summary>Two files of one line per request: <c>NAME.requests</c> (the bodies) and <c>NAME.expected</c> (the answers).</summary>
    private sealed class Writer(string directory, string name)
    {
        private readonly StringBuilder _requests = new();
        private readonly StringBuilder _expected = new();

        public int Count { get; private set; }

        public void Add<TRequest>(TRequest request, JsonTypeInfo<TRequest> type, object response)
        {
            _requests.Append(JsonSerializer.Serialize(request, type)).Append('\n');
            _expected.Append(response switch
            {
                BatchResponse batch => JsonSerializer.Serialize(batch, ServerJsonContext.Default.BatchResponse),
                PredictionResponse one => JsonSerializer.Serialize(one, ServerJsonContext.Default.PredictionResponse),
                _ => throw new ArgumentException($"Unexpected response {response}.", nameof(response)),
            }).Append('\n');
            Count++;
        }

        public void Save()
        {
            File.WriteAllText(Path.Combine(directory, $"{name}.requests"), _requests.ToString());
            File.WriteAllText(Path.Combine(directory, $"{name}.expected"), _expected.ToString());
        }
    }
}
