using System;
using TypedNets.Optimizers;

namespace TypedNets.Tests.Optimizers;

/// <summary>The warm-up and cosine schedule at the points that define it, and its argument checks.</summary>
public sealed class WarmupCosineTests
{
    private const double Rate = 1e-3;
    private const double Minimum = 1e-4;

    [Fact]
    public void The_warm_up_climbs_linearly_from_the_first_step_and_reaches_the_rate_when_it_ends()
    {
        var schedule = new WarmupCosine(100, 2000, Minimum);
        Assert.Equal(Rate / 101, schedule.LearningRate(0, Rate), 15);
        Assert.Equal(Rate * 50 / 101, schedule.LearningRate(49, Rate), 15);
        Assert.Equal(Rate * 100 / 101, schedule.LearningRate(99, Rate), 15);
        Assert.Equal(Rate, schedule.LearningRate(100, Rate), 15);
    }

    [Fact]
    public void The_cosine_passes_the_midpoint_halfway_and_ends_at_the_minimum_where_it_stays()
    {
        var schedule = new WarmupCosine(100, 2000, Minimum);
        Assert.Equal((Rate + Minimum) / 2, schedule.LearningRate(1050, Rate), 15);
        Assert.Equal(Minimum, schedule.LearningRate(2000, Rate), 15);
        Assert.Equal(Minimum, schedule.LearningRate(5000, Rate));

        // A quarter of the way the cosine has fallen by (1 - cos(pi / 4)) / 2 of the span.
        Assert.Equal(Minimum + ((Rate - Minimum) * (1 + (Math.Sqrt(2) / 2)) / 2), schedule.LearningRate(575, Rate), 15);
        for (int step = 101; step <= 2000; step++)
        {
            Assert.True(schedule.LearningRate(step, Rate) < schedule.LearningRate(step - 1, Rate), $"step {step} does not fall");
        }
    }

    [Fact]
    public void Without_warm_up_the_first_step_runs_at_the_rate()
        => Assert.Equal(Rate, new WarmupCosine(0, 10).LearningRate(0, Rate));

    [Fact]
    public void Bad_arguments_are_refused_by_name()
    {
        Assert.Equal("warmupSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosine(-1, 10)).ParamName);
        var decay = Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosine(100, 100));
        Assert.Equal("decaySteps", decay.ParamName);
        Assert.Contains("must end after the warm-up (100 steps), but it ends at step 100", decay.Message, StringComparison.Ordinal);
        Assert.Equal("minimumLearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosine(1, 10, -1)).ParamName);
        Assert.Equal("epoch", Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosine(1, 10).LearningRate(-1, Rate)).ParamName);
    }
}
