using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TypedNets.Kernels;

/// <summary>
/// The weight gradient of a convolution whose filters are short, <c>dW[f, r] += Σ_t dY[f, t] cols[r, t]</c> with fewer
/// than 16 values <c>r</c> a filter (a first layer's 3 × 3 window over one channel: 9). As <c>dY cols^T</c> that is a
/// product with as few columns, which the GEMM leaves to dot products (its panels are 32 columns wide; 9 would be
/// mostly padding), at under a fifth of the FMA peak on the Fashion-MNIST convnet's first layer. Here every pair of
/// rows is summed along the positions <c>t</c> instead: four filters by three window values, twelve sums in
/// registers, seven loads for twelve fused multiply-adds, each row read once a block.
/// </summary>
internal static class ConvThinGradient
{
    /// <summary>Whether <see cref="Accumulate"/> runs here: single precision with 512-bit vectors, filters of fewer than 16 values.</summary>
    public static bool Applies<T>(int rows) => typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated && rows < 16;

    /// <summary><c>weightGradient[filters, rows] += gradient[filters, width] · columns[rows, width]^T</c>.</summary>
    public static void Accumulate(ReadOnlySpan<float> gradient, ReadOnlySpan<float> columns, Span<float> weightGradient, int filters, int rows, int width)
    {
        // The slices check every extent once; the loops below stay inside them.
        ref float dy = ref MemoryMarshal.GetReference(gradient.Slice(0, filters * width));
        ref float cols = ref MemoryMarshal.GetReference(columns.Slice(0, rows * width));
        Span<float> dw = weightGradient.Slice(0, filters * rows);
        int vectorEnd = width - (width % Vector512<float>.Count);
        for (int f0 = 0; f0 < filters; f0 += 4)
        {
            // A last block of fewer than four filters or three rows repeats the last one and keeps only the real sums.
            ref float d0 = ref Unsafe.Add(ref dy, Math.Min(f0, filters - 1) * width);
            ref float d1 = ref Unsafe.Add(ref dy, Math.Min(f0 + 1, filters - 1) * width);
            ref float d2 = ref Unsafe.Add(ref dy, Math.Min(f0 + 2, filters - 1) * width);
            ref float d3 = ref Unsafe.Add(ref dy, Math.Min(f0 + 3, filters - 1) * width);
            for (int r0 = 0; r0 < rows; r0 += 3)
            {
                ref float c0 = ref Unsafe.Add(ref cols, Math.Min(r0, rows - 1) * width);
                ref float c1 = ref Unsafe.Add(ref cols, Math.Min(r0 + 1, rows - 1) * width);
                ref float c2 = ref Unsafe.Add(ref cols, Math.Min(r0 + 2, rows - 1) * width);
                Vector512<float> s00 = default, s01 = default, s02 = default, s10 = default, s11 = default, s12 = default;
                Vector512<float> s20 = default, s21 = default, s22 = default, s30 = default, s31 = default, s32 = default;
                for (int t = 0; t < vectorEnd; t += Vector512<float>.Count)
                {
                    nuint at = (nuint)t;
                    Vector512<float> x0 = Vector512.LoadUnsafe(ref c0, at), x1 = Vector512.LoadUnsafe(ref c1, at), x2 = Vector512.LoadUnsafe(ref c2, at);
                    Vector512<float> g = Vector512.LoadUnsafe(ref d0, at);
                    s00 = Vector512.FusedMultiplyAdd(g, x0, s00);
                    s01 = Vector512.FusedMultiplyAdd(g, x1, s01);
                    s02 = Vector512.FusedMultiplyAdd(g, x2, s02);
                    g = Vector512.LoadUnsafe(ref d1, at);
                    s10 = Vector512.FusedMultiplyAdd(g, x0, s10);
                    s11 = Vector512.FusedMultiplyAdd(g, x1, s11);
                    s12 = Vector512.FusedMultiplyAdd(g, x2, s12);
                    g = Vector512.LoadUnsafe(ref d2, at);
                    s20 = Vector512.FusedMultiplyAdd(g, x0, s20);
                    s21 = Vector512.FusedMultiplyAdd(g, x1, s21);
                    s22 = Vector512.FusedMultiplyAdd(g, x2, s22);
                    g = Vector512.LoadUnsafe(ref d3, at);
                    s30 = Vector512.FusedMultiplyAdd(g, x0, s30);
                    s31 = Vector512.FusedMultiplyAdd(g, x1, s31);
                    s32 = Vector512.FusedMultiplyAdd(g, x2, s32);
                }

                Span<float> sums =
                [
                    Vector512.Sum(s00), Vector512.Sum(s01), Vector512.Sum(s02),
                    Vector512.Sum(s10), Vector512.Sum(s11), Vector512.Sum(s12),
                    Vector512.Sum(s20), Vector512.Sum(s21), Vector512.Sum(s22),
                    Vector512.Sum(s30), Vector512.Sum(s31), Vector512.Sum(s32),
                ];
                for (int a = 0; a < 4 && f0 + a < filters; a++)
                {
                    ref float d = ref Unsafe.Add(ref dy, (f0 + a) * width);
                    for (int b = 0; b < 3 && r0 + b < rows; b++)
                    {
                        ref float c = ref Unsafe.Add(ref cols, (r0 + b) * width);
                        float sum = sums[(a * 3) + b];
                        for (int t = vectorEnd; t < width; t++)
                        {
                            sum += Unsafe.Add(ref d, t) * Unsafe.Add(ref c, t);
                        }

                        dw[((f0 + a) * rows) + r0 + b] += sum;
                    }
                }
            }
        }
    }
}
