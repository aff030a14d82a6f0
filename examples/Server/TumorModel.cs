using System;
using System.Collections.Generic;
using System.Globalization;
using EmbeddedInference;

namespace Server;

/// <summary>
/// The Quickstart's breast-cancer classifier: ten raw "mean" measurements in, malignant or benign out. Requests carry
/// raw measurements; the server scales them with the Quickstart's MinMaxScaler, as <c>examples/EmbeddedInference</c>
/// does, and both engines see the same scaled floats.
/// </summary>
internal static class TumorModel
{
    public const string Name = "breast-cancer";

    public static readonly string[] ClassNames = ["malignant", "benign"];

    public static readonly string[] FeatureNames =
    [
        "mean radius", "mean texture", "mean perimeter", "mean area", "mean smoothness",
        "mean compactness", "mean concavity", "mean concave points", "mean symmetry", "mean fractal dimension",
    ];

    /// <summary>The body this model takes, for error messages.</summary>
    public static readonly string ExpectedBody =
        $"{{\"features\": [{BinaryClassifier.InputSize} numbers]}} for one tumour or {{\"batch\": [[{BinaryClassifier.InputSize} numbers], ...]}} " +
        $"for 1 to {Limits.MaxBatch}; the numbers are the raw measurements {string.Join(", ", FeatureNames)}";

    /// <summary>The shape of each field, for errors in the body's JSON.</summary>
    public static readonly Dictionary<string, string> Shapes = new()
    {
        ["features"] = $"an array of {BinaryClassifier.InputSize} numbers",
        ["features[]"] = "a number within float range",
        ["batch"] = $"an array of 1 to {Limits.MaxBatch} samples, each an array of {BinaryClassifier.InputSize} numbers",
        ["batch[]"] = $"an array of {BinaryClassifier.InputSize} numbers",
        ["batch[][]"] = "a number within float range",
    };

    public static Samples<float> Validate(TumorRequest request, RequestErrors errors)
    {
        const int size = BinaryClassifier.InputSize;
        if ((request.Features is null) == (request.Batch is null))
        {
            errors.Add(request.Features is null ? "features" : "batch",
                $"send exactly one of \"features\" (one tumour: {size} numbers) and \"batch\" (1 to {Limits.MaxBatch} tumours, each {size} numbers)");
            return default;
        }

        if (request.Features is { } features)
        {
            float[] row = new float[size];
            Scale("features", features, row, errors);
            return new Samples<float>(row, 1, IsBatch: false);
        }

        float[]?[] batch = request.Batch!;
        if (batch.Length is 0 or > Limits.MaxBatch)
        {
            errors.Add("batch", $"batch must hold 1 to {Limits.MaxBatch} samples, got {batch.Length}");
            return default;
        }

        float[] rows = new float[batch.Length * size];
        for (int i = 0; i < batch.Length; i++)
        {
            string field = string.Create(CultureInfo.InvariantCulture, $"batch[{i}]");
            if (batch[i] is { } sample)
            {
                Scale(field, sample, rows.AsSpan(i * size, size), errors);
            }
            else
            {
                errors.Add(field, $"{field} must hold {size} numbers, got null");
            }
        }

        return new Samples<float>(rows, batch.Length, IsBatch: true);
    }

    // Exactly as the Quickstart's MinMaxScaler.Transform: in double, x * scale + offset, then rounded to float.
    private static void Scale(string field, float[] raw, Span<float> scaled, RequestErrors errors)
    {
        if (raw.Length != BinaryClassifier.InputSize)
        {
            errors.Add(field, $"{field} must hold {BinaryClassifier.InputSize} numbers ({string.Join(", ", FeatureNames)}), got {raw.Length}");
            return;
        }

        for (int i = 0; i < raw.Length; i++)
        {
            if (!float.IsFinite(raw[i]))
            {
                string item = string.Create(CultureInfo.InvariantCulture, $"{field}[{i}]");
                errors.Add(item, $"{item} ({FeatureNames[i]}) is beyond float range (about ±3.4e38); send a finite number");
                continue;
            }

            scaled[i] = (float)((raw[i] * FeatureScaling.Scale[i]) + FeatureScaling.Offset[i]);
        }
    }
}
