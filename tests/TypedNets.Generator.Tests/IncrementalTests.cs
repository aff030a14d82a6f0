extern alias generator;

using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using generator::TypedNets.Generator.Helpers;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// The pipeline caches: edits that do not touch a network leave every tracked step cached or unchanged and emit
/// nothing again, and the models it hands on hold no Roslyn objects.
/// </summary>
public class IncrementalTests
{
    // Every name in TrackingNames, read by reflection, so that a step added later is held to the same rules.
    private static readonly string[] TrackedSteps = typeof(TrackingNames)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(field => field.IsLiteral && field.FieldType == typeof(string))
        .Select(field => (string)field.GetRawConstantValue()!)
        .ToArray();

    // Two networks, one with a warning, so that the diagnostics branch carries a located diagnostic too, and one with
    // embedded weights, so that the additional files' branch is part of every test; the other uses a block, whose class
    // gets a generated part of its own.
    private const string Networks = """
        using TypedNets;

        namespace Cache;

        [Network, Input(10), EmbeddedWeights("classifier.safetensors.b64")]
        public partial class Classifier
        {
            [Dense(50, Activation.ReLU)]   public partial DenseLayer Hidden { get; }
            [Dropout(0.5)]                 public partial DropoutLayer Drop { get; }
            [Dense(2, Activation.Softmax)] public partial DenseLayer Output { get; }
        }

        [Residual]
        public partial class Refine
        {
            [Dense(4, Activation.Tanh)] public partial DenseLayer Inner { get; }
        }

        [Network, Input(4)]
        public partial class Scorer
        {
            public partial Refine Block { get; }
            [Dense(1, Activation.Softmax)] public partial DenseLayer Score { get; }
        }
        """;

    private const string Unrelated = """
        namespace Cache;

        public class Helper
        {
            public int Count(int x) => x + 1;
        }
        """;

