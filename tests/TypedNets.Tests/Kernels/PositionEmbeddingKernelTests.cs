using System;
using TypedNets.Kernels;

namespace TypedNets.Tests.Kernels;

/// <summary>Position embeddings: each step gains its table row; the table's gradient is each step's gradient summed over the batch.</summary>
public sealed class PositionEmbeddingKernelTests
{
    [Fact]
    public void Each_step_gains_its_row_and_the_table_gradient_sums_the_batch()
    {
        const int Batch = 2, Steps = 3, Width = 2;
        double[] x = [1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60];
        double[] table = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 99, 99];
        double[] y = new double[x.Length];
        PositionEmbeddingKernel.Forward<double>(x, table, y, Batch, Steps, Width);
        Assert.Equal([1.1, 2.2, 3.3, 4.4, 5.5, 6.6, 10.1, 20.2, 30.3, 40.4, 50.5, 60.6], y, new ToleranceComparer(1e-12));

        double[] gradient = new double[8];
        gradient[7] = 7;
        PositionEmbeddingKernel.Backward<double>([1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60], gradient, Batch, Steps, Width);
        Assert.Equal([11, 22, 33, 44, 55, 66, 0, 7], gradient);
    }

    [Fact]
    public void A_sequence_longer_than_the_table_is_refused()
    {
        var exception = Assert.Throws<ArgumentException>(() => PositionEmbeddingKernel.Forward<float>(new float[8], new float[6], new float[8], 1, 4, 2));
        Assert.Equal("table", exception.ParamName);
        Assert.Contains("holds 3 rows of 2, but the sequences have 4 steps", exception.Message, StringComparison.Ordinal);
    }

    private sealed class ToleranceComparer(double tolerance) : System.Collections.Generic.IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
