using System;
using System.Collections.Generic;
using System.Linq;

namespace TypedNets.Tests.Reference;

/// <summary>What every comparison with a PyTorch fixture needs: the state_dict in a network's order, and tolerant equality.</summary>
internal static class Parity
{
    /// <summary>
    /// The fixture's tensors (with <paramref name="prefix"/>, such as <c>grad.</c>) in the network's parameter order; the
    /// parameter buffer is the state_dict, tensor after tensor, so this is what to copy into it or compare with it.
    /// </summary>
    public static double[] StateDict(INetwork network, ReferenceFixture fixture, string prefix)
    {
        var values = new List<double>();
        foreach (ParameterTensor tensor in network.Layers.SelectMany(layer => layer.Parameters))
        {
            (double[] data, int[] shape) = fixture.TensorWithShape(prefix + tensor.Name);
            Assert.Equal(tensor.Shape.ToArray(), shape);
            values.AddRange(data);
        }

        return values.ToArray();
    }

    /// <summary>
    /// The usual check of a layer against its fixture in double: the fixture's state_dict into <paramref name="engine"/>,
    /// a forward pass in training mode on <c>input</c>, then a backward pass of <c>output_weights</c>; the output within
    /// 1e-12, every parameter gradient and the input gradient within 1e-10 of PyTorch's.
    /// </summary>
    public static void MatchesInDouble(INetwork network, IEngine<double> engine, ReferenceFixture fixture)
    {
        StateDict(network, fixture, "").CopyTo(engine.Parameters, 0);
        double[] input = fixture.Tensor("input");
        Assert.Null(Mismatch(fixture.Tensor("output"), engine.Forward(input, training: true), 1e-12, "output"));
        engine.ZeroGradients();
        double[] inputGradient = new double[input.Length];
        engine.Backward(fixture.Tensor("output_weights"), inputGradient);
        Assert.Null(Mismatch(StateDict(network, fixture, "grad."), engine.Gradients, 1e-10, "parameter gradients"));
        Assert.Null(Mismatch(fixture.Tensor("grad.input"), inputGradient, 1e-10, "input gradient"));
    }

    /// <summary>
    /// The same check on the float network itself: the output within <paramref name="outputTolerance"/> and the
    /// gradients within 1e-4 of PyTorch's, absolutely.
    /// </summary>
    public static void MatchesInFloat(INetwork network, ReferenceFixture fixture, double outputTolerance = 1e-5)
    {
        double[] parameters = StateDict(network, fixture, "");
        for (int i = 0; i < parameters.Length; i++)
        {
            network.Parameters[i] = (float)parameters[i];
        }

        float[] input = fixture.TensorAsFloat("input");
        Assert.Null(AbsoluteMismatch(fixture.Tensor("output"), network.Forward(input, training: true).ToArray(), outputTolerance, "output"));
        network.ZeroGradients();
        float[] inputGradient = new float[input.Length];
        network.Backward(fixture.TensorAsFloat("output_weights"), inputGradient);
        Assert.Null(AbsoluteMismatch(StateDict(network, fixture, "grad."), network.Gradients.ToArray(), 1e-4, "parameter gradients"));
        Assert.Null(AbsoluteMismatch(fixture.Tensor("grad.input"), inputGradient, 1e-4, "input gradient"));
    }

    /// <summary>The fixture's buffers (running statistics) in the network's buffer order.</summary>
    public static double[] Buffers(INetwork network, ReferenceFixture fixture)
        => network.Layers.SelectMany(layer => layer.Buffers).SelectMany(buffer => fixture.Tensor(buffer.Name)).ToArray();

    /// <summary>
    /// The first element further from PyTorch's than <paramref name="tolerance"/> (relative to the value where it
    /// exceeds 1), described for a failure message, or <see langword="null"/> when all agree.
    /// </summary>
    public static string? Mismatch(double[] expected, ReadOnlySpan<double> actual, double tolerance, string what)
    {
        if (expected.Length != actual.Length)
        {
            return $"{what}: {actual.Length} values, PyTorch {expected.Length}";
        }

        for (int i = 0; i < expected.Length; i++)
        {
            if (!(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i]))))
            {
                return $"{what}[{i}]: {actual[i]:R}, PyTorch {expected[i]:R}";
            }
        }

        return null;
    }

    /// <summary>As <see cref="Mismatch(double[], ReadOnlySpan{double}, double, string)"/> with an absolute tolerance: float results against PyTorch's float64 ones.</summary>
    public static string? AbsoluteMismatch(double[] expected, float[] actual, double tolerance, string what)
    {
        if (expected.Length != actual.Length)
        {
            return $"{what}: {actual.Length} values, PyTorch {expected.Length}";
        }

        for (int i = 0; i < expected.Length; i++)
        {
            if (!(Math.Abs(expected[i] - actual[i]) <= tolerance))
            {
                return $"{what}[{i}]: {actual[i]:R}, PyTorch {expected[i]:R}";
            }
        }

        return null;
    }
}
