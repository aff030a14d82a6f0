using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using TinyGpt;
using TypedNets;
using TypedNets.Examples;
using TypedNets.Explain;
using TypedNets.Optimizers;
using TypedNets.Reporting;
using TypedNets.Serialization;
using TypedNets.Text;
using TypedNets.Training;

// A character-level GPT trained on every quote of Debian's fortunes with nanoGPT's CPU "baby" settings, beside the
// same model trained by reference/pytorch/tiny_gpt.py. Run scripts/fetch-fortunes.sh first.
//
//   --iterations N       training iterations (2000)
//   --slice N            train on the first N characters of the corpus only (a quick check)
//   --eval-batches N     batches of each split in every loss estimate (20)
//   --seed N             the weights', batches' and samples' seed (1337)
//   --prompt "text"      continue this text instead of training, with the weights saved by an earlier run (trains
//                        first when there are none)
//   --weights PATH       where the weights are saved and read (artifacts/tinygpt/fortune_gpt.safetensors)
//   --report FILE        an HTML report: the loss curves, the diagram, the samples and which characters of a
//                        validation passage decided its next character (Integrated Gradients)
//   --export DIR         also write the weights as base64 and the alphabet as C# into DIR, for examples/Fortune
const int Batch = 12;
const int Warmup = 100;
const double LearningRate = 1e-3;
const double MinimumLearningRate = 1e-4;
const int EvalInterval = 100;
const int SampleLength = 200;

int iterations = IntAfter("--iterations") ?? 2000;
int? slice = IntAfter("--slice");
int evalBatches = IntAfter("--eval-batches") ?? 20;
ulong seed = (ulong)(IntAfter("--seed") ?? 1337);
string? prompt = TextAfter("--prompt");
string weightsPath = TextAfter("--weights") ?? Path.Combine("artifacts", "tinygpt", "fortune_gpt.safetensors");
string? exportDirectory = TextAfter("--export");
string? reportPath = ReportArgument.Find(args);
var report = new Report("TinyGpt: a character-level GPT on the fortunes");
var texts = new List<string>();
var curves = (Iterations: new List<double>(), Train: new List<double>(), Validation: new List<double>());

(string text, int quotes, int categories) = Fortunes.ReadAll();
if (slice is int characters)
{
    text = text[..Math.Min(characters, text.Length)];
}

var corpus = new CharacterCorpus(text, FortuneGpt.Context);
if (corpus.VocabularySize > FortuneGpt.Vocabulary)
{
    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
        $"The fortunes hold {corpus.VocabularySize} distinct characters, but FortuneGpt.Vocabulary is {FortuneGpt.Vocabulary}; set it to {corpus.VocabularySize} in Networks.cs."));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Fortunes: {quotes:N0} quotes from {categories} categories, {text.Length:N0} characters ({corpus.TrainCount:N0} train, {corpus.ValidationCount:N0} validate), {corpus.VocabularySize} distinct."));

var network = new FortuneGpt(maxBatch: Batch, seed: seed);
if (prompt is not null && File.Exists(weightsPath))
{
    SafeTensors.Load(network, weightsPath);
    Console.WriteLine($"Weights read from {weightsPath}.");
}
else
{
    Console.WriteLine();
    Console.WriteLine(FortuneGpt.Summary);
    Console.WriteLine();
    Train();
}

if (exportDirectory is not null)
{
    Export.Write(exportDirectory, network, corpus);
}

if (prompt is not null)
{
    Console.WriteLine();
    string continuation = Continue(prompt, seed);
    Console.WriteLine(prompt + continuation);
    texts.Add(prompt + continuation);
    SaveReport();
    return;
}

Console.WriteLine();
Console.WriteLine("Three samples (a newline as prompt, 200 characters, temperature 0.8, top 40):");
for (int i = 0; i < 3; i++)
{
    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"--- sample {i + 1} (seed {seed + (ulong)i})"));
    string sample = Continue("\n", seed + (ulong)i);
    Console.WriteLine(sample);
    texts.Add(string.Create(CultureInfo.InvariantCulture, $"sample {i + 1} (seed {seed + (ulong)i}):\n{sample}"));
}

SaveReport();

