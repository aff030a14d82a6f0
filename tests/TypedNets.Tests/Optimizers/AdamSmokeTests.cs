using System;
using TypedNets.Optimizers;

namespace TypedNets.Tests.Optimizers;

public sealed class AdamSmokeTests
{
    [Fact]
    public void Float_adam_minimises_an_ill_conditioned_quadratic()
    {
        // f(x) = sum(a_i (x_i - c_i)^2), curvatures 100x apart; gradient 2 a (x - c).
        float[] a = [0.1f, 0.5f, 1f, 2f, 5f, 10f];
        float[] c = [1f, -2f, 0.5f, 3f, -1f, 0.25f];
        float[] x = new float[a.Length];
        float[] gradient = new float[a.Length];
        var adam = new Adam(0.05);

        float initial = Loss(a, c, x);
        for (int step = 0; step < 2000; step++)
        {
            for (int i = 0; i < x.Length; i++)
            {
                gradient[i] = 2 * a[i] * (x[i] - c[i]);
            }

            adam.Step(x, gradient);
        }

        float final = Loss(a, c, x);
        Assert.True(final < 1e-6f * initial, $"Adam left the loss at {final} from {initial}.");
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(MathF.Abs(x[i] - c[i]) < 1e-3f, $"x[{i}] = {x[i]}, the minimum is at {c[i]}.");
        }
    }

    private static float Loss(float[] a, float[] c, float[] x)
    {
        float loss = 0;
        for (int i = 0; i < x.Length; i++)
        {
            loss += a[i] * (x[i] - c[i]) * (x[i] - c[i]);
        }

        return loss;
    }
}
