using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Quickstart;
using TypedNets;
using TypedNets.Data;
using TypedNets.Examples;
using TypedNets.Explain;
using TypedNets.Metrics;
using TypedNets.Optimizers;
using TypedNets.Reporting;
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
// --report FILE writes the HTML report (curves, confusion matrices, attributions, diagram); without it the report
// still goes to artifacts/quickstart-report.html.
string reportPath = ReportArgument.Find(args, Path.Combine("artifacts", "quickstart-report.html"))!;
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
var report = new Report("Quickstart: breast-cancer classifier");
report.AddText($"Wisconsin breast-cancer data: {data.Count} rows, {featureCount} features, {train.Count} for training and {test.Count} held out " +
    $"(stratified, seed {SplitSeed}); Adam(0.001), batch 32, {epochs} epochs, trained once with mean squared error and once with cross-entropy.");
report.AddDiagram(allFeatures ? WideBinaryClassifier.DiagramSvg : BinaryClassifier.DiagramSvg, allFeatures ? nameof(WideBinaryClassifier) : nameof(BinaryClassifier));
report.AddPreformatted(allFeatures ? WideBinaryClassifier.Summary : BinaryClassifier.Summary);

LossFunction[] losses = [LossFunction.MeanSquaredError, LossFunction.CrossEntropy];
double[,] accuracies = new double[losses.Length, ComparisonSeeds];
for (int index = 0; index < losses.Length; index++)
{
    LossFunction loss = losses[index];
    Console.WriteLine();
    Console.WriteLine($"Training with {loss}: Adam(0.001), batch 32, {epochs} epochs");
    var clock = Stopwatch.StartNew();
    (INetwork trained, float[] outputs, History history) = TrainAndPredict(loss, seed, showProgress: true);
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

    report.AddHeading($"Trained with {loss}");
    report.AddHistory(history, loss.ToString());
    report.AddConfusionMatrix(metrics.ConfusionMatrix, classNames, $"{loss}: held-out confusion matrix (accuracy {metrics.Accuracy:F3})");
    report.AddPreformatted(metrics.ToString(3, classNames));
    AddAttributions(trained, loss);

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

ReportArgument.Save(report, reportPath);
return 0;

// Integrated Gradients (50 steps from an all-zero baseline, the scaled minimum) for the first held-out row, and the
// mean absolute attribution over every held-out row: which features moved the predicted class's probability.
void AddAttributions(INetwork trained, LossFunction loss)
{
    // The data set's ten measurements, each as the mean, the standard error and the worst value (scikit-learn's names).
    string[] names = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity", "concave points", "symmetry", "fractal dimension"];
    string[] features = allFeatures ? [.. names.Select(name => "mean " + name), .. names.Select(name => name + " error"), .. names.Select(name => "worst " + name)]
        : [.. names.Select(name => "mean " + name)];
    var mean = new float[featureCount];
    AttributionResult? first = null;
    for (int row = 0; row < test.Count; row++)
    {
        AttributionResult result = trained switch
        {
            BinaryClassifier net => Attribution.IntegratedGradients(net, BinaryClassifier.Sample.From(test.FeatureRow(row))),
            WideBinaryClassifier net => Attribution.IntegratedGradients(net, WideBinaryClassifier.Sample.From(test.FeatureRow(row))),
            _ => throw new InvalidOperationException($"No attribution for {trained.GetType().Name}."),
        };
        first ??= result;
        for (int feature = 0; feature < featureCount; feature++)
        {
            mean[feature] += Math.Abs(result.Values[feature]) / test.Count;
        }
    }

    report.AddAttribution(features, first!.Values,
        $"{loss}: Integrated Gradients of held-out row 0 towards p({classNames[first.Target]}) (red raises it, blue lowers it)");
    report.AddAttribution(features, mean, $"{loss}: mean |Integrated Gradients| over the {test.Count} held-out rows");
}

(INetwork Network, float[] Outputs, History History) TrainAndPredict(LossFunction loss, ulong runSeed, bool showProgress)
{
    INetwork network = allFeatures ? new WideBinaryClassifier(maxBatch: 32, seed: runSeed) : new BinaryClassifier(maxBatch: 32, seed: runSeed);

    // Mean squared error compares the two softmax outputs with one-hot targets; cross-entropy takes the class index.
    Dataset targets = loss.Kind == LossKind.MeanSquaredError ? OneHot.Encode(train, 2) : train;
    History history = Trainer.Fit(network, new Adam(0.001), targets, new FitOptions
    {
        Epochs = epochs,
        BatchSize = 32,
        Seed = runSeed,
        Loss = loss,
        // Keras' validation_data: the held-out rows are scored after every epoch, for the curves; they never train.
        ValidationData = loss.Kind == LossKind.MeanSquaredError ? OneHot.Encode(test, 2) : test,
        // A bar that moves within each epoch on a terminal; one line per epoch when the output is redirected.
        Callbacks = showProgress ? [new ProgressLogger()] : [],
    });
    return (network, Trainer.Predict(network, test.Features), history);
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
