using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using FashionMnist;
using TypedNets;
using TypedNets.Data;
using TypedNets.Examples;
using TypedNets.Metrics;
using TypedNets.Optimizers;
using TypedNets.Serialization;
using TypedNets.Training;

// Trains an MLP, a small convnet or a small ResNet on Fashion-MNIST and reports test accuracy, per-class F1, the
// confusion matrix and the time per epoch. Run scripts/fetch-fashion-mnist.sh first.
//   --model mlp|convnet|both|resnet   (default both)   --epochs N   --batch N   --augment   --train-rows N (a quicker run)
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

(Dataset train, Dataset test) = Idx.LoadFashionMnist(DataDirectory.Find("fashion-mnist", "scripts/fetch-fashion-mnist.sh"));
if (trainRows is int rows && rows < train.Count)
{
    (train, _) = train.SplitAt(rows);
}

Console.WriteLine($"Fashion-MNIST: {train.Count} training and {test.Count} test images of 28x28, 10 classes.");
if (model is "mlp" or "both")
{
    Run("MLP 784-256-128-10", new FashionMlp(maxBatch: batchSize, seed: seed), FashionMlp.Summary, epochsOverride ?? 20, new Adam(0.001), "Adam(0.001)");
}

if (model is "convnet" or "both")
{
    Run("Convnet", new FashionConvnet(maxBatch: batchSize, seed: seed), FashionConvnet.Summary, epochsOverride ?? 12, new Adam(0.001), "Adam(0.001)");
}

if (resnet && pytorchWeights is not null)
{
    var network = new FashionResNet(maxBatch: 256);
    SafeTensors.Load(network, pytorchWeights);
    Score("ResNet with PyTorch's weights", network);
}
else if (resnet)
{
    // SGD with Nesterov momentum and weight decay, the optimizer ResNets are trained with, annealed to 0.
    Run("ResNet", new FashionResNet(maxBatch: batchSize, seed: seed), FashionResNet.Summary, epochsOverride ?? 20,
        new Sgd(0.1, momentum: 0.9, nesterov: true, weightDecay: 0.0005), "SGD(0.1, Nesterov momentum 0.9, weight decay 0.0005)", minimumLearningRate: 0);
}

void Run(string name, INetwork network, string summary, int epochs, Optimizer<float> optimizer, string optimizerName, double? minimumLearningRate = null)
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
}

int? ArgumentAfter(string name)
    => ValueAfter(name) is string value && int.TryParse(value, CultureInfo.InvariantCulture, out int number) ? number : null;

string? ValueAfter(string name)
{
    int position = Array.IndexOf(args, name);
    return position >= 0 && position + 1 < args.Length ? args[position + 1] : null;
}

