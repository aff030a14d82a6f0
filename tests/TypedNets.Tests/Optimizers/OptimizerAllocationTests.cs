using System;
using System.Collections.Generic;
using TypedNets.Optimizers;

namespace TypedNets.Tests.Optimizers;

public sealed class OptimizerAllocationTests
{
    private const int Length = 10_000;
    private const int Steps = 1_000;

    public static IEnumerable<object[]> Optimizers()
    {
        // Every optimizer with every piece of state switched on, and in its default form.
        yield return ["Sgd"];
        yield return ["Sgd momentum nesterov weightDecay"];
        yield return ["Sgd momentum dampening"];
        yield return ["Adam"];
        yield return ["Adam amsgrad weightDecay"];
        yield return ["AdamW"];
        yield return ["AdamW amsgrad"];
        yield return ["RmsProp"];
        yield return ["RmsProp centered momentum weightDecay"];
    }

    private static Optimizer<float> Create(string name) => name switch
    {
        "Sgd" => new Sgd(0.01),
        "Sgd momentum nesterov weightDecay" => new Sgd(0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-4),
        "Sgd momentum dampening" => new Sgd(0.01, momentum: 0.9, dampening: 0.1),
        "Adam" => new Adam(),
        "Adam amsgrad weightDecay" => new Adam(weightDecay: 0.01, amsgrad: true),
        "AdamW" => new AdamW(),
        "AdamW amsgrad" => new AdamW(amsgrad: true),
        "RmsProp" => new RmsProp(),
        "RmsProp centered momentum weightDecay" => new RmsProp(momentum: 0.9, centered: true, weightDecay: 1e-4),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Steps_after_the_first_allocate_nothing(string name)
    {
        Optimizer<float> optimizer = Create(name);
        (float[] parameters, float[] gradients) = Buffers();
        optimizer.Step(parameters, gradients);

        long allocated = Allocations.Fewest(() =>
        {
            for (int step = 0; step < Steps; step++)
            {
                optimizer.Step(parameters, gradients);
            }
        });
        Assert.True(allocated == 0, $"{name}: {Steps} steps on {Length} parameters allocated {allocated} bytes.");
        Assert.All(parameters, value => Assert.True(float.IsFinite(value)));
    }

    [Fact]
    public void Clipping_and_penalties_allocate_nothing()
    {
        (float[] parameters, float[] gradients) = Buffers();
        GradientClipping.ClipByGlobalNorm<float>(gradients, 1.0);
        Regularization.AddL1<float>(parameters, gradients, 1e-4);
        Regularization.AddL2<float>(parameters, gradients, 1e-4);

        long allocated = Allocations.Fewest(() =>
        {
            for (int step = 0; step < Steps; step++)
            {
                Regularization.AddL1<float>(parameters, gradients, 1e-4);
                Regularization.AddL2<float>(parameters, gradients, 1e-4);
                GradientClipping.ClipByGlobalNorm<float>(gradients, 1.0);
            }
        });
        Assert.True(allocated == 0, $"{Steps} rounds of clipping and penalties allocated {allocated} bytes.");
    }

    private static (float[] Parameters, float[] Gradients) Buffers()
    {
        var random = new Xoshiro256(42);
        float[] parameters = new float[Length];
        float[] gradients = new float[Length];
        for (int i = 0; i < Length; i++)
        {
            parameters[i] = (float)random.NextDouble(-1, 1);
            gradients[i] = (float)random.NextDouble(-0.1, 0.1);
        }

        return (parameters, gradients);
    }
}
