using System;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace TypedNets.Data;

/// <summary>
/// Maps each feature column linearly so that its training minimum and maximum land on <see cref="Low"/> and
/// <see cref="High"/> (default [0, 1]; [-1, 1] suits tanh units), as scikit-learn's <c>MinMaxScaler</c> does.
/// </summary>
/// <remarks>
/// <para>
/// In double precision, as scikit-learn: <c>range = max - min</c> (replaced by 1 when below 10·ε, ε = 2^-52, so a
/// constant column maps to <see cref="Low"/>), <c>scale = (High - Low) / range</c>, <c>offset = Low - min·scale</c>,
/// and <c>y = x·scale + offset</c>. Values outside the training range map outside [Low, High]; nothing is clipped.
/// </para>
/// <para>Fit on the training split only, then transform every split with the same scaler.</para>
/// </remarks>
public sealed class MinMaxScaler
{
    private double[] _dataMin = [];
    private double[] _dataMax = [];
    private double[] _scale = [];
    private double[] _offset = [];

    /// <summary>Creates a scaler onto [<paramref name="low"/>, <paramref name="high"/>].</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="low"/> is not below <paramref name="high"/>, or either is not finite.</exception>
    public MinMaxScaler(double low = 0, double high = 1)
    {
        if (!(double.IsFinite(low) && double.IsFinite(high) && low < high))
        {
            throw new ArgumentOutOfRangeException(
                nameof(low),
                low,
                $"The target range [{low.ToString(CultureInfo.InvariantCulture)}, {high.ToString(CultureInfo.InvariantCulture)}] needs finite bounds with low < high, such as [0, 1] or [-1, 1].");
        }

        Low = low;
        High = high;
    }

    /// <summary>Where each column's training minimum lands.</summary>
    public double Low { get; }

    /// <summary>Where each column's training maximum lands.</summary>
    public double High { get; }

    /// <summary>The number of features per row the scaler was fitted on, or 0 before <see cref="Fit(ReadOnlySpan{float}, int)"/>.</summary>
    public int Width => _dataMin.Length;

    /// <summary>Whether <see cref="Fit(ReadOnlySpan{float}, int)"/> has run.</summary>
    public bool IsFitted => Width > 0;

    /// <summary>The training minimum of each column (scikit-learn's <c>data_min_</c>).</summary>
    /// <exception cref="InvalidOperationException">The scaler has not been fitted.</exception>
    public ReadOnlySpan<double> DataMin => Fitted(_dataMin);

    /// <summary>The training maximum of each column (scikit-learn's <c>data_max_</c>).</summary>
    /// <exception cref="InvalidOperationException">The scaler has not been fitted.</exception>
    public ReadOnlySpan<double> DataMax => Fitted(_dataMax);

    /// <summary>The factor of each column, <c>(High - Low) / range</c> (scikit-learn's <c>scale_</c>).</summary>
    /// <exception cref="InvalidOperationException">The scaler has not been fitted.</exception>
    public ReadOnlySpan<double> Scale => Fitted(_scale);

    /// <summary>The offset of each column, <c>Low - min · scale</c> (scikit-learn's <c>min_</c>).</summary>
    /// <exception cref="InvalidOperationException">The scaler has not been fitted.</exception>
    public ReadOnlySpan<double> Offset => Fitted(_offset);

    /// <summary>Learns each column's minimum and maximum from <paramref name="features"/>, rows of <paramref name="width"/>; refitting replaces them.</summary>
    /// <returns>This scaler, to chain <c>Transform</c>.</returns>
    /// <exception cref="ArgumentException">The floats are not whole rows, there are none, or one is NaN or infinite.</exception>
    public MinMaxScaler Fit(ReadOnlySpan<float> features, int width)
    {
        int rows = ScalerChecks.Rows(nameof(MinMaxScaler), features, width);
        double[] dataMin = new double[width];
        double[] dataMax = new double[width];
        double[] scale = new double[width];
        double[] offset = new double[width];
        for (int column = 0; column < width; column++)
        {
            float min = features[column];
            float max = min;
            for (int row = 1; row < rows; row++)
            {
                float value = features[(row * width) + column];
                min = Math.Min(min, value);
                max = Math.Max(max, value);
            }

            double range = (double)max - min;
            if (range < 10 * ScalerChecks.MachineEpsilon)
            {
                range = 1;
            }

            dataMin[column] = min;
            dataMax[column] = max;
            scale[column] = (High - Low) / range;
            offset[column] = Low - (min * scale[column]);
        }

        _dataMin = dataMin;
        _dataMax = dataMax;
        _scale = scale;
        _offset = offset;
        return this;
    }

    /// <summary>Learns the ranges from the dataset's features.</summary>
    public MinMaxScaler Fit(Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return Fit(dataset.Features, dataset.FeatureWidth);
    }

    /// <summary>Rescales <paramref name="features"/> (whole rows of <see cref="Width"/>) in place: <c>x · scale + offset</c>.</summary>
    /// <exception cref="InvalidOperationException">The scaler has not been fitted.</exception>
    /// <exception cref="ArgumentException">The span is not whole rows of the fitted width.</exception>
    public void Transform(Span<float> features)
    {
        ScalerChecks.Transform(nameof(MinMaxScaler), nameof(Transform), Width, features.Length);
        for (int i = 0; i < features.Length; i++)
        {
            int column = i % _scale.Length;
            features[i] = (float)((features[i] * _scale[column]) + _offset[column]);
        }
    }

    /// <summary>A copy of the dataset with rescaled features (targets copied unchanged).</summary>
    /// <exception cref="InvalidOperationException">The scaler has not been fitted.</exception>
    /// <exception cref="ArgumentException">The dataset's feature width differs from the fitted width.</exception>
    public Dataset Transform(Dataset dataset)
    {
        ScalerChecks.Transform(nameof(MinMaxScaler), Width, dataset);
        return ScalerChecks.TransformCopy(dataset, Transform);
    }

    /// <summary>Undoes <see cref="Transform(Span{float})"/> in place: <c>x = (y - offset) / scale</c>.</summary>
    /// <exception cref="InvalidOperationException">The scaler has not been fitted.</exception>
    /// <exception cref="ArgumentException">The span is not whole rows of the fitted width.</exception>
    public void InverseTransform(Span<float> features)
    {
        ScalerChecks.Transform(nameof(MinMaxScaler), nameof(InverseTransform), Width, features.Length);
        for (int i = 0; i < features.Length; i++)
        {
            int column = i % _scale.Length;
            features[i] = (float)((features[i] - _offset[column]) / _scale[column]);
        }
    }

    private ReadOnlySpan<double> Fitted(double[] values, [CallerMemberName] string member = "")
    {
        ScalerChecks.Fitted(nameof(MinMaxScaler), member, Width);
        return values;
    }
}
