using System;
using System.Runtime.CompilerServices;

namespace TypedNets.Data;

/// <summary>
/// Standardizes each feature column to zero mean and unit variance: <c>z = (x - mean) / scale</c>, with the mean and
/// the population standard deviation (divided by n, not n - 1) learnt from the training rows only, as
/// scikit-learn's <c>StandardScaler</c> does.
/// </summary>
/// <remarks>
/// <para>
/// Statistics are computed in double precision with scikit-learn's corrected two-pass formula: <c>mean = Σx / n</c>,
/// <c>d = x - mean</c>, <c>variance = (Σd² - (Σd)² / n) / n</c>, <c>scale = √variance</c>. A column that is constant
/// up to rounding (<c>variance ≤ n·ε·variance + (n·mean·ε)²</c>, ε = 2^-52, scikit-learn's test) gets scale 1, so it
/// becomes <c>x - mean</c> (zeros on the training rows) instead of dividing by nearly zero.
/// </para>
/// <para>
/// Fit on the training split, then transform the training, validation and test splits with the same scaler: fitting on
/// all the data would leak the test set's statistics into training.
/// </para>
/// </remarks>
public sealed class StandardScaler
{
    private double[] _mean = [];
    private double[] _variance = [];
    private double[] _scale = [];

    /// <summary>The number of features per row the scaler was fitted on, or 0 before <see cref="Fit(ReadOnlySpan{float}, int)"/>.</summary>
    public int Width => _mean.Length;

    /// <summary>Whether <see cref="Fit(ReadOnlySpan{float}, int)"/> has run.</summary>
    public bool IsFitted => Width > 0;

    /// <summary>The number of training rows the statistics come from.</summary>
    public int SamplesSeen { get; private set; }

    /// <summary>The training mean of each column (scikit-learn's <c>mean_</c>).</summary>
    /// <exception cref="InvalidOperationException">The scaler has not been fitted.</exception>
    public ReadOnlySpan<double> Mean => Fitted(_mean);

    /// <summary>The population variance of each column (scikit-learn's <c>var_</c>).</summary>
    /// <exception cref="InvalidOperationException">The scaler has not been fitted.</exception>
    public ReadOnlySpan<double> Variance => Fitted(_variance);

    /// <summary>The divisor of each column: the standard deviation, or 1 for a constant column (scikit-learn's <c>scale_</c>).</summary>
    /// <exception cref="InvalidOperationException">The scaler has not been fitted.</exception>
    public ReadOnlySpan<double> Scale => Fitted(_scale);

    /// <summary>Learns each column's mean and scale from <paramref name="features"/>, rows of <paramref name="width"/>; refitting replaces them.</summary>
    /// <returns>This scaler, to chain <c>Transform</c>.</returns>
    /// <exception cref="ArgumentException">The floats are not whole rows, there are none, or one is NaN or infinite.</exception>
    public StandardScaler Fit(ReadOnlySpan<float> features, int width)
    {
        int rows = ScalerChecks.Rows(nameof(StandardScaler), features, width);
        double[] mean = new double[width];
        double[] variance = new double[width];
        double[] scale = new double[width];
        for (int column = 0; column < width; column++)
        {
            double sum = 0;
            for (int row = 0; row < rows; row++)
            {
                sum += features[(row * width) + column];
            }

            double m = sum / rows;
            double correction = 0;
            double squares = 0;
            for (int row = 0; row < rows; row++)
            {
                double d = features[(row * width) + column] - m;
                correction += d;
                squares += d * d;
            }

            double v = (squares - (correction * correction / rows)) / rows;
            double bound = (rows * ScalerChecks.MachineEpsilon * v) + Math.Pow(rows * m * ScalerChecks.MachineEpsilon, 2);
            mean[column] = m;
            variance[column] = v;
            scale[column] = v <= bound ? 1.0 : Math.Sqrt(v);
        }

        _mean = mean;
        _variance = variance;
        _scale = scale;
        SamplesSeen = rows;
        return this;
    }

    /// <summary>Learns the statistics from the dataset's features.</summary>
    public StandardScaler Fit(Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return Fit(dataset.Features, dataset.FeatureWidth);
    }

    /// <summary>Standardizes <paramref name="features"/> (whole rows of <see cref="Width"/>) in place: <c>(x - mean) / scale</c>.</summary>
    /// <exception cref="InvalidOperationException">The scaler has not been fitted.</exception>
    /// <exception cref="ArgumentException">The span is not whole rows of the fitted width.</exception>
    public void Transform(Span<float> features)
    {
        ScalerChecks.Transform(nameof(StandardScaler), nameof(Transform), Width, features.Length);
        for (int i = 0; i < features.Length; i++)
        {
            int column = i % _mean.Length;
            features[i] = (float)((features[i] - _mean[column]) / _scale[column]);
        }
    }

    /// <summary>A copy of the dataset with standardized features (targets copied unchanged).</summary>
    /// <exception cref="InvalidOperationException">The scaler has not been fitted.</exception>
    /// <exception cref="ArgumentException">The dataset's feature width differs from the fitted width.</exception>
    public Dataset Transform(Dataset dataset)
    {
        ScalerChecks.Transform(nameof(StandardScaler), Width, dataset);
        return ScalerChecks.TransformCopy(dataset, Transform);
    }

    /// <summary>Undoes <see cref="Transform(Span{float})"/> in place: <c>x = z * scale + mean</c>.</summary>
    /// <exception cref="InvalidOperationException">The scaler has not been fitted.</exception>
    /// <exception cref="ArgumentException">The span is not whole rows of the fitted width.</exception>
    public void InverseTransform(Span<float> features)
    {
        ScalerChecks.Transform(nameof(StandardScaler), nameof(InverseTransform), Width, features.Length);
        for (int i = 0; i < features.Length; i++)
        {
            int column = i % _mean.Length;
            features[i] = (float)((features[i] * _scale[column]) + _mean[column]);
        }
    }

    private ReadOnlySpan<double> Fitted(double[] values, [CallerMemberName] string member = "")
    {
        ScalerChecks.Fitted(nameof(StandardScaler), member, Width);
        return values;
    }
}
