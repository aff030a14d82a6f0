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
using TypedNets.Serialization;
using TypedNets.Training;

// The tutorial's binary classifier on the Wisconsin breast-cancer data: min-max scaled features, a stratified 20%
// held-out split, Adam at 0.001, batch 32, trained once with mean squared error (as the tutorial does) and once with
// cross-entropy, then scored on the held-out rows.
bool allFeatures = args.Contains("--all-features");
int epochs = ArgumentAfter("--epochs") ?? 100;
ulong seed = (ulong)(ArgumentAfter("--seed") ?? 0);

// --export DIR writes what examples/EmbeddedInference compiles in: the cross-entropy network's weights, the scaler,
// and the held-out rows with this (JIT-compiled) program's predictions, which that example's native build must repeat.
int exportPosition = Array.IndexOf(args, "--export");
string? exportDirectory = exportPosition >= 0 && exportPosition + 1 < args.Length ? args[exportPosition + 1] : null;
if (exportPosition >= 0 && (exportDirectory is null || allFeatures || !Directory.Exists(exportDirectory)))
{
    Console.Error.WriteLine(exportDirectory is null
        ? "--export needs a directory: --export examples/EmbeddedInference"
        : allFeatures
            ? "--export writes the ten-feature network that examples/EmbeddedInference declares; leave out --all-features."
            : $"--export: the directory '{exportDirectory}' does not exist.");
    return 2;
}
const double TestFraction = 0.2;
const ulong SplitSeed = 42;
const int ComparisonSeeds = 5;
string[] classNames = ["malignant", "benign"];

// sklearn's copy of the data: a metadata line "569,30,malignant,benign", then 30 features and the label (0 = malignant).
string dataDirectory = Path.Combine(AppContext.BaseDirectory, "Data");
CsvTable table = Csv.Read(Path.Combine(dataDirectory, "breast_cancer.csv"), new CsvOptions { SkipRows = 1, HasHeader = false });
int featureCount = allFeatures ? 30 : 10;
Dataset data = table.ToDataset(labelColumn: 30, featureColumns: Enumerable.Range(0, featureCount).ToArray());

(Dataset train, Dataset test) = Split.StratifiedTrainTest(data, TestFraction, SplitSeed);
Dataset rawTest = test;
var scaler = new MinMaxScaler(0, 1).Fit(train);
train = scaler.Transform(train);
test = scaler.Transform(test);
Console.WriteLine($"Breast cancer: {data.Count} rows, {featureCount} features ({(allFeatures ? "all" : "the ten 'mean' columns")}); " +
    $"{train.Count} for training, {test.Count} held out (stratified, seed {SplitSeed}).");
Console.WriteLine();
Console.WriteLine(allFeatures ? WideBinaryClassifier.Summary : BinaryClassifier.Summary);

LossFunction[] losses = [LossFunction.MeanSquaredError, LossFunction.CrossEntropy];
double[,] accuracies = new double[losses.Length, ComparisonSeeds];
for (int index = 0; index < losses.Length; index++)
{
    LossFunction loss = losses[index];
    Console.WriteLine();
    Console.WriteLine($"Training with {loss}: Adam(0.001), batch 32, {epochs} epochs");
    var clock = Stopwatch.StartNew();
    (INetwork trained, float[] outputs) = TrainAndPredict(loss, seed, showProgress: true);
    Console.WriteLine($"Trained in {clock.Elapsed.TotalSeconds:F2} s.");
    if (exportDirectory is not null && loss.Kind == LossKind.CrossEntropy)
    {
        Export.Write(exportDirectory, trained, scaler, rawTest, outputs, epochs, seed);
    }

    int[] predicted = Predictions.ArgMax(outputs, 2);
    int[] actual = Predictions.ClassIndices(test.Targets, 1);
    var metrics = ClassificationMetrics.Compute(actual, predicted, 2, positiveClass: 0);
    Console.WriteLine();
    Console.WriteLine($"Held-out results with {loss} (positive class: malignant):");
    Console.WriteLine(metrics.ToString(3, classNames));
    Console.WriteLine("A few held-out predictions:");
    for (int row = 0; row < 5; row++)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  row {row}: p(malignant) = {outputs[row * 2]:F3}, p(benign) = {outputs[(row * 2) + 1]:F3} -> {classNames[predicted[row]]} (actual {classNames[actual[row]]})"));
    }

    // The reference script averages PyTorch over seeds 0 to 4; the comparison averages TypedNets over the same count.
    accuracies[index, 0] = metrics.Accuracy;
    for (int other = 1; other < ComparisonSeeds; other++)
    {
        accuracies[index, other] = Accuracy(TrainAndPredict(loss, seed + (ulong)other, showProgress: false).Outputs);
    }
}

Console.WriteLine();
Console.WriteLine($"Held-out accuracy, mean over {ComparisonSeeds} seeds (same split and settings):");
Console.WriteLine("  loss                    TypedNets   PyTorch");
JsonElement? reference = LoadReference(Path.Combine(dataDirectory, "pytorch_reference.json"), allFeatures ? "all_features" : "mean_features");
for (int index = 0; index < losses.Length; index++)
{
    string name = losses[index].ToString();
    double mean = Enumerable.Range(0, ComparisonSeeds).Average(other => accuracies[index, other]);
    string pytorch = reference?.TryGetProperty(name, out JsonElement figures) == true
        ? figures.GetProperty("mean_accuracy").GetDouble().ToString("F3", CultureInfo.InvariantCulture)
        : "not available";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-22}  {mean,9:F3}   {pytorch}"));
}

return 0;

(INetwork Network, float[] Outputs) TrainAndPredict(LossFunction loss, ulong runSeed, bool showProgress)
{
    INetwork network = allFeatures ? new WideBinaryClassifier(maxBatch: 32, seed: runSeed) : new BinaryClassifier(maxBatch: 32, seed: runSeed);

    // Mean squared error compares the two softmax outputs with one-hot targets; cross-entropy takes the class index.
    Dataset targets = loss.Kind == LossKind.MeanSquaredError ? OneHot.Encode(train, 2) : train;
    Trainer.Fit(network, new Adam(0.001), targets, new FitOptions
    {
        Epochs = epochs,
        BatchSize = 32,
        Seed = runSeed,
        Loss = loss,
        // A bar that moves within each epoch on a terminal; one line per epoch when the output is redirected.
        Callbacks = showProgress ? [new ProgressLogger()] : [],
    });
    return (network, Trainer.Predict(network, test.Features));
}

double Accuracy(float[] outputs)
{
    int[] predicted = Predictions.ArgMax(outputs, 2);
    int[] actual = Predictions.ClassIndices(test.Targets, 1);
    return ClassificationMetrics.Compute(actual, predicted, 2).Accuracy;
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
