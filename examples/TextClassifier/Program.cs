using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using TextClassifier;
using TypedNets;
using TypedNets.Data;
using TypedNets.Examples;
using TypedNets.Explain;
using TypedNets.Metrics;
using TypedNets.Optimizers;
using TypedNets.Reporting;
using TypedNets.Text;
using TypedNets.Training;

// Classifies quotes from Debian's fortunes as "computers" or "politics" with the tutorial's text model, next to a
// majority-class and a bag-of-words baseline. Run scripts/fetch-fortunes.sh first.
//
//   --epochs N, --seed N   change the run
//   --export DIR           also write the trained LSTM's weights, the tokenizer and the held-out predictions to DIR,
//                          for examples/Server
//   --report FILE          write an HTML report: curves, confusion matrix, diagram, word attributions of held-out quotes
int epochs = ArgumentAfter("--epochs") ?? 10;
ulong seed = (ulong)(ArgumentAfter("--seed") ?? 0);
int exportPosition = Array.IndexOf(args, "--export");
string? exportDirectory = exportPosition < 0 ? null
    : exportPosition + 1 < args.Length ? args[exportPosition + 1]
    : throw new ArgumentException("--export needs a directory, such as --export artifacts/server.", nameof(args));

string? reportPath = ReportArgument.Find(args);
const int VocabularySize = FortuneCorpus.VocabularySize;
const int SequenceLength = FortuneCorpus.SequenceLength;
var corpus = FortuneCorpus.Load();
string[] classNames = corpus.ClassNames;
IReadOnlyList<string> texts = corpus.Texts;
IReadOnlyList<float> labels = corpus.Labels;
int[] testRows = corpus.TestRows;
Tokenizer tokenizer = corpus.Tokenizer;
Dataset train = corpus.Train;
Dataset test = corpus.Test;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Fortunes: {texts.Count} quotes ({labels.Count(label => label == 0)} computers, {labels.Count(label => label == 1)} politics); " +
    $"{train.Count} for training (20% of them for validation), {test.Count} held out. Vocabulary: {tokenizer.WordIndex.Count} words, the {VocabularySize - 1} most frequent kept."));
Console.WriteLine();
Console.WriteLine(FortuneClassifier.Summary);
Console.WriteLine();

Console.WriteLine($"Training the LSTM classifier: Adam(0.001), batch 32, {epochs} epochs, validation split 0.2");
var network = new FortuneClassifier(maxBatch: 32, seed: seed);
var clock = Stopwatch.StartNew();
History history = Trainer.Fit(network, new Adam(0.001), train, new FitOptions
{
    Epochs = epochs,
    BatchSize = 32,
    ValidationSplit = 0.2,
    Seed = seed,
    Callbacks = [new ProgressLogger()],
});
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Trained in {clock.Elapsed.TotalSeconds:F1} s."));
float[] lstmProbabilities = Trainer.Predict(network, test.Features);
ClassificationMetrics lstm = Score(lstmProbabilities);
if (exportDirectory is not null)
{
    TextClassifier.Export.Write(
        exportDirectory, network, tokenizer, SequenceLength, classNames,
        testRows.Select(row => texts[row]).ToArray(), testRows.Select(row => (int)labels[row]).ToArray(),
        lstmProbabilities, epochs, seed);
}

// Bag of words: 1 where a kept word occurs in the quote.
Dataset BagOf(Dataset sequences)
{
    float[] features = new float[sequences.Count * VocabularySize];
    for (int row = 0; row < sequences.Count; row++)
    {
        foreach (float id in sequences.FeatureRow(row))
        {
            if (id > 0)
            {
                features[(row * VocabularySize) + (int)id] = 1;
            }
        }
    }

    return new Dataset(features, VocabularySize, sequences.Targets.ToArray(), 1);
}

var bag = new BagOfWords(maxBatch: 32, seed: seed);
Trainer.Fit(bag, new Adam(0.01), BagOf(train), new FitOptions { Epochs = epochs, BatchSize = 32, Seed = seed });
ClassificationMetrics bagOfWords = Score(Trainer.Predict(bag, BagOf(test).Features));

