using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Compression;
using FashionMnist;
using TextClassifier;
using TypedNets;
using TypedNets.Compression;
using TypedNets.Data;
using TypedNets.Examples;
using TypedNets.Optimizers;
using TypedNets.Reporting;
using TypedNets.Serialization;
using TypedNets.Training;

// Makes the Fashion-MNIST MLP, the convnet and the text classifier smaller or faster, and measures each variant in one
// table: test accuracy, the bytes of the file that would ship, and the time of one prediction of 1 and of 256 samples
// on one thread. Beside them, PyTorch's quantize_dynamic on the same trained MLP. Run scripts/fetch-fashion-mnist.sh
// and scripts/fetch-fortunes.sh first.
//
//   --quick          a short run on subsets, for CI (about two minutes); the README's table is from the full run
//   --output DIR     where weights, the teacher's cache and the table go (default data/compression/full or /quick)
//   --no-pytorch     leave out PyTorch's rows
//   --report FILE    an HTML report: the table, the networks' diagrams and every training run's curves
Settings settings = args.Contains("--quick") ? Settings.Quick : Settings.Full;
string? reportPath = ReportArgument.Find(args);
var histories = new List<(string Section, History History)>();
string currentSection = "";
var total = Stopwatch.StartNew();
string fashionDirectory = DataDirectory.Find("fashion-mnist", "scripts/fetch-fashion-mnist.sh");
string repositoryRoot = Path.GetFullPath(Path.Combine(fashionDirectory, "..", ".."));
string outputDirectory = Path.GetFullPath(ValueAfter("--output") ?? Path.Combine(repositoryRoot, "data", "compression", settings.Name));
Directory.CreateDirectory(outputDirectory);

(Dataset train, Dataset test) = Idx.LoadFashionMnist(fashionDirectory);
if (settings.TrainRows is int trainRows)
{
    (train, _) = train.SplitAt(trainRows);
}

if (settings.TestRows is int testRows)
{
    (test, _) = test.SplitAt(testRows);
}

Console.WriteLine($"{settings.Name} run: Fashion-MNIST, {train.Count} training and {test.Count} test images; weights in {outputDirectory}.");
Console.WriteLine($"Latency: one thread, after a warm-up, the median of {settings.Rounds} rounds of {settings.RoundSeconds} s.");
var rows = new List<Row>();
var bench = new Bench(test, classes: 10, TimeSpan.FromSeconds(settings.RoundSeconds), settings.Rounds);
const string Mlp = "MLP 784-256-128-10";
const string Convnet = "Convnet";
const string Student = "Student MLP 784-64-10";

// The float MLP, trained as examples/FashionMnist trains it.
Section($"{Mlp}: float, {settings.MlpEpochs} epochs");
var mlp = new FashionMlp(maxBatch: 64, seed: 0);
Train(mlp, settings.MlpEpochs, seed: 0);
string mlpFile = Save(mlp, "mlp-float.safetensors");
var mlpFloat = Load(new FashionMlp(maxBatch: 256), mlpFile);
rows.Add(bench.Measure(Mlp, "float", mlpFloat, mlpFile));

// Post-training int8: dynamic (each product's input quantised per row at each call) and static (one scale per weight's
// input, calibrated on training images). Each is saved as an int8 file and measured as loaded back from it.
ReadOnlySpan<float> calibration = train.Features[..(settings.CalibrationRows * FashionMlp.InputSize)];
Section($"{Mlp}: int8, dynamic and static ({settings.CalibrationRows} calibration images)");
string mlpDynamicFile = Save(mlpFloat.Quantize(), "mlp-int8-dynamic.safetensors");
rows.Add(bench.Measure(Mlp, "int8 dynamic", Load(new FashionMlp(maxBatch: 256), mlpDynamicFile), mlpDynamicFile));
string mlpStaticFile = Save(mlpFloat.Quantize(calibration), "mlp-int8-static.safetensors");
rows.Add(bench.Measure(Mlp, "int8 static", Load(new FashionMlp(maxBatch: 256), mlpStaticFile), mlpStaticFile));

