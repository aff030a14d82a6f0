using System;
using TypedNets.Optimizers;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Optimizers;

/// <summary>
/// <see cref="Adam{T}.ExcludeFromWeightDecay"/>: nanoGPT's two parameter groups (decay on matrices and embeddings,
/// none on biases and norm weights) against torch.optim.AdamW with those groups; kept through a checkpoint; refused
/// where it cannot apply.
/// </summary>
public sealed class WeightDecayExclusionTests
{
    [Fact]
    public void Adamw_with_biases_and_norm_weights_left_out_follows_pytorch_parameter_groups()
    {
        // reference/pytorch/make_transformer_fixtures.py: wte.weight [5,3] at 0, ln.weight [3] at 15, c_fc.weight
        // [4,3] at 18, c_fc.bias [4] at 30; decay on the two matrices only.
        ReferenceFixture fixture = ReferenceFixture.PyTorch("adamw_param_groups");
        double[] parameters = fixture.Tensor("p0");
        double[] gradients = fixture.Tensor("grads");
        double[] expected = fixture.Tensor("params");
        int n = parameters.Length;
        var optimizer = new AdamW<double>(0.01, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.1);
        optimizer.ExcludeFromWeightDecay([Tensor("ln.weight", 15, n, 3), Tensor("c_fc.bias", 30, n, 4)]);
        for (int step = 0; step < gradients.Length / n; step++)
        {
            optimizer.Step(parameters, gradients.AsSpan(step * n, n));
        }

        for (int i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(parameters[i] - expected[i]) <= 1e-12 * (1 + Math.Abs(expected[i])), $"parameter {i}: {parameters[i]:R}, PyTorch {expected[i]:R}");
        }

        // Without the exclusion the biases and norm weights decay too, and the result is not PyTorch's.
        double[] everything = fixture.Tensor("p0");
        var plain = new AdamW<double>(0.01, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.1);
        for (int step = 0; step < gradients.Length / n; step++)
        {
            plain.Step(everything, gradients.AsSpan(step * n, n));
        }

        Assert.NotEqual(expected[15], everything[15], 1e-9);
        Assert.Equal(expected[0], everything[0], 1e-12);
    }

    [Fact]
    public void Ranges_are_merged_and_kept_through_a_checkpoint()
    {
        var optimizer = new AdamW<double>(weightDecay: 0.1);
        optimizer.ExcludeFromWeightDecay([Tensor("b", 10, 40, 4), Tensor("a", 2, 40, 3), Tensor("c", 14, 40, 2), Tensor("d", 3, 40, 1)]);
        Assert.Equal([(2, 3), (10, 6)], optimizer.ExcludedFromWeightDecay);

        optimizer.Step(new double[40], new double[40]);
        var restored = new AdamW<double>(weightDecay: 0.1);
        restored.LoadState(optimizer.GetState());
        Assert.Equal(optimizer.ExcludedFromWeightDecay, restored.ExcludedFromWeightDecay);
    }

    [Fact]
    public void Without_weight_decay_or_past_the_buffer_it_is_refused()
    {
        var undecayed = new AdamW<double>(weightDecay: 0);
        Assert.Contains("weightDecay 0", Assert.Throws<InvalidOperationException>(() => undecayed.ExcludeFromWeightDecay([Tensor("b", 0, 4, 4)])).Message, StringComparison.Ordinal);

        var optimizer = new AdamW<double>(weightDecay: 0.1);
        optimizer.ExcludeFromWeightDecay([Tensor("b", 6, 10, 4)]);
        var exception = Assert.Throws<ArgumentException>(() => optimizer.Step(new double[8], new double[8]));
        Assert.Equal("parameters", exception.ParamName);
        Assert.Contains("end at 10, but the parameter buffer holds 8", exception.Message, StringComparison.Ordinal);
    }

    /// <summary>A tensor of <paramref name="length"/> values at <paramref name="offset"/> in a buffer of <paramref name="bufferLength"/>.</summary>
    private static ParameterTensor Tensor(string name, int offset, int bufferLength, int length)
        => new(name, new float[Math.Max(bufferLength, offset + length)], new float[Math.Max(bufferLength, offset + length)], offset, length);
}
