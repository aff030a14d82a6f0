using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using FashionMnist;
using TypedNets;
using TypedNets.Data;
using TypedNets.Examples;
using TypedNets.Explain;
using TypedNets.Metrics;
using TypedNets.Optimizers;
using TypedNets.Reporting;
using TypedNets.Serialization;
using TypedNets.Training;

// Trains an MLP, a small convnet or a small ResNet on Fashion-MNIST and reports test accuracy, per-class F1, the
// confusion matrix and the time per epoch. Run scripts/fetch-fashion-mnist.sh first.
//   --model mlp|convnet|both|resnet   (default both)   --epochs N   --batch N   --augment   --train-rows N (a quicker run)
//   --report FILE   an HTML report: each model's diagram, curves, confusion matrix and saliency maps of test images
//   --pytorch-weights FILE   (with --model resnet) scores the state_dict reference/pytorch/fashion_resnet.py saved instead of training
string model = ValueAfter("--model") ?? "both";
int? epochsOverride = ArgumentAfter("--epochs");
bool resnet = model == "resnet";
int batchSize = ArgumentAfter("--batch") ?? (resnet ? 128 : 64);

// The ResNet trains as its PyTorch twin does, always with flips and shifts.
bool augment = resnet || args.Contains("--augment");
string? pytorchWeights = ValueAfter("--pytorch-weights");
int? trainRows = ArgumentAfter("--train-rows");
ulong seed = (ulong)(ArgumentAfter("--seed") ?? 0);
string? reportPath = ReportArgument.Find(args);
var report = new Report("Fashion-MNIST");

(Dataset train, Dataset test) = Idx.LoadFashionMnist(DataDirectory.Find("fashion-mnist", "scripts/fetch-fashion-mnist.sh"));
if (trainRows is int rows && rows < train.Count)
{
    (train, _) = train.SplitAt(rows);
}

Console.WriteLine($"Fashion-MNIST: {train.Count} training and {test.Count} test images of 28x28, 10 classes.");
if (model is "mlp" or "both")
{
    Run("MLP 784-256-128-10", new FashionMlp(maxBatch: batchSize, seed: seed), FashionMlp.Summary, FashionMlp.DiagramSvg, epochsOverride ?? 20, new Adam(0.001), "Adam(0.001)");
}

if (model is "convnet" or "both")
{
    Run("Convnet", new FashionConvnet(maxBatch: batchSize, seed: seed), FashionConvnet.Summary, FashionConvnet.DiagramSvg, epochsOverride ?? 12, new Adam(0.001), "Adam(0.001)");
}

if (resnet && pytorchWeights is not null)
{
    var network = new FashionResNet(maxBatch: 256);
    SafeTensors.Load(network, pytorchWeights);
    report.AddHeading("ResNet with PyTorch's weights").AddDiagram(FashionResNet.DiagramSvg, nameof(FashionResNet));
    Score("ResNet with PyTorch's weights", network);
}

if (reportPath is not null)
{
    ReportArgument.Save(report, reportPath);
}
else if (resnet)
{
    // SGD with Nesterov momentum and weight decay, the optimizer ResNets are trained with, annealed to 0.
    Run("ResNet", new FashionResNet(maxBatch: batchSize, seed: seed), FashionResNet.Summary, FashionResNet.DiagramSvg, epochsOverride ?? 20,
        new Sgd(0.1, momentum: 0.9, nesterov: true, weightDecay: 0.0005), "SGD(0.1, Nesterov momentum 0.9, weight decay 0.0005)", minimumLearningRate: 0);
}

void Run(string name, INetwork network, string summary, string diagram, int epochs, Optimizer<float> optimizer, string optimizerName, double? minimumLearningRate = null)
{
    double learningRate = optimizer.LearningRate;
    Console.WriteLine();
    Console.WriteLine(summary);
    Console.WriteLine($"Training the {name}: {optimizerName}, batch {batchSize}, {epochs} epochs{(augment ? ", with augmentation" : "")}");
    var augmentation = new ImageAugmentation(1, 28, 28, seed) { FlipProbability = 0.5, MaxShift = 2, MaxRotationDegrees = 0 };
    var clock = Stopwatch.StartNew();
    History history = Trainer.Fit(network, optimizer, train, new FitOptions
    {
        Epochs = epochs,
        BatchSize = batchSize,
        Seed = seed,
        ValidationData = test,
        LearningRateSchedule = new CosineAnnealing(epochs, minimumLearningRate ?? learningRate / 20),
        Augment = augment ? images => augmentation.Apply(images) : null,
        Callbacks = [new ProgressLogger()],
    });
    double secondsPerEpoch = clock.Elapsed.TotalSeconds / history.Epochs.Count;
    report.AddHeading(name).AddDiagram(diagram, network.GetType().Name).AddHistory(history, name);
    Score(name, network, string.Create(CultureInfo.InvariantCulture, $", {secondsPerEpoch:F1} s per epoch, {clock.Elapsed.TotalSeconds:F0} s in all"));
}

void Score(string name, INetwork network, string timing = "")
{
    float[] outputs = Trainer.Predict(network, test.Features);
    var metrics = ClassificationMetrics.Compute(Predictions.ClassIndices(test.Targets, 1), Predictions.ArgMax(outputs, 10), 10);
    Console.WriteLine();
    Console.WriteLine($"{name} on the {test.Count} test images:");
    Console.WriteLine(metrics.ToString(3, Idx.FashionMnistClassNames));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: test accuracy {metrics.Accuracy:F4}, macro F1 {metrics.MacroF1:F4}{timing}."));
    if (reportPath is not null)
    {
        report.AddConfusionMatrix(metrics.ConfusionMatrix, Idx.FashionMnistClassNames,
            string.Create(CultureInfo.InvariantCulture, $"{name}: confusion matrix on the {test.Count} test images (accuracy {metrics.Accuracy:F4})"));
        AddSaliency(name, network, Predictions.ArgMax(outputs, 10));
    }
}

// SmoothGrad (|gradient| averaged over 50 noisy copies) of the predicted class for the first test image of each of
// four classes: which pixels the prediction is most sensitive to.
void AddSaliency(string name, INetwork network, int[] predicted)
{
    int[] actual = Predictions.ClassIndices(test.Targets, 1);
    foreach (int shownClass in new[] { 0, 1, 7, 8 })
    {
        int row = Array.IndexOf(actual, shownClass);
        ReadOnlySpan<float> image = test.FeatureRow(row);
        AttributionResult saliency = network switch
        {
            FashionMlp mlp => Attribution.SmoothGrad(mlp, FashionMlp.Sample.From(image), seed: 1),
            FashionConvnet convnet => Attribution.SmoothGrad(convnet, FashionConvnet.Sample.From(image), seed: 1),
            FashionResNet resnet => Attribution.SmoothGrad(resnet, FashionResNet.Sample.From(image), seed: 1),
            _ => throw new InvalidOperationException($"No saliency for {network.GetType().Name}."),
        };
        IReadOnlyList<string> names = Idx.FashionMnistClassNames;
        report.AddSaliency(image, saliency.Values, [1, 28, 28],
            $"{name}: SmoothGrad of test image {row} ({names[actual[row]]}), predicted {names[predicted[row]]}");
    }
}

int? ArgumentAfter(string name)
    => ValueAfter(name) is string value && int.TryParse(value, CultureInfo.InvariantCulture, out int number) ? number : null;

string? ValueAfter(string name)
{
    int position = Array.IndexOf(args, name);
    return position >= 0 && position + 1 < args.Length ? args[position + 1] : null;
}