    [Fact]
    public void AddingAnUnrelatedFileKeepsEverythingCached()
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Networks, Unrelated);
        GeneratorDriver driver = FirstRun(compilation);

        SyntaxTree added = CSharpSyntaxTree.ParseText("namespace Cache; public static class Added { public const int One = 1; }", GeneratorHarness.ParseOptions, "Added.cs");
        GeneratorRunResult second = driver.RunGenerators(compilation.AddSyntaxTrees(added)).GetRunResult().Results.Single();

        AssertEveryStep(second, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertOutputs(second, IncrementalStepRunReason.Cached);
    }

    [Fact]
    public void EditingAnUnrelatedClassKeepsEverythingCached()
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Networks, Unrelated);
        GeneratorDriver driver = FirstRun(compilation);

        SyntaxTree helper = compilation.SyntaxTrees[1];
        SyntaxTree edited = helper.WithChangedText(SourceText.From(Unrelated.Replace("x + 1", "x + 2").Replace("Count", "Total")));
        GeneratorRunResult second = driver.RunGenerators(compilation.ReplaceSyntaxTree(helper, edited)).GetRunResult().Results.Single();

        AssertEveryStep(second, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertOutputs(second, IncrementalStepRunReason.Cached);
    }

    [Fact]
    public void ChangingAUnitCountRegeneratesThatNetwork()
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Networks, Unrelated);
        GeneratorDriver driver = FirstRun(compilation);
        string before = driver.GetRunResult().Results.Single().GeneratedSources.Single(source => source.HintName == "Cache.Classifier.g.cs").SourceText.ToString();

        SyntaxTree networks = compilation.SyntaxTrees[0];
        SyntaxTree edited = networks.WithChangedText(SourceText.From(Networks.Replace("[Dense(50, Activation.ReLU)]", "[Dense(60, Activation.ReLU)]")));
        GeneratorRunResult second = driver.RunGenerators(compilation.ReplaceSyntaxTree(networks, edited)).GetRunResult().Results.Single();

        string after = second.GeneratedSources.Single(source => source.HintName == "Cache.Classifier.g.cs").SourceText.ToString();
        Assert.NotEqual(before, after);
        Assert.Contains("\"Hidden\", \"hidden\", [10], [60]", after);

        // The changed network's model is Modified; the other network in the same file is not.
        var models = Reasons(second, TrackingNames.Models);
        Assert.Equal(IncrementalStepRunReason.Modified, models[0]);
        Assert.Contains(models[1], new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged });
    }

    [Fact]
    public void MovingADeclarationUpdatesDiagnosticsWithoutRegeneratingCode()
    {
        // ComputeSharp's split: diagnostics travel on their own branch, so a change that only moves a diagnostic
        // (here: a line inserted above the networks) must not emit the sources again.
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Networks, Unrelated);
        GeneratorDriver driver = FirstRun(compilation);

        SyntaxTree networks = compilation.SyntaxTrees[0];
        SyntaxTree edited = networks.WithChangedText(SourceText.From("// A comment that moves every line down.\n" + Networks));
        GeneratorDriver secondDriver = driver.RunGenerators(compilation.ReplaceSyntaxTree(networks, edited));
        GeneratorRunResult second = secondDriver.GetRunResult().Results.Single();

        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(second, TrackingNames.Diagnostics));
        Assert.All(Reasons(second, TrackingNames.Models), reason => Assert.Contains(reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
        var emitted = second.TrackedOutputSteps.Values.SelectMany(steps => steps)
            .Where(step => step.Inputs.All(input => input.Source.Name != TrackingNames.Diagnostics))
            .SelectMany(step => step.Outputs)
            .ToList();
        Assert.NotEmpty(emitted);
        Assert.All(emitted, output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));

        // The warning followed its line.
        Diagnostic warning = Assert.Single(second.Diagnostics);
        Assert.Equal("TN0017", warning.Id);
        Assert.Equal(24, warning.Location.GetLineSpan().StartLinePosition.Line + 1);
    }

    [Fact]
    public void ChangingTheWeightsFileRegeneratesOnlyTheNetworkThatEmbedsIt()
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Networks, Unrelated);
        GeneratorDriver driver = FirstRun(compilation);
        string before = driver.GetRunResult().Results.Single().GeneratedSources.Single(source => source.HintName == "Cache.Classifier.g.cs").SourceText.ToString();

        AdditionalText retrained = ClassifierWeights(first: 3);
        GeneratorRunResult second = driver.ReplaceAdditionalText(WeightsText, retrained).RunGenerators(compilation).GetRunResult().Results.Single();

        Assert.Equal([IncrementalStepRunReason.Modified], Reasons(second, TrackingNames.WeightsFiles));
        var models = Reasons(second, TrackingNames.Models);
        Assert.Equal(IncrementalStepRunReason.Modified, models[0]);
        Assert.Contains(models[1], new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged });
        string after = second.GeneratedSources.Single(source => source.HintName == "Cache.Classifier.g.cs").SourceText.ToString();
        Assert.NotEqual(before, after);
        Assert.Contains("0x4050000040400000,", after);   // 3.0f and 3.25f, the first two weights
    }

    [Fact]
    public void AddingAnotherAdditionalFileKeepsTheWeightsCached()
    {
        // A .b64 file that no network names changes the collected files but no network's model; a file of another
        // extension is not even read.
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Networks, Unrelated);
        GeneratorDriver driver = FirstRun(compilation);

        GeneratorRunResult second = driver
            .AddAdditionalTexts([WeightsFiles.Text("/repo/unused.b64", "AAAA"), WeightsFiles.Text("/repo/README.md", "# notes")])
            .RunGenerators(compilation).GetRunResult().Results.Single();

        Assert.All(Reasons(second, TrackingNames.EmbeddedWeights), reason => Assert.Contains(reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
        Assert.All(Reasons(second, TrackingNames.Models), reason => Assert.Contains(reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
        AssertOutputs(second, IncrementalStepRunReason.Cached);
    }

    [Fact]
    public void PipelineModelsHoldNoRoslynObjects()
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Networks, Unrelated);
        GeneratorRunResult result = GeneratorHarness.CreateDriver(WeightsText).RunGenerators(compilation).GetRunResult().Results.Single();

        var seen = new HashSet<string>();
        Assert.Superset(new HashSet<string> { TrackingNames.Networks, TrackingNames.Diagnostics, TrackingNames.Models }, TrackedSteps.ToHashSet());
        foreach (string step in TrackedSteps)
        {
            Assert.True(result.TrackedSteps.ContainsKey(step), $"No tracked step named {step}.");
            int index = 0;
            foreach ((object value, IncrementalStepRunReason _) in result.TrackedSteps[step].SelectMany(run => run.Outputs))
            {
                ObjectGraph graph = ObjectGraph.Walk(value, $"{step}[{index++}]");
                Assert.True(graph.Problems.Count == 0, string.Join("\n", graph.Problems));
                seen.UnionWith(graph.VisitedTypeNames);
            }
        }

        // The walk must have reached the models and the located diagnostic, or it proved nothing.
        Assert.Superset(
            new HashSet<string>
            {
                "NetworkInfo", "NetworkModel", "LayerModel", "DiagnosticInfo", "DiagnosticDescriptor",
                "EmbeddedWeightsRequest", "DiagnosticSite", "EmbeddedWeightsModel", "WeightsFile", "WeightsTensor",
                "BlockModel", "BlockChildModel", "BlockMemberModel", "BlockValueModel",
            },
            seen);
    }

    [Fact]
    public void ObjectGraphWalkFindsRoslynObjectsWhereverTheyHide()
    {
        // The purity test is only as good as the walker; here it must find every planted object.
        SyntaxTree tree = CSharpSyntaxTree.ParseText("class C { }");
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation("class C { }");
        var planted = new
        {
            Tuple = (1, "x", SyntaxFactory.IdentifierName("x")),
            Items = new List<object> { Location.None },
            Array = ImmutableArray.Create<object>(compilation.GetSpecialType(SpecialType.System_Int32)),
            Record = new Holder(compilation, tree),
        };

        ObjectGraph graph = ObjectGraph.Walk(planted, "planted");

        Assert.True(graph.Problems.Count == 5, string.Join("\n", graph.Problems));
        Assert.Contains(graph.Problems, problem => problem.StartsWith("planted.Tuple.Item3 is a SyntaxNode"));
        Assert.Contains(graph.Problems, problem => problem.StartsWith("planted.Items[0] is a Location"));
        Assert.Contains(graph.Problems, problem => problem.Contains("is a ISymbol"));
        Assert.Contains(graph.Problems, problem => problem.StartsWith("planted.Record.Compilation is a Compilation"));
        Assert.Contains(graph.Problems, problem => problem.StartsWith("planted.Record.Tree is a SyntaxTree outside a DiagnosticInfo or DiagnosticSite"));
    }

    private sealed record Holder(Compilation Compilation, SyntaxTree Tree);

    // The weights of Classifier: hidden [50, 10] and [50], output [2, 50] and [2].
    private static readonly AdditionalText WeightsText = ClassifierWeights(first: 0);

    private static AdditionalText ClassifierWeights(float first)
        => WeightsFiles.Base64File(
            "/repo/Cache/classifier.safetensors.b64",
            new("hidden.weight", [50, 10], First: first), new("hidden.bias", [50]), new("output.weight", [2, 50]), new("output.bias", [2]));

    private static GeneratorDriver FirstRun(CSharpCompilation compilation)
    {
        GeneratorDriver driver = GeneratorHarness.CreateDriver(WeightsText).RunGenerators(compilation);
        GeneratorRunResult first = driver.GetRunResult().Results.Single();
        Assert.Null(first.Exception);
        // The two networks, the block and the one import of the shared API.
        Assert.Equal(4, first.GeneratedSources.Length);

        // Sanity: a first run computes everything, so the later assertions compare against real work.
        AssertEveryStep(first, IncrementalStepRunReason.New);
        return driver;
    }

    private static List<IncrementalStepRunReason> Reasons(GeneratorRunResult result, string step)
    {
        Assert.True(result.TrackedSteps.ContainsKey(step), $"No tracked step named {step}; tracked: {string.Join(", ", result.TrackedSteps.Keys)}.");
        return result.TrackedSteps[step].SelectMany(run => run.Outputs).Select(output => output.Reason).ToList();
    }

    private static void AssertEveryStep(GeneratorRunResult result, params IncrementalStepRunReason[] allowed)
    {
        foreach (string step in TrackedSteps)
        {
            List<IncrementalStepRunReason> reasons = Reasons(result, step);
            Assert.NotEmpty(reasons);
            Assert.True(reasons.All(allowed.Contains), $"Step {step}: expected only {string.Join(" or ", allowed)}, got {string.Join(", ", reasons)}.");
        }
    }

    private static void AssertOutputs(GeneratorRunResult result, IncrementalStepRunReason expected)
    {
        Assert.NotEmpty(result.TrackedOutputSteps);
        foreach ((string name, ImmutableArray<IncrementalGeneratorRunStep> steps) in result.TrackedOutputSteps)
        {
            var reasons = steps.SelectMany(step => step.Outputs).Select(output => output.Reason).ToList();
            Assert.True(reasons.All(reason => reason == expected), $"Output {name}: expected only {expected}, got {string.Join(", ", reasons)}.");
        }
    }
}