// The report's fixed parts: the diagram, the curves when this run trained, and what the network's next character
// after a validation passage owes to each character of it (Integrated Gradients on the embeddings, summed per
// character, for the logit of the most likely next character).
void SaveReport()
{
    if (reportPath is null)
    {
        return;
    }

    report.AddDiagram(FortuneGpt.DiagramSvg, nameof(FortuneGpt));
    if (curves.Iterations.Count > 0)
    {
        report.AddLineChart("Loss per iteration (the mean of the estimate's batches, dropout off)", "iteration", "cross-entropy",
            new LineSeries("train", curves.Iterations, curves.Train), new LineSeries("validation", curves.Iterations, curves.Validation));
    }

    foreach (string written in texts)
    {
        report.AddPreformatted(written);
    }

    int[] passage = corpus.Tokens.Slice(corpus.TrainCount, Math.Min(FortuneGpt.Context, corpus.ValidationCount)).ToArray();
    if (passage.Length == FortuneGpt.Context)
    {
        float[] logits = Trainer.Predict(network, passage.Select(id => (float)id).ToArray());
        ReadOnlySpan<float> last = logits.AsSpan((FortuneGpt.Context - 1) * FortuneGpt.Vocabulary, FortuneGpt.Vocabulary);
        int next = last.IndexOf(TensorMax(last));
        AttributionResult characters = Attribution.IntegratedGradients(network, FortuneGpt.Sample.From(passage),
            target: ((FortuneGpt.Context - 1) * FortuneGpt.Vocabulary) + next);
        report.AddTokenImportance([.. passage.Select(id => corpus.Character(id).ToString())], characters.Values, string.Create(CultureInfo.InvariantCulture,
            $"The first {FortuneGpt.Context} validation characters; the most likely next one is '{corpus.Character(next)}': each character's Integrated Gradients for its logit (delta {characters.Delta:E1})"));
    }

    ReportArgument.Save(report, reportPath);
}

static float TensorMax(ReadOnlySpan<float> values) => System.Numerics.Tensors.TensorPrimitives.Max(values);

string Continue(string start, ulong sampleSeed)
{
    int[] ids = corpus.Encode(start);
    int[] text = network.Generate(ids, SampleLength, temperature: 0.8, topK: 40, seed: sampleSeed);
    return corpus.Decode(text.AsSpan(ids.Length));
}

void Train()
{
    InitializeAsGpt2(network, seed);
    var optimizer = new AdamW(LearningRate, beta1: 0.9, beta2: 0.99, weightDecay: 0.1);
    optimizer.ExcludeFromWeightDecay(network.Layers.SelectMany(layer => layer.Parameters).Where(tensor => tensor.Shape.Length < 2));
    var schedule = new WarmupCosine(Warmup, Math.Max(iterations, Warmup + 1), MinimumLearningRate);
    LossFunction loss = FortuneGpt.DeclaredLoss!.Value;

    int[] inputIds = new int[Batch * FortuneGpt.Context];
    int[] targetIds = new int[Batch * FortuneGpt.Context];
    float[] inputs = new float[inputIds.Length];
    float[] targets = new float[targetIds.Length];
    var batches = Xoshiro256.ForStream(seed, 1);
    var evaluation = Xoshiro256.ForStream(seed, 2);

    var reference = PyTorchReference.Read(Path.Combine(AppContext.BaseDirectory, "pytorch_tiny_gpt.json"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Training {network.Parameters.Length:N0} parameters: batch {Batch} x {FortuneGpt.Context}, AdamW(0.9, 0.99, weight decay 0.1 on matrices), {LearningRate} warmed up over {Warmup} and cosine to {MinimumLearningRate} at {iterations}, clip 1.0"));
    Console.WriteLine(reference is null || slice is not null
        ? " iteration | train loss | val loss | train s"
        : " iteration | train loss | val loss | train s | PyTorch train | PyTorch val");
    var training = new Stopwatch();
    for (int iteration = 0; iteration <= iterations; iteration++)
    {
        if (iteration % EvalInterval == 0 || iteration == iterations)
        {
            double train = Estimate(validation: false);
            double validation = Estimate(validation: true);
            string line = string.Create(CultureInfo.InvariantCulture, $"{iteration,10} | {train,10:F4} | {validation,8:F4} | {training.Elapsed.TotalSeconds,7:F0}");
            if (slice is null && reference?.At(iteration) is (double torchTrain, double torchValidation))
            {
                line += string.Create(CultureInfo.InvariantCulture, $" | {torchTrain,13:F4} | {torchValidation,11:F4}");
            }

            Console.WriteLine(line);
            curves.Iterations.Add(iteration);
            curves.Train.Add(train);
            curves.Validation.Add(validation);
        }

        if (iteration == iterations)
        {
            break;
        }

        corpus.Sample(validation: false, ref batches, inputIds, targetIds);
        Copy(inputIds, inputs);
        Copy(targetIds, targets);
        optimizer.LearningRate = schedule.LearningRate(iteration, LearningRate);
        training.Start();
        Trainer.Step(network, optimizer, inputs, targets, loss, clipGradientNorm: 1.0);
        training.Stop();
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{1000 * training.Elapsed.TotalSeconds / Math.Max(1, iterations):F0} ms per iteration (training steps only)."));
    if (reference is not null)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"PyTorch ({reference.Threads} thread): validation loss {reference.FinalValidationLoss:F4} after {reference.Iterations} iterations, {reference.MillisecondsPerIteration:F0} ms per iteration."));
    }

    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(weightsPath))!);
    SafeTensors.Save(network, weightsPath, new Dictionary<string, string>
    {
        ["alphabet"] = new string(Enumerable.Range(0, corpus.VocabularySize).Select(corpus.Character).ToArray()),
        ["iterations"] = iterations.ToString(CultureInfo.InvariantCulture),
    });
    Console.WriteLine($"Weights saved to {weightsPath}.");

    // nanoGPT's estimate_loss: the mean loss of a fixed number of random batches of one split, dropout off.
    double Estimate(bool validation)
    {
        double sum = 0;
        for (int i = 0; i < evalBatches; i++)
        {
            corpus.Sample(validation, ref evaluation, inputIds, targetIds);
            Copy(inputIds, inputs);
            Copy(targetIds, targets);
            network.Forward(inputs, training: false);
            sum += network.Loss(targets, loss);
        }

        return sum / evalBatches;
    }
}

