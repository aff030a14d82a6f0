using Microsoft.CodeAnalysis;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The diagnostics of PyTorch's <c>nn.LSTM</c>/<c>nn.GRU</c> options (<c>num_layers</c>, <c>dropout</c>); part of
/// <see cref="DiagnosticTests"/>, so that <see cref="OneErrorTests"/> compiles their invalid declarations too.
/// </summary>
public partial class DiagnosticTests
{
    [Theory]
    [InlineData("Lstm", "LstmLayer", "LSTM", "0", "a recurrent layer stacks at least 1 layer; use NumLayers = 1 for a single layer, or 2 or more to stack them as PyTorch's num_layers")]
    [InlineData("Gru", "GruLayer", "GRU", "-1", "a recurrent layer stacks at least 1 layer; use NumLayers = 1 for a single layer, or 2 or more to stack them as PyTorch's num_layers")]
    [InlineData("Lstm", "LstmLayer", "LSTM", "2147483647", "one attribute stacks at most 1024 layers; use fewer layers")]
    public void TN0053_InvalidNumberOfRecurrentLayers(string attribute, string type, string kind, string layers, string why)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(5, 4)]
            public partial class Net
            {
                [{{attribute}}(8, NumLayers = {{layers}})] public partial {{type}} Encoder { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0053", Error, 6, layers,
            $"Layer 'Encoder' ({kind}) declares NumLayers = {layers}, but {why}");
    }

    [Theory]
    [InlineData("Lstm", "LstmLayer", "LSTM", "1.0", "1")]
    [InlineData("Gru", "GruLayer", "GRU", "-0.1", "-0.1")]
    [InlineData("Lstm", "LstmLayer", "LSTM", "double.NaN", "NaN")]
    public void TN0054_RecurrentDropoutOutsideTheUnitInterval(string attribute, string type, string kind, string rate, string shown)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(5, 4)]
            public partial class Net
            {
                [{{attribute}}(8, NumLayers = 2, Dropout = {{rate}})] public partial {{type}} Encoder { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0054", Error, 6, rate,
            $"Layer 'Encoder' ({kind}) declares Dropout = {shown}, but the dropout between stacked layers is a probability in [0, 1), such as 0.2");
    }

    [Fact]
    public void TN0055_RecurrentDropoutWithOneLayer()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(5, 4)]
            public partial class Net
            {
                [Lstm(8, Dropout = 0.5, Bidirectional = true)] public partial LstmLayer Encoder { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0055", DiagnosticSeverity.Warning, 6, "0.5",
            "Layer 'Encoder' (LSTM) declares Dropout = 0.5 with a single layer, but that dropout acts only between stacked layers, so it does nothing (PyTorch warns likewise); set NumLayers = 2 or more, or add a [Dropout] layer after it");

        // A warning does not stop generation: the network is emitted and compiles.
        Assert.Contains("public const int OutputSize = 16;", run.GeneratedSource("Net.g.cs"));
        Expect.CompilesCleanly(run);
    }

    [Fact]
    public void TN0055_NotReportedForDropoutBetweenStackedLayers()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            [Network, Input(5, 4)]
            public partial class Net
            {
                [Gru(8, NumLayers = 2, Dropout = 0.5)] public partial GruLayer Encoder { get; }
            }
            """);

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
    }
}
