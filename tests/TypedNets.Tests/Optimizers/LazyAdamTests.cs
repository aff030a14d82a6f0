using System;
using TypedNets.Optimizers;

namespace TypedNets.Tests.Optimizers;

/// <summary>
/// <see cref="Adam{T}.UpdateRowsLazily(int, int, int)"/>: rows with an all-zero gradient keep their parameters and
/// moments, as in PyTorch's SparseAdam; touched rows and the parameters around the table step as dense Adam does.
/// Checked bit for bit against the update written out element by element.
/// </summary>
public sealed class LazyAdamTests
{
    private const int Before = 37;
    private const int Rows = 50;
    private const int RowLength = 24;
    private const int After = 13;
    private const int Length = Before + (Rows * RowLength) + After;
    private const double LearningRate = 0.01;

    [Fact]
    public void Untouched_rows_keep_their_values_and_the_rest_steps_as_dense_adam()
    {
        var random = new Xoshiro256(41);
        float[] parameters = new float[Length];
        for (int i = 0; i < Length; i++)
        {
            parameters[i] = (float)random.NextDouble(-1, 1);
        }

        float[] expected = (float[])parameters.Clone();
        float[] m = new float[Length], v = new float[Length];
        var adam = new Adam(LearningRate);
        adam.UpdateRowsLazily(Before, Rows, RowLength);
        float[] gradient = new float[Length];
        for (int step = 1; step <= 5; step++)
        {
            for (int i = 0; i < Length; i++)
            {
                gradient[i] = (float)random.NextDouble(-1, 1);
            }

            // About a third of the rows untouched each step, a different third each time; two rows touched in a
            // single element only, one within the first 16 elements and one after them.
            for (int row = 0; row < Rows; row++)
            {
                if ((row + step) % 3 == 0)
                {
                    gradient.AsSpan(Before + (row * RowLength), RowLength).Clear();
                }
            }

            gradient.AsSpan(Before + (7 * RowLength), RowLength).Clear();
            gradient[Before + (7 * RowLength) + 5] = 0.5f;
            gradient.AsSpan(Before + (8 * RowLength), RowLength).Clear();
            gradient[Before + (8 * RowLength) + 20] = -0.25f;

            float[] before = (float[])parameters.Clone();
            adam.Step(parameters, gradient);
            ElementByElement(expected, gradient, m, v, step);
            for (int i = 0; i < Length; i++)
            {
                Assert.True(
                    BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(parameters[i]),
                    $"step {step}, parameter {i}: {parameters[i]:R}, expected {expected[i]:R}");
            }

            for (int row = 0; row < Rows; row++)
            {
                if ((row + step) % 3 == 0 && row is not 7 and not 8)
                {
                    Assert.True(
                        parameters.AsSpan(Before + (row * RowLength), RowLength).SequenceEqual(before.AsSpan(Before + (row * RowLength), RowLength)),
                        $"step {step}: untouched row {row} moved.");
                }
            }
        }
    }

    [Fact]
    public void Lazy_steps_allocate_nothing()
    {
        float[] parameters = new float[Length], gradient = new float[Length];
        Array.Fill(gradient, 0.25f);
        gradient.AsSpan(Before, 10 * RowLength).Clear();
        var adam = new Adam(LearningRate);
        adam.UpdateRowsLazily(Before, Rows, RowLength);
        adam.Step(parameters, gradient);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int step = 0; step < 10; step++)
        {
            adam.Step(parameters, gradient);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Dense_adam_moves_untouched_rows()
    {
        // The default, PyTorch's Adam: a row whose gradient is zero this step still moves on its moments.
        float[] parameters = [1f, 1f];
        var adam = new Adam(LearningRate);
        adam.Step(parameters, [1f, 1f]);
        float afterFirst = parameters[0];
        adam.Step(parameters, [0f, 0f]);
        Assert.NotEqual(afterFirst, parameters[0]);
    }

    [Fact]
    public void Options_that_sparse_adam_lacks_are_refused()
    {
        Assert.Throws<InvalidOperationException>(() => new Adam(weightDecay: 0.01).UpdateRowsLazily(0, 2, 2));
        Assert.Throws<InvalidOperationException>(() => new Adam(amsgrad: true).UpdateRowsLazily(0, 2, 2));
        Assert.Throws<InvalidOperationException>(() => new AdamW().UpdateRowsLazily(0, 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam().UpdateRowsLazily(0, 0, 2));

        var adam = new Adam();
        adam.UpdateRowsLazily(2, 2, 2);
        ArgumentException error = Assert.Throws<ArgumentException>(() => adam.Step(new float[5], new float[5]));
        Assert.Contains("end at 6", error.Message, StringComparison.Ordinal);
    }

    /// <summary>SparseAdam's rule for the table's rows and Adam's for the rest, one element at a time, in AdamKernel's order of operations.</summary>
    private static void ElementByElement(float[] p, float[] g, float[] m, float[] v, int step)
    {
        float beta1 = 0.9f, oneMinusBeta1 = (float)(1 - 0.9), beta2 = 0.999f, oneMinusBeta2 = (float)(1 - 0.999), epsilon = 1e-8f;
        float negativeStepSize = (float)-(LearningRate / (1 - Math.Pow(0.9, step)));
        float correction = (float)Math.Sqrt(1 - Math.Pow(0.999, step));
        for (int i = 0; i < p.Length; i++)
        {
            if (i >= Before && i < Before + (Rows * RowLength))
            {
                int rowStart = Before + ((i - Before) / RowLength * RowLength);
                if (g.AsSpan(rowStart, RowLength).IndexOfAnyExcept(0f) < 0)
                {
                    continue;
                }
            }

            m[i] = (m[i] * beta1) + (g[i] * oneMinusBeta1);
            v[i] = (v[i] * beta2) + (g[i] * oneMinusBeta2 * g[i]);
            p[i] += (m[i] / ((MathF.Sqrt(v[i]) / correction) + epsilon)) * negativeStepSize;
        }
    }
}
