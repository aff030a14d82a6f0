using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TypedNets.Kernels;

/// <summary>
/// Activation functions and their backward passes. Forward functions work in place on a layer's output;
/// backward functions turn <c>dL/dy</c> into <c>dL/dz</c> in place, reading the saved output <c>y</c> (or, for
/// the two GELUs, the saved pre-activation <c>z</c>).
/// </summary>
public static class Activations
{
    /// <summary>The negative slope of <see cref="Activation.LeakyReLU"/>, PyTorch's default.</summary>
    public const double LeakyReLUSlope = 0.01;

    /// <summary>
    /// The forward pass of <paramref name="activation"/> into <paramref name="y"/>: elementwise ones and Softmax (rows of
    /// <paramref name="rowLength"/>) in place on <paramref name="y"/>, the GELUs from <paramref name="preActivation"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Forward<T>(Activation activation, ReadOnlySpan<T> preActivation, Span<T> y, int rowLength)
        where T : IFloatingPointIeee754<T>
    {
        switch (activation)
        {
            case Activation.ReLU:
                ReLU(y);
                break;
            case Activation.LeakyReLU:
                LeakyReLU(y);
                break;
            case Activation.Sigmoid:
                Sigmoid(y);
                break;
            case Activation.Tanh:
                Tanh(y);
                break;
            case Activation.Softmax:
                Softmax(y, rowLength);
                break;
            case Activation.GELU:
                Gelu(preActivation, y);
                break;
            case Activation.GeluTanh:
                GeluTanh(preActivation, y);
                break;
        }
    }

    /// <summary>
    /// Turns <c>dL/dy</c> in <paramref name="dy"/> into <c>dL/dz</c> in place, from the forward pass's output
    /// <paramref name="y"/> (or, for the GELUs, its <paramref name="preActivation"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Backward<T>(Activation activation, ReadOnlySpan<T> y, ReadOnlySpan<T> preActivation, Span<T> dy, int rowLength)
        where T : IFloatingPointIeee754<T>
    {
        switch (activation)
        {
            case Activation.ReLU:
                ReLUBackward(y, dy);
                break;
            case Activation.LeakyReLU:
                LeakyReLUBackward(y, dy);
                break;
            case Activation.Sigmoid:
                SigmoidBackward(y, dy);
                break;
            case Activation.Tanh:
                TanhBackward(y, dy);
                break;
            case Activation.Softmax:
                SoftmaxBackward(y, dy, rowLength);
                break;
            case Activation.GELU:
                GeluBackward(preActivation, dy);
                break;
            case Activation.GeluTanh:
                GeluTanhBackward(preActivation, dy);
                break;
        }
    }

    /// <summary><c>y = max(y, 0)</c> in place.</summary>
    public static void ReLU<T>(Span<T> y)
        where T : IFloatingPointIeee754<T>
        => TensorPrimitives.Max(y, T.Zero, y);

