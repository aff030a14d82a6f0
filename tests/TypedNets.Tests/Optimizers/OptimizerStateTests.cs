using System;
using System.Collections.Generic;
using TypedNets.Optimizers;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Optimizers;

/// <summary>
/// <see cref="Optimizer{T}.GetState"/> and <see cref="Optimizer{T}.LoadState"/>, PyTorch's <c>state_dict()</c> and
/// <c>load_state_dict()</c>: an optimizer that loads another's state mid-run takes the same next steps, bit for bit, as
/// the one that never stopped, and both follow PyTorch's trajectory; the state holds what its PyTorch name says.
/// </summary>
public sealed class OptimizerStateTests
{
    public static IEnumerable<object[]> Fixtures() => PyTorchOptimizerTests.Fixtures();

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Loading_the_state_mid_run_gives_the_same_next_steps_as_not_stopping(string name)
    {
        var fixture = ReferenceFixture.PyTorch(name);
        double[] gradients = fixture.Tensor("grads");
        double[] expected = fixture.Tensor("params");
        int n = fixture.Tensor("p0").Length;
        int steps = gradients.Length / n;

        double[] uninterrupted = fixture.Tensor("p0");
        Optimizer<double> first = PyTorchOptimizerTests.FromConfig<double>(fixture);
        double[] resumed = fixture.Tensor("p0");
        Optimizer<double> before = PyTorchOptimizerTests.FromConfig<double>(fixture);
        for (int step = 0; step < steps / 2; step++)
        {
            first.Step(uninterrupted, gradients.AsSpan(step * n, n));
            before.Step(resumed, gradients.AsSpan(step * n, n));
        }

        OptimizerState<double> state = before.GetState();
        Assert.Equal(steps / 2, state.Step);

        // A new optimizer, as a restarted process creates it, with another learning rate that the state replaces.
        Optimizer<double> after = PyTorchOptimizerTests.FromConfig<double>(fixture);
        after.LearningRate = 123;
        after.LoadState(state);
        Assert.Equal(steps / 2, after.StepCount);
        Assert.Equal(first.LearningRate, after.LearningRate);
        for (int step = steps / 2; step < steps; step++)
        {
            first.Step(uninterrupted, gradients.AsSpan(step * n, n));
            after.Step(resumed, gradients.AsSpan(step * n, n));
            Assert.Equal(uninterrupted, resumed);
            for (int i = 0; i < n; i++)
            {
                double error = PyTorchOptimizerTests.RelativeError(resumed[i], expected[(step * n) + i]);
                Assert.True(error <= 1e-12, $"{name}, step {step + 1}, element {i}: {resumed[i]:R} against PyTorch's {expected[(step * n) + i]:R}");
            }
        }
    }

    [Fact]
    public void The_state_is_a_copy_that_later_steps_do_not_change()
    {
        var adam = new Adam<double>(0.1);
        double[] parameters = [1, 2, 3];
        adam.Step(parameters, [0.5, -0.5, 1]);
        OptimizerState<double> state = adam.GetState();
        double[] firstMoment = (double[])state.Buffers["exp_avg"].Clone();
        adam.Step(parameters, [1, 1, 1]);
        Assert.Equal(firstMoment, state.Buffers["exp_avg"]);
        Assert.Equal(1, state.Step);
    }

    [Fact]
    public void The_state_names_are_pytorchs_and_hold_what_they_name()
    {
        double[] g1 = [0.5, -1.0, 2.0];
        double[] g2 = [-0.25, 3.0, 1.0];
        double[] p = [0.1, 0.2, 0.3];

        var adam = new Adam<double>(0.01, beta1: 0.8, beta2: 0.9, amsgrad: true);
        adam.Step(p, g1);
        adam.Step(p, g2);
        OptimizerState<double> state = adam.GetState();
        Assert.Equal(["exp_avg", "exp_avg_sq", "max_exp_avg_sq"], adam.StateNames);
        Assert.Equal(["exp_avg", "exp_avg_sq", "max_exp_avg_sq"], state.Buffers.Keys);
        for (int i = 0; i < 3; i++)
        {
            double m = (0.8 * (0.2 * g1[i])) + (0.2 * g2[i]);
            double v1 = 0.1 * g1[i] * g1[i];
            double v = (0.9 * v1) + (0.1 * g2[i] * g2[i]);
            Assert.Equal(m, state.Buffers["exp_avg"][i], 14);
            Assert.Equal(v, state.Buffers["exp_avg_sq"][i], 14);
            Assert.Equal(Math.Max(v1, v), state.Buffers["max_exp_avg_sq"][i], 14);
        }

        Assert.Equal("Adam", state.Optimizer);
        Assert.Equal("0.8", state.HyperParameters["beta1"]);
        Assert.Equal("True", state.HyperParameters["amsgrad"]);
        Assert.Equal(["exp_avg", "exp_avg_sq"], new AdamW<double>().StateNames);

        var sgd = new Sgd<double>(0.1, momentum: 0.9, dampening: 0.5);
        sgd.Step(p, g1);
        sgd.Step(p, g2);
        Assert.Equal(["momentum_buffer"], sgd.StateNames);
        double[] buffer = sgd.GetState().Buffers["momentum_buffer"];
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal((0.9 * g1[i]) + (0.5 * g2[i]), buffer[i], 14);
        }

