using System;
using System.IO;
using System.Linq;
using System.Reflection;
using TypedNets.Compression;
using TypedNets.Generator.Tests.Infrastructure;
using TypedNets.Kernels;
using TypedNets.Serialization;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// <c>[EmbeddedWeights(..., Quantization = EmbeddedQuantization.Int8)]</c>: the generator quantises the float file at
/// build time, and the network it compiles is, bit for bit, what the runtime's <c>Quantize()</c> makes of the float
/// network with the same weights: the same weights chosen (tied and grouped ones left float), the same codes and
/// scales (halves rounded to even, all-zero rows, values across the float range), the same parameters and outputs.
/// </summary>
public class EmbeddedInt8Tests
{
    // Each network twice: Plain takes the weights at run time and is quantised by the runtime; Int8 embeds them.
    private const string Recurrent = """
        using TypedNets;

        namespace Int8;

        [Network, TokenInput(5)]
        public partial class Plain
        {
            [Embedding(12, 6)] public partial EmbeddingLayer Tokens { get; }
            [Gru(4, NumLayers = 2, Bidirectional = true, ReturnSequences = true)] public partial GruLayer Encoder { get; }
            [Lstm(3, ReturnSequences = true)] public partial LstmLayer Decoder { get; }
            [Dense(6, Activation.Tanh)] public partial DenseLayer Project { get; }
            [Dense(12, Bias = false, TiedTo = nameof(Tokens))] public partial DenseLayer Head { get; }
        }
        """;

    private const string Convolutional = """
        using TypedNets;

        namespace Int8;

        [Network, Input(4, 6, 6)]
        public partial class Plain
        {
            [Conv2D(4, 3, Groups = 2, Activation = Activation.ReLU)] public partial Conv2DLayer Grouped { get; }
            [Conv2D(5, 2, Activation = Activation.ReLU)] public partial Conv2DLayer Full { get; }
            [BatchNorm] public partial BatchNormLayer Norm { get; }
            [Flatten] public partial FlattenLayer Flat { get; }
            [Dense(7, Activation.ReLU)] public partial DenseLayer Hidden { get; }
            [Dense(3)] public partial DenseLayer Output { get; }
        }
        """;

