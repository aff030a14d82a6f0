using System;
using System.Collections.Generic;
using System.Globalization;

namespace TypedNets.Metrics;

/// <summary>
/// Mean squared error, mean absolute error and the coefficient of determination R², as scikit-learn's
/// <c>mean_squared_error</c>, <c>mean_absolute_error</c> and <c>r2_score</c> compute them (multi-output scores are
/// the uniform average over outputs).
/// </summary>
/// <remarks>
/// <para>
/// Per output, <c>R² = 1 - Σ(y - ŷ)² / Σ(y - ȳ)²</c>. When the true values of an output are constant, the ratio is
/// undefined and, as in scikit-learn's default <c>force_finite=True</c>, R² is 1 for perfect predictions and 0
/// otherwise. With fewer than two samples R² is NaN, as in scikit-learn. All sums run in double precision.
/// </para>
/// </remarks>
public sealed class RegressionMetrics
{
    private readonly double[] _r2PerOutput;

    private RegressionMetrics(int samples, int outputs, double mse, double mae, double[] r2PerOutput)
    {
        Samples = samples;
        Outputs = outputs;
        MeanSquaredError = mse;
        MeanAbsoluteError = mae;
        _r2PerOutput = r2PerOutput;
        double sum = 0;
        foreach (double r2 in r2PerOutput)
        {
            sum += r2;
        }

        R2 = sum / outputs;
    }

    /// <summary>The number of samples (rows).</summary>
    public int Samples { get; }

    /// <summary>The number of values per sample.</summary>
    public int Outputs { get; }

    /// <summary>The mean of <c>(y - ŷ)²</c> over every value.</summary>
    public double MeanSquaredError { get; }

    /// <summary>The mean of <c>|y - ŷ|</c> over every value.</summary>
    public double MeanAbsoluteError { get; }

    /// <summary>The coefficient of determination, averaged over outputs (1 is perfect; 0 is no better than predicting the mean).</summary>
    public double R2 { get; }

    /// <summary>R² of each output (scikit-learn's <c>multioutput="raw_values"</c>).</summary>
    public IReadOnlyList<double> R2PerOutput => _r2PerOutput;

    /// <summary>Scores <paramref name="predicted"/> against <paramref name="trueValues"/>, both rows of <paramref name="outputs"/> values.</summary>
    /// <exception cref="ArgumentException">The spans differ in length, are empty or not whole rows, or hold NaN or infinity.</exception>
    public static RegressionMetrics Compute(ReadOnlySpan<float> trueValues, ReadOnlySpan<float> predicted, int outputs = 1)
    {
        if (outputs <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(outputs), outputs, "The number of outputs per sample must be positive.");
        }

        if (trueValues.Length != predicted.Length)
        {
            throw new ArgumentException($"There are {trueValues.Length} true values but {predicted.Length} predictions; pass one prediction per value.", nameof(predicted));
        }

        if (trueValues.Length == 0 || trueValues.Length % outputs != 0)
        {
            throw new ArgumentException(
                $"Scoring takes at least one whole row of {outputs} values, but there are {trueValues.Length}.",
                nameof(trueValues));
        }

        CheckFinite(trueValues, outputs, nameof(trueValues));
        CheckFinite(predicted, outputs, nameof(predicted));
        int samples = trueValues.Length / outputs;
        double squared = 0;
        double absolute = 0;
        for (int i = 0; i < trueValues.Length; i++)
        {
            double error = (double)trueValues[i] - predicted[i];
            squared += error * error;
            absolute += Math.Abs(error);
        }

        double[] r2 = new double[outputs];
        for (int output = 0; output < outputs; output++)
        {
            if (samples < 2)
            {
                r2[output] = double.NaN;
                continue;
            }

            double mean = 0;
            for (int row = 0; row < samples; row++)
            {
                mean += trueValues[(row * outputs) + output];
            }

            mean /= samples;
            double residual = 0;
            double total = 0;
            for (int row = 0; row < samples; row++)
            {
                double y = trueValues[(row * outputs) + output];
                double error = y - predicted[(row * outputs) + output];
                residual += error * error;
                total += (y - mean) * (y - mean);
            }

            r2[output] = total != 0 ? 1 - (residual / total) : residual == 0 ? 1 : 0;
        }

        return new RegressionMetrics(samples, outputs, squared / trueValues.Length, absolute / trueValues.Length, r2);
    }

    /// <summary>The three scores on one line, e.g. <c>MSE 0.0123, MAE 0.0871, R² 0.9512 (50 samples)</c>.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"MSE {MeanSquaredError:G4}, MAE {MeanAbsoluteError:G4}, R² {R2:G4} ({Samples} samples{(Outputs > 1 ? $" of {Outputs} outputs" : "")})");

    private static void CheckFinite(ReadOnlySpan<float> values, int outputs, string parameter)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new ArgumentException(
                    $"Row {i / outputs}, output {i % outputs} is {values[i].ToString(CultureInfo.InvariantCulture)}; the scores need finite values (a NaN prediction usually means training diverged).",
                    parameter);
            }
        }
    }
}
