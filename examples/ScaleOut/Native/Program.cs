using System;
using System.Globalization;
using System.IO;
using System.Text;
using FashionMnist;
using TypedNets;
using TypedNets.Data;
using TypedNets.Examples;
using TypedNets.Explain;
using TypedNets.Metrics;
using TypedNets.Reporting;

// Classifies Fashion-MNIST test images with the ResNet that PyTorch trained (scripts/scale-out.sh), compiled ahead of
// time with its weights inside, and prints every probability, so that they can be compared with PyTorch's.
//
//   ScaleOutNative                          the first 1,000 test images of data/fashion-mnist
//   ScaleOutNative --count 10000            all of them
//   ScaleOutNative --images FILE --labels FILE --count N
//   ScaleOutNative --about                  the weights compiled in
//   ScaleOutNative --report FILE            also an HTML report: the diagram, the confusion matrix, occlusion maps
//
// Output (standard output): index,label,predicted,p0,...,p9, one line per image, each probability as the shortest text
// that reads back as the same float; the accuracy goes to standard error.
const int ExitBadInput = 1;
const int ExitUsage = 2;
string? imagesPath = null;
string? labelsPath = null;
int count = 1000;
string? reportPath = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--images" when i + 1 < args.Length:
            imagesPath = args[++i];
            break;
        case "--labels" when i + 1 < args.Length:
            labelsPath = args[++i];
            break;
        case "--count" when i + 1 < args.Length:
            if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1)
            {
                Console.Error.WriteLine($"--count needs a positive number of images, such as --count 1000, not '{args[i]}'.\n\n{Usage()}");
                return ExitUsage;
            }

            break;
        case "--report" when i + 1 < args.Length:
            reportPath = args[++i];
            break;
        case "--about":
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"FashionResNet: {FashionResNet.ParameterCount} parameters, {FashionResNet.EmbeddedWeightBytes.Length} embedded weight bytes, {FashionResNet.EmbeddedBufferBytes.Length} embedded running-statistics bytes"));
            return 0;
        case "-h" or "--help":
            Console.WriteLine(Usage());
            return 0;
        default:
            Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'.\n\n{Usage()}");
            return ExitUsage;
    }
}

if ((imagesPath is null) != (labelsPath is null))
{
    Console.Error.WriteLine($"--images and --labels go together (an images file and its labels file).\n\n{Usage()}");
    return ExitUsage;
}

Dataset test;
try
{
    if (imagesPath is null || labelsPath is null)
    {
        string directory = DataDirectory.Find("fashion-mnist", "scripts/fetch-fashion-mnist.sh");
        imagesPath = Path.Combine(directory, "t10k-images-idx3-ubyte.gz");
        labelsPath = Path.Combine(directory, "t10k-labels-idx1-ubyte.gz");
    }

    test = Idx.LoadDataset(imagesPath, labelsPath);
}
catch (Exception e) when (e is IOException or IdxFormatException)
{
    Console.Error.WriteLine(e.Message);
    return ExitBadInput;
}

if (test.FeatureWidth != FashionResNet.InputSize)
{
    Console.Error.WriteLine($"'{imagesPath}' holds images of {test.FeatureWidth} pixels; this network reads 1 x 28 x 28 = {FashionResNet.InputSize}.");
    return ExitBadInput;
}

if (count > test.Count)
{
    Console.Error.WriteLine($"--count {count} asks for more images than '{imagesPath}' holds ({test.Count}).");
    return ExitBadInput;
}

// Inference: BatchNorm on the running statistics PyTorch's training left, as model.eval() does.
var network = new FashionResNet(maxBatch: 100);
ReadOnlySpan<float> images = test.Features[..(count * FashionResNet.InputSize)];
float[] probabilities = new float[count * FashionResNet.OutputSize];
network.Predict(images, probabilities);

var output = new StringBuilder();
output.Append("index,label,predicted");
for (int c = 0; c < FashionResNet.OutputSize; c++)
{
    output.Append(CultureInfo.InvariantCulture, $",p{c}");
}

output.Append('\n');
int correct = 0;
for (int i = 0; i < count; i++)
{
    ReadOnlySpan<float> row = probabilities.AsSpan(i * FashionResNet.OutputSize, FashionResNet.OutputSize);
    int label = (int)test.Targets[i];
    int predicted = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row);
    correct += predicted == label ? 1 : 0;
    output.Append(CultureInfo.InvariantCulture, $"{i},{label},{predicted}");
    foreach (float p in row)
    {
        output.Append(CultureInfo.InvariantCulture, $",{p:R}");
    }

    output.Append('\n');
}

Console.Out.Write(output);
Console.Out.Flush();
Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{count} images: accuracy {(double)correct / count:F4} ({correct} right)"));
if (reportPath is not null)
{
    // The report: the network, the confusion matrix, and occlusion maps (the drop in the predicted class's probability
    // when a 4 x 4 patch is blacked out, at a stride of 2) of the first two images.
    int[] labels = Predictions.ClassIndices(test.Targets[..count], 1);
    int[] predictions = Predictions.ArgMax(probabilities, FashionResNet.OutputSize);
    var report = new Report("ScaleOut: the ResNet PyTorch trained, compiled in");
    report.AddText(string.Create(CultureInfo.InvariantCulture, $"{count} test images: accuracy {(double)correct / count:F4}."));
    report.AddDiagram(FashionResNet.DiagramSvg, nameof(FashionResNet));
    report.AddConfusionMatrix(ConfusionMatrix.Compute(labels, predictions, FashionResNet.OutputSize), Idx.FashionMnistClassNames);
    for (int i = 0; i < Math.Min(2, count); i++)
    {
        ReadOnlySpan<float> image = test.FeatureRow(i);
        AttributionResult occlusion = Attribution.Occlusion(network, FashionResNet.Sample.From(image), window: [4, 4], strides: [2, 2]);
        report.AddSaliency(image, occlusion, $"Test image {i} ({Idx.FashionMnistClassNames[labels[i]]}), predicted {Idx.FashionMnistClassNames[predictions[i]]}: occlusion");
    }

    ReportArgument.Save(report, reportPath);
}

return 0;

static string Usage() => """
    ScaleOutNative: examples/FashionMnist's ResNet with the weights PyTorch trained compiled in (scripts/scale-out.sh).

    Usage:
      ScaleOutNative [--count N]                               the first N test images of data/fashion-mnist (1000)
      ScaleOutNative --images FILE --labels FILE [--count N]   IDX files, gzipped or not, such as t10k-images-idx3-ubyte.gz
      ScaleOutNative --about                                   the weights compiled in
      ScaleOutNative --report FILE [--count N]                 also an HTML report (diagram, confusion matrix, occlusion)

    Prints index,label,predicted,p0,...,p9 per image (CSV, probabilities in full float precision); the accuracy goes
    to standard error. Exit code 1 for unreadable data, 2 for bad usage.
    """;
