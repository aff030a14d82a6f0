using System;
using System.Numerics.Tensors;

namespace TypedNets.Kernels;

/// <summary>
/// One weight matrix <c>[rows, columns]</c> of a network quantised to int8 for inference: symmetric codes per row
/// (per output channel: a dense unit, a convolution filter, a recurrent gate row) with their scales, and the way its
/// input is quantised at each product: per row at every call (dynamic, as PyTorch's <c>quantize_dynamic</c>) or with
/// one scale and zero point calibrated beforehand (static).
/// </summary>
/// <remarks>
/// The layer kernels take one in place of their float weight (<see cref="DenseKernel.Layer{T}"/>,
/// <see cref="Conv2DKernel.Forward{T}"/>, the recurrent kernels), so a quantised network runs the same generated code
/// as the float one. While it is being calibrated it only records the range of its inputs and lets the float product
/// run, so that calibration sees the float network's activations, as PyTorch's observers do.
/// </remarks>
public sealed class Int8Weight
{
    private readonly sbyte[] _codes;
    private readonly float[] _scales;
    private readonly int[] _rowSums;
    private bool _calibrating;
    private bool _observed;
    private float _observedMin;
    private float _observedMax;

    private Int8Weight(string name, int offset, int rows, int columns, sbyte[] codes, float[] scales, int[] rowSums)
    {
        Name = name;
        Offset = offset;
        Rows = rows;
        Columns = columns;
        _codes = codes;
        _scales = scales;
        _rowSums = rowSums;
    }

    /// <summary>The parameter's <c>state_dict</c> name, such as <c>hidden.weight</c>.</summary>
    public string Name { get; }

    /// <summary>Where the float parameter starts in the network's <c>Parameters</c>.</summary>
    public int Offset { get; }

    /// <summary>The output channels, each with a scale of its own.</summary>
    public int Rows { get; }

    /// <summary>The values per channel: a dense layer's inputs, a filter's channels x kernel height x kernel width.</summary>
    public int Columns { get; }

    /// <summary>Each row's scale: the weight is <c>scale[row] * code</c>.</summary>
    public ReadOnlySpan<float> Scales => _scales;

    /// <summary>Whether the input is quantised with the calibrated <see cref="InputScale"/> and <see cref="InputZeroPoint"/> rather than per row at each call.</summary>
    public bool IsStatic => InputScale > 0;

    /// <summary>The calibrated scale of the input, or 0 when the input is quantised dynamically.</summary>
    public float InputScale { get; private set; }

    /// <summary>The calibrated code of an input of 0, in [0, 255]; 0 when the input is quantised dynamically.</summary>
    public int InputZeroPoint { get; private set; }

    /// <summary>The weight's bytes as it is stored: one code per value and a float scale per row.</summary>
    public long StoredBytes => ((long)Rows * Columns) + (Rows * sizeof(float));

    private int Stride => Int8Gemm.PaddedDepth(Columns);

    /// <summary>Quantises the float <paramref name="weight"/> <c>[rows, columns]</c> per row (<see cref="Int8Quantization.QuantizeWeightsPerChannel"/>).</summary>
    /// <param name="name">The parameter's name.</param>
    /// <param name="offset">The parameter's offset in the network's <c>Parameters</c>.</param>
    /// <param name="weight">The float weight, row-major.</param>
    /// <param name="rows">The output channels.</param>
    /// <param name="columns">The values per channel.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, or <paramref name="columns"/> is above <see cref="Int8Gemm.MaxDepth"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="weight"/> does not hold <c>rows * columns</c> values, or holds a NaN or an infinity.</exception>
    public static Int8Weight Quantize(string name, int offset, ReadOnlySpan<float> weight, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        if (weight.Length != (long)rows * columns)
        {
            throw new ArgumentException($"{name} holds {weight.Length} values, not the {rows} x {columns} of its shape.", nameof(weight));
        }

        int stride = Int8Gemm.PaddedDepth(columns);
        var codes = new sbyte[rows * stride];
        var scales = new float[rows];
        var rowSums = new int[rows];
        Int8Quantization.QuantizeWeightsPerChannel(weight, codes, scales, rowSums, rows, columns);
        return new Int8Weight(name, offset, rows, columns, codes, scales, rowSums);
    }