int[] actual = Predictions.ClassIndices(test.Targets, 1);
int majorityClass = actual.Count(label => label == 1) > actual.Length / 2 ? 1 : 0;
ClassificationMetrics majority = ClassificationMetrics.Compute(actual, Enumerable.Repeat(majorityClass, actual.Length).ToArray(), 2);

Console.WriteLine();
Console.WriteLine("LSTM classifier on the held-out quotes (positive class: politics):");
Console.WriteLine(lstm.ToString(3, classNames));
Console.WriteLine("Held-out results                accuracy  precision  recall     F1");
Report("LSTM classifier (TypedNets)", lstm);
Report("bag-of-words softmax", bagOfWords);
Report($"majority class ({classNames[majorityClass]})", majority);
PrintReference(Path.Combine(AppContext.BaseDirectory, "pytorch_reference.json"));
if (reportPath is not null)
{
    ReportArgument.Save(WriteReport(), reportPath);
}

// The report: the LSTM's diagram, curves and confusion matrix, and which words of a few held-out quotes pushed it
// towards its answer (Integrated Gradients on the embedding vectors, summed per word; padding left out).
Report WriteReport()
{
    var report = new Report("Text classifier: computers or politics");
    report.AddText(string.Create(CultureInfo.InvariantCulture,
        $"{texts.Count} quotes from Debian's fortunes; the tutorial's LSTM trained {epochs} epochs. Held-out accuracy {lstm.Accuracy:F3} " +
        $"(bag of words {bagOfWords.Accuracy:F3}, majority class {majority.Accuracy:F3})."));
    report.AddDiagram(FortuneClassifier.DiagramSvg, nameof(FortuneClassifier));
    report.AddHistory(history, "LSTM");
    report.AddConfusionMatrix(lstm.ConfusionMatrix, classNames, $"LSTM: held-out confusion matrix (accuracy {lstm.Accuracy:F3})");
    report.AddPreformatted(lstm.ToString(3, classNames));
    report.AddHeading("Which words decided");
    int[] predictedClasses = Predictions.ArgMax(lstmProbabilities, 2);
    for (int row = 0; row < Math.Min(4, test.Count); row++)
    {
        int[] ids = [.. test.FeatureRow(row).ToArray().Select(id => (int)id)];
        AttributionResult words = Attribution.IntegratedGradients(network, FortuneClassifier.Sample.From(ids));
        int start = Array.FindIndex(ids, id => id != 0);
        if (start < 0)
        {
            continue;
        }

        string[] tokens = [.. ids[start..].Select(id => tokenizer.IndexWord.TryGetValue(id, out string? word) ? word + " " : "? ")];
        report.AddTokenImportance(tokens, words.Values.AsSpan(start), string.Create(CultureInfo.InvariantCulture,
            $"Held-out quote {row}: predicted {classNames[predictedClasses[row]]} (p = {lstmProbabilities[(row * 2) + predictedClasses[row]]:F3}), " +
            $"actual {classNames[actual[row]]}; Integrated Gradients towards {classNames[words.Target]}, delta {words.Delta:E1}"));
    }

    return report;
}

ClassificationMetrics Score(float[] outputs)
    => ClassificationMetrics.Compute(Predictions.ClassIndices(test.Targets, 1), Predictions.ArgMax(outputs, 2), 2, positiveClass: 1);

void Report(string name, ClassificationMetrics metrics)
    => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {name,-30} {metrics.Accuracy,6:F3}  {metrics.Precision,9:F3}  {metrics.Recall,6:F3}  {metrics.F1,6:F3}"));

static void PrintReference(string path)
{
    if (!File.Exists(path))
    {
        return;
    }

    using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
    JsonElement root = document.RootElement;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {"LSTM classifier (PyTorch)",-30} {root.GetProperty("mean_accuracy").GetDouble(),6:F3}  (mean of {root.GetProperty("accuracies").GetArrayLength()} seeds, same split, tokenizer and settings)"));
}

int? ArgumentAfter(string name)
{
    int position = Array.IndexOf(args, name);
    return position >= 0 && position + 1 < args.Length && int.TryParse(args[position + 1], CultureInfo.InvariantCulture, out int value) ? value : null;
}