// Unstructured magnitude pruning: from the trained float MLP, fine-tuned while TFMOT's polynomial decay raises the
// sparsity of every kernel from 0 to its target over the first 60% of the steps; the masks hold the pruned weights at
// zero to the end.
foreach (double sparsity in (double[])[0.5, 0.8, 0.9])
{
    Section($"{Mlp}: pruned to {sparsity:P0}, {settings.PruneEpochs} epochs of fine-tuning");
    var network = Load(new FashionMlp(maxBatch: 64, seed: 0), mlpFile);
    int steps = settings.PruneEpochs * ((train.Count + 63) / 64);
    int frequency = Math.Clamp(steps / 20, 1, 100);
    var pruner = new MagnitudePruner(network, new PolynomialDecay(0, sparsity, beginStep: 0, endStep: frequency * (steps * 6 / 10 / frequency), frequency: frequency));
    Train(network, settings.PruneEpochs, seed: 0, learningRate: 0.0005, callbacks: [pruner.Callback()]);
    SparsityReport report = pruner.Report();
    Console.WriteLine(report);
    string file = Save(network, $"mlp-pruned-{sparsity * 100:F0}.safetensors");
    int zeros = report.Zeros;
    rows.Add(bench.Measure(Mlp, $"pruned {sparsity:P0} (unstructured)", Load(new FashionMlp(maxBatch: 256), file), file,
        Text($"{report.Sparsity:P1} of the kernels zero ({(double)zeros / FashionMlp.ParameterCount:P1} of all weights); dense file, {GzipBytes(file):N0} bytes gzipped")));
}

// Structured pruning: every hidden layer keeps the half of its units with the largest incoming L1 norms. The tool writes
// a smaller declaration, compiled into this example as FashionMlpHalved.cs (the run checks that it is still what the
// tool writes), and its weights, which are fine-tuned as the unstructured ones are.
Section($"{Mlp}: structured, units halved, {settings.PruneEpochs} epochs of fine-tuning");
PrunedNetwork halved = StructuredPruning.Prune(mlpFloat, keep: 0.5, className: nameof(FashionMlpHalved), @namespace: nameof(Compression));
Console.WriteLine(halved.Report);
string declaration = Path.Combine(repositoryRoot, "examples", "Compression", halved.SourceFileName);
if (File.Exists(declaration) && File.ReadAllText(declaration).ReplaceLineEndings() != halved.Source.ReplaceLineEndings())
{
    File.WriteAllText(declaration, halved.Source);
    throw new InvalidOperationException($"The pruned declaration changed and was written to {declaration}; build the example again and rerun.");
}

string halvedFile = Path.Combine(outputDirectory, halved.WeightsFileName);
halved.SaveWeights(halvedFile);
var halvedNetwork = Load(new FashionMlpHalved(maxBatch: 64), halvedFile);
double beforeTuning = bench.Accuracy(halvedNetwork.Predict, FashionMlpHalved.OutputSize);
Train(halvedNetwork, settings.PruneEpochs, seed: 0, learningRate: 0.0005);
string halvedTuned = Save(halvedNetwork, "mlp-halved.safetensors");
rows.Add(bench.Measure(Mlp, "structured, units halved", Load(new FashionMlpHalved(maxBatch: 256), halvedTuned), halvedTuned,
    Text($"a new typed network, 256-128 -> 128-64 units; {halved.FlopsAfter:N0} of {halved.FlopsBefore:N0} flops ({(double)halved.FlopsAfter / halved.FlopsBefore:P0}); accuracy {beforeTuning:F4} before fine-tuning")));

// The convnet: the float row, and the teacher for distillation. It trains once; later runs load its weights.
string teacherFile = Path.Combine(outputDirectory, $"convnet-{settings.TeacherEpochs}-epochs-{train.Count}-images.safetensors");
var teacher = new FashionConvnet(maxBatch: 256);
if (File.Exists(teacherFile))
{
    Section($"{Convnet}: float, loaded from {Path.GetFileName(teacherFile)} (delete it to train again)");
    SafeTensors.Load(teacher, teacherFile);
}
else
{
    Section($"{Convnet}: float, {settings.TeacherEpochs} epochs");
    var convnet = new FashionConvnet(maxBatch: 64, seed: 0);
    Train(convnet, settings.TeacherEpochs, seed: 0);
    Save(convnet, Path.GetFileName(teacherFile));
    SafeTensors.Load(teacher, teacherFile);
}

rows.Add(bench.Measure(Convnet, "float", teacher, teacherFile));
string convnetDynamicFile = Save(teacher.Quantize(), "convnet-int8-dynamic.safetensors");
rows.Add(bench.Measure(Convnet, "int8 dynamic", Load(new FashionConvnet(maxBatch: 256), convnetDynamicFile), convnetDynamicFile));
string convnetStaticFile = Save(teacher.Quantize(calibration), "convnet-int8-static.safetensors");
rows.Add(bench.Measure(Convnet, "int8 static", Load(new FashionConvnet(maxBatch: 256), convnetStaticFile), convnetStaticFile));

