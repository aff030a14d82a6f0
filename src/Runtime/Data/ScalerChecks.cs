using System;
using System.Globalization;

namespace TypedNets.Data;

/// <summary>The argument checks the scalers share, so that both word their errors alike.</summary>
internal static class ScalerChecks
{
    /// <summary>numpy's <c>finfo(float64).eps</c>, 2^-52 (not <see cref="double.Epsilon"/>, the smallest subnormal).</summary>
    internal const double MachineEpsilon = 2.220446049250313e-16;

    /// <summary>Checks the training features and returns their row count.</summary>
    internal static int Rows(string scaler, ReadOnlySpan<float> features, int width)
    {
        if (width <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, $"{scaler}.Fit needs a positive row width (features per row).");
        }

        if (features.Length == 0 || features.Length % width != 0)
        {
            throw new ArgumentException(
                $"{scaler}.Fit takes whole rows of {width} features, but was given {features.Length} floats; pass rows * {width} values, at least one row.",
                nameof(features));
        }

        int rows = features.Length / width;
        for (int i = 0; i < features.Length; i++)
        {
            if (!float.IsFinite(features[i]))
            {
                throw new ArgumentException(
                    $"{scaler}.Fit found {features[i].ToString(CultureInfo.InvariantCulture)} in row {i / width}, column {i % width}; " +
                    "scaling needs finite values, so fill or drop missing values first.",
                    nameof(features));
            }
        }

        return rows;
    }

    /// <summary>Checks that the scaler was fitted and that <paramref name="length"/> floats are whole rows of its width.</summary>
    internal static void Transform(string scaler, string method, int fittedWidth, int length)
    {
        Fitted(scaler, method, fittedWidth);
        if (length % fittedWidth != 0)
        {
            throw new ArgumentException(
                $"{scaler} was fitted on rows of {fittedWidth} features, but {method} was given {length} floats, not a whole number of such rows.",
                "features");
        }
    }

    /// <summary>Checks that the scaler was fitted and that the dataset has its width.</summary>
    internal static void Transform(string scaler, int fittedWidth, Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        Fitted(scaler, "Transform", fittedWidth);
        if (dataset.FeatureWidth != fittedWidth)
        {
            throw new ArgumentException(
                $"{scaler} was fitted on rows of {fittedWidth} features, but the dataset has {dataset.FeatureWidth}; transform data with the columns it was fitted on.",
                nameof(dataset));
        }
    }

    /// <summary>Throws unless the scaler has been fitted.</summary>
    internal static void Fitted(string scaler, string member, int fittedWidth)
    {
        if (fittedWidth == 0)
        {
            throw new InvalidOperationException($"{scaler}.{member} needs a fitted scaler; call Fit on the training features first.");
        }
    }

    /// <summary>Applies <paramref name="transform"/> to a copy of the dataset's features; targets are copied unchanged.</summary>
    internal static Dataset TransformCopy(Dataset dataset, SpanAction transform)
    {
        float[] features = dataset.Features.ToArray();
        transform(features);
        return new Dataset(features, dataset.FeatureWidth, dataset.Targets.ToArray(), dataset.TargetWidth, dataset.AllowsNonFinite);
    }

    internal delegate void SpanAction(Span<float> features);
}
