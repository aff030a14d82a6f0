using System;
using System.Linq;
using TypedNets.Kernels;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Kernels;

/// <summary>
/// The stacked and bidirectional recurrent kernels called directly: a one-layer, one-direction stack is the one-layer
/// kernel; a reverse direction is the one-layer kernel on the sequence reversed in time; and wrong sizes are refused by
/// name. The float vector paths (27 units: a 512-bit vector, a 256-bit one and scalars) are held to the double ones.
/// </summary>
public sealed class RecurrentStackKernelTests
{
    private const int Batch = 3;
    private const int Steps = 5;
    private const int Inputs = 4;

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void A_single_forward_layer_is_the_one_layer_kernel(bool lstm, bool returnSequences)
    {
        const int units = 6;
        int gates = lstm ? 4 : 3;
        double[] x = Values(Batch * Steps * Inputs, 1);
        double[] parameters = Values((gates * units * (Inputs + units)) + (2 * gates * units), 2);
        var stack = new RecurrentStackWorkspace<double>(Batch, Steps, Inputs, units, gates, layers: 1, bidirectional: false, dropout: false);
        var single = new RecurrentWorkspace<double>(Batch, Steps, units, gates);
        int outputs = Batch * (returnSequences ? Steps : 1) * units;
        double[] expected = new double[outputs];
        double[] actual = new double[outputs];
        var random = new Xoshiro256(1);
        (int ih, int hh, int b) = (gates * units * Inputs, gates * units * units, gates * units);
        if (lstm)
        {
            LstmKernel.Forward<double>(x, parameters.AsSpan(0, ih), parameters.AsSpan(ih, hh), parameters.AsSpan(ih + hh, b), parameters.AsSpan(ih + hh + b, b), default, single, expected, Batch, Inputs, returnSequences);
            LstmKernel.Forward<double>(x, parameters, default, stack, actual, Batch, returnSequences, 0, training: true, ref random);
        }
        else
        {
            GruKernel.Forward<double>(x, parameters.AsSpan(0, ih), parameters.AsSpan(ih, hh), parameters.AsSpan(ih + hh, b), parameters.AsSpan(ih + hh + b, b), default, single, expected, Batch, Inputs, returnSequences);
            GruKernel.Forward<double>(x, parameters, default, stack, actual, Batch, returnSequences, 0, training: true, ref random);
        }

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void The_reverse_direction_is_the_forward_kernel_on_the_sequence_reversed_in_time()
    {
        const int units = 5;
        double[] x = Values(Batch * Steps * Inputs, 3);
        int direction = (4 * units * (Inputs + units)) + (8 * units);
        double[] parameters = Values(2 * direction, 4);
        var stack = new RecurrentStackWorkspace<double>(Batch, Steps, Inputs, units, 4, layers: 1, bidirectional: true, dropout: false);
        double[] both = new double[Batch * Steps * 2 * units];
        var random = new Xoshiro256(1);
        LstmKernel.Forward<double>(x, parameters, default, stack, both, Batch, returnSequences: true, 0, training: false, ref random);

        double[] reversed = new double[x.Length];
        for (int b = 0; b < Batch; b++)
        {
            for (int t = 0; t < Steps; t++)
            {
                Array.Copy(x, ((b * Steps) + t) * Inputs, reversed, ((b * Steps) + Steps - 1 - t) * Inputs, Inputs);
            }
        }

        double[] reverse = new double[Batch * Steps * units];
        var single = new RecurrentWorkspace<double>(Batch, Steps, units, 4);
        Span<double> p = parameters.AsSpan(direction);
        (int ih, int hh, int bias) = (4 * units * Inputs, 4 * units * units, 4 * units);
        LstmKernel.Forward<double>(reversed, p.Slice(0, ih), p.Slice(ih, hh), p.Slice(ih + hh, bias), p.Slice(ih + hh + bias, bias), default, single, reverse, Batch, Inputs, returnSequences: true);
        for (int b = 0; b < Batch; b++)
        {
            for (int t = 0; t < Steps; t++)
            {
                Assert.Equal(
                    reverse.AsSpan(((b * Steps) + Steps - 1 - t) * units, units).ToArray(),
                    both.AsSpan((((b * Steps) + t) * 2 * units) + units, units).ToArray());
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Float_vector_paths_match_double_through_two_bidirectional_layers(bool lstm)
    {
        const int units = 27;
        int gates = lstm ? 4 : 3;
        int count = (2 * ((gates * units * (Inputs + units)) + (2 * gates * units))) + (2 * ((gates * units * (2 * units + units)) + (2 * gates * units)));
        double[] x = Values(Batch * Steps * Inputs, 5);
        double[] parameters = Values(count, 6).Select(value => value * 0.3).ToArray();
        double[] dy = Values(Batch * 2 * units, 7);
        float[] mask = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0];
        (double[] output, double[] gradients, double[] dx) = Run<double>(lstm, units, x, parameters, dy, Array.ConvertAll(mask, value => (double)value));
        (float[] output32, float[] gradients32, float[] dx32) = Run<float>(lstm, units, x, parameters, dy, mask);
        Assert.Null(Parity.AbsoluteMismatch(output, output32, 1e-5, "output"));
        Assert.Null(Parity.AbsoluteMismatch(gradients, gradients32, 1e-4, "parameter gradients"));
        Assert.Null(Parity.AbsoluteMismatch(dx, dx32, 1e-4, "input gradient"));
    }

    [Fact]
    public void Wrong_sizes_are_refused_by_name()
    {
        var workspace = new RecurrentStackWorkspace<double>(Batch, Steps, Inputs, 2, 4, layers: 2, bidirectional: true, dropout: true);
        int count = (2 * ((8 * (Inputs + 2)) + 16)) + (2 * ((8 * (4 + 2)) + 16));
        double[] x = new double[Batch * Steps * Inputs];
        double[] output = new double[Batch * 4];
        var random = new Xoshiro256(1);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => LstmKernel.Forward<double>(x, new double[count - 1], default, workspace, output, Batch, false, 0, false, ref random)).ParamName);
        Assert.Equal("workspace", Assert.Throws<ArgumentException>(() => GruKernel.Forward<double>(x, new double[count], default, workspace, output, Batch, false, 0, false, ref random)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => LstmKernel.Forward<double>(x.AsSpan(1), new double[count], default, workspace, output, Batch, false, 0, false, ref random)).ParamName);
        Assert.Equal("mask", Assert.Throws<ArgumentException>(() => LstmKernel.Forward<double>(x, new double[count], new double[Batch], workspace, output, Batch, false, 0, false, ref random)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => LstmKernel.Forward<double>(x, new double[count], default, workspace, output, Batch, true, 0, false, ref random)).ParamName);
        var rate = Assert.Throws<ArgumentOutOfRangeException>(() => LstmKernel.Forward<double>(x, new double[count], default, workspace, output, Batch, false, 1, true, ref random));
        Assert.Equal("dropout", rate.ParamName);
        Assert.Equal("gradients", Assert.Throws<ArgumentException>(() => LstmKernel.Backward<double>(x, new double[count], default, workspace, output, new double[count + 1], default, Batch, false)).ParamName);
        Assert.Equal("outputGradient", Assert.Throws<ArgumentException>(() => LstmKernel.Backward<double>(x, new double[count], default, workspace, output.AsSpan(1), new double[count], default, Batch, false)).ParamName);

        Assert.Equal("layers", Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentStackWorkspace<double>(1, 1, 1, 1, 4, 0, false, false)).ParamName);
        Assert.Equal("gates", Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentStackWorkspace<double>(1, 1, 1, 1, 5, 1, false, false)).ParamName);
    }

    [Fact]
    public void A_layer_description_refuses_tensors_that_are_not_four_per_layer_and_direction()
    {
        float[] buffer = new float[16];
        var tensor = new ParameterTensor("encoder.bias_ih_l0", buffer, new float[16], 0, 4);
        var error = Assert.Throws<ArgumentException>(() => new LstmLayer("Encoder", "encoder", [5, 4], [2], false, 1, true, 0, tensor, tensor, tensor, tensor));
        Assert.Equal("parameters", error.ParamName);
        Assert.Contains("8 parameter tensors, got 4", error.Message, StringComparison.Ordinal);
        Assert.Equal("numLayers", Assert.Throws<ArgumentOutOfRangeException>(() => new GruLayer("Encoder", "encoder", [5, 4], [2], false, 0, false, 0, tensor)).ParamName);
    }

    private static (T[] Output, T[] Gradients, T[] Dx) Run<T>(bool lstm, int units, double[] x, double[] parameters, double[] dy, T[] mask)
        where T : System.Numerics.IFloatingPointIeee754<T>
    {
        T[] Convert(double[] values) => values.Select(T.CreateTruncating).ToArray();
        var workspace = new RecurrentStackWorkspace<T>(Batch, Steps, Inputs, units, lstm ? 4 : 3, layers: 2, bidirectional: true, dropout: false);
        T[] output = new T[Batch * 2 * units];
        T[] gradients = new T[parameters.Length];
        T[] dx = new T[x.Length];
        var random = new Xoshiro256(1);
        if (lstm)
        {
            LstmKernel.Forward<T>(Convert(x), Convert(parameters), mask, workspace, output, Batch, false, 0, true, ref random);
            LstmKernel.Backward<T>(Convert(x), Convert(parameters), mask, workspace, Convert(dy), gradients, dx, Batch, false);
        }
        else
        {
            GruKernel.Forward<T>(Convert(x), Convert(parameters), mask, workspace, output, Batch, false, 0, true, ref random);
            GruKernel.Backward<T>(Convert(x), Convert(parameters), mask, workspace, Convert(dy), gradients, dx, Batch, false);
        }

        return (output, gradients, dx);
    }

    private static double[] Values(int count, ulong seed)
    {
        var random = new Xoshiro256(seed);
        return Enumerable.Range(0, count).Select(_ => random.NextDouble() - 0.5).ToArray();
    }
}
