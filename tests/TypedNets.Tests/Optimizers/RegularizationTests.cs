using System;
using TypedNets.Optimizers;
using TypedNets.Tests.Reference;
using Xunit.Abstractions;

namespace TypedNets.Tests.Optimizers;

public sealed class RegularizationTests(ITestOutputHelper output)
{
    [Fact]
    public void L1_gradient_and_penalty_match_pytorch_with_zero_weights_getting_no_penalty_gradient()
    {
        var fixture = ReferenceFixture.PyTorch("l1_penalty");
        double l1 = fixture.ConfigNumber("l1");
        double[] p = fixture.Tensor("p");
        double[] gradients = fixture.Tensor("grad.data");
        double[] expected = fixture.Tensor("grad.p");

        double penalty = Regularization.AddL1<double>(p, gradients, l1);
        Assert.Equal(fixture.Scalar("penalty"), penalty, 1e-15);

        double worst = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double error = Math.Abs(gradients[i] - expected[i]) / Math.Max(1, Math.Abs(expected[i]));
            worst = Math.Max(worst, error);
            Assert.True(error <= 1e-12, $"element {i}: {gradients[i]:R} against PyTorch's {expected[i]:R}");
        }

        double[] penaltyOnly = new double[p.Length];
        Regularization.AddL1<double>(p, penaltyOnly, l1);
        Assert.Equal(fixture.Tensor("grad.penalty"), penaltyOnly);
        foreach (var zero in fixture.Config("zero_indices").EnumerateArray())
        {
            Assert.Equal(0.0, penaltyOnly[zero.GetInt32()]);
        }

        output.WriteLine($"l1_penalty: worst relative error {worst:E2} in the gradient");
    }

    [Fact]
    public void L1_lets_a_nan_weight_show_in_its_gradient()
    {
        float[] gradients = [1, 1];
        float penalty = Regularization.AddL1<float>([float.NaN, -2], gradients, 0.5);
        Assert.True(float.IsNaN(penalty));
        Assert.True(float.IsNaN(gradients[0]));
        Assert.Equal(0.5f, gradients[1]);
    }

    [Fact]
    public void L2_uses_keras_convention_penalty_l2_sum_w2_and_gradient_2_l2_w()
    {
        double[] weights = [1, -2, 0, 0.5];
        double[] gradients = [1, 1, 1, 1];
        double penalty = Regularization.AddL2<double>(weights, gradients, 0.1);
        Assert.Equal(0.525, penalty, 1e-15);
        Assert.Equal([1.2, 0.6, 1.0, 1.1], gradients, (a, b) => Math.Abs(a - b) <= 1e-15);

        // The added gradient is the derivative of the returned penalty (central differences).
        const double H = 1e-6;
        for (int i = 0; i < weights.Length; i++)
        {
            double[] up = (double[])weights.Clone();
            double[] down = (double[])weights.Clone();
            up[i] += H;
            down[i] -= H;
            double numeric = (Regularization.AddL2<double>(up, new double[4], 0.1) - Regularization.AddL2<double>(down, new double[4], 0.1)) / (2 * H);
            Assert.Equal(gradients[i] - 1, numeric, 1e-8);
        }
    }

    [Fact]
    public void L2_with_l2_equals_pytorch_weight_decay_of_twice_l2()
    {
        double[] weights = [0.3, -1.2, 2.5];
        double[] viaPenalty = (double[])weights.Clone();
        double[] viaDecay = (double[])weights.Clone();
        double[] gradients = [0.1, 0.2, -0.3];

        double[] penalised = (double[])gradients.Clone();
        Regularization.AddL2<double>(viaPenalty, penalised, 0.01);
        new Sgd<double>(0.1).Step(viaPenalty, penalised);
        new Sgd<double>(0.1, weightDecay: 0.02).Step(viaDecay, gradients);

        Assert.Equal(viaDecay, viaPenalty, (a, b) => Math.Abs(a - b) <= 1e-15);
    }

    [Fact]
    public void Penalty_arguments_are_checked()
    {
        var length = Assert.Throws<ArgumentException>(() => Regularization.AddL1<float>(new float[3], new float[2], 0.01));
        Assert.Contains("3 weights and 2 gradients", length.Message);
        Assert.Throws<ArgumentException>(() => Regularization.AddL2<float>(new float[3], new float[4], 0.01));

        var l1 = Assert.Throws<ArgumentOutOfRangeException>(() => Regularization.AddL1<float>(new float[3], new float[3], -0.01));
        Assert.Equal("l1", l1.ParamName);
        Assert.Contains("l1 was -0.01;", l1.Message);
        var l2 = Assert.Throws<ArgumentOutOfRangeException>(() => Regularization.AddL2<double>(new double[3], new double[3], double.NaN));
        Assert.Equal("l2", l2.ParamName);
        Assert.Contains("l2 was NaN;", l2.Message);
    }
}
