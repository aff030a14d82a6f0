using System;
using TypedNets.Optimizers;
using TypedNets.Tests.Reference;
using Xunit.Abstractions;

namespace TypedNets.Tests.Optimizers;

public sealed class LearningRateScheduleTests(ITestOutputHelper output)
{
    /// <summary>
    /// PyTorch's row k is <c>get_last_lr()</c> after k + 1 scheduler steps, the rate of epoch k + 1. Its schedulers update
    /// the rate recursively (cosine and exponential by a factor of the previous rate), so 1e-12 relative, not bits.
    /// </summary>
    private static double CompareWithPyTorch(string name, ILearningRateSchedule schedule, string tensor = "lr", double tolerance = 1e-12)
    {
        var fixture = ReferenceFixture.PyTorch(name);
        double baseRate = fixture.ConfigNumber("base_lr");
        double[] expected = fixture.Tensor(tensor);
        Assert.Equal(baseRate, schedule.LearningRate(0, baseRate));

        double worst = 0;
        for (int k = 0; k < expected.Length; k++)
        {
            double actual = schedule.LearningRate(k + 1, baseRate);
            double error = Math.Abs(actual - expected[k]) / expected[k];
            worst = Math.Max(worst, error);
            Assert.True(error <= tolerance, $"{name}: epoch {k + 1} rate {actual:R} against PyTorch's {expected[k]:R} (relative error {error:E2})");
        }

        return worst;
    }

    [Fact]
    public void Step_decay_matches_steplr()
    {
        var fixture = ReferenceFixture.PyTorch("lr_step");
        var schedule = new StepDecay((int)fixture.ConfigNumber("step_size"), fixture.ConfigNumber("gamma"));
        output.WriteLine($"lr_step: worst relative error {CompareWithPyTorch("lr_step", schedule):E2}");
        Assert.Equal(0.1, schedule.LearningRate(2, 0.1));
        Assert.Equal(0.05, schedule.LearningRate(3, 0.1));
    }

    [Fact]
    public void Exponential_decay_matches_exponentiallr()
    {
        var fixture = ReferenceFixture.PyTorch("lr_exponential");
        var schedule = new ExponentialDecay(fixture.ConfigNumber("gamma"));
        output.WriteLine($"lr_exponential: worst relative error {CompareWithPyTorch("lr_exponential", schedule):E2}");
    }

    [Fact]
    public void Cosine_annealing_matches_cosineannealinglr_through_and_past_max_epochs()
    {
        var fixture = ReferenceFixture.PyTorch("lr_cosine_annealing");
        var schedule = new CosineAnnealing((int)fixture.ConfigNumber("T_max"), fixture.ConfigNumber("eta_min"));
        double recursive = CompareWithPyTorch("lr_cosine_annealing", schedule);
        double closedForm = CompareWithPyTorch("lr_cosine_annealing", schedule, "lr_closed_form", tolerance: 1e-15);
        output.WriteLine($"lr_cosine_annealing: worst relative error {recursive:E2} against get_last_lr(), {closedForm:E2} against the closed form");

        // Epoch T_max is the minimum; past it the rate rises again, as PyTorch's.
        Assert.Equal(0.001, schedule.LearningRate(10, 0.1), 1e-17);
        Assert.True(schedule.LearningRate(11, 0.1) > schedule.LearningRate(10, 0.1));
    }

    [Fact]
    public void Constant_learning_rate_never_changes()
    {
        var schedule = new ConstantLearningRate();
        Assert.Equal(0.003, schedule.LearningRate(0, 0.003));
        Assert.Equal(0.003, schedule.LearningRate(1000, 0.003));
    }

    [Fact]
    public void A_schedule_drives_an_optimizer_between_epochs()
    {
        var sgd = new Sgd(0.1);
        ILearningRateSchedule schedule = new StepDecay(stepSize: 2, gamma: 0.5);
        double[] rates = new double[5];
        for (int epoch = 0; epoch < rates.Length; epoch++)
        {
            sgd.LearningRate = schedule.LearningRate(epoch, 0.1);
            rates[epoch] = sgd.LearningRate;
        }

        Assert.Equal([0.1, 0.1, 0.05, 0.05, 0.025], rates);
    }

    [Fact]
    public void Schedule_arguments_are_checked()
    {
        AssertNamed(() => new StepDecay(0, 0.5), "stepSize", "stepSize was 0;");
        AssertNamed(() => new StepDecay(3, 0), "gamma", "gamma was 0;");
        AssertNamed(() => new StepDecay(3, 1.5), "gamma", "gamma was 1.5;");
        AssertNamed(() => new ExponentialDecay(-0.9), "gamma", "gamma was -0.9;");
        AssertNamed(() => new ExponentialDecay(double.NaN), "gamma", "gamma was NaN;");
        AssertNamed(() => new CosineAnnealing(0), "maxEpochs", "maxEpochs was 0;");
        AssertNamed(() => new CosineAnnealing(10, -0.001), "minimumLearningRate", "minimumLearningRate was -0.001;");
        AssertNamed(() => new ExponentialDecay(0.9).LearningRate(-1, 0.1), "epoch", "epoch was -1;");
        AssertNamed(() => new CosineAnnealing(10).LearningRate(0, -0.1), "initialLearningRate", "initialLearningRate was -0.1;");
        AssertNamed(() => new ConstantLearningRate().LearningRate(0, double.PositiveInfinity), "initialLearningRate", "initialLearningRate was Infinity;");
    }

    private static void AssertNamed(Action action, string parameter, string text)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(action);
        Assert.Equal(parameter, error.ParamName);
        Assert.Contains(text, error.Message);
    }
}