// Distillation: the convnet teaches a small MLP; the same student trained alone is the baseline, each over the seeds.
Section($"{Student}: alone and distilled from the convnet (T = {settings.Temperature}, hard-label weight {settings.HardLabelWeight}), {settings.StudentEpochs} epochs, {settings.Seeds} seeds");
foreach (bool distilled in (bool[])[false, true])
{
    string variant = distilled ? "distilled from the convnet" : "trained alone";
    var accuracies = new List<double>();
    string? file = null;
    for (int seed = 0; seed < settings.Seeds; seed++)
    {
        var student = new FashionStudent(maxBatch: 64, seed: (ulong)seed);
        Train(student, settings.StudentEpochs, (ulong)seed, distillation: distilled ? new Distillation(teacher, settings.Temperature, settings.HardLabelWeight) : null);
        accuracies.Add(bench.Accuracy(student.Predict, FashionStudent.OutputSize));
        Console.WriteLine(Text($"  {variant}, seed {seed}: test accuracy {accuracies[^1]:F4}"));
        file ??= Save(student, $"student-{(distilled ? "distilled" : "alone")}.safetensors");
    }

    Row measured = bench.Measure(Student, variant, Load(new FashionStudent(maxBatch: 256), file!), file!);
    rows.Add(measured with
    {
        Accuracy = accuracies.Average(),
        Runs = accuracies,
        Notes = Text($"mean ± sd of {settings.Seeds} seeds; {settings.StudentEpochs} epochs{(distilled ? $", T = {settings.Temperature}, hard-label weight {settings.HardLabelWeight}" : "")}; latency and bytes of seed 0's"),
    });
}

// The text classifier of examples/TextClassifier, on its own held-out quotes.
Section($"Text classifier (Embedding + LSTM): float, {settings.TextEpochs} epochs");
var corpus = FortuneCorpus.Load();
var classifier = new FortuneClassifier(maxBatch: 32, seed: 0);
Trainer.Fit(classifier, new Adam(0.001), corpus.Train, new FitOptions
{
    Epochs = settings.TextEpochs, BatchSize = 32, ValidationSplit = 0.2, Seed = 0, Callbacks = [new ProgressLogger()],
});
string classifierFile = Save(classifier, "text-classifier-float.safetensors");
var textBench = new Bench(corpus.Test, classes: 2, TimeSpan.FromSeconds(settings.RoundSeconds), settings.Rounds);
rows.Add(textBench.Measure("Text classifier (LSTM)", "float", Load(new FortuneClassifier(maxBatch: 256), classifierFile), classifierFile,
    Text($"{corpus.Test.Count} held-out quotes")));
var textFloat = Load(new FortuneClassifier(maxBatch: 256), classifierFile);
string textDynamicFile = Save(textFloat.Quantize(), "text-classifier-int8-dynamic.safetensors");
rows.Add(textBench.Measure("Text classifier (LSTM)", "int8 dynamic", Load(new FortuneClassifier(maxBatch: 256), textDynamicFile), textDynamicFile,
    Text($"{corpus.Test.Count} held-out quotes; the embedding stays float")));
string textStaticFile = Save(textFloat.Quantize(corpus.Train.Features[..(Math.Min(settings.CalibrationRows, corpus.Train.Count) * FortuneClassifier.InputSize)]), "text-classifier-int8-static.safetensors");
rows.Add(textBench.Measure("Text classifier (LSTM)", "int8 static", Load(new FortuneClassifier(maxBatch: 256), textStaticFile), textStaticFile,
    Text($"{corpus.Test.Count} held-out quotes; the embedding stays float")));

// PyTorch on the same trained MLP.
string? engine = null;
if (!args.Contains("--no-pytorch"))
{
    Section("PyTorch: the same float MLP, and quantize_dynamic int8");
    rows.AddRange(PyTorchSide.Measure(
        repositoryRoot, mlpFile, fashionDirectory, Path.Combine(outputDirectory, "pytorch.json"), test.Count, settings.RoundSeconds, settings.Rounds, out engine));
}

