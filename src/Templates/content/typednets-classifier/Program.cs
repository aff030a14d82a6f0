using System.Globalization;
using TypedNets;
using TypedNets.Data;
using TypedNets.Metrics;
using TypedNets.Optimizers;
using TypedNets.Serialization;
using TypedNets.Training;
using TypedNetsClassifier;

// Trains BreastCancerClassifier on Data/breast_cancer.csv, scores it on held-out rows, saves its weights, and loads
// them into a new network to predict.
//   dotnet run                  train, evaluate, save classifier.safetensors, load it back and predict
//   dotnet run -- predict       load classifier.safetensors and print every held-out row's prediction as CSV
const string WeightsFile = "classifier.safetensors";
const ulong Seed = 42;
string[] classNames = ["malignant", "benign"];

// The Wisconsin breast-cancer data as scikit-learn ships it (Data/LICENSE.md): a first line of metadata
// ("569,30,malignant,benign"), no header, then 30 features and the class (0 = malignant, 1 = benign) per row.
// For a CSV with a header row: Csv.Read(path).ToDataset("label").
CsvTable table = Csv.Read(Path.Combine(AppContext.BaseDirectory, "Data", "breast_cancer.csv"),
    new CsvOptions { SkipRows = 1, HasHeader = false });
Dataset data = table.ToDataset(labelColumn: 30);

// 20% held out, in the same class proportions; the scaler learns each feature's range from the training rows only.
(Dataset train, Dataset test) = Split.StratifiedTrainTest(data, testFraction: 0.2, seed: Seed);
MinMaxScaler scaler = new MinMaxScaler(0, 1).Fit(train);
train = scaler.Transform(train);
test = scaler.Transform(test);

if (args is ["predict"])
{
    // The weights of an earlier run, as a program that only predicts would load them.
    var trained = new BreastCancerClassifier(maxBatch: 32);
    SafeTensors.Load(trained, WeightsFile);
    PrintPredictionsCsv(Trainer.Predict(trained, test.Features));
    return 0;
}

Console.WriteLine($"{data.Count} rows of {data.FeatureWidth} features: {train.Count} to train on, {test.Count} held out.");
Console.WriteLine(BreastCancerClassifier.Summary);

var network = new BreastCancerClassifier(maxBatch: 32, seed: Seed);
Trainer.Fit(network, new Adam(0.001), train, new FitOptions
{
    Epochs = 50,
    BatchSize = 32,
    Seed = Seed,
    ValidationSplit = 0.1,
    // A bar per epoch on a terminal, one line per epoch when the output goes to a file.
    Callbacks = [new ProgressLogger()],
});

Evaluation evaluation = Trainer.Evaluate(network, test);
int[] actual = Predictions.ClassIndices(test.Targets, 1);
int[] predicted = Predictions.ArgMax(Trainer.Predict(network, test.Features), 2);
ClassificationMetrics metrics = ClassificationMetrics.Compute(actual, predicted, 2, positiveClass: 0);
Console.WriteLine();
Console.WriteLine(metrics.ToString(3, classNames));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Held-out loss: {evaluation.Loss:F4}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Held-out accuracy: {metrics.Accuracy:F4}"));

// Save (atomic: a failed save leaves the old file), then load into a new network, as another program would.
SafeTensors.Save(network, WeightsFile);
var loaded = new BreastCancerClassifier(maxBatch: 32);
SafeTensors.Load(loaded, WeightsFile);
Console.WriteLine($"Saved the weights to {WeightsFile} and loaded them into a new network.");

float[] probabilities = Trainer.Predict(loaded, test.Features);
Console.WriteLine("The loaded network on the first held-out rows:");
for (int row = 0; row < 5; row++)
{
    int best = probabilities[(row * 2) + 1] > probabilities[row * 2] ? 1 : 0;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  row {row}: {classNames[best]} (p = {probabilities[(row * 2) + best]:F4}), actually {classNames[actual[row]]}"));
}

return 0;

static void PrintPredictionsCsv(float[] probabilities)
{
    Console.WriteLine("row,predicted,p_malignant,p_benign");
    int[] classes = Predictions.ArgMax(probabilities, 2);
    for (int row = 0; row < classes.Length; row++)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{row},{classes[row]},{probabilities[row * 2]:R},{probabilities[(row * 2) + 1]:R}"));
    }
}