    /// <summary>
    /// A quantised weight from its stored form, as an int8 safetensors file holds it: the codes <c>[rows, columns]</c>,
    /// a positive finite scale per row, and for a static quantisation the input's scale and zero point.
    /// </summary>
    /// <param name="name">The parameter's name.</param>
    /// <param name="offset">The parameter's offset in the network's <c>Parameters</c>.</param>
    /// <param name="codes">The codes, row-major, each in [-127, 127] as <see cref="Quantize"/> writes them (-128 is accepted).</param>
    /// <param name="scales">The scale of each row.</param>
    /// <param name="rows">The output channels.</param>
    /// <param name="columns">The values per channel.</param>
    /// <param name="inputScale">The calibrated input scale, or 0 for a dynamic quantisation.</param>
    /// <param name="inputZeroPoint">The calibrated input zero point, in [0, 255].</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1 or too deep, a scale is not positive and finite, or the input's scale or zero point is out of range.</exception>
    /// <exception cref="ArgumentException">A span does not match the shape.</exception>
    public static Int8Weight FromCodes(
        string name, int offset, ReadOnlySpan<sbyte> codes, ReadOnlySpan<float> scales, int rows, int columns, float inputScale = 0, int inputZeroPoint = 0)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        if (codes.Length != (long)rows * columns)
        {
            throw new ArgumentException($"{name} holds {codes.Length} codes, not the {rows} x {columns} of its shape.", nameof(codes));
        }

        if (scales.Length != rows)
        {
            throw new ArgumentException($"{name} has {scales.Length} scales for its {rows} rows; an int8 weight has one scale per row.", nameof(scales));
        }

        for (int r = 0; r < rows; r++)
        {
            if (!(scales[r] > 0 && float.IsFinite(scales[r])))
            {
                throw new ArgumentOutOfRangeException(nameof(scales), scales[r], $"The scale of row {r} of {name} is not positive and finite.");
            }
        }

        CheckInputQuantization(name, inputScale, inputZeroPoint);
        int stride = Int8Gemm.PaddedDepth(columns);
        var padded = new sbyte[rows * stride];
        var rowSums = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<sbyte> row = codes.Slice(r * columns, columns);
            row.CopyTo(padded.AsSpan(r * stride, columns));
            int sum = 0;
            foreach (sbyte code in row)
            {
                sum += code;
            }

