using System;
using System.Collections.Generic;
using System.Linq;
using TypedNets.Optimizers;

namespace TypedNets.Tests.Optimizers;

public sealed class OptimizerValidationTests
{
    /// <summary>Each case: a constructor call with one bad value, the parameter it must name, and the value's text.</summary>
    private static readonly Dictionary<string, (Action Create, string Parameter, string Value)> OutOfRange = new()
    {
        ["Sgd learningRate -0.1"] = (() => new Sgd(-0.1), "learningRate", "-0.1"),
        ["Sgd learningRate NaN"] = (() => new Sgd(double.NaN), "learningRate", "NaN"),
        ["Sgd learningRate Infinity"] = (() => new Sgd(double.PositiveInfinity), "learningRate", "Infinity"),
        ["Sgd momentum -0.9"] = (() => new Sgd(0.1, momentum: -0.9), "momentum", "-0.9"),
        ["Sgd dampening 1.5"] = (() => new Sgd(0.1, momentum: 0.9, dampening: 1.5), "dampening", "1.5"),
        ["Sgd weightDecay -0.01"] = (() => new Sgd(0.1, weightDecay: -0.01), "weightDecay", "-0.01"),
        ["Adam learningRate -0.001"] = (() => new Adam(-0.001), "learningRate", "-0.001"),
        ["Adam beta1 1"] = (() => new Adam(beta1: 1), "beta1", "1"),
        ["Adam beta1 -0.1"] = (() => new Adam(beta1: -0.1), "beta1", "-0.1"),
        ["Adam beta2 1.5"] = (() => new Adam(beta2: 1.5), "beta2", "1.5"),
        ["Adam epsilon 0"] = (() => new Adam(epsilon: 0), "epsilon", "0"),
        ["Adam epsilon NaN"] = (() => new Adam(epsilon: double.NaN), "epsilon", "NaN"),
        ["Adam weightDecay -1"] = (() => new Adam(weightDecay: -1), "weightDecay", "-1"),
        ["AdamW learningRate -1"] = (() => new AdamW(-1), "learningRate", "-1"),
        ["AdamW beta1 1"] = (() => new AdamW(beta1: 1), "beta1", "1"),
        ["AdamW beta2 -0.5"] = (() => new AdamW(beta2: -0.5), "beta2", "-0.5"),
        ["AdamW epsilon -1E-08"] = (() => new AdamW(epsilon: -1e-8), "epsilon", "-1E-08"),
        ["AdamW weightDecay -0.01"] = (() => new AdamW(weightDecay: -0.01), "weightDecay", "-0.01"),
        ["RmsProp learningRate -0.01"] = (() => new RmsProp(-0.01), "learningRate", "-0.01"),
        ["RmsProp alpha 1"] = (() => new RmsProp(alpha: 1), "alpha", "1"),
        ["RmsProp epsilon 0"] = (() => new RmsProp(epsilon: 0), "epsilon", "0"),
        ["RmsProp weightDecay -0.5"] = (() => new RmsProp(weightDecay: -0.5), "weightDecay", "-0.5"),
        ["RmsProp momentum -0.5"] = (() => new RmsProp(momentum: -0.5), "momentum", "-0.5"),
        ["generic Adam<double> beta1 2"] = (() => new Adam<double>(beta1: 2), "beta1", "2"),
    };

    public static IEnumerable<object[]> OutOfRangeCases() => OutOfRange.Keys.Select(name => new object[] { name });

    [Theory]
    [MemberData(nameof(OutOfRangeCases))]
    public void A_value_out_of_range_is_named_with_its_range_and_a_typical_value(string name)
    {
        (Action create, string parameter, string value) = OutOfRange[name];
        var error = Assert.Throws<ArgumentOutOfRangeException>(create);
        Assert.Equal(parameter, error.ParamName);
        Assert.Contains($"{parameter} was {value};", error.Message);
        Assert.Contains("it must be", error.Message);
        Assert.Contains("such as", error.Message);
    }

    [Fact]
    public void Nesterov_without_momentum_names_the_momentum()
    {
        var error = Assert.Throws<ArgumentException>(() => new Sgd(0.1, nesterov: true));
        Assert.Equal("nesterov", error.ParamName);
        Assert.Contains("momentum was 0", error.Message);
    }

    [Fact]
    public void Nesterov_with_dampening_names_the_dampening()
    {
        var error = Assert.Throws<ArgumentException>(() => new Sgd(0.1, momentum: 0.9, dampening: 0.1, nesterov: true));
        Assert.Contains("dampening was 0.1", error.Message);
        Assert.Contains("momentum was 0.9", error.Message);
    }

    [Fact]
    public void Edge_values_inside_the_ranges_are_accepted()
    {
        Assert.Equal(0, new Sgd(0).LearningRate);
        Assert.Equal(1, new Sgd(0.1, momentum: 0.9, dampening: 1).Dampening);
        Assert.Equal(0, new Adam(beta1: 0, beta2: 0).Beta1);
        Assert.Equal(0, new RmsProp(alpha: 0).Alpha);
        Assert.True(new Sgd(0.1, momentum: 0.5, nesterov: true).Nesterov);
    }

    [Fact]
    public void A_learning_rate_set_later_is_checked_too()
    {
        var adam = new Adam();
        Assert.Throws<ArgumentOutOfRangeException>(() => adam.LearningRate = -1);
        Assert.Equal(0.001, adam.LearningRate);
    }

    [Fact]
    public void A_buffer_of_another_length_is_refused_until_reset()
    {
        var adam = new Adam();
        adam.Step(new float[3], new float[3]);
        var error = Assert.Throws<ArgumentException>(() => adam.Step(new float[4], new float[4]));
        Assert.Contains("3", error.Message);
        adam.Reset();
        adam.Step(new float[4], new float[4]);
        Assert.Equal(1, adam.StepCount);
    }
}
