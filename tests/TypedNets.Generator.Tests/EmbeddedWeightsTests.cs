using System;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// <c>[EmbeddedWeights]</c> beyond its diagnostics: the weights that compile in are the file's, laid out as the
/// parameter buffer whatever the file's order, <c>new Net()</c> starts from them, only the named file is used, only
/// <c>.b64</c> files are read, and no file, however broken, crashes the generator.
/// </summary>
public class EmbeddedWeightsTests
{
    private const string Source = """
        using TypedNets;

        namespace Embedded;

        [Network, Input(3), EmbeddedWeights("net.safetensors.b64")]
        public partial class Net
        {
            [Dense(4, Activation.ReLU)] public partial DenseLayer Hidden { get; }
            [Dense(2)]                  public partial DenseLayer Output { get; }
        }
        """;

    // In another order than the state_dict's, each tensor with values of its own.
    private static readonly WeightsFiles.Tensor[] Tensors =
    [
        new("output.weight", [2, 4], First: 100),
        new("hidden.bias", [4], First: -10),
        new("output.bias", [2], First: 200),
        new("hidden.weight", [4, 3], First: 1),
    ];

    private static float[] ExpectedParameters()
        => new[] { "hidden.weight", "hidden.bias", "output.weight", "output.bias" }
            .SelectMany(name => Tensors.Single(tensor => tensor.Name == name) is var tensor ? Enumerable.Range(0, tensor.Elements).Select(tensor.Value) : [])
            .ToArray();

    [Fact]
    public void A_new_network_starts_from_the_embedded_weights_in_parameter_order()
    {
        GeneratorRun run = GeneratorHarness.Run(Source, WeightsFiles.Base64File("/repo/app/net.safetensors.b64", Tensors));
        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);

        using var assembly = new InMemoryAssembly(run.Output);
        Type type = assembly.Type("Embedded.Net");
        var network = (INetwork)Activator.CreateInstance(type, 32, 7UL)!;
        Assert.Equal(ExpectedParameters(), network.Parameters.ToArray());

        // Training or Initialize moves away from them; LoadEmbeddedWeights brings them back.
        network.Initialize(3);
        Assert.NotEqual(ExpectedParameters(), network.Parameters.ToArray());
        type.GetMethod("LoadEmbeddedWeights")!.Invoke(network, null);
        Assert.Equal(ExpectedParameters(), network.Parameters.ToArray());

