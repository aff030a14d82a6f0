using System;
using System.Threading;
using System.Threading.Tasks;
using TypedNets.Kernels;
using TypedNets.Tests.Networks;
using Xunit;

namespace TypedNets.Tests.Inference;

/// <summary>
/// A dense layer's product on its prepacked weight gives the bits of the product that packs the weight itself, at every
/// shape (edge micro-tiles, several depth and column blocks, the two-thread split, and the small and few-row shapes that
/// pack nothing); shared by threads, it gives every thread the same bits; once packed, it costs no allocation.
/// </summary>
[Collection(nameof(PrepackedProductTests))]
public sealed class PrepackedProductTests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 40, 70 }, { 3, 33, 300 }, { 4, 16, 17 }, { 5, 17, 16 }, { 8, 32, 256 }, { 9, 33, 257 }, { 17, 31, 100 },
        { 64, 10, 128 }, { 64, 40, 513 }, { 200, 100, 300 }, { 24, 2100, 40 }, { 256, 256, 784 }, { 256, 128, 256 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gives_the_bits_of_the_product_that_packs_the_weight(int rows, int outputs, int inputs)
    {
        var random = new Xoshiro256((ulong)((rows * 7919) + (outputs * 31) + inputs));
        float[] x = Random(ref random, rows * inputs);
        float[] weight = Random(ref random, outputs * inputs);
        float[] bias = Random(ref random, outputs);
        NetworkEngine<float> engine = ((INetwork)new PackedMlp(maxBatch: 4, seed: 1)).Core.Engine;

        foreach (bool relu in new[] { false, true })
        {
            float[] expected = new float[rows * outputs];
            Gemm.MultiplyTransposedB<float>(x, weight, bias, expected, rows, outputs, inputs, relu);

            // Twice: the first call packs the weight, the second reads the packed copy.
            for (int call = 0; call < 2; call++)
            {
                float[] actual = new float[rows * outputs];
                DenseKernel.Layer<float>(
                    x, weight, bias, default, actual, rows, inputs, outputs, relu ? Activation.ReLU : Activation.Identity, int8: null, engine.PackedAt(relu ? 1 : 0));
                Assert.Equal(Bits(expected), Bits(actual));
            }
        }
    }

    [Fact]
    public async Task Predictions_from_four_threads_equal_the_single_threaded_ones_while_the_weights_are_packed_again()
    {
        const int Rows = 24;
        var network = new PackedMlp(maxBatch: Rows, seed: 3);
        var random = new Xoshiro256(4);
        float[] input = Random(ref random, Rows * PackedMlp.InputSize);
        float[] expected = new float[Rows * PackedMlp.OutputSize];
        network.Predict(input, expected);
        using var stop = new CancellationTokenSource();

        // One thread keeps saying the weights changed (they did not), so the others keep packing them again while
        // predictions read the packed copies: every prediction must still give the same bits.
        Task marker = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                network.MarkWeightsChanged();
                Thread.SpinWait(2000);
            }
        });
        Task<long>[] predictors = new Task<long>[4];
        for (int t = 0; t < predictors.Length; t++)
        {
            predictors[t] = Task.Run(() =>
            {
                long mismatches = 0;
                float[] output = new float[Rows * PackedMlp.OutputSize];
                for (int round = 0; round < 400; round++)
                {
                    network.Predict(input, output);
                    mismatches += output.AsSpan().SequenceEqual(expected) ? 0 : 1;
                }

                return mismatches;
            });
        }

        long[] wrong = await Task.WhenAll(predictors);
        await stop.CancelAsync();
        await marker;

        Assert.Equal(new long[predictors.Length], wrong);
    }

    [Fact]
    public void Steady_predictions_and_packing_again_after_a_change_allocate_nothing()
    {
        const int Rows = 24;
        var network = new PackedMlp(maxBatch: Rows, seed: 3);
        float[] input = new float[Rows * PackedMlp.InputSize];
        input.AsSpan().Fill(0.5f);
        float[] output = new float[Rows * PackedMlp.OutputSize];
        network.Predict(input, output);
        network.Predict(input, output);

        Assert.Equal(0, Allocations.Fewest(() => network.Predict(input, output)));

        // The packed copy's array is reused when no prediction holds it.
        Assert.Equal(0, Allocations.Fewest(() =>
        {
            network.MarkWeightsChanged();
            network.Predict(input, output);
        }));
    }

    private static float[] Random(ref Xoshiro256 random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((2 * random.NextDouble()) - 1);
        }

        return values;
    }

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);
}

/// <summary>
/// Alone: the four-thread test packs again while predictions hold the old copies, allocating new ones, and a collection
/// it sets off would shift the allocation counts of tests running beside it (see <see cref="TypedNets.Tests.Kernels.GemmSingleTests"/>).
/// </summary>
[CollectionDefinition(nameof(PrepackedProductTests), DisableParallelization = true)]
public sealed class PrepackedProductTestsCollection;
