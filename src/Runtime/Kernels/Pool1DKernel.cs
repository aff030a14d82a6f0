using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Kernels;

/// <summary>
/// Pooling over the steps of <c>[steps, features]</c> sequences, feature by feature: PyTorch's <c>nn.MaxPool1d</c> and
/// <c>nn.AvgPool1d</c> (with <c>padding</c>; <c>ceil_mode=False</c>) on the transposed input, Keras' <c>MaxPooling1D</c>
/// and <c>AveragePooling1D</c>. Padding is never materialised: max pooling pads with -infinity, so a padded step never
/// wins; average pooling pads with zeros and divides every window by its length, padded steps included (PyTorch's
/// default <c>count_include_pad=True</c>).
/// </summary>
/// <remarks>
/// A step's features are contiguous here, so each output step is a few whole-row operations over the window's input
/// steps, vectorised across the features; the 2-D kernels of <see cref="Pool2DKernel"/> would need the sequence
/// transposed to <c>[features, steps]</c> and back, and pool one value at a time.
/// </remarks>
public static class Pool1DKernel
{
    /// <summary>The maximum of every window; <paramref name="argMax"/> records which input value (its index in <paramref name="x"/>) gave it.</summary>
    public static void MaxForward<T>(ReadOnlySpan<T> x, Span<T> y, Span<int> argMax, int batch, SequenceGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        int features = g.Features;
        int outSteps = g.OutSteps;
        for (int b = 0; b < batch; b++)
        {
            for (int o = 0; o < outSteps; o++)
            {
                (int first, int end) = Window(o, g);
                int output = ((b * outSteps) + o) * features;
                int input = ((b * g.Steps) + first) * features;

                // A padding of at most half the window leaves every window at least one real step; the first one wins ties,
                // as in PyTorch.
                x.Slice(input, features).CopyTo(y.Slice(output, features));
                for (int f = 0; f < features; f++)
                {
                    argMax[output + f] = input + f;
                }

                for (int step = first + 1; step < end; step++)
                {
                    input += features;
                    for (int f = 0; f < features; f++)
                    {
                        if (x[input + f] > y[output + f])
                        {
                            y[output + f] = x[input + f];
                            argMax[output + f] = input + f;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Routes each output gradient to the input value that gave the maximum.</summary>
    public static void MaxBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<int> argMax, Span<T> dx, int batch, SequenceGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        dx.Slice(0, batch * g.InputSize).Clear();
        int outputs = batch * g.OutSteps * g.Features;
        for (int output = 0; output < outputs; output++)
        {
            dx[argMax[output]] += dy[output];
        }
    }

    /// <summary>The mean of every window, padded steps counted as zeros.</summary>
    public static void AverageForward<T>(ReadOnlySpan<T> x, Span<T> y, int batch, SequenceGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        T scale = T.One / T.CreateTruncating(g.Kernel);
        int features = g.Features;
        int outSteps = g.OutSteps;
        for (int b = 0; b < batch; b++)
        {
            for (int o = 0; o < outSteps; o++)
            {
                (int first, int end) = Window(o, g);
                Span<T> row = y.Slice(((b * outSteps) + o) * features, features);
                row.Clear();
                for (int step = first; step < end; step++)
                {
                    TensorPrimitives.Add(row, x.Slice(((b * g.Steps) + step) * features, features), row);
                }

                TensorPrimitives.Multiply(row, scale, row);
            }
        }
    }

    /// <summary>Spreads each output gradient evenly over its window; the padded steps' shares go nowhere.</summary>
    public static void AverageBackward<T>(ReadOnlySpan<T> dy, Span<T> dx, int batch, SequenceGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        dx.Slice(0, batch * g.InputSize).Clear();
        T scale = T.One / T.CreateTruncating(g.Kernel);
        int features = g.Features;
        int outSteps = g.OutSteps;
        for (int b = 0; b < batch; b++)
        {
            for (int o = 0; o < outSteps; o++)
            {
                (int first, int end) = Window(o, g);
                ReadOnlySpan<T> gradient = dy.Slice(((b * outSteps) + o) * features, features);
                for (int step = first; step < end; step++)
                {
                    Span<T> target = dx.Slice(((b * g.Steps) + step) * features, features);
                    TensorPrimitives.MultiplyAdd(gradient, scale, target, target);
                }
            }
        }
    }

    /// <summary>The real steps of output step <paramref name="output"/>'s window, <c>[first, end)</c>, the padding clipped off.</summary>
    private static (int First, int End) Window(int output, SequenceGeometry g)
    {
        int start = (output * g.Stride) - g.Padding;
        return (Math.Max(start, 0), Math.Min(start + g.Kernel, g.Steps));
    }
}
