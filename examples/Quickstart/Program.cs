using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Quickstart;
using TypedNets;
using TypedNets.Data;
using TypedNets.Metrics;
using TypedNets.Optimizers;
using TypedNets.Training;

// The tutorial's binary classifier on the Wisconsin breast-cancer data: min-max scaled features, a stratified 20%
// held-out split, Adam at 0.001, batch 32, trained once with mean squared error (as the tutorial does) and once with
// cross-entropy, then scored on the held-out rows.
bool allFeatures = args.Contains("--all-features");
int epochs = ArgumentAfter("--epochs") ?? 100;
ulong seed = (ulong)(ArgumentAfter("--seed") ?? 0);
const double TestFraction = 0.2;
const ulong SplitSeed = 42;
string[] classNames = ["malignant", "benign"];

// sklearn's copy of the data: a metadata line "569,30,malignant,benign", then 30 features and the label (0 = malignant).
string dataDirectory = Path.Combine(AppContext.BaseDirectory, "Data");
CsvTable table = Csv.Read(Path.Combine(dataDirectory, "breast_cancer.csv"), new CsvOptions { SkipRows = 1, HasHeader = false });
int featureCount = allFeatures ? 30 : 10;
Dataset data = table.ToDataset(labelColumn: 30, featureColumns: Enumerable.Range(0, featureCount).ToArray());

(Dataset train, Dataset test) = Split.StratifiedTrainTest(data, TestFraction, SplitSeed);
var scaler = new MinMaxScaler(0, 1).Fit(train);
train = scaler.Transform(train);
test = scaler.Transform(test);
Console.WriteLine($"Breast cancer: {data.Count} rows, {featureCount} features ({(allFeatures ? "all" : "the ten 'mean' columns")}); " +
    $"{train.Count} for training, {test.Count} held out (stratified, seed {SplitSeed}).");
Console.WriteLine();
Console.WriteLine(allFeatures ? WideBinaryClassifier.Summary : BinaryClassifier.Summary);

var results = new (string Loss, ClassificationMetrics Metrics)[2];
foreach ((int index, LossFunction loss) in new[] { (0, LossFunction.MeanSquaredError), (1, LossFunction.CrossEntropy) })
{
    INetwork network = allFeatures ? new WideBinaryClassifier(maxBatch: 32, seed: seed) : new BinaryClassifier(maxBatch: 32, seed: seed);

    // Mean squared error compares the two softmax outputs with one-hot targets; cross-entropy takes the class index.
    Dataset trainTargets = loss.Kind == LossKind.MeanSquaredError ? OneHot.Encode(train, 2) : train;
    Console.WriteLine();
    Console.WriteLine($"Training with {loss}: Adam(0.001), batch 32, {epochs} epochs");
    var clock = Stopwatch.StartNew();
    Trainer.Fit(network, new Adam(0.001), trainTargets, new FitOptions
    {
        Epochs = epochs,
        BatchSize = 32,
        Seed = seed,
        Loss = loss,
        Progress = new ConsoleProgress(),
    });
    Console.WriteLine($"Trained in {clock.Elapsed.TotalSeconds:F2} s.");

    float[] outputs = Trainer.Predict(network, test.Features);
    int[] predicted = Predictions.ArgMax(outputs, 2);
    int[] actual = Predictions.ClassIndices(test.Targets, 1);
    var metrics = ClassificationMetrics.Compute(actual, predicted, 2, positiveClass: 0);
    results[index] = (loss.ToString(), metrics);

    Console.WriteLine();
    Console.WriteLine($"Held-out results with {loss} (positive class: malignant):");
    Console.WriteLine(metrics.ToString(3, classNames));
    Console.WriteLine("A few held-out predictions:");
    for (int row = 0; row < 5; row++)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  row {row}: p(malignant) = {outputs[row * 2]:F3}, p(benign) = {outputs[(row * 2) + 1]:F3} -> {classNames[predicted[row]]} (actual {classNames[actual[row]]})"));
    }
}

Console.WriteLine();
Console.WriteLine("Held-out accuracy         TypedNets   PyTorch (same split and settings)");
JsonElement? reference = LoadReference(Path.Combine(dataDirectory, "pytorch_reference.json"), allFeatures ? "all_features" : "mean_features");
foreach ((string loss, ClassificationMetrics metrics) in results)
{
    string pytorch = reference?.TryGetProperty(loss, out JsonElement figures) == true
        ? string.Create(CultureInfo.InvariantCulture, $"{figures.GetProperty("mean_accuracy").GetDouble():F3} (mean of {figures.GetProperty("accuracies").GetArrayLength()} seeds)")
        : "not available";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {loss,-22}  {metrics.Accuracy,9:F3}   {pytorch}"));
}

int? ArgumentAfter(string name)
{
    int position = Array.IndexOf(args, name);
    return position >= 0 && position + 1 < args.Length && int.TryParse(args[position + 1], CultureInfo.InvariantCulture, out int value) ? value : null;
}

static JsonElement? LoadReference(string path, string key)
{
    if (!File.Exists(path))
    {
        return null;
    }

    using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
    return document.RootElement.TryGetProperty(key, out JsonElement element) ? element.Clone() : null;
}

internal sealed class ConsoleProgress : IProgress<EpochResult>
{
    public void Report(EpochResult value) => Console.WriteLine(value);
}
