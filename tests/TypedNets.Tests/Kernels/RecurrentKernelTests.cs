using System;
using TypedNets.Kernels;
using TypedNets.Tests.Reference;

namespace TypedNets.Tests.Kernels;

/// <summary>
/// The fused LSTM and GRU gate passes in float, which run on vector registers, against the same kernels in double,
/// which run the scalar formulas that the PyTorch fixtures check (<c>SequenceParityTests</c>). The fixtures' layers
/// have fewer units than one vector holds, so only these tests reach the vector paths: 27 units are one 512-bit
/// vector, one 256-bit vector and three scalar units; 64 are the text classifier's. A batch of three takes the
/// few-sample recurrent products on the transposed weight, a batch of five the packed GEMM.
/// </summary>
public sealed class RecurrentKernelTests
{
    private const int Batch = 3;
    private const int Steps = 6;
    private const int Inputs = 7;

    public static TheoryData<bool, int, int, bool, bool> Cases()
    {
        var cases = new TheoryData<bool, int, int, bool, bool>();
        foreach (bool lstm in new[] { true, false })
        {
            foreach (int batch in new[] { 3, 5 })
            {
                foreach (int units in new[] { 27, 64 })
                {
                    foreach (bool returnSequences in new[] { false, true })
                    {
                        cases.Add(lstm, batch, units, returnSequences, false);
                        cases.Add(lstm, batch, units, returnSequences, true);
                    }
                }
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float_forward_and_backward_match_double(bool lstm, int batch, int units, bool returnSequences, bool masked)
    {
        int gates = lstm ? 4 : 3;
        var random = new Xoshiro256((ulong)(units + (lstm ? 1 : 0) + (returnSequences ? 10 : 0) + (masked ? 100 : 0) + (batch * 1000)));
        double[] x = Uniform(ref random, batch * Steps * Inputs, 1.0);
        double[] weightIh = Uniform(ref random, gates * units * Inputs, 0.5);
        double[] weightHh = Uniform(ref random, gates * units * units, 0.5);
        double[] biasIh = Uniform(ref random, gates * units, 0.5);
        double[] biasHh = Uniform(ref random, gates * units, 0.5);
        double[] outputGradient = Uniform(ref random, batch * (returnSequences ? Steps : 1) * units, 1.0);

        // Sample 0 is masked at its first step, sample 1 in the middle and at its last step, the others never.
        double[] mask = [];
        if (masked)
        {
            mask = new double[batch * Steps];
            Array.Fill(mask, 1.0);
            mask[0] = 0;
            mask[Steps + 2] = 0;
            mask[Steps + 3] = 0;
            mask[(2 * Steps) - 1] = 0;
        }

        Result<double> expected = Run(lstm, batch, units, returnSequences, x, weightIh, weightHh, biasIh, biasHh, mask, outputGradient);
        Result<float> actual = Run(
            lstm, batch, units, returnSequences, ToFloat(x), ToFloat(weightIh), ToFloat(weightHh), ToFloat(biasIh), ToFloat(biasHh), ToFloat(mask), ToFloat(outputGradient));

        Assert.Null(Parity.AbsoluteMismatch(expected.Output, actual.Output, 2e-6, "output"));
        Assert.Null(Parity.AbsoluteMismatch(expected.WeightIhGradient, actual.WeightIhGradient, 2e-5, "weight_ih gradient"));
        Assert.Null(Parity.AbsoluteMismatch(expected.WeightHhGradient, actual.WeightHhGradient, 2e-5, "weight_hh gradient"));
        Assert.Null(Parity.AbsoluteMismatch(expected.BiasIhGradient, actual.BiasIhGradient, 2e-5, "bias_ih gradient"));
        Assert.Null(Parity.AbsoluteMismatch(expected.BiasHhGradient, actual.BiasHhGradient, 2e-5, "bias_hh gradient"));
        Assert.Null(Parity.AbsoluteMismatch(expected.InputGradient, actual.InputGradient, 2e-5, "input gradient"));
    }

    [Fact]
    public void Float_forward_and_backward_allocate_nothing()
    {
        const int units = 64;
        var random = new Xoshiro256(3);
        float[] x = ToFloat(Uniform(ref random, Batch * Steps * Inputs, 1.0));
        float[] weightIh = ToFloat(Uniform(ref random, 4 * units * Inputs, 0.5));
        float[] weightHh = ToFloat(Uniform(ref random, 4 * units * units, 0.5));
        float[] bias = new float[4 * units];
        float[] biasGradient = new float[4 * units];
        float[] output = new float[Batch * units];
        float[] gradients = new float[(4 * units * (Inputs + units + 2)) + (Batch * Steps * Inputs)];
        var lstm = new RecurrentWorkspace<float>(Batch, Steps, units, 4);
        var gru = new RecurrentWorkspace<float>(Batch, Steps, units, 3);

        void Run()
        {
            Span<float> g = gradients;
            LstmKernel.Forward<float>(x, weightIh, weightHh, bias, bias, default, lstm, output, Batch, Inputs, returnSequences: false);
            LstmKernel.Backward<float>(
                x, weightIh, weightHh, default, lstm, output, g[..(4 * units * Inputs)], g.Slice(4 * units * Inputs, 4 * units * units),
                biasGradient, biasGradient, g[^(Batch * Steps * Inputs)..], Batch, Inputs, returnSequences: false);
            GruKernel.Forward<float>(x, weightIh.AsSpan(0, 3 * units * Inputs), weightHh.AsSpan(0, 3 * units * units), bias.AsSpan(0, 3 * units), bias.AsSpan(0, 3 * units), default, gru, output, Batch, Inputs, returnSequences: false);
        }

        Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            Run();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static Result<T> Run<T>(
        bool lstm, int batch, int units, bool returnSequences, T[] x, T[] weightIh, T[] weightHh, T[] biasIh, T[] biasHh, T[] mask, T[] outputGradient)
        where T : System.Numerics.IFloatingPointIeee754<T>
    {
        var workspace = new RecurrentWorkspace<T>(batch, Steps, units, lstm ? 4 : 3);
        var result = new Result<T>(
            new T[outputGradient.Length], new T[weightIh.Length], new T[weightHh.Length], new T[biasIh.Length], new T[biasHh.Length], new T[x.Length]);
        if (lstm)
        {
            LstmKernel.Forward<T>(x, weightIh, weightHh, biasIh, biasHh, mask, workspace, result.Output, batch, Inputs, returnSequences);
            LstmKernel.Backward<T>(
                x, weightIh, weightHh, mask, workspace, outputGradient, result.WeightIhGradient, result.WeightHhGradient,
                result.BiasIhGradient, result.BiasHhGradient, result.InputGradient, batch, Inputs, returnSequences);
        }
        else
        {
            GruKernel.Forward<T>(x, weightIh, weightHh, biasIh, biasHh, mask, workspace, result.Output, batch, Inputs, returnSequences);
            GruKernel.Backward<T>(
                x, weightIh, weightHh, mask, workspace, outputGradient, result.WeightIhGradient, result.WeightHhGradient,
                result.BiasIhGradient, result.BiasHhGradient, result.InputGradient, batch, Inputs, returnSequences);
        }

        return result;
    }

    private static double[] Uniform(ref Xoshiro256 random, int length, double scale)
    {
        double[] values = new double[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)random.NextDouble(-scale, scale);
        }

        return values;
    }

    private static float[] ToFloat(double[] values) => Array.ConvertAll(values, value => (float)value);

    private sealed record Result<T>(T[] Output, T[] WeightIhGradient, T[] WeightHhGradient, T[] BiasIhGradient, T[] BiasHhGradient, T[] InputGradient);
}
