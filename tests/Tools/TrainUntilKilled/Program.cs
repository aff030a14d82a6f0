using System;
using System.Globalization;
using System.IO;
using System.Linq;
using TypedNets;
using TypedNets.Data;
using TypedNets.Optimizers;
using TypedNets.Serialization;
using TypedNets.Training;
using TrainUntilKilled;

// Trains KilledClassifier for a fixed number of epochs, saving a checkpoint after every one, and resumes from that
// checkpoint when it exists. KillAndResumeTests kills this process at random moments (SIGKILL), starts it again, and
// compares the final weights with those of a run that was never killed.
//
//   TrainUntilKilled <checkpoint> <final-weights>
//
// Prints "started" or "resumed <epoch>" once training is about to begin, "epoch <n>" after every epoch (once its
// checkpoint is saved) and "done" after writing the final weights, and the history next to them as text.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: TrainUntilKilled <checkpoint> <final-weights>");
    return 2;
}

string checkpoint = args[0];
string output = args[1];
const int Epochs = 8;

var network = new KilledClassifier(maxBatch: 32, seed: 1);
var optimizer = new Adam(0.002);
bool resuming = File.Exists(checkpoint);
Console.WriteLine(resuming ? $"resumed {Checkpoint.ReadProgress(checkpoint)?.Epoch}" : "started");

History history = Trainer.Fit(network, optimizer, Data(), new FitOptions
{
    Epochs = Epochs,
    BatchSize = 32,
    Seed = 11,
    ValidationSplit = 0.2,
    LearningRateSchedule = new StepDecay(3, 0.5),
    Callbacks = [new ModelCheckpoint(checkpoint)],
    ResumeFrom = resuming ? checkpoint : null,
    Progress = new EpochPrinter(),
});

SafeTensors.Save(network, output);
File.WriteAllLines(
    output + ".history",
    history.Epochs.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Epoch} {e.Loss:R} {e.ValidationLoss:R} {e.LearningRate:R}")));
Console.WriteLine("done");
return 0;

// Two classes that overlap, 64 features, from a fixed seed.
static Dataset Data()
{
    const int Rows = 3000;
    const int Width = 64;
    var random = new Xoshiro256(2024);
    float[] features = new float[Rows * Width];
    float[] labels = new float[Rows];
    for (int row = 0; row < Rows; row++)
    {
        int label = random.NextInt(2);
        labels[row] = label;
        for (int column = 0; column < Width; column++)
        {
            double centre = column % 4 == 0 ? (label == 0 ? -0.4 : 0.4) : 0;
            features[(row * Width) + column] = (float)(centre + random.NextDouble(-1, 1));
        }
    }

    return new Dataset(features, Width, labels, 1);
}

/// <summary>Prints each epoch as it ends, unbuffered, so the parent sees how far training got.</summary>
internal sealed class EpochPrinter : IProgress<EpochResult>
{
    public void Report(EpochResult value)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"epoch {value.Epoch}"));
        Console.Out.Flush();
    }
}