            rowSums[r] = sum;
        }

        return new Int8Weight(name, offset, rows, columns, padded, scales.ToArray(), rowSums) { InputScale = inputScale, InputZeroPoint = inputZeroPoint };
    }

    /// <summary>Copies the codes, <c>[rows, columns]</c> without the kernel's padding, into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <c>rows * columns</c>.</exception>
    public void CopyCodes(Span<sbyte> destination)
    {
        if (destination.Length < (long)Rows * Columns)
        {
            throw new ArgumentException($"{Name} has {Rows * Columns} codes; the destination holds {destination.Length}.", nameof(destination));
        }

        for (int r = 0; r < Rows; r++)
        {
            _codes.AsSpan(r * Stride, Columns).CopyTo(destination.Slice(r * Columns, Columns));
        }
    }

    /// <summary>Writes the weight the codes stand for, <c>scale[row] * code</c>, into <paramref name="destination"/> <c>[rows, columns]</c>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <c>rows * columns</c>.</exception>
    public void Dequantize(Span<float> destination)
    {
        if (destination.Length < (long)Rows * Columns)
        {
            throw new ArgumentException($"{Name} has {Rows * Columns} values; the destination holds {destination.Length}.", nameof(destination));
        }

        for (int r = 0; r < Rows; r++)
        {
            ReadOnlySpan<sbyte> codes = _codes.AsSpan(r * Stride, Columns);
            Span<float> row = destination.Slice(r * Columns, Columns);
            float scale = _scales[r];
            for (int c = 0; c < Columns; c++)
            {
                row[c] = scale * codes[c];
            }
        }
    }

    /// <summary>From now until <see cref="EndCalibration"/>, products record the range of their input and run in float.</summary>
    internal void StartCalibration()
    {
        _calibrating = true;
        _observed = false;
        _observedMin = 0;
        _observedMax = 0;
    }

    /// <summary>
    /// Fixes the input's quantisation from the range recorded since <see cref="StartCalibration"/>, as ONNX Runtime's
    /// static quantisation and PyTorch's <c>MinMaxObserver</c> do: the range widened to hold 0, 255 steps across it.
    /// </summary>
    /// <exception cref="InvalidOperationException">When no product ran during calibration (the layer was never reached).</exception>
    internal void EndCalibration()
    {
        _calibrating = false;
        if (!_observed)
        {
            throw new InvalidOperationException($"{Name} saw no input during calibration; calibrate with samples that reach every layer.");
        }

        float range = _observedMax - _observedMin;
        InputScale = range == 0 ? 1f : range / 255f;
        InputZeroPoint = (int)MathF.Round(Math.Clamp(-_observedMin / InputScale, 0f, 255f));
    }

    /// <summary>Records the range of <paramref name="x"/>, widened to hold 0 (a convolution's padding and a ReLU's zeros are exact).</summary>
    internal void Observe(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty)
        {
            return;
        }

        if (!Int8Quantization.RangeWithZero(x, out float min, out float max))
        {
            throw new ArgumentException($"The input of {Name} holds a NaN or an infinity during calibration; calibrate with finite samples.", nameof(x));
        }

        _observed = true;
        _observedMin = MathF.Min(_observedMin, min);
        _observedMax = MathF.Max(_observedMax, max);
    }

    /// <summary>Whether calibration is under way: products then run in float.</summary>
    internal bool Calibrating => _calibrating;

    /// <summary>
    /// <c>y = x W^T + bias</c> for <paramref name="rows"/> rows of <paramref name="x"/> through the int8 product, when
    /// <paramref name="weight"/> is given and <typeparamref name="T"/> is float; false (nothing written) otherwise,
    /// and while calibrating, after recording the input's range: the caller then runs its float product.
    /// </summary>
    internal static bool TryMultiply<T>(Int8Weight? weight, ReadOnlySpan<T> x, ReadOnlySpan<T> bias, Span<T> y, int rows)
    {
        if (weight is null || typeof(T) != typeof(float))
        {
            return false;
        }

        ReadOnlySpan<float> input = FloatSpans.AsFloat(x).Slice(0, rows * weight.Columns);
        if (weight._calibrating)
        {
            weight.Observe(input);
            return false;
        }

        weight.Multiply(input, FloatSpans.AsFloat(bias), FloatSpans.AsFloat(y).Slice(0, rows * weight.Rows), rows);
        return true;
    }

    /// <summary>The int8 product of <paramref name="rows"/> rows of <paramref name="x"/> <c>[rows, Columns]</c> into <paramref name="y"/> <c>[rows, Rows]</c>, with the bias.</summary>
    internal void Multiply(ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y, int rows)
    {
        int stride = Stride;
        Scratch scratch = Scratch.Current;
        Span<byte> codes = scratch.Codes(rows * stride);
        Span<float> scale = scratch.Scales(rows);
        Span<int> zeroPoint = scratch.ZeroPoints(rows);
        Span<int> product = scratch.Products(rows * Rows);
        if (IsStatic)
        {
            Int8Quantization.QuantizeRows(x, codes, InputScale, InputZeroPoint, rows, Columns);
            scale.Fill(InputScale);
            zeroPoint.Fill(InputZeroPoint);
        }
        else
        {
            Int8Quantization.QuantizeRowsDynamic(x, codes, scale, zeroPoint, rows, Columns);
        }

        Int8Gemm.MultiplyTransposedB(codes, _codes, product, rows, Rows, Columns);
        Int8Quantization.Dequantize(product, scale, zeroPoint, _scales, _rowSums, bias, y, rows, Rows);
    }

    private static void CheckInputQuantization(string name, float inputScale, int inputZeroPoint)
    {
        if (inputScale == 0)
        {
            return;
        }

        if (!(inputScale > 0 && float.IsFinite(inputScale)))
        {
            throw new ArgumentOutOfRangeException(nameof(inputScale), inputScale, $"The input scale of {name} must be positive and finite, or 0 for a dynamic quantisation.");
        }

        if (inputZeroPoint is < 0 or > 255)
        {
            throw new ArgumentOutOfRangeException(nameof(inputZeroPoint), inputZeroPoint, $"The input zero point of {name} must be in [0, 255].");
        }
    }

    /// <summary>
    /// Per-thread scratch for the input's codes and the int32 products, grown to the largest call and then reused, so a
    /// product allocates nothing once warm. One thread-static object rather than four thread-static arrays: each
    /// thread-static read is a call into the runtime, and a prediction of one sample makes three products.
    /// </summary>
    private sealed class Scratch
    {
        [ThreadStatic]
        private static Scratch? t_current;

        private byte[] _codes = [];
        private float[] _scales = [];
        private int[] _zeroPoints = [];
        private int[] _products = [];

        public static Scratch Current => t_current ??= new Scratch();

        public Span<byte> Codes(int length) => Grow(ref _codes, length);

        public Span<float> Scales(int length) => Grow(ref _scales, length);

        public Span<int> ZeroPoints(int length) => Grow(ref _zeroPoints, length);

        public Span<int> Products(int length) => Grow(ref _products, length);

        private static Span<TElement> Grow<TElement>(ref TElement[] buffer, int length)
        {
            if (buffer.Length < length)
            {
                buffer = new TElement[length];
            }

            return buffer.AsSpan(0, length);
        }
    }
}