    public static TheoryData<string, string[]> Networks => new()
    {
        {
            Recurrent,
            [
                "encoder.weight_ih_l0", "encoder.weight_hh_l0", "encoder.weight_ih_l0_reverse", "encoder.weight_hh_l0_reverse",
                "encoder.weight_ih_l1", "encoder.weight_hh_l1", "encoder.weight_ih_l1_reverse", "encoder.weight_hh_l1_reverse",
                "decoder.weight_ih_l0", "decoder.weight_hh_l0", "project.weight",
            ]
        },
        { Convolutional, ["full.weight", "hidden.weight", "output.weight"] },
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void The_embedded_int8_network_is_the_runtimes_quantisation_of_the_float_one_bit_for_bit(string plain, string[] quantised)
    {
        string source = plain + "\n" + plain
            .Replace("using TypedNets;", "", StringComparison.Ordinal)
            .Replace("namespace Int8;", "", StringComparison.Ordinal)
            .Replace("public partial class Plain", "public partial class Int8", StringComparison.Ordinal)
            .Replace("[Network, ", "[EmbeddedWeights(\"net.safetensors.b64\", Quantization = EmbeddedQuantization.Int8), Network, ", StringComparison.Ordinal);

        // The weights: values a quantiser can get wrong (see Values), written by the runtime's own SafeTensors.Save.
        string file;
        using (var first = new InMemoryAssembly(GeneratorHarness.Run(source).Output))
        {
            var network = (INetwork)Activator.CreateInstance(first.Type("Int8.Plain"), 8, 1UL)!;
            Values(network);
            file = Base64Of(network);
        }

        GeneratorRun run = GeneratorHarness.Run(source, WeightsFiles.Text("/project/net.safetensors.b64", file));
        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
        using var assembly = new InMemoryAssembly(run.Output);
        var embedded = (INetwork)Activator.CreateInstance(assembly.Type("Int8.Int8"), 8, 1UL)!;
        var floats = (INetwork)Activator.CreateInstance(assembly.Type("Int8.Plain"), 8, 1UL)!;
        SafeTensors.Load(floats, Convert.FromBase64String(file));
        INetwork quantized = Quantize(floats);

        Int8Weights expected = quantized.Core.Engine.Int8Weights!;
        Int8Weights actual = embedded.Core.Engine.Int8Weights ?? throw new Xunit.Sdk.XunitException("the embedded network is not quantised");
        Assert.Equal(quantised, expected.Weights.Select(weight => weight.Name));
        Assert.Equal(expected.Weights.Select(weight => (weight.Name, weight.Offset, weight.Rows, weight.Columns, weight.IsStatic)),
            actual.Weights.Select(weight => (weight.Name, weight.Offset, weight.Rows, weight.Columns, weight.IsStatic)));
        for (int i = 0; i < expected.Weights.Count; i++)
        {
            Assert.Equal(Codes(expected.Weights[i]), Codes(actual.Weights[i]));
            Assert.Equal(Bits(expected.Weights[i].Scales.ToArray()), Bits(actual.Weights[i].Scales.ToArray()));
        }

        Assert.Equal(Bits(quantized.Parameters.ToArray()), Bits(embedded.Parameters.ToArray()));
        Assert.Equal(Bits(quantized.Buffers.ToArray()), Bits(embedded.Buffers.ToArray()));
        float[] input = Input(embedded.Core.InputSize * 8, tokens: source.Contains("TokenInput", StringComparison.Ordinal));
        Assert.Equal(Bits(quantized.Forward(input, training: false).ToArray()), Bits(embedded.Forward(input, training: false).ToArray()));

        // And it is quantised: LoadEmbeddedWeights after Initialize brings back the int8 network, not the float one.
        float[] parameters = embedded.Parameters.ToArray();
        embedded.Initialize(5);
        assembly.Type("Int8.Int8").GetMethod("LoadEmbeddedWeights")!.Invoke(embedded, null);
        Assert.Equal(Bits(parameters), Bits(embedded.Parameters.ToArray()));
        Assert.True(embedded.IsQuantized);
    }

    [Fact]
    public void Halves_round_to_even_and_a_zero_row_has_scale_one()
    {
        // Row 0's largest magnitude is 127/16, so its scale is exactly 1/16 and w/scale lands on halves: 2.5 -> 2,
        // 3.5 -> 4, -2.5 -> -2, 0.5 -> 0 (half away from zero would give 3, 4, -3, 1). Row 1 is all zeros.
        const float Sixteenth = 1f / 16;
        float[] weight = [127 * Sixteenth, 2.5f * Sixteenth, 3.5f * Sixteenth, -2.5f * Sixteenth, 0.5f * Sixteenth, 0, 0, 0, 0, 0];
        GeneratorRun run = GeneratorHarness.Run(
            """
            using TypedNets;

            [Network, Input(5), EmbeddedWeights("net.safetensors.b64", Quantization = EmbeddedQuantization.Int8)]
            public partial class Net
            {
                [Dense(2)] public partial DenseLayer Output { get; }
            }
            """,
            WeightsFiles.Base64File("/project/net.safetensors.b64",
                new WeightsFiles.Tensor("output.weight", [2, 5], Replaced: weight.Select((value, i) => (i, value)).ToArray()),
                new WeightsFiles.Tensor("output.bias", [2], First: 0.5f)));

        Expect.NoGeneratorDiagnostics(run);
        using var assembly = new InMemoryAssembly(run.Output);
        var network = (INetwork)Activator.CreateInstance(assembly.Type("Net"), 4, 0UL)!;
        Int8Weight output = network.Core.Engine.Int8Weights!.Weights.Single();
        Assert.Equal([127, 2, 4, -2, 0, 0, 0, 0, 0, 0], Codes(output));
        Assert.Equal([Sixteenth, 1f], output.Scales.ToArray());
        Assert.Equal([127 * Sixteenth, 2 * Sixteenth, 4 * Sixteenth, -2 * Sixteenth, 0, 0, 0, 0, 0, 0, 0.5f, 0.75f], network.Parameters.ToArray());

        // One byte per code, a float per scale and per bias: 10 + 8 + 8 bytes where the float weights take 48.
        Assert.Equal(26, EmbeddedWeightBytes(assembly.Type("Net")).Length);
    }

    // Values at the quantiser's edges, row by row: rows of zeros, rows whose values span 1e-7 to 1e7 in magnitude, rows
    // whose largest magnitude is a negative value, small values, and rows of exact halves of a power-of-two scale.
    private static void Values(INetwork network)
    {
        var random = new SplitMix64(17);
        foreach (ParameterTensor tensor in network.Core.Layers.SelectMany(layer => layer.Parameters).DistinctBy(tensor => tensor.Offset))
        {
            Span<float> values = network.Parameters.Slice(tensor.Offset, tensor.Length);
            int columns = tensor.Shape.Length > 1 ? tensor.Length / tensor.Shape[0] : tensor.Length;
            for (int row = 0; row < tensor.Length / columns; row++)
            {
                Span<float> part = values.Slice(row * columns, columns);
                int kind = random.Next(4);
                for (int i = 0; i < columns; i++)
                {
                    part[i] = kind switch
                    {
                        0 => 0,
                        1 => (float)((random.Next(2_000_001) - 1_000_000) * Math.Pow(10, random.Next(9) - 7)),
                        2 => -(float)(random.Next(1_000_000) * 1e-6),
                        _ => (float)((random.Next(2_000_001) - 1_000_000) * 3e-7),
                    };
                }

                if (kind == 2 && row % 2 == 0)
                {
                    // Largest magnitude 127 / 2^k: the scale is exactly 2^-k and every other value a whole or half code.
                    part[0] = 127f / (1 << random.Next(6));
                    for (int i = 1; i < columns; i++)
                    {
                        part[i] = (random.Next(255) - 127) * 0.5f * part[0] / 127;
                    }
                }
            }
        }
    }

    private static INetwork Quantize(INetwork network)
    {
        MethodInfo quantize = typeof(Quantization).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Single(method => method.Name == "Quantize" && method.IsGenericMethodDefinition && method.GetParameters().Length == 1);
        return (INetwork)quantize.MakeGenericMethod(network.GetType()).Invoke(null, [network])!;
    }

    private static byte[] EmbeddedWeightBytes(Type network)
    {
        // ReadOnlySpan<byte> cannot be boxed; a delegate over the static property's getter reads it.
        MethodInfo getter = network.GetProperty("EmbeddedWeightBytes", BindingFlags.Static | BindingFlags.Public)!.GetMethod!;
        return getter.CreateDelegate<SpanGetter>()().ToArray();
    }

    private delegate ReadOnlySpan<byte> SpanGetter();

    private static string Base64Of(INetwork network)
    {
        using var stream = new MemoryStream();
        SafeTensors.Save(network, stream);
        return Convert.ToBase64String(stream.ToArray());
    }

    private static float[] Input(int length, bool tokens)
    {
        var random = new SplitMix64(3);
        return Enumerable.Range(0, length).Select(_ => tokens ? random.Next(12) : (random.Next(2001) - 1000) / 250f).ToArray();
    }

    private static sbyte[] Codes(Int8Weight weight)
    {
        var codes = new sbyte[weight.Rows * weight.Columns];
        weight.CopyCodes(codes);
        return codes;
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
