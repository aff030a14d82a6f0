using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TypedNets.Kernels;

/// <summary>
/// The forward pass of an ungrouped, valid, stride-1 convolution whose filters hold at most <see cref="MaxTaps"/>
/// values (a network's first layer over one channel: 9 values a 3 × 3 filter), computed directly: each output vector
/// starts at its filter's bias and takes one fused multiply-add of a broadcast weight by a shifted run of the input per
/// tap, for eight filters at a time, and is written once with the ReLU applied.
/// </summary>
/// <remarks>
/// Through the unfolded matrix such a layer is a product with 9 values to a sum: the GEMM writes its whole output from
/// registers after 9 steps, and a second pass then moves it to the samples with the bias and ReLU, so the output (5.5 MB
/// for the Fashion-MNIST convnet's first layer at batch 64) is written twice and read once. Here it is written once, and
/// the unfolded matrix is never made. An output row narrower than a vector takes the unfolding path; a row not a multiple
/// of the vector's width ends with a vector that overlaps the one before it (its values are computed again, identically).
/// </remarks>
internal static class ConvShortFilters
{
    /// <summary>The most values a filter may hold for this kernel: the taps whose offsets it keeps on the stack.</summary>
    public const int MaxTaps = 16;

    /// <summary>Filters whose outputs one pass over the input computes together: eight independent chains of fused multiply-adds.</summary>
    private const int Block = 8;

    /// <summary>Whether <see cref="Forward"/> computes this convolution.</summary>
    public static bool Applies<T>(ImageGeometry g)
        => typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated && g.Groups == 1 && g.ColumnRows <= MaxTaps
           && g.Padding == 0 && g.PaddingColumns == 0 && g.Stride == 1 && g.StrideColumns == 1
           && g.OutHeight > 0 && g.OutWidth >= Vector512<float>.Count;

    /// <summary><c>y = max(weight ⊛ x + bias, 0)</c> (no max without <paramref name="relu"/>, no bias when it is empty) for every sample.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y, int batch, int filters, ImageGeometry g, bool relu)
    {
        int taps = g.ColumnRows;
        int inputSize = g.InputSize;
        int positions = g.ColumnCount;
        int outWidth = g.OutWidth;
        int width = g.Width;

        // The references below are unchecked: the spans' extents are checked here, once.
        if (x.Length < batch * inputSize || y.Length < batch * filters * positions || weight.Length < filters * taps || (!bias.IsEmpty && bias.Length < filters))
        {
            throw new ArgumentException(
                $"A convolution of {filters} filters over {batch} samples of {g} needs an input of {batch * inputSize}, an output of {batch * filters * positions} and a weight of {filters * taps}; got {x.Length}, {y.Length} and {weight.Length}.");
        }

        // Each tap's offset from the window's top-left corner within a sample, in the order of the filter's values.
        Span<int> offsets = stackalloc int[MaxTaps];
        int t = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            for (int i = 0; i < g.Kernel; i++)
            {
                for (int j = 0; j < g.KernelColumns; j++)
                {
                    offsets[t++] = (((c * g.Height) + (i * g.Dilation)) * width) + (j * g.Dilation);
                }
            }
        }

