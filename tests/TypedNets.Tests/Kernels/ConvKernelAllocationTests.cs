using System;
using System.Threading.Tasks;
using TypedNets.Kernels;

namespace TypedNets.Tests.Kernels;

/// <summary>
/// The convolution and pooling kernels allocate nothing once warm, on every path the Fashion-MNIST convnet takes (a
/// valid 3 × 3 convolution over one channel, whose thin weight gradient has its own kernel; one over 32 channels, whose
/// samples share products; 2 × 2 max pooling) and on a padded, strided one; and two threads calling them at once on
/// different data get what one thread gets alone (their scratch is per thread); so do the depthwise and grouped
/// convolutions' kernels.
/// </summary>
public sealed class ConvKernelAllocationTests
{
    [Theory]
    [InlineData(1, 28, 28, 3, 1, 0, 32, 5)]
    [InlineData(32, 13, 13, 3, 1, 0, 64, 11)]
    [InlineData(16, 14, 14, 3, 2, 1, 32, 7)]
    [InlineData(16, 14, 14, 3, 1, 1, 16, 7, 16)]
    [InlineData(8, 15, 15, 3, 2, 1, 16, 3, 8)]
    [InlineData(32, 12, 12, 3, 1, 1, 32, 5, 8)]
    public void Convolution_and_pooling_allocate_nothing_in_steady_state(int channels, int height, int width, int kernel, int stride, int padding, int filters, int batch, int groups = 1)
    {
        var g = new ImageGeometry(channels, height, width, kernel, stride, padding, Groups: groups);
        var pool = new ImageGeometry(filters, g.OutHeight, g.OutWidth, 2, 2, 0);
        Buffers buffers = new(g, pool, filters, batch, seed: 1);
        buffers.Run();
        long bytes = Allocations.Fewest(buffers.Run);
        Assert.Equal(0, bytes);
    }

    [Theory]
    [InlineData(32, 13, 13, 1, 64)]
    [InlineData(1, 28, 28, 1, 32)]
    [InlineData(16, 14, 14, 16, 32)]
    public void Two_threads_at_once_get_what_one_thread_gets(int channels, int height, int width, int groups, int filters)
    {
        var g = new ImageGeometry(channels, height, width, 3, 1, 0, Groups: groups);
        var pool = new ImageGeometry(filters, g.OutHeight, g.OutWidth, 2, 2, 0);
        Buffers alone = new(g, pool, filters, 19, seed: 2), first = new(g, pool, filters, 19, seed: 2), second = new(g, pool, filters, 19, seed: 3), secondAlone = new(g, pool, filters, 19, seed: 3);
        alone.Run();
        secondAlone.Run();
        for (int round = 0; round < 3; round++)
        {
            first.Clear();
            second.Clear();
            Parallel.Invoke(new ParallelOptions { MaxDegreeOfParallelism = 2 }, first.Run, second.Run);
            Assert.Equal(alone.Y, first.Y);
            Assert.Equal(alone.WeightGradient, first.WeightGradient);
            Assert.Equal(alone.Dx, first.Dx);
            Assert.Equal(alone.Pooled, first.Pooled);
            Assert.Equal(secondAlone.Y, second.Y);
            Assert.Equal(secondAlone.WeightGradient, second.WeightGradient);
            Assert.Equal(secondAlone.Dx, second.Dx);
        }
    }

    /// <summary>One layer's forward (with bias and ReLU), pooling, and backward, on its own arrays.</summary>
    private sealed class Buffers
    {
        private readonly ImageGeometry _g, _pool;
        private readonly int _filters, _batch;
        private readonly float[] _x, _weight, _bias, _dy, _columns, _columnGradient, _biasGradient;
        private readonly int[] _argMax;

        public Buffers(ImageGeometry g, ImageGeometry pool, int filters, int batch, ulong seed)
        {
            (_g, _pool, _filters, _batch) = (g, pool, filters, batch);
            var random = new Xoshiro256(seed);
            _x = Fill(batch * g.InputSize, ref random);
            _weight = Fill(filters * g.GroupColumnRows, ref random);
            _bias = Fill(filters, ref random);
            _dy = Fill(batch * filters * g.ColumnCount, ref random);
            Y = new float[_dy.Length];
            Pooled = new float[batch * pool.Channels * pool.OutHeight * pool.OutWidth];
            _argMax = new int[Pooled.Length];
            _columns = new float[g.ColumnRows * g.ColumnCount];
            _columnGradient = new float[_columns.Length];
            WeightGradient = new float[_weight.Length];
            _biasGradient = new float[filters];
            Dx = new float[_x.Length];
        }

        public float[] Y { get; }

        public float[] Pooled { get; }

        public float[] WeightGradient { get; }

        public float[] Dx { get; }

        public void Clear()
        {
            Array.Clear(Y);
            Array.Clear(Pooled);
            Array.Clear(WeightGradient);
            Array.Clear(Dx);
            Array.Clear(_biasGradient);
        }

        public void Run()
        {
            Conv2DKernel.Forward<float>(_x, _weight, _bias, Y, _columns, _batch, _filters, _g, relu: true);
            Pool2DKernel.MaxForward<float>(Y, Pooled, _argMax, _batch, _pool);
            Conv2DKernel.Backward<float>(_x, _weight, _dy, WeightGradient, _biasGradient, Dx, _columns, _columnGradient, _batch, _filters, _g);
        }

        private static float[] Fill(int length, ref Xoshiro256 random)
        {
            float[] values = new float[length];
            for (int i = 0; i < length; i++)
            {
                values[i] = (float)random.NextDouble(-1, 1);
            }

            return values;
        }
    }
}
