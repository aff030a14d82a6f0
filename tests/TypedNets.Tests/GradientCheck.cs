using System;

namespace TypedNets.Tests;

/// <summary>
/// Central finite differences against a network's generated backward pass, in double precision, as PyTorch's
/// gradcheck does. The loss is <c>L = sum(output * R)</c> for a fixed random <c>R</c>, so <c>dL/doutput = R</c>.
/// </summary>
/// <remarks>
/// The five-point stencil <c>(-f(x+2h) + 8 f(x+h) - 8 f(x-h) + f(x-2h)) / 12h</c> has truncation error O(h^4), so
/// with h = 1e-4 its error is rounding alone, about 1e-12: small enough to hold gradients of 1e-6 to a relative
/// 1e-6, and h is small enough that no ReLU kink falls within the stencil for these seeds.
/// </remarks>
internal static class GradientCheck
{
    private const double Step = 1e-4;

    /// <summary>The largest relative error over every parameter and every input, and where it occurred.</summary>
    public sealed record Report(double WorstRelativeError, string Where, int Checked);

    /// <param name="tokens">Token ids for a network with token input (then no input gradient exists); random features otherwise.</param>
    public static Report Run(IEngine<double> engine, int batch, bool training, ulong seed, double[]? tokens = null)
    {
        var random = new Xoshiro256(seed);
        double[] input = tokens ?? Fill(batch * engine.InputSize, ref random, 1.0);
        double[] weights = Fill(batch * engine.OutputSize, ref random, 1.0);

        // Mask held fixed: every forward pass replays the same dropout stream.
        double Loss(double[] x)
        {
            engine.ReseedDropout(seed);
            ReadOnlySpan<double> output = engine.Forward(x, training);
            double loss = 0;
            for (int i = 0; i < output.Length; i++)
            {
                loss += output[i] * weights[i];
            }

            return loss;
        }

        Loss(input);
        engine.ZeroGradients();
        double[] inputGradient = new double[tokens is null ? input.Length : 0];
        engine.Backward(weights, inputGradient);
        double[] parameterGradient = (double[])engine.Gradients.Clone();

        double worst = 0;
        string where = "nothing";
        int count = 0;
        void Compare(double analytic, double numeric, string name)
        {
            count++;
            // Relative error, with the scale floored at 1e-5: the stencil's own rounding error is about 1e-12, so a
            // gradient smaller than that floor is held to an absolute 1e-11 instead of a relative 1e-6.
            double scale = Math.Max(Math.Max(Math.Abs(analytic), Math.Abs(numeric)), 1e-5);
            double error = Math.Abs(analytic - numeric) / scale;
            if (error > worst || double.IsNaN(error))
            {
                worst = double.IsNaN(error) ? double.PositiveInfinity : error;
                where = $"{name}: analytic {analytic:R}, numeric {numeric:R}";
            }
        }

        double[] parameters = engine.Parameters;
        for (int i = 0; i < parameters.Length; i++)
        {
            Compare(parameterGradient[i], Derivative(parameters, i, () => Loss(input)), $"parameter {i}");
        }

        for (int i = 0; i < inputGradient.Length; i++)
        {
            Compare(inputGradient[i], Derivative(input, i, () => Loss(input)), $"input {i}");
        }

        return new Report(worst, where, count);
    }

    private static double Derivative(double[] values, int index, Func<double> loss)
    {
        double saved = values[index];
        double At(double offset)
        {
            values[index] = saved + offset;
            return loss();
        }

        double derivative = (-At(2 * Step) + (8 * At(Step)) - (8 * At(-Step)) + At(-2 * Step)) / (12 * Step);
        values[index] = saved;
        return derivative;
    }

    public static double[] Fill(int length, ref Xoshiro256 random, double scale)
    {
        double[] values = new double[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = random.NextDouble(-scale, scale);
        }

        return values;
    }
}