        Span<float> biases = stackalloc float[Block];
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float wr = ref MemoryMarshal.GetReference(weight);
        ref int offset = ref MemoryMarshal.GetReference(offsets);
        Vector512<float> floor = relu ? Vector512<float>.Zero : Vector512.Create(float.NegativeInfinity);
        int lastStart = outWidth - Vector512<float>.Count;
        for (int b = 0; b < batch; b++)
        {
            ref float sample = ref Unsafe.Add(ref xr, b * inputSize);
            int f = 0;
            for (; f + Block <= filters; f += Block)
            {
                for (int k = 0; k < Block; k++)
                {
                    biases[k] = bias.IsEmpty ? 0f : bias[f + k];
                }

                ref float w = ref Unsafe.Add(ref wr, f * taps);
                ref float output = ref Unsafe.Add(ref yr, ((b * filters) + f) * positions);
                for (int oy = 0; oy < g.OutHeight; oy++)
                {
                    for (int ox = 0; ; ox += Vector512<float>.Count)
                    {
                        ox = Math.Min(ox, lastStart);
                        ref float window = ref Unsafe.Add(ref sample, (oy * width) + ox);
                        Vector512<float> a0 = Vector512.Create(biases[0]), a1 = Vector512.Create(biases[1]), a2 = Vector512.Create(biases[2]), a3 = Vector512.Create(biases[3]);
                        Vector512<float> a4 = Vector512.Create(biases[4]), a5 = Vector512.Create(biases[5]), a6 = Vector512.Create(biases[6]), a7 = Vector512.Create(biases[7]);
                        for (int tap = 0; tap < taps; tap++)
                        {
                            Vector512<float> v = Vector512.LoadUnsafe(ref window, (nuint)Unsafe.Add(ref offset, tap));
                            a0 = Vector512.FusedMultiplyAdd(v, Vector512.Create(Unsafe.Add(ref w, tap)), a0);
                            a1 = Vector512.FusedMultiplyAdd(v, Vector512.Create(Unsafe.Add(ref w, taps + tap)), a1);
                            a2 = Vector512.FusedMultiplyAdd(v, Vector512.Create(Unsafe.Add(ref w, (2 * taps) + tap)), a2);
                            a3 = Vector512.FusedMultiplyAdd(v, Vector512.Create(Unsafe.Add(ref w, (3 * taps) + tap)), a3);
                            a4 = Vector512.FusedMultiplyAdd(v, Vector512.Create(Unsafe.Add(ref w, (4 * taps) + tap)), a4);
                            a5 = Vector512.FusedMultiplyAdd(v, Vector512.Create(Unsafe.Add(ref w, (5 * taps) + tap)), a5);
                            a6 = Vector512.FusedMultiplyAdd(v, Vector512.Create(Unsafe.Add(ref w, (6 * taps) + tap)), a6);
                            a7 = Vector512.FusedMultiplyAdd(v, Vector512.Create(Unsafe.Add(ref w, (7 * taps) + tap)), a7);
                        }

                        nuint at = (nuint)((oy * outWidth) + ox);
                        Vector512.Max(a0, floor).StoreUnsafe(ref output, at);
                        Vector512.Max(a1, floor).StoreUnsafe(ref output, at + (nuint)positions);
                        Vector512.Max(a2, floor).StoreUnsafe(ref output, at + (nuint)(2 * positions));
                        Vector512.Max(a3, floor).StoreUnsafe(ref output, at + (nuint)(3 * positions));
                        Vector512.Max(a4, floor).StoreUnsafe(ref output, at + (nuint)(4 * positions));
                        Vector512.Max(a5, floor).StoreUnsafe(ref output, at + (nuint)(5 * positions));
                        Vector512.Max(a6, floor).StoreUnsafe(ref output, at + (nuint)(6 * positions));
                        Vector512.Max(a7, floor).StoreUnsafe(ref output, at + (nuint)(7 * positions));
                        if (ox == lastStart)
                        {
                            break;
                        }
                    }
                }
            }

            // The filters left over from the blocks of eight, one at a time.
            for (; f < filters; f++)
            {
                Vector512<float> shift = Vector512.Create(bias.IsEmpty ? 0f : bias[f]);
                ref float w = ref Unsafe.Add(ref wr, f * taps);
                ref float output = ref Unsafe.Add(ref yr, ((b * filters) + f) * positions);
                for (int oy = 0; oy < g.OutHeight; oy++)
                {
                    for (int ox = 0; ; ox += Vector512<float>.Count)
                    {
                        ox = Math.Min(ox, lastStart);
                        ref float window = ref Unsafe.Add(ref sample, (oy * width) + ox);
                        Vector512<float> a = shift;
                        for (int tap = 0; tap < taps; tap++)
                        {
                            a = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref window, (nuint)Unsafe.Add(ref offset, tap)), Vector512.Create(Unsafe.Add(ref w, tap)), a);
                        }

                        Vector512.Max(a, floor).StoreUnsafe(ref output, (nuint)((oy * outWidth) + ox));
                        if (ox == lastStart)
                        {
                            break;
                        }
                    }
                }
            }
        }
    }
}
