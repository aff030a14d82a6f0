using System;
using System.Collections.Generic;
using System.Text.Json;
using TypedNets.Optimizers;
using TypedNets.Tests.Reference;
using Xunit.Abstractions;

namespace TypedNets.Tests.Optimizers;

/// <summary>Ten steps of every optimizer fixture, in double, against PyTorch's float64 trajectory.</summary>
public sealed class PyTorchOptimizerTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-6;
    private const double TightTolerance = 1e-12;

    public static IEnumerable<object[]> Fixtures()
    {
        yield return ["sgd"];
        yield return ["sgd_momentum"];
        yield return ["sgd_nesterov"];
        yield return ["sgd_momentum_dampening"];
        yield return ["sgd_weight_decay"];
        yield return ["adam"];
        yield return ["adam_betas_eps_weight_decay"];
        yield return ["adam_amsgrad"];
        yield return ["adamw"];
        yield return ["rmsprop"];
        yield return ["rmsprop_centered_momentum"];
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Ten_steps_in_double_follow_pytorch(string name)
    {
        var fixture = ReferenceFixture.PyTorch(name);
        double worst = RunAndCompare(fixture, FromConfig<double>(fixture), Tolerance, out string where);
        output.WriteLine($"{name}: worst relative error {worst:E2} at {where}");

        // Both sides compute the same float64 operations in the same order, so they agree to a few ulps. Formula slips
        // that stay under 1e-6 over ten steps (adding epsilon before Adam's bias correction, as Keras does, moves these
        // fixtures' parameters by 3e-9 to 7e-7) still show at this bound.
        Assert.True(worst <= TightTolerance, $"{name}: worst relative error {worst:E2} at {where} is within 1e-6 but not within {TightTolerance:E0}.");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Ten_steps_in_float_follow_pytorch_to_float_precision(string name)
    {
        var fixture = ReferenceFixture.PyTorch(name);
        Optimizer<float> optimizer = FromConfig<float>(fixture);
        float[] parameters = fixture.TensorAsFloat("p0");
        float[] gradients = fixture.TensorAsFloat("grads");
        double[] expected = fixture.Tensor("params");
        int n = parameters.Length;
        for (int step = 0; step < gradients.Length / n; step++)
        {
            optimizer.Step(parameters, gradients.AsSpan(step * n, n));
            for (int i = 0; i < n; i++)
            {
                double error = RelativeError(parameters[i], expected[(step * n) + i]);
                Assert.True(error <= 1e-5, $"{name}, float, step {step + 1}, element {i}: {parameters[i]:R} against PyTorch's {expected[(step * n) + i]:R} (error {error:E2})");
            }
        }
    }

    [Theory]
    [InlineData("sgd_momentum_dampening")]
    [InlineData("adam_amsgrad")]
    [InlineData("rmsprop_centered_momentum")]
    public void Reset_makes_the_next_run_repeat_the_first(string name)
    {
        // The first SGD momentum step skips dampening and AMSGrad keeps a running maximum: both must restart.
        var fixture = ReferenceFixture.PyTorch(name);
        Optimizer<double> optimizer = FromConfig<double>(fixture);
        RunAndCompare(fixture, optimizer, Tolerance, out _);
        Assert.Equal(10, optimizer.StepCount);

        optimizer.Reset();
        Assert.Equal(0, optimizer.StepCount);
        RunAndCompare(fixture, optimizer, Tolerance, out _);
    }

    [Fact]
    public void The_float_classes_are_the_generic_ones_over_float()
    {
        var fixture = ReferenceFixture.PyTorch("adam");
        float[] viaAlias = fixture.TensorAsFloat("p0");
        float[] viaGeneric = fixture.TensorAsFloat("p0");
        float[] gradients = fixture.TensorAsFloat("grads");
        var alias = new Adam(0.01);
        var generic = new Adam<float>(0.01);
        for (int step = 0; step < 10; step++)
        {
            alias.Step(viaAlias, gradients.AsSpan(step * 7, 7));
            generic.Step(viaGeneric, gradients.AsSpan(step * 7, 7));
        }

        Assert.Equal(viaGeneric, viaAlias);
        Assert.Equal(0.01, new AdamW().WeightDecay);
        Assert.Equal(0.01, new RmsProp().LearningRate);
        Assert.Equal(0.9, new Sgd(0.1, momentum: 0.9).Momentum);
    }

    [Fact]
    public void A_changed_learning_rate_applies_from_the_next_step()
    {
        double[] parameters = [1.0, -2.0];
        var sgd = new Sgd<double>(0.1);
        sgd.Step(parameters, [1.0, 1.0]);
        sgd.LearningRate = 0.5;
        sgd.Step(parameters, [1.0, 1.0]);
        Assert.Equal([1.0 - 0.1 - 0.5, -2.0 - 0.1 - 0.5], parameters);
    }

    [Fact]
    public void Buffers_over_one_chunk_update_every_element()
    {
        // 2,500 elements span three chunks of the optimizers' internal passes; each element must take the same step
        // as a lone element with the same history.
        const int Length = 2500;
        var random = new Xoshiro256(3);
        double[] start = new double[Length];
        double[] gradients = new double[Length * 3];
        for (int i = 0; i < start.Length; i++)
        {
            start[i] = random.NextDouble(-1, 1);
        }

        for (int i = 0; i < gradients.Length; i++)
        {
            gradients[i] = random.NextDouble(-1, 1);
        }

        Func<Optimizer<double>>[] factories =
        [
            () => new Sgd<double>(0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01),
            () => new Adam<double>(0.01, weightDecay: 0.1, amsgrad: true),
            () => new AdamW<double>(0.01, weightDecay: 0.1, amsgrad: true),
            () => new RmsProp<double>(0.01, weightDecay: 0.01, momentum: 0.5, centered: true),
        ];
        foreach (Func<Optimizer<double>> factory in factories)
        {
            double[] whole = (double[])start.Clone();
            Optimizer<double> optimizer = factory();
            for (int step = 0; step < 3; step++)
            {
                optimizer.Step(whole, gradients.AsSpan(step * Length, Length));
            }

            foreach (int i in new[] { 0, 1023, 1024, 2047, 2048, 2499 })
            {
                double[] single = [start[i]];
                Optimizer<double> alone = factory();
                for (int step = 0; step < 3; step++)
                {
                    alone.Step(single, [gradients[(step * Length) + i]]);
                }

                Assert.True(single[0] == whole[i], $"{optimizer.GetType().Name}: element {i} is {whole[i]:R} in the buffer but {single[0]:R} alone");
            }
        }
    }

    /// <summary>Builds the optimizer a fixture's <c>config</c> describes, with every hyper-parameter passed explicitly.</summary>
    internal static Optimizer<T> FromConfig<T>(ReferenceFixture fixture)
        where T : System.Numerics.IFloatingPointIeee754<T>
    {
        double lr = fixture.ConfigNumber("lr");
        double weightDecay = fixture.ConfigNumber("weight_decay");
        switch (fixture.Config("optimizer").GetString())
        {
            case "SGD":
                return new Sgd<T>(lr, fixture.ConfigNumber("momentum"), fixture.ConfigNumber("dampening"), fixture.ConfigFlag("nesterov"), weightDecay);
            case "Adam":
            case "AdamW":
                double[] betas = Betas(fixture.Config("betas"));
                double eps = fixture.ConfigNumber("eps");
                bool amsgrad = fixture.ConfigFlag("amsgrad");
                return fixture.Config("optimizer").GetString() == "Adam"
                    ? new Adam<T>(lr, betas[0], betas[1], eps, weightDecay, amsgrad)
                    : new AdamW<T>(lr, betas[0], betas[1], eps, weightDecay, amsgrad);
            case "RMSprop":
                return new RmsProp<T>(lr, fixture.ConfigNumber("alpha"), fixture.ConfigNumber("eps"), weightDecay, fixture.ConfigNumber("momentum"), fixture.ConfigFlag("centered"));
            default:
                throw new InvalidOperationException($"Fixture '{fixture.Name}' names an unknown optimizer.");
        }
    }

    private static double[] Betas(JsonElement betas) => [betas[0].GetDouble(), betas[1].GetDouble()];

    /// <summary>Runs the fixture's steps from <c>p0</c>, asserting every parameter after every step; returns the worst error.</summary>
    private static double RunAndCompare(ReferenceFixture fixture, Optimizer<double> optimizer, double tolerance, out string where)
    {
        double[] parameters = fixture.Tensor("p0");
        double[] gradients = fixture.Tensor("grads");
        double[] expected = fixture.Tensor("params");
        int n = parameters.Length;
        int steps = (int)fixture.ConfigNumber("steps");
        Assert.Equal(steps * n, expected.Length);

        double worst = 0;
        where = "every element (bit-exact)";
        for (int step = 0; step < steps; step++)
        {
            optimizer.Step(parameters, gradients.AsSpan(step * n, n));
            for (int i = 0; i < n; i++)
            {
                double reference = expected[(step * n) + i];
                double error = RelativeError(parameters[i], reference);
                Assert.True(
                    error <= tolerance,
                    $"{fixture.Name}, step {step + 1}, element {i}: {parameters[i]:R} against PyTorch's {reference:R} (error {error:E2})");
                if (error > worst)
                {
                    worst = error;
                    where = $"step {step + 1}, element {i}";
                }
            }
        }

        return worst;
    }

    /// <summary><c>|a - b| / max(1, |b|)</c>: relative for large values, absolute below 1.</summary>
    internal static double RelativeError(double actual, double expected) => Math.Abs(actual - expected) / Math.Max(1, Math.Abs(expected));
}
