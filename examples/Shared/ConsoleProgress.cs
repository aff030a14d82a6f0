using System;
using TypedNets.Training;

namespace TypedNets.Examples;

/// <summary>Prints each epoch's losses and metrics as <see cref="TypedNets.Training.Trainer.Fit"/> reports them.</summary>
internal sealed class ConsoleProgress : IProgress<EpochResult>
{
    /// <inheritdoc/>
    public void Report(EpochResult value) => Console.WriteLine(value);
}