        Assert.Empty(new Sgd<double>(0.1).StateNames);

        var rmsprop = new RmsProp<double>(0.01, alpha: 0.9, momentum: 0.5, centered: true);
        rmsprop.Step(p, g1);
        OptimizerState<double> rmsState = rmsprop.GetState();
        Assert.Equal(["square_avg", "grad_avg", "momentum_buffer"], rmsprop.StateNames);
        Assert.Equal(0.1 * g1[1] * g1[1], rmsState.Buffers["square_avg"][1], 14);
        Assert.Equal(0.1 * g1[1], rmsState.Buffers["grad_avg"][1], 14);
        Assert.Equal(["square_avg"], new RmsProp<double>().StateNames);
    }

    [Fact]
    public void A_fresh_optimizer_has_an_empty_state_that_loads_as_a_reset()
    {
        var adam = new Adam<double>(0.01);
        OptimizerState<double> empty = adam.GetState();
        Assert.Equal(0, empty.Step);
        Assert.Empty(empty.Buffers);

        var used = new Adam<double>(0.01);
        double[] p = [1, 2];
        used.Step(p, [1, 1]);
        used.LoadState(empty);
        Assert.Equal(0, used.StepCount);

        // After the load the optimizer starts over, as a new one would: the first step is again lr * sign(g).
        double[] q = [0, 0, 0];
        used.Step(q, [2, -3, 4]);
        Assert.Equal([-0.01, 0.01, -0.01], q, (a, b) => Math.Abs(a - b) < 1e-9);
    }

    [Fact]
    public void Lazy_rows_are_restored_with_the_state()
    {
        var adam = new Adam<double>(0.01);
        adam.UpdateRowsLazily(2, 3, 4);
        double[] p = new double[20];
        adam.Step(p, new double[20]);
        var resumed = new Adam<double>(0.01);
        resumed.LoadState(adam.GetState());
        Assert.Equal((2, 3, 4), resumed.LazyRows);
    }

    [Fact]
    public void Another_optimizer_type_is_refused_and_changes_nothing()
    {
        var adam = new Adam<double>(0.01);
        adam.Step(new double[] { 1, 2 }, [1, 1]);
        var adamW = new AdamW<double>(0.01, weightDecay: 0);
        var error = Assert.Throws<ArgumentException>(() => adamW.LoadState(adam.GetState()));
        Assert.Equal("state", error.ParamName);
        Assert.Contains("Adam", error.Message);
        Assert.Contains("AdamW", error.Message);
        Assert.Equal(0, adamW.StepCount);
    }

    [Fact]
    public void A_different_hyper_parameter_is_refused_by_name_and_changes_nothing()
    {
        var saved = new Adam<double>(0.01, beta1: 0.8);
        double[] p = [1, 2];
        saved.Step(p, [1, 1]);

        var other = new Adam<double>(0.05, beta1: 0.9);
        double[] q = [1, 2];
        other.Step(q, [0.5, 0.5]);
        OptimizerState<double> before = other.GetState();
        var error = Assert.Throws<ArgumentException>(() => other.LoadState(saved.GetState()));
        Assert.Equal("state", error.ParamName);
        Assert.Contains("beta1", error.Message);
        Assert.Contains("0.8", error.Message);
        Assert.Contains("0.9", error.Message);

        OptimizerState<double> after = other.GetState();
        Assert.Equal(before.Step, after.Step);
        Assert.Equal(0.05, other.LearningRate);
        Assert.Equal(before.Buffers["exp_avg"], after.Buffers["exp_avg"]);
    }

    [Fact]
    public void A_state_for_another_parameter_count_or_with_a_buffer_of_the_wrong_length_is_refused()
    {
        var adam = new Adam<double>(0.01);
        adam.Step(new double[3], [1, 2, 3]);
        OptimizerState<double> state = adam.GetState();

        var used = new Adam<double>(0.01);
        used.Step(new double[2], [1, 2]);
        var error = Assert.Throws<ArgumentException>(() => used.LoadState(state));
        Assert.Equal("state", error.ParamName);
        Assert.Contains("3", error.Message);
        Assert.Equal(1, used.StepCount);

        var broken = new OptimizerState<double>(
            "Adam",
            state.HyperParameters,
            state.Settings,
            state.LearningRate,
            state.Step,
            state.ParameterCount,
            new Dictionary<string, double[]> { ["exp_avg"] = new double[3], ["exp_avg_sq"] = new double[2] });
        error = Assert.Throws<ArgumentException>(() => new Adam<double>(0.01).LoadState(broken));
        Assert.Contains("exp_avg_sq", error.Message);

        var missing = new OptimizerState<double>(
            "Adam", state.HyperParameters, state.Settings, state.LearningRate, state.Step, state.ParameterCount, new Dictionary<string, double[]> { ["exp_avg"] = new double[3] });
        error = Assert.Throws<ArgumentException>(() => new Adam<double>(0.01).LoadState(missing));
        Assert.Contains("exp_avg_sq", error.Message);
    }
}
