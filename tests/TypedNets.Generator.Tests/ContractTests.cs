using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// Tables inside the generator that describe something outside it: each is checked against what it describes, so
/// that it cannot go stale.
/// </summary>
public class ContractTests
{
    [Fact]
    public void EveryGeneratedMemberIsAReservedName()
    {
        // Compile and load a real network, then compare what it contains with GeneratedNames.Members, the table the
        // TN0011 check uses. A member added to the emitter but not to the table would let a user's member clash with
        // it as a compiler error inside generated code. The probe embeds weights, with a BatchNorm's running statistics, so that their members are generated too.
        const string source = """
            using TypedNets;

            namespace Reserved;

            [Network, Input(1, 4, 4), EmbeddedWeights("probe.safetensors.b64")]
            public partial class Probe
            {
                [Flatten]                      public partial FlattenLayer Pixels { get; }
                [Dense(8, Activation.GELU)]    public partial DenseLayer Hidden { get; }
                [BatchNorm]                    public partial BatchNormLayer Norm { get; }
                [Dropout(0.5)]                 internal partial DropoutLayer Drop { get; }
                [Dense(3, Activation.Softmax)] public partial DenseLayer Output { get; }
            }
            """;
        string[] layers = ["Pixels", "Hidden", "Norm", "Drop", "Output"];
        GeneratorRun run = GeneratorHarness.Run(source, WeightsFiles.Base64File(
            "probe.safetensors.b64",
            new("hidden.weight", [8, 16]), new("hidden.bias", [8]), new("norm.weight", [8]), new("norm.bias", [8]),
            new("norm.running_mean", [8]), new("norm.running_var", [8]), new("output.weight", [3, 8]), new("output.bias", [3])));
        Expect.NoGeneratorDiagnostics(run);

        using var assembly = new InMemoryAssembly(run.Output);
        Type network = assembly.Type("Reserved.Probe");
        const BindingFlags declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var generatedNames = network.GetMembers(declared)
            .Where(member => member is not ConstructorInfo)
            .Where(member => member is not MethodBase { IsSpecialName: true })   // property accessors
            .Where(member => !member.Name.Contains('.'))                          // explicit interface implementations
            .Where(member => !layers.Contains(member.Name))                       // the user's own layer properties
            .Select(member => member is Type type ? type.Name.Split('`')[0] : member.Name)
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

        IReadOnlyDictionary<string, string> reserved = GeneratorInternals.ReservedMembers;
        var layerFields = layers.Select(GeneratorInternals.LayerField).ToHashSet();
        Assert.All(generatedNames, name => Assert.True(
            reserved.ContainsKey(name) || layerFields.Contains(name),
            $"The network has a member '{name}' that GeneratedNames.Members does not list, so TN0011 cannot catch a user member of that name."));

        // And the other way round: every reserved name is really generated, so the table tells users the truth.
        Assert.All(reserved.Keys, name => Assert.Contains(name, generatedNames));
        Assert.All(layerFields, name => Assert.Contains(name, generatedNames));

        // The public API really is public, as the table's descriptions say.
        Assert.All(
            reserved.Where(pair => !pair.Value.Contains("private", StringComparison.Ordinal)).Select(pair => pair.Key),
            name => Assert.True(network.GetMember(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).Length > 0 || network.GetNestedType(name + "`1") is { IsNestedPublic: true }, $"{name} is not public."));
    }

    public static TheoryData<string> ReservedNames() => new(GeneratorInternals.ReservedMembers.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(ReservedNames))]
    public void LayerWithAReservedNameIsReported(string name)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using TypedNets;

            [Network, Input(10)]
            public partial class Net
            {
                [Dense(2)] public partial DenseLayer {{name}} { get; }
            }
            """);

        Expect.Diagnostic(run, "TN0011", DiagnosticSeverity.Error, 6, name,
            $"'{name}' in network 'Net' clashes with {GeneratorInternals.ReservedMembers[name]} that TypedNets generates; rename it");
        Expect.NothingInGeneratedCode(run);
    }
}
