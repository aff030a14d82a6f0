using System;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// TN0064, embedded weights that have no int8 form (<c>[EmbeddedWeights(..., Quantization = EmbeddedQuantization.Int8)]</c>);
/// part of <see cref="DiagnosticTests"/>, so that <see cref="OneErrorTests"/> compiles their invalid declarations too.
/// </summary>
public partial class DiagnosticTests
{
    private const string Int8Attribute = "EmbeddedWeights(\"net.safetensors.b64\", Quantization = EmbeddedQuantization.Int8)";

    private static string Int8Network(string options = "")
        => EmbeddedNetwork.Replace(EmbeddedAttribute, Int8Attribute.Replace(")", options + ")", StringComparison.Ordinal), StringComparison.Ordinal);

    [Fact]
    public void TN0064_Int8WithNothingToQuantise()
    {
        GeneratorRun run = GeneratorHarness.Run(
            $$"""
            using TypedNets;

            [Network, Input(3), {{Int8Attribute}}]
            public partial class Net
            {
                [LayerNorm] public partial LayerNormLayer Norm { get; }
            }
            """,
            WeightsFiles.Base64File("/project/net.safetensors.b64", new("norm.weight", [3]), new("norm.bias", [3])));

        Expect.Diagnostic(run, "TN0064", Error, 3, Int8Attribute,
            "Network 'Net' cannot embed 'net.safetensors.b64' quantised to int8: it has no weight to quantise (only Dense weights not tied to an embedding, " +
            "ungrouped Conv2D weights and LSTM and GRU weights become int8); remove Quantization = EmbeddedQuantization.Int8 to embed the float weights");
        Expect.NothingInGeneratedCode(run);
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void TN0064_Int8WeightIsNotFinite(float value, string text)
    {
        // AllowNonFinite lets the value into float parameters; an int8 weight has no code for it.
        string attribute = Int8Attribute.Replace(")", ", AllowNonFinite = true)", StringComparison.Ordinal);
        GeneratorRun run = GeneratorHarness.Run(
            Int8Network(", AllowNonFinite = true"),
            WeightsFiles.Base64File("/project/net.safetensors.b64", OutputWeight with { Replaced = [(4, value)] }, OutputBias));

        Expect.Diagnostic(run, "TN0064", Error, 3, attribute,
            $"Network 'Net' cannot embed 'net.safetensors.b64' quantised to int8: tensor 'output.weight' holds {text} at [1, 1], which has no int8 scale; " +
            "embed weights saved before training diverged, or remove Quantization = EmbeddedQuantization.Int8 to embed them as float");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void A_non_finite_bias_stays_float_in_an_int8_network_when_allowed()
    {
        GeneratorRun run = GeneratorHarness.Run(
            Int8Network(", AllowNonFinite = true"),
            WeightsFiles.Base64File("/project/net.safetensors.b64", OutputWeight, OutputBias with { Replaced = [(1, float.NegativeInfinity)] }));

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
    }

    [Fact]
    public void TN0064_Int8ScaleRoundsToZero()
    {
        // 1e-44 is a subnormal float; divided by 127 it rounds to 0, and a scale of 0 has no codes.
        GeneratorRun run = GeneratorHarness.Run(
            Int8Network(),
            WeightsFiles.Base64File("/project/net.safetensors.b64", OutputWeight with { Replaced = [(3, 1e-44f), (4, -1e-44f), (5, 0)] }, OutputBias));

        Expect.Diagnostic(run, "TN0064", Error, 3, Int8Attribute,
            "Network 'Net' cannot embed 'net.safetensors.b64' quantised to int8: row 1 of tensor 'output.weight' is at most 1E-44 in magnitude, so its scale (largest / 127) rounds to 0; " +
            "set the row to zeros, or remove Quantization = EmbeddedQuantization.Int8 to embed the float weights");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0064_Int8RowsDeeperThanTheKernel()
    {
        GeneratorRun run = GeneratorHarness.Run(
            EmbeddedNetwork.Replace("Input(3)", "Input(65794)", StringComparison.Ordinal).Replace("Dense(2)", "Dense(1)", StringComparison.Ordinal)
                .Replace(EmbeddedAttribute, Int8Attribute, StringComparison.Ordinal),
            WeightsFiles.Base64File("/project/net.safetensors.b64", new("output.weight", [1, 65794]), new("output.bias", [1])));

        Expect.Diagnostic(run, "TN0064", Error, 3, Int8Attribute,
            "Network 'Net' cannot embed 'net.safetensors.b64' quantised to int8: the rows of tensor 'output.weight' hold 65,794 values, more than the 65,793 the int8 kernel sums exactly; " +
            "remove Quantization = EmbeddedQuantization.Int8 to embed the float weights");
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void TN0064_QuantizationIsNotAnEmbeddedQuantization()
    {
        const string Attribute = "EmbeddedWeights(\"net.safetensors.b64\", Quantization = (EmbeddedQuantization)7)";
        GeneratorRun run = GeneratorHarness.Run(
            EmbeddedNetwork.Replace(EmbeddedAttribute, Attribute, StringComparison.Ordinal),
            WeightsFiles.Base64File("/project/net.safetensors.b64", OutputWeight, OutputBias));

        Expect.Diagnostic(run, "TN0064", Error, 3, Attribute,
            "Network 'Net' cannot embed 'net.safetensors.b64' quantised to int8: Quantization = 7 is not an EmbeddedQuantization; use EmbeddedQuantization.Int8, or EmbeddedQuantization.None for float weights");
        Expect.NothingInGeneratedCode(run);
    }
}
