using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace TypedNets.Kernels;

/// <summary>
/// 2-D pooling without padding, as PyTorch's <c>nn.MaxPool2d</c> and <c>nn.AvgPool2d</c>, and global average pooling
/// (Keras' <c>GlobalAveragePooling2D</c>), on batches of <c>[channels, height, width]</c> images.
/// </summary>
public static class Pool2DKernel
{
    /// <summary>The maximum of every window; <paramref name="argMax"/> records which input position gave it.</summary>
    public static void MaxForward<T>(ReadOnlySpan<T> x, Span<T> y, Span<int> argMax, int batch, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        int outHeight = g.OutHeight;
        int outWidth = g.OutWidth;
        int output = 0;
        for (int plane = 0; plane < batch * g.Channels; plane++)
        {
            int planeStart = plane * g.Height * g.Width;
            for (int oy = 0; oy < outHeight; oy++)
            {
                for (int ox = 0; ox < outWidth; ox++, output++)
                {
                    int best = planeStart + (oy * g.Stride * g.Width) + (ox * g.Stride);
                    for (int i = 0; i < g.Kernel; i++)
                    {
                        for (int j = 0; j < g.Kernel; j++)
                        {
                            int index = planeStart + (((oy * g.Stride) + i) * g.Width) + (ox * g.Stride) + j;
                            if (x[index] > x[best])
                            {
                                best = index;
                            }
                        }
                    }

                    y[output] = x[best];
                    argMax[output] = best;
                }
            }
        }
    }

    /// <summary>Routes each output gradient to the position that gave the maximum.</summary>
    public static void MaxBackward<T>(ReadOnlySpan<T> dy, ReadOnlySpan<int> argMax, Span<T> dx, int batch, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        dx.Slice(0, batch * g.InputSize).Clear();
        int outputs = batch * g.Channels * g.OutHeight * g.OutWidth;
        for (int output = 0; output < outputs; output++)
        {
            dx[argMax[output]] += dy[output];
        }
    }

    /// <summary>The mean of every window.</summary>
    public static void AverageForward<T>(ReadOnlySpan<T> x, Span<T> y, int batch, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        T scale = T.One / T.CreateTruncating(g.Kernel * g.Kernel);
        int outHeight = g.OutHeight;
        int outWidth = g.OutWidth;
        int output = 0;
        for (int plane = 0; plane < batch * g.Channels; plane++)
        {
            int planeStart = plane * g.Height * g.Width;
            for (int oy = 0; oy < outHeight; oy++)
            {
                for (int ox = 0; ox < outWidth; ox++, output++)
                {
                    T sum = T.Zero;
                    for (int i = 0; i < g.Kernel; i++)
                    {
                        sum += TensorPrimitives.Sum(x.Slice(planeStart + (((oy * g.Stride) + i) * g.Width) + (ox * g.Stride), g.Kernel));
                    }

                    y[output] = sum * scale;
                }
            }
        }
    }

    /// <summary>Spreads each output gradient evenly over its window.</summary>
    public static void AverageBackward<T>(ReadOnlySpan<T> dy, Span<T> dx, int batch, ImageGeometry g)
        where T : IFloatingPointIeee754<T>
    {
        dx.Slice(0, batch * g.InputSize).Clear();
        T scale = T.One / T.CreateTruncating(g.Kernel * g.Kernel);
        int outHeight = g.OutHeight;
        int outWidth = g.OutWidth;
        int output = 0;
        for (int plane = 0; plane < batch * g.Channels; plane++)
        {
            int planeStart = plane * g.Height * g.Width;
            for (int oy = 0; oy < outHeight; oy++)
            {
                for (int ox = 0; ox < outWidth; ox++, output++)
                {
                    T share = dy[output] * scale;
                    for (int i = 0; i < g.Kernel; i++)
                    {
                        Span<T> row = dx.Slice(planeStart + (((oy * g.Stride) + i) * g.Width) + (ox * g.Stride), g.Kernel);
                        TensorPrimitives.Add(row, share, row);
                    }
                }
            }
        }
    }

    /// <summary>The mean of every channel: <c>[batch, channels, height * width]</c> to <c>[batch, channels]</c>.</summary>
    public static void GlobalAverageForward<T>(ReadOnlySpan<T> x, Span<T> y, int batch, int channels, int area)
        where T : IFloatingPointIeee754<T>
    {
        T scale = T.One / T.CreateTruncating(area);
        for (int plane = 0; plane < batch * channels; plane++)
        {
            y[plane] = TensorPrimitives.Sum(x.Slice(plane * area, area)) * scale;
        }
    }

    /// <summary>Spreads each channel's gradient evenly over its positions.</summary>
    public static void GlobalAverageBackward<T>(ReadOnlySpan<T> dy, Span<T> dx, int batch, int channels, int area)
        where T : IFloatingPointIeee754<T>
    {
        T scale = T.One / T.CreateTruncating(area);
        for (int plane = 0; plane < batch * channels; plane++)
        {
            dx.Slice(plane * area, area).Fill(dy[plane] * scale);
        }
    }
}