        // And they are what the network computes with: relu(W1 x + b1), then W2 h + b2.
        float[] input = [0.5f, -1, 2];
        float[] expected = Reference(ExpectedParameters(), input);
        Assert.Equal(expected, network.Forward(input, training: false).ToArray());
    }

    [Theory]
    [InlineData("b/net.safetensors.b64")]
    [InlineData("./b/net.safetensors.b64")]
    [InlineData("repo\\b\\net.safetensors.b64")]
    public void A_longer_path_picks_one_of_two_files_of_the_same_name(string name)
    {
        string source = Source.Replace("\"net.safetensors.b64\"", $"@\"{name}\"");
        GeneratorRun run = GeneratorHarness.Run(
            source,
            WeightsFiles.Base64File("/repo/a/net.safetensors.b64", new WeightsFiles.Tensor("unrelated", [1])),
            WeightsFiles.Base64File(@"C:\repo\b\net.safetensors.b64", Tensors));

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
    }

    [Fact]
    public void A_network_with_declaration_errors_does_not_check_its_weights()
    {
        // No weights file at all, but the Dense(0) is the error to fix first; the layout to check against is unknown.
        GeneratorRun run = GeneratorHarness.Run(Source.Replace("[Dense(2)]", "[Dense(0)]"));

        Assert.Equal(["TN0005"], run.GeneratorDiagnostics.Select(diagnostic => diagnostic.Id));
        Expect.NothingInGeneratedCode(run);
    }

    [Fact]
    public void Failed_weights_still_generate_the_network_with_members_that_throw()
    {
        GeneratorRun run = GeneratorHarness.Run(Source);

        Assert.Equal(["TN0029"], run.GeneratorDiagnostics.Select(diagnostic => diagnostic.Id));
        Expect.CompilesCleanly(run);
        string generated = run.GeneratedSource("Embedded.Net.g.cs");
        Assert.Contains("public static global::System.ReadOnlySpan<byte> EmbeddedWeightBytes => throw new global::System.InvalidOperationException(", generated);
        Assert.Contains("\"Net's embedded weights 'net.safetensors.b64' failed their checks (TypedNets errors TN0029-TN0033); fix them to embed the weights.\"", generated);
    }

    [Fact]
    public void Only_base64_files_are_read_and_unreferenced_ones_are_not_reported()
    {
        // A broken .b64 that no network names is no error; a non-.b64 file is never even opened.
        GeneratorRun run = GeneratorHarness.Run(
            Source,
            WeightsFiles.Base64File("/repo/net.safetensors.b64", Tensors),
            WeightsFiles.Text("/repo/broken.b64", "not base64 at all"),
            new ExplodingText("/repo/notes.md"));

        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);
    }

    [Fact]
    public void Corrupted_weights_files_never_crash_the_generator()
    {
        // Seeded corruptions of a valid file: flipped base64 characters, cut text, and bytes changed inside the
        // decoded file (header and data). Each must give no diagnostic or one of TN0030-TN0033 (a changed data byte can
        // make a NaN), and never TN0999.
        string valid = WeightsFiles.Base64(WeightsFiles.SafeTensors(Tensors));
        byte[] bytes = Convert.FromBase64String(valid);
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=!{}[]\",: \n";
        var random = new SplitMix64(29);
        Microsoft.CodeAnalysis.CSharp.CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Source);
        int failures = 0;
        for (int trial = 0; trial < 400; trial++)
        {
            string text;
            switch (trial % 3)
            {
                case 0:
                    char[] chars = valid.ToCharArray();
                    chars[random.Next(chars.Length)] = Alphabet[random.Next(Alphabet.Length)];
                    text = new string(chars);
                    break;
                case 1:
                    text = valid[..random.Next(valid.Length)];
                    break;
                default:
                    byte[] corrupted = (byte[])bytes.Clone();
                    for (int flips = 1 + random.Next(3); flips > 0; flips--)
                    {
                        // Mostly inside the length field and header, where the parser has the most to get wrong.
                        int index = random.Next(2) == 0 ? random.Next(Math.Min(corrupted.Length, 300)) : random.Next(corrupted.Length);
                        corrupted[index] = (byte)random.Next(256);
                    }

                    text = WeightsFiles.Base64(corrupted);
                    break;
            }

            GeneratorRun run = GeneratorHarness.Run(compilation, WeightsFiles.Text("/repo/net.safetensors.b64", text));
            Expect.NoGeneratorException(run);
            Assert.All(run.GeneratorDiagnostics, diagnostic => Assert.Contains(diagnostic.Id, new[] { "TN0030", "TN0031", "TN0032", "TN0033" }));
            failures += run.GeneratorDiagnostics.Count > 0 ? 1 : 0;
        }

        // Most corruptions must be caught; a changed data byte or a flipped metadata letter is a valid file.
        Assert.InRange(failures, 200, 400);
    }

    [Fact]
    public void The_embedded_inference_example_declares_the_quickstart_network_and_its_weights_fit()
    {
        // examples/EmbeddedInference repeats the Quickstart's declaration so that the weights the Quickstart exports
        // fit it; a layer changed in one and not the other would only show at the next export.
        const string Weights = "examples/EmbeddedInference/BinaryClassifier.safetensors.b64";
        GeneratorRun quickstart = GeneratorHarness.Run(RepositoryFiles.Read("examples/Quickstart/BinaryClassifier.cs"));
        GeneratorRun example = GeneratorHarness.Run(
            RepositoryFiles.Read("examples/EmbeddedInference/BinaryClassifier.cs"),
            WeightsFiles.Text(Weights, RepositoryFiles.Read(Weights)));

        Expect.NoGeneratorDiagnostics(quickstart);
        Expect.NoGeneratorDiagnostics(example);
        Assert.Equal(SummaryOf(quickstart), SummaryOf(example));
    }

    private static string SummaryOf(GeneratorRun run)
    {
        string source = Assert.Single(run.GeneratedSources).SourceText.ToString();
        const string Start = "public const string Summary = ";
        int start = source.IndexOf(Start, StringComparison.Ordinal) + Start.Length;
        return source[start..source.IndexOf('\n', start)];
    }

    private static float[] Reference(float[] parameters, float[] input)
    {
        float[] hidden = new float[4];
        for (int unit = 0; unit < 4; unit++)
        {
            float sum = parameters[12 + unit];
            for (int i = 0; i < 3; i++)
            {
                sum += parameters[(unit * 3) + i] * input[i];
            }

            hidden[unit] = Math.Max(0, sum);
        }

        float[] output = new float[2];
        for (int unit = 0; unit < 2; unit++)
        {
            float sum = parameters[24 + unit];
            for (int i = 0; i < 4; i++)
            {
                sum += parameters[16 + (unit * 4) + i] * hidden[i];
            }

            output[unit] = sum;
        }

        return output;
    }

    /// <summary>An additional file that fails the test if the generator reads it.</summary>
    private sealed class ExplodingText(string path) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default)
            => throw new InvalidOperationException($"The generator read '{Path}', which is not a .b64 file.");
    }
}