string table = Table.Markdown(rows);
string footer = Text(
    $"{settings.Name} run of {DateTime.UtcNow:yyyy-MM-dd}, {total.Elapsed.TotalMinutes:F1} min in all on {Environment.ProcessorCount} cores{(engine is null ? "" : $"; PyTorch's quantized engine: {engine}")}.");
Console.WriteLine();
Console.WriteLine(table);
Console.WriteLine(footer);
File.WriteAllText(Path.Combine(outputDirectory, "table.md"), table + Environment.NewLine + Environment.NewLine + footer + Environment.NewLine);
string readme = Path.Combine(repositoryRoot, "examples", "Compression", "README.md");
if (settings == Settings.Full && File.Exists(readme))
{
    Table.WriteInto(readme, table + Environment.NewLine + Environment.NewLine + footer);
    Console.WriteLine($"The table is written into {readme}.");
}

if (reportPath is not null)
{
    var report = new Report($"Compression ({settings.Name} run)");
    report.AddText(footer);
    report.AddTable(
        ["model", "variant", "test accuracy", "model bytes", "batch 1", "batch 256", "notes"],
        rows.Select(row => (IReadOnlyList<string>)[row.Model, row.Variant, row.AccuracyText, Text($"{row.Bytes:N0}"), Text($"{row.Batch1Microseconds:F1} µs"), Text($"{row.Batch256Milliseconds:F2} ms"), row.Notes]),
        "Each variant: test accuracy, the bytes that would ship, one-thread prediction time");
    report.AddHeading("Networks");
    report.AddDiagram(FashionMlp.DiagramSvg, nameof(FashionMlp)).AddDiagram(FashionMlpHalved.DiagramSvg, nameof(FashionMlpHalved) + " (structured pruning's output)");
    report.AddDiagram(FashionConvnet.DiagramSvg, nameof(FashionConvnet) + " (the teacher)").AddDiagram(FashionStudent.DiagramSvg, nameof(FashionStudent));
    report.AddHeading("Training runs");
    foreach ((string section, History history) in histories)
    {
        report.AddHistory(history, section);
    }

    ReportArgument.Save(report, reportPath);
}

void Train(INetwork network, int epochs, ulong seed, double learningRate = 0.001, IReadOnlyList<ICallback>? callbacks = null, Distillation? distillation = null)
{
    var clock = Stopwatch.StartNew();
    History history = Trainer.Fit(network, new Adam(learningRate), train, new FitOptions
    {
        Epochs = epochs,
        BatchSize = 64,
        Seed = seed,
        LearningRateSchedule = new CosineAnnealing(epochs, learningRate / 20),
        Callbacks = [.. callbacks ?? [], new ProgressLogger()],
        Distillation = distillation,
    });
    Console.WriteLine(Text($"  trained in {clock.Elapsed.TotalSeconds:F1} s"));
    histories.Add((currentSection, history));
}

string Save(INetwork network, string name)
{
    string path = Path.Combine(outputDirectory, name);
    SafeTensors.Save(network, path);
    return path;
}

static T Load<T>(T network, string path)
    where T : INetwork
{
    SafeTensors.Load(network, path);
    return network;
}

static long GzipBytes(string path)
{
    using var compressed = new MemoryStream();
    using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
    using (FileStream file = File.OpenRead(path))
    {
        file.CopyTo(gzip);
    }

    return compressed.Length;
}

void Section(string title)
{
    currentSection = title;
    Console.WriteLine();
    Console.WriteLine(Text($"== {title} ({total.Elapsed.TotalSeconds:F0} s)"));
}

static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

string? ValueAfter(string name)
{
    int position = Array.IndexOf(args, name);
    return position < 0 ? null
        : position + 1 < args.Length ? args[position + 1]
        : throw new ArgumentException($"{name} needs a value after it.", nameof(args));
}

/// <summary>How long each part runs: the full run gives the README's table, the quick one checks the example in CI.</summary>
internal sealed record Settings(
    string Name, int? TrainRows, int? TestRows, int MlpEpochs, int PruneEpochs, int TeacherEpochs, int StudentEpochs, int Seeds,
    double Temperature, double HardLabelWeight, int TextEpochs, double RoundSeconds, int Rounds, int CalibrationRows)
{
    public static Settings Full { get; } = new("full", null, null, MlpEpochs: 20, PruneEpochs: 5, TeacherEpochs: 5, StudentEpochs: 6, Seeds: 3,
        Temperature: 2, HardLabelWeight: 0.5, TextEpochs: 10, RoundSeconds: 0.4, Rounds: 5, CalibrationRows: 2000);

    public static Settings Quick { get; } = new("quick", 10_000, 2_000, MlpEpochs: 3, PruneEpochs: 1, TeacherEpochs: 1, StudentEpochs: 2, Seeds: 2,
        Temperature: 2, HardLabelWeight: 0.5, TextEpochs: 2, RoundSeconds: 0.1, Rounds: 3, CalibrationRows: 500);
}