static void Copy(int[] ids, float[] values)
{
    for (int i = 0; i < ids.Length; i++)
    {
        values[i] = ids[i];
    }
}

// GPT-2's initialisation, as nanoGPT's _init_weights: every matrix and embedding from N(0, 0.02), the residual
// projections (c_proj) from N(0, 0.02 / sqrt(2 layers)), biases 0, layer norms 1 and 0.
static void InitializeAsGpt2(FortuneGpt network, ulong seed)
{
    var random = Xoshiro256.ForStream(seed, 3);
    int blocks = network.Transformer.H.Count;
    foreach (ParameterTensor tensor in network.Layers.SelectMany(layer => layer.Parameters))
    {
        if (tensor.Shape.Length >= 2)
        {
            double deviation = tensor.Name.EndsWith("c_proj.weight", StringComparison.Ordinal) ? 0.02 / Math.Sqrt(2 * blocks) : 0.02;
            Initializers.Normal(tensor.Values, deviation, ref random);
        }
        else if (tensor.Name.EndsWith(".bias", StringComparison.Ordinal))
        {
            tensor.Values.Clear();
        }
    }
}

int? IntAfter(string name) => TextAfter(name) is string value
    ? int.TryParse(value, CultureInfo.InvariantCulture, out int parsed) ? parsed
        : throw new ArgumentException($"{name} takes a whole number, but it was '{value}'.", nameof(args))
    : null;

string? TextAfter(string name)
{
    int position = Array.IndexOf(args, name);
    return position < 0 ? null
        : position + 1 < args.Length ? args[position + 1]
        : throw new ArgumentException($"{name} needs a value after it.", nameof(args));
}

/// <summary>The figures of reference/pytorch/tiny_gpt.py's run, committed beside the example.</summary>
internal sealed record PyTorchReference(int Iterations, int Threads, double FinalValidationLoss, double MillisecondsPerIteration, Dictionary<int, (double Train, double Validation)> Losses)
{
    public (double Train, double Validation)? At(int iteration) => Losses.TryGetValue(iteration, out var losses) ? losses : null;

    public static PyTorchReference? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement root = document.RootElement;
        var losses = root.GetProperty("losses").EnumerateArray().ToDictionary(
            entry => entry.GetProperty("iteration").GetInt32(),
            entry => (entry.GetProperty("train_loss").GetDouble(), entry.GetProperty("val_loss").GetDouble()));
        JsonElement settings = root.GetProperty("settings");
        return new PyTorchReference(
            settings.GetProperty("iterations").GetInt32(), settings.GetProperty("threads").GetInt32(),
            root.GetProperty("final_val_loss").GetDouble(), root.GetProperty("milliseconds_per_iteration").GetDouble(), losses);
    }
}
