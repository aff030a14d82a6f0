using System;
using System.Collections.Generic;
using System.IO;
using TypedNets.Data;
using TypedNets.Optimizers;
using TypedNets.Tests.Networks;
using TypedNets.Training;

namespace TypedNets.Tests.Training;

/// <summary>The training loop of <see cref="Trainer.Fit"/>, callbacks included, allocates nothing from one batch to the next.</summary>
public sealed class FitAllocationTests
{
    [Fact]
    public void A_batch_of_Fit_with_callbacks_allocates_nothing()
    {
        var network = new TinyMlpSoftmax(maxBatch: 8, seed: 1);
        Dataset data = ClassBlobs.Make(160, 3);
        var meter = new AllocationMeter();
        Trainer.Fit(network, new Adam(0.01), data, new FitOptions
        {
            Epochs = 2,
            BatchSize = 8,
            Seed = 1,
            // A logger drawing a bar to a terminal, whose clock stands still: between redraws it allocates nothing either.
            Callbacks = [new NothingCallback(), new ProgressLogger(TextWriter.Null, terminal: true, new ManualClock()), meter],
        });

        // From the second batch of each epoch to its last: the step and the callbacks in between, nothing else.
        Assert.Equal(2 * 19, meter.Measured.Count);
        Assert.All(meter.Measured, bytes => Assert.Equal(0, bytes));
    }

    private sealed class NothingCallback : ICallback
    {
        public void OnEpochEnd(EpochResult epoch, TrainingControl control)
        {
        }
    }

    private sealed class AllocationMeter : ICallback
    {
        private long _previous = -1;

        public List<long> Measured { get; } = new(64);

        public void OnBatchEnd(int batch, TrainingControl control)
        {
            long now = GC.GetAllocatedBytesForCurrentThread();
            if (batch > 0)
            {
                Measured.Add(now - _previous);
            }

            _previous = GC.GetAllocatedBytesForCurrentThread();
        }

        public void OnEpochEnd(EpochResult epoch, TrainingControl control)
        {
        }
    }
}
