using System;
using System.Globalization;
using System.Linq;
using System.Text;
using TypedNets.Serialization;
using TypedNets.Tests.Networks;
using TypedNets.Tests.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace TypedNets.Tests;

/// <summary>
/// <c>[Dense(..., TiedTo = nameof(Tokens))]</c>: one matrix for the token embedding and the output projection, as
/// GPT-2's <c>lm_head.weight = wte.weight</c>. Its gradient is the sum of both uses; it is a parameter once.
/// </summary>
public sealed class TiedWeightsTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-6;

    // Three samples of four tokens, with repeats, so that a row of the table is read twice by the embedding.
    private static readonly double[] Tokens =
    [
        1, 4, 4, 8,
        3, 3, 0, 3,
        6, 2, 5, 1,
    ];

    private const int Table = 9 * 6;
    private const int Norm = 2 * 6;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Backward_matches_central_differences(bool withBias)
    {
        IEngine<double> engine = withBias ? new TiedHeadWithBiasNet.Engine<double>(3, 5) : new TiedHeadNet.Engine<double>(3, 5);
        GradientCheck.Report report = GradientCheck.Run(engine, batch: 3, training: true, seed: 13, Tokens);
        output.WriteLine($"{report.Checked} gradients, worst relative error {report.WorstRelativeError:E2} at {report.Where}");
        Assert.Equal(engine.Parameters.Length, report.Checked);
        Assert.True(report.WorstRelativeError <= Tolerance, $"worst relative error {report.WorstRelativeError:E2} at {report.Where}");
    }

    [Fact]
    public void The_tied_gradient_is_the_sum_of_the_untied_pair_when_both_matrices_start_equal()
    {
        var tied = new TiedHeadNet.Engine<double>(3, 5);
        var untied = new UntiedHeadNet.Engine<double>(3, 5);
        Assert.Equal(Table + Norm, tied.Parameters.Length);
        Assert.Equal(Table + Norm + Table, untied.Parameters.Length);

        // The untied net with the tied net's table in both places, and the same normalisation.
        Array.Copy(tied.Parameters, untied.Parameters, Table + Norm);
        Array.Copy(tied.Parameters, 0, untied.Parameters, Table + Norm, Table);
        double[] tiedOutput = tied.Forward(Tokens, training: true).ToArray();
        double[] untiedOutput = untied.Forward(Tokens, training: true).ToArray();
        Assert.Equal(untiedOutput, tiedOutput);

        var random = new Xoshiro256(21);
        double[] dy = GradientCheck.Fill(tiedOutput.Length, ref random, 1.0);
        tied.ZeroGradients();
        tied.Backward(dy, []);
        untied.ZeroGradients();
        untied.Backward(dy, []);

        double[] embeddingUse = untied.Gradients[..Table];
        double[] headUse = untied.Gradients[(Table + Norm)..];
        // Both uses contribute, or the sum would not test the tie.
        Assert.Contains(embeddingUse, value => Math.Abs(value) > 1e-3);
        Assert.Contains(headUse, value => Math.Abs(value) > 1e-3);
        for (int i = 0; i < Table; i++)
        {
            Assert.Equal(embeddingUse[i] + headUse[i], tied.Gradients[i], 12);
        }

        Assert.Equal(untied.Gradients[Table..(Table + Norm)], tied.Gradients[Table..(Table + Norm)]);
    }

    [Fact]
    public void The_table_is_a_parameter_once_and_the_head_describes_it_as_its_weight()
    {
        Assert.Equal(Table + Norm, TiedHeadNet.ParameterCount);
        Assert.Equal(UntiedHeadNet.ParameterCount - Table, TiedHeadNet.ParameterCount);
        Assert.Equal(Table + 9, TiedHeadWithBiasNet.ParameterCount);

        var network = new TiedHeadNet(maxBatch: 2, seed: 3);
        Assert.Same(network.Tokens.Weight, network.Head.Weight);
        Assert.Same(network.Tokens, network.Head.TiedTo);
        Assert.Null(network.Head.Bias);
        Assert.Empty(network.Head.Parameters);
        Assert.Equal(["tokens.weight", "norm.weight", "norm.bias"], network.Layers.SelectMany(layer => layer.Parameters).Select(tensor => tensor.Name));
        Assert.Equal(9, network.Head.Units);
        Assert.Equal(6, network.Head.Inputs);

        var biased = new TiedHeadWithBiasNet(maxBatch: 2, seed: 3);
        Assert.Equal(["tokens.weight", "head.bias"], biased.Layers.SelectMany(layer => layer.Parameters).Select(tensor => tensor.Name));
        Assert.Same(biased.Tokens.Weight, biased.Head.Weight);
    }

    [Fact]
    public void The_embedding_initializer_draws_the_table_and_the_head_draws_nothing()
    {
        // The untied net draws the same table first; the tied one has nothing after the normalisation.
        var tied = new TiedHeadNet(maxBatch: 2, seed: 11);
        var untied = new UntiedHeadNet(maxBatch: 2, seed: 11);
        Assert.Equal(untied.Parameters[..(Table + Norm)].ToArray(), tied.Parameters.ToArray());
    }

    [Fact]
    public void Save_writes_the_table_once_under_the_embeddings_name_and_load_restores_it()
    {
        var source = new TiedHeadNet(maxBatch: 2, seed: 3);
        byte[] file = SafeTensorsTesting.SaveToBytes(source);
        string header = SafeTensorsTesting.Split(file).Header;
        Assert.Contains("\"tokens.weight\"", header, StringComparison.Ordinal);
        Assert.DoesNotContain("head.weight", header, StringComparison.Ordinal);

        var target = new TiedHeadNet(maxBatch: 2, seed: 4);
        Assert.NotEqual(source.Parameters.ToArray(), target.Parameters.ToArray());
        SafeTensors.Load(target, file);
        Assert.Equal(source.Parameters.ToArray(), target.Parameters.ToArray());
    }

    [Fact]
    public void A_pytorch_state_dict_listing_the_tied_weight_under_both_names_loads()
    {
        // The alias is checked for its shape and skipped: the table is read from the embedding's name.
        var source = new TiedHeadNet(maxBatch: 2, seed: 3);
        float[] table = source.Parameters[..Table].ToArray();
        byte[] file = PyTorchStyleFile(source, aliasValues: table, aliasShape: "[9,6]");
        var target = new TiedHeadNet(maxBatch: 2, seed: 4);
        SafeTensors.Load(target, file);
        Assert.Equal(source.Parameters.ToArray(), target.Parameters.ToArray());
    }

    [Fact]
    public void An_alias_of_another_shape_is_refused_and_leaves_the_network_as_it_was()
    {
        var source = new TiedHeadNet(maxBatch: 2, seed: 3);
        float[] wrong = new float[6 * 9];
        byte[] file = PyTorchStyleFile(source, aliasValues: wrong, aliasShape: "[6,9]");
        var target = new TiedHeadNet(maxBatch: 2, seed: 4);
        float[] before = target.Parameters.ToArray();
        var error = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(target, file));
        output.WriteLine(error.Message);
        Assert.Contains("'head.weight'", error.Message, StringComparison.Ordinal);
        Assert.Contains("[6, 9]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[9, 6]", error.Message, StringComparison.Ordinal);
        Assert.Contains("tied to 'tokens.weight'", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, target.Parameters.ToArray());
    }

    // tokens.weight, norm.weight, norm.bias as the network holds them, then head.weight with the values given, as
    // torch's state_dict() of nanoGPT lists the tied matrix under both names.
    private static byte[] PyTorchStyleFile(TiedHeadNet network, float[] aliasValues, string aliasShape)
    {
        float[] values = network.Parameters.ToArray().Concat(aliasValues).ToArray();
        static string Entry(string name, string shape, int begin, int end)
            => string.Create(CultureInfo.InvariantCulture, $"\"{name}\":{{\"dtype\":\"F32\",\"shape\":{shape},\"data_offsets\":[{begin * 4},{end * 4}]}}");
        string header = "{" + string.Join(",",
            Entry("tokens.weight", "[9,6]", 0, Table),
            Entry("norm.weight", "[6]", Table, Table + 6),
            Entry("norm.bias", "[6]", Table + 6, Table + Norm),
            Entry("head.weight", aliasShape, Table + Norm, values.Length)) + "}";
        while ((8 + Encoding.UTF8.GetByteCount(header)) % 8 != 0)
        {
            header += " ";
        }

        byte[] data = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, data, 0, data.Length);
        return SafeTensorsTesting.Assemble(header, data);
    }
}