    /// <summary><c>dz = y &gt; 0 ? dy : 0</c>, in place on <paramref name="dy"/>.</summary>
    public static void ReLUBackward<T>(ReadOnlySpan<T> y, Span<T> dy)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameLength(y, dy);
        ref T saved = ref MemoryMarshal.GetReference(y);
        ref T gradient = ref MemoryMarshal.GetReference(dy);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            for (; i + Vector512<T>.Count <= dy.Length; i += Vector512<T>.Count)
            {
                Vector512<T> active = Vector512.GreaterThan(Vector512.LoadUnsafe(ref saved, (nuint)i), Vector512<T>.Zero);
                (Vector512.LoadUnsafe(ref gradient, (nuint)i) & active).StoreUnsafe(ref gradient, (nuint)i);
            }
        }

        for (; i < dy.Length; i++)
        {
            if (!(Unsafe.Add(ref saved, i) > T.Zero))
            {
                Unsafe.Add(ref gradient, i) = T.Zero;
            }
        }
    }

    /// <summary><c>y = y &gt; 0 ? y : 0.01 y</c> in place.</summary>
    public static void LeakyReLU<T>(Span<T> y)
        where T : IFloatingPointIeee754<T>
    {
        T slope = T.CreateTruncating(LeakyReLUSlope);
        for (int i = 0; i < y.Length; i++)
        {
            if (!(y[i] > T.Zero))
            {
                y[i] *= slope;
            }
        }
    }

    /// <summary><c>dz = y &gt; 0 ? dy : 0.01 dy</c>, in place on <paramref name="dy"/> (the slope is positive, so y and z share their sign).</summary>
    public static void LeakyReLUBackward<T>(ReadOnlySpan<T> y, Span<T> dy)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameLength(y, dy);
        T slope = T.CreateTruncating(LeakyReLUSlope);
        for (int i = 0; i < dy.Length; i++)
        {
            if (!(y[i] > T.Zero))
            {
                dy[i] *= slope;
            }
        }
    }

    /// <summary><c>y = 1 / (1 + e^-y)</c> in place.</summary>
    public static void Sigmoid<T>(Span<T> y)
        where T : IFloatingPointIeee754<T>
        => TensorPrimitives.Sigmoid(y, y);

    /// <summary><c>dz = dy y (1 - y)</c>, in place on <paramref name="dy"/>.</summary>
    public static void SigmoidBackward<T>(ReadOnlySpan<T> y, Span<T> dy)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameLength(y, dy);
        for (int i = 0; i < dy.Length; i++)
        {
            dy[i] *= y[i] * (T.One - y[i]);
        }
    }

    /// <summary><c>y = tanh(y)</c> in place.</summary>
    public static void Tanh<T>(Span<T> y)
        where T : IFloatingPointIeee754<T>
        => TensorPrimitives.Tanh(y, y);

    /// <summary><c>dz = dy (1 - y^2)</c>, in place on <paramref name="dy"/>.</summary>
    public static void TanhBackward<T>(ReadOnlySpan<T> y, Span<T> dy)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameLength(y, dy);
        for (int i = 0; i < dy.Length; i++)
        {
            dy[i] *= T.One - (y[i] * y[i]);
        }
    }

    /// <summary>Softmax over each row of <paramref name="rowLength"/> elements, in place.</summary>
    /// <remarks>
    /// Each row's maximum is subtracted before exponentiating, so large logits cannot overflow
    /// (<see cref="TensorPrimitives.SoftMax{T}(ReadOnlySpan{T}, Span{T})"/> does not do this and returns NaN for logits near 1000).
    /// </remarks>
    public static void Softmax<T>(Span<T> y, int rowLength)
        where T : IFloatingPointIeee754<T>
    {
        CheckRows(y.Length, rowLength);
        if (rowLength >= ShortRow)
        {
            for (int start = 0; start < y.Length; start += rowLength)
            {
                Span<T> row = y.Slice(start, rowLength);
                TensorPrimitives.Subtract(row, TensorPrimitives.Max<T>(row), row);
                TensorPrimitives.Exp(row, row);
                TensorPrimitives.Multiply(row, T.One / TensorPrimitives.Sum<T>(row), row);
            }

            return;
        }

        // Short rows (a classifier with a few classes): one vectorised exponential over the whole batch instead of
        // five library calls per row, which would cost more than the arithmetic.
        for (int start = 0; start < y.Length; start += rowLength)
        {
            Span<T> row = y.Slice(start, rowLength);
            T max = RowMax<T>(row);
            for (int c = 0; c < row.Length; c++)
            {
                row[c] -= max;
            }
        }

        TensorPrimitives.Exp(y, y);
        for (int start = 0; start < y.Length; start += rowLength)
        {
            Span<T> row = y.Slice(start, rowLength);
            T sum = T.Zero;
            for (int c = 0; c < row.Length; c++)
            {
                sum += row[c];
            }

            T inverse = T.One / sum;
            for (int c = 0; c < row.Length; c++)
            {
                row[c] *= inverse;
            }
        }
    }

    /// <summary>The largest element of a row, by a plain loop for the short rows of a classifier with few classes.</summary>
    internal static T RowMax<T>(ReadOnlySpan<T> row)
        where T : IFloatingPointIeee754<T>
    {
        if (row.Length >= ShortRow)
        {
            return TensorPrimitives.Max(row);
        }

        T max = row[0];
        for (int c = 1; c < row.Length; c++)
        {
            max = T.Max(max, row[c]);
        }

        return max;
    }

    /// <summary>Rows shorter than this take scalar loops around one batch-wide call, not library calls per row.</summary>
    internal const int ShortRow = 16;

    /// <summary>
    /// The softmax Jacobian-vector product per row, <c>dz = y (dy - sum(dy y))</c>, in place on <paramref name="dy"/>.
    /// </summary>
    public static void SoftmaxBackward<T>(ReadOnlySpan<T> y, Span<T> dy, int rowLength)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameLength(y, dy);
        CheckRows(dy.Length, rowLength);
        for (int start = 0; start < dy.Length; start += rowLength)
        {
            ReadOnlySpan<T> yRow = y.Slice(start, rowLength);
            Span<T> dyRow = dy.Slice(start, rowLength);
            T dot = TensorPrimitives.Dot(dyRow, yRow);
            TensorPrimitives.Subtract(dyRow, dot, dyRow);
            TensorPrimitives.Multiply(dyRow, yRow, dyRow);
        }
    }

    /// <summary><c>y = z Phi(z)</c> with the exact normal CDF <c>Phi</c>, reading <paramref name="z"/> and writing <paramref name="y"/>.</summary>
    /// <remarks>
    /// Double precision evaluates <c>Phi</c> to double accuracy; single precision (what networks train in) takes a
    /// vectorised rational approximation of <c>erf</c> accurate to 4e-7 (<see cref="SingleGelu"/>).
    /// </remarks>
    public static void Gelu<T>(ReadOnlySpan<T> z, Span<T> y)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameLength(z, y);
        if (typeof(T) == typeof(float))
        {
            SingleGelu.Forward(FloatSpans.AsFloat(z), FloatSpans.AsFloat(y));
            return;
        }

        for (int i = 0; i < y.Length; i++)
        {
            double value = double.CreateTruncating(z[i]);
            y[i] = T.CreateTruncating(value * SpecialFunctions.NormalCdf(value));
        }
    }

    /// <summary><c>dz = dy (Phi(z) + z phi(z))</c>, in place on <paramref name="dy"/>.</summary>
    public static void GeluBackward<T>(ReadOnlySpan<T> z, Span<T> dy)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameLength(z, dy);
        if (typeof(T) == typeof(float))
        {
            SingleGelu.Backward(FloatSpans.AsFloat(z), FloatSpans.AsFloat(dy));
            return;
        }

        for (int i = 0; i < dy.Length; i++)
        {
            double value = double.CreateTruncating(z[i]);
            double derivative = SpecialFunctions.NormalCdf(value) + (value * SpecialFunctions.NormalPdf(value));
            dy[i] *= T.CreateTruncating(derivative);
        }
    }

    /// <summary><c>sqrt(2 / pi)</c>, the scale inside GELU's tanh approximation.</summary>
    private const double GeluTanhScale = 0.7978845608028654;

    /// <summary>The cubic coefficient of GELU's tanh approximation.</summary>
    private const double GeluTanhCubic = 0.044715;

    /// <summary>
    /// Where <c>|z|</c> stops mattering to the tanh form's derivative: there <c>tanh(u)</c> is exactly ±1 in float and in
    /// double, so the <c>1 - tanh^2</c> term is 0, and clamping <c>z</c> in the polynomial keeps <c>z^2</c> from
    /// overflowing into <c>0 * infinity</c>.
    /// </summary>
    private const double GeluTanhClamp = 10;

    /// <summary>The elements one pass of the single-precision tanh form handles, in a stack buffer (1 KB).</summary>
    private const int GeluTanhChunk = 256;

    /// <summary>
    /// GELU's tanh approximation, PyTorch's <c>nn.GELU(approximate='tanh')</c>: <c>y = z/2 (1 + tanh(u))</c> with
    /// <c>u = sqrt(2/pi) (z + 0.044715 z^3)</c>, reading <paramref name="z"/> and writing <paramref name="y"/>.
    /// </summary>
    /// <remarks>
    /// Vectorised passes over <paramref name="y"/>, which holds <c>u</c> and then <c>tanh(u)</c> on the way: the
    /// polynomial, <see cref="TensorPrimitives.Tanh{T}(ReadOnlySpan{T}, Span{T})"/>, and the product.
    /// </remarks>
    /// <exception cref="ArgumentException">When the spans differ in length.</exception>
    public static void GeluTanh<T>(ReadOnlySpan<T> z, Span<T> y)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameLength(z, y);
        T scale = T.CreateTruncating(GeluTanhScale);
        T cubic = T.CreateTruncating(GeluTanhCubic);
        T half = T.CreateTruncating(0.5);

        // u = scale z (1 + cubic z^2), built in y.
        TensorPrimitives.Multiply(z, z, y);
        TensorPrimitives.Multiply(y, cubic, y);
        TensorPrimitives.Add(y, T.One, y);
        TensorPrimitives.Multiply(y, z, y);
        TensorPrimitives.Multiply(y, scale, y);
        TensorPrimitives.Tanh(y, y);

        // y = ((1 + t) / 2) z: halved before the product, which then cannot overflow where z itself does not.
        TensorPrimitives.Add(y, T.One, y);
        TensorPrimitives.Multiply(y, half, y);
        TensorPrimitives.Multiply(y, z, y);
    }

    /// <summary>
    /// <c>dz = dy (1/2 (1 + t) + z/2 (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 z^2))</c> with <c>t = tanh(u)</c> as in
    /// <see cref="GeluTanh{T}"/>, in place on <paramref name="dy"/>, PyTorch's formula.
    /// </summary>
    /// <remarks>
    /// Single precision (what networks train in) goes through stack buffers of <see cref="GeluTanhChunk"/> elements
    /// with vectorised passes; other element types (the gradient checks' double) take a plain loop.
    /// </remarks>
    /// <exception cref="ArgumentException">When the spans differ in length.</exception>
    public static void GeluTanhBackward<T>(ReadOnlySpan<T> z, Span<T> dy)
        where T : IFloatingPointIeee754<T>
    {
        CheckSameLength(z, dy);
        if (typeof(T) == typeof(float))
        {
            GeluTanhBackwardSingle(FloatSpans.AsFloat(z), FloatSpans.AsFloat(dy));
            return;
        }

        for (int i = 0; i < dy.Length; i++)
        {
            double value = double.CreateTruncating(z[i]);
            double t = Math.Tanh(GeluTanhScale * (value + (GeluTanhCubic * value * value * value)));
            double clamped = Math.Clamp(value, -GeluTanhClamp, GeluTanhClamp);
            double derivative = (0.5 * (1 + t)) + (0.5 * clamped * (1 - (t * t)) * GeluTanhScale * (1 + (3 * GeluTanhCubic * clamped * clamped)));
            dy[i] *= T.CreateTruncating(derivative);
        }
    }

    private static void GeluTanhBackwardSingle(ReadOnlySpan<float> z, Span<float> dy)
    {
        Span<float> t = stackalloc float[GeluTanhChunk];
        Span<float> factor = stackalloc float[GeluTanhChunk];
        for (int start = 0; start < z.Length; start += GeluTanhChunk)
        {
            int count = Math.Min(GeluTanhChunk, z.Length - start);
            ReadOnlySpan<float> zChunk = z.Slice(start, count);
            Span<float> dyChunk = dy.Slice(start, count);
            Span<float> tChunk = t.Slice(0, count);
            Span<float> factorChunk = factor.Slice(0, count);

            // t = tanh(scale z (1 + cubic z^2)) from z as it is; factor holds z clamped, for the polynomial of the derivative.
            TensorPrimitives.Multiply(zChunk, zChunk, tChunk);
            TensorPrimitives.Multiply(tChunk, (float)GeluTanhCubic, tChunk);
            TensorPrimitives.Add(tChunk, 1f, tChunk);
            TensorPrimitives.Multiply(tChunk, zChunk, tChunk);
            TensorPrimitives.Multiply(tChunk, (float)GeluTanhScale, tChunk);
            TensorPrimitives.Tanh(tChunk, tChunk);
            TensorPrimitives.Min(zChunk, (float)GeluTanhClamp, factorChunk);
            TensorPrimitives.Max(factorChunk, (float)-GeluTanhClamp, factorChunk);

            // factor = 1/2 (1 + t) + (z/2) scale (1 + 3 cubic z^2)(1 - t^2) = (1 + t)(1/2 + (z/2) scale (1 + 3 cubic z^2)(1 - t)).
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var one = Vector<float>.One;
                var half = new Vector<float>(0.5f);
                var slope = new Vector<float>((float)(0.5 * GeluTanhScale));
                var cubic3 = new Vector<float>((float)(3 * GeluTanhCubic));
                for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var zc = new Vector<float>(factorChunk.Slice(i));
                    var tv = new Vector<float>(tChunk.Slice(i));
                    Vector<float> inner = slope * zc * (one + (cubic3 * zc * zc)) * (one - tv);
                    ((one + tv) * (half + inner) * new Vector<float>(dyChunk.Slice(i))).CopyTo(dyChunk.Slice(i));
                }
            }

            for (; i < count; i++)
            {
                float zc = factorChunk[i], tv = tChunk[i];
                float inner = (float)(0.5 * GeluTanhScale) * zc * (1f + ((float)(3 * GeluTanhCubic) * zc * zc)) * (1f - tv);
                dyChunk[i] *= (1f + tv) * (0.5f + inner);
            }
        }
    }

    private static void CheckSameLength<T>(ReadOnlySpan<T> saved, ReadOnlySpan<T> gradient)
    {
        if (saved.Length != gradient.Length)
        {
            throw new ArgumentException(
                $"The saved activation has {saved.Length} elements but the gradient has {gradient.Length}; both must cover the same batch.");
        }
    }

    private static void CheckRows(int length, int rowLength)
    {
        if (rowLength <= 0 || length % rowLength != 0)
        {
            throw new ArgumentException($"A span of {length} elements does not split into rows of {rowLength}.");
        }
    }
}
