using System.Collections.Generic;
using System.Linq;
using System;
using TypedNets.Data;
using TypedNets.Tests.Metrics;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Data;

public sealed class ShuffledBatchesTests
{
    // Row r has features [r, 100 + r] and target [-r].
    private static Dataset Numbered(int count)
    {
        float[] features = new float[count * 2];
        float[] targets = new float[count];
        for (int r = 0; r < count; r++)
        {
            features[2 * r] = r;
            features[(2 * r) + 1] = 100 + r;
            targets[r] = -r;
        }

        return new Dataset(features, 2, targets, 1);
    }

    [Fact]
    public void Epoch_orders_match_the_python_port_and_batches_hold_those_rows()
    {
        var fixture = ReferenceFixture.Sklearn("batches_epochs");
        int count = fixture.Config("count").GetInt32();
        int batchSize = fixture.Config("batch_size").GetInt32();
        int[] orders = fixture.Ints("orders");
        var batches = new ShuffledBatches(Numbered(count), batchSize, fixture.Config("seed").GetUInt64());
        Assert.Equal(3, batches.BatchesPerEpoch);

        for (int epoch = 0; epoch < 3; epoch++)
        {
            var seen = new List<int>();
            var sizes = new List<int>();
            foreach (Batch batch in batches.NextEpoch())
            {
                Assert.Equal(sizes.Count, batch.Index);
                sizes.Add(batch.Count);
                for (int i = 0; i < batch.Count; i++)
                {
                    int row = batch.Rows[i];
                    Assert.Equal([row, 100 + row], batch.Features.Slice(2 * i, 2).ToArray());
                    Assert.Equal(-row, batch.Targets[i]);
                    seen.Add(row);
                }
            }

            Assert.Equal(orders.AsSpan(epoch * count, count).ToArray(), seen);
            Assert.Equal(seen, batches.Order.ToArray());
            Assert.Equal([4, 4, 3], sizes);
        }

        Assert.Equal(3, batches.EpochsStarted);
    }

    [Fact]
    public void The_first_epoch_is_Split_Shuffle_and_later_epochs_differ()
    {
        var batches = new ShuffledBatches(Numbered(30), 7, seed: 99);
        batches.NextEpoch();
        int[] first = batches.Order.ToArray();
        Assert.Equal(Split.Shuffle(30, 99), first);
        batches.NextEpoch();
        Assert.NotEqual(first, batches.Order.ToArray());
        Assert.Equal(Enumerable.Range(0, 30), batches.Order.ToArray().Order());
    }

    [Fact]
    public void DropLast_skips_the_short_batch()
    {
        var batches = new ShuffledBatches(Numbered(11), 4, seed: 5, dropLast: true);
        Assert.Equal(2, batches.BatchesPerEpoch);
        int total = 0;
        foreach (Batch batch in batches.NextEpoch())
        {
            Assert.Equal(4, batch.Count);
            Assert.Equal(8, batch.Features.Length);
            total++;
        }

        Assert.Equal(2, total);
    }

    [Fact]
    public void Iterating_epochs_after_the_first_allocates_nothing()
    {
        var batches = new ShuffledBatches(Numbered(1000), 32, seed: 1);
        float checksum = 0;
        checksum += Sweep(batches); // the first epoch may JIT and allocate

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int epoch = 0; epoch < 5; epoch++)
        {
            checksum += Sweep(batches);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(checksum != 0);
    }

    private static float Sweep(ShuffledBatches batches)
    {
        float sum = 0;
        foreach (Batch batch in batches.NextEpoch())
        {
            sum += batch.Features[0] + batch.Targets[batch.Count - 1];
        }

        return sum;
    }

    [Fact]
    public void Starting_a_new_epoch_during_enumeration_throws()
    {
        var batches = new ShuffledBatches(Numbered(10), 3, seed: 2);
        EpochBatches epoch = batches.NextEpoch();
        var error = Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (Batch batch in epoch)
            {
                batches.NextEpoch();
            }
        });
        Assert.StartsWith("Epoch 1 is being enumerated, but epoch 2 has started", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_arguments_are_explained()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShuffledBatches(Numbered(4), 0, 1));
        var error = Assert.Throws<ArgumentException>(() => new ShuffledBatches(Numbered(4), 5, 1, dropLast: true));
        Assert.Contains("use a batch size of at most 4", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ShuffledBatches(new Dataset([], 1, [], 1), 2, 1));

        var big = new ShuffledBatches(Numbered(4), 10, 1);
        Assert.Equal(1, big.BatchesPerEpoch);
        foreach (Batch batch in big.NextEpoch())
        {
            Assert.Equal(4, batch.Count);
        }
    }
}
