using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace TypedNets.Generator.Tests;

/// <summary>
/// Broken and half-typed declarations, as an editor sees them while the user types: the generator must never throw,
/// and whatever it generates must not add compiler errors of its own. Every mutation is derived from a fixed seed,
/// so a failure names a mutation that reproduces.
/// </summary>
public class RobustnessTests(ITestOutputHelper output)
{
    private const ulong Seed = 0x7E57_AB1E_2025UL;
    private const int RandomMutationsPerSeed = 240;
    private const int TruncationStep = 7;

    private static readonly string[] WrongArguments = ["\"x\"", "1.5", "null", "-3", "int.MaxValue", "0", "double.NaN", "(Activation)99", "default", "1e308", "Activation.GELU", "new int[0]"];
    private static readonly string[] PropertyTypes = ["DenseLayer", "DropoutLayer", "FlattenLayer", "Layer", "int", "object", "string", "Missing", "DenseLayer?", "TypedNets.DenseLayer", "global::TypedNets.FlattenLayer"];
    private static readonly string[] Garbage = [";", "{", "}", "(", ")", "[", "]", ",", "partial", "static", "@", "#", "\"", "/*", "=>", "class", "0", "Dense(3)", "[Flatten]", "public", "get;", "<T>", "?", "int.MaxValue"];
    private static readonly string[] LayerNames = ["Forward", "Sample", "Input", "Output", "Net", "Engine", "Parameters", "_engine", "hidden", "Hidden", "HIDDEN"];

    private enum Outcome
    {
        NoSource,
        Clean,
        GeneratedWithOnlyTypedNetsErrors,
        GeneratedWithUserErrors,
        GeneratedCodeErrorsBesideTypedNetsErrors,
        GeneratedCodeErrorsExcusedByUserError,
        GeneratorCrashed,
        InternalError,
        GeneratedCodeErrorsUnexcused,
    }

    [Fact]
    public void MutatedDeclarationsNeverBreakTheGenerator()
    {
        List<Mutation> mutations = CreateMutations();
        Assert.True(mutations.Count >= 1000, $"Only {mutations.Count} mutations.");

        var outcomes = new Outcome[mutations.Count];
        var details = new ConcurrentDictionary<int, string>();
        Parallel.For(0, mutations.Count, index =>
        {
            (outcomes[index], string? detail) = Check(mutations[index].Source);
            if (detail is not null)
            {
                details[index] = detail;
            }
        });

        output.WriteLine($"{mutations.Count} mutations ran.");
        foreach (var group in outcomes.GroupBy(outcome => outcome).OrderBy(group => group.Key))
        {
            output.WriteLine($"  {group.Key}: {group.Count()}");
        }

        foreach (var group in mutations.Select((mutation, index) => (mutation.Kind, Outcome: outcomes[index])).GroupBy(entry => entry.Kind))
        {
            output.WriteLine($"  {group.Key}: {group.Count()} ({string.Join(", ", group.GroupBy(entry => entry.Outcome).Select(g => $"{g.Key} {g.Count()}"))})");
        }

        foreach (int index in details.Keys.Order())
        {
            output.WriteLine($"  FAILED mutation {index} ({mutations[index].Kind}: {mutations[index].Description}) -> {outcomes[index]}: {details[index].Split('\n')[0]}");
        }

        var failures = details.OrderBy(pair => pair.Key).Take(5)
            .Select(pair => $"--- mutation {pair.Key} ({mutations[pair.Key].Kind}: {mutations[pair.Key].Description}) -> {outcomes[pair.Key]}\n{mutations[pair.Key].Source}\n{pair.Value}")
            .ToList();
        Assert.True(failures.Count == 0, $"{details.Count} of {mutations.Count} mutations broke the generator; the first:\n{string.Join("\n", failures)}");

        // The mutations must still reach the generator's work, or the test proves nothing: many must leave a valid
        // network that generates clean code, and many must draw TypedNets diagnostics.
        Assert.True(outcomes.Count(outcome => outcome == Outcome.Clean) >= 100, "Too few mutations still generate valid code.");
        Assert.True(outcomes.Count(outcome => outcome == Outcome.GeneratedWithOnlyTypedNetsErrors) >= 50, "Too few mutations draw TypedNets diagnostics.");
        Assert.True(outcomes.Count(outcome => outcome == Outcome.NoSource) >= 50, "Too few mutations stop generation.");
    }

    [Fact]
    public void MutationsAreDeterministic()
    {
        // A failure report names a mutation by index; that index must mean the same source on the next run.
        List<Mutation> first = CreateMutations();
        List<Mutation> second = CreateMutations();
        Assert.Equal(first.Select(mutation => mutation.Source), second.Select(mutation => mutation.Source));
        Assert.True(first.Select(mutation => mutation.Source).Distinct().Count() >= 1000, "Fewer than 1,000 distinct mutations.");
    }

    private static (Outcome Outcome, string? Failure) Check(string source)
    {
        GeneratorRun run = GeneratorHarness.Run(source);
        if (run.Result.Exception is not null || run.DriverDiagnostics.Any(diagnostic => diagnostic.Id == "CS8785"))
        {
            return (Outcome.GeneratorCrashed, run.Result.Exception?.ToString() ?? DiagnosticRenderer.Render(run.DriverDiagnostics));
        }

        // TN0999 is the generator catching its own exception: the build survives, but it is still a generator bug.
        if (run.GeneratorDiagnostics.Any(diagnostic => diagnostic.Id == "TN0999"))
        {
            return (Outcome.InternalError, DiagnosticRenderer.Render(run.GeneratorDiagnostics));
        }

        if (run.GeneratedSources.IsEmpty)
        {
            return (Outcome.NoSource, null);
        }

        var generatedTrees = run.GeneratedTrees.ToHashSet();
        var errors = run.Output.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error).ToList();
        var inGenerated = errors.Where(error => error.Location.SourceTree is { } tree && generatedTrees.Contains(tree)).ToList();
        bool typedNetsError = run.GeneratorDiagnostics.Any(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error);
        bool userError = errors.Any(error => !inGenerated.Contains(error));

        return (inGenerated.Count, typedNetsError, userError) switch
        {
            (0, false, false) => (Outcome.Clean, null),
            (0, true, false) => (Outcome.GeneratedWithOnlyTypedNetsErrors, null),
            (0, _, true) => (Outcome.GeneratedWithUserErrors, null),
            // A declaration with TypedNets errors gets a surface that must compile: its diagnostics are the only errors.
            (_, true, _) => (Outcome.GeneratedCodeErrorsBesideTypedNetsErrors, DiagnosticRenderer.Render(inGenerated.Take(5))),
            (_, false, true) => (Outcome.GeneratedCodeErrorsExcusedByUserError, null),
            _ => (Outcome.GeneratedCodeErrorsUnexcused, DiagnosticRenderer.Render(inGenerated.Take(5))),
        };
    }

    private sealed record Mutation(string Kind, string Description, string Source);

    private static List<Mutation> CreateMutations()
    {
        var random = new SplitMix64(Seed);
        var mutations = new List<Mutation>();
        foreach (string seed in Seeds())
        {
            for (int length = 0; length < seed.Length; length += TruncationStep)
            {
                mutations.Add(new Mutation("truncate", $"first {length} characters", seed[..length]));
            }

            Func<string, SplitMix64, Mutation?>[] operators =
            [
                DeleteToken, SwapAttributeArguments, ReplaceArgument, DuplicateAttribute, RemoveAttribute,
                RemovePartial, ChangePropertyType, InsertGarbage, RenameLayer,
            ];
            // Distinct sources only: some operators have few choices (a seed has only so many 'partial' keywords),
            // and running one source twice proves nothing more.
            var seen = new HashSet<string>(mutations.Select(mutation => mutation.Source)) { seed };
            int made = 0;
            for (int attempt = 0; made < RandomMutationsPerSeed && attempt < RandomMutationsPerSeed * 20; attempt++)
            {
                Mutation? mutation = random.Pick(operators)(seed, random);
                if (mutation is not null && seen.Add(mutation.Source))
                {
                    mutations.Add(mutation);
                    made++;
                }
            }
        }

        return mutations;
    }

    private static IEnumerable<string> Seeds()
    {
        yield return RepositoryFiles.Read("examples/Quickstart/BinaryClassifier.cs");
        yield return """
            using System.Collections.Generic;
            using TypedNets;

            namespace Zoo.Graphs;

            [Residual(Activation = Activation.ReLU)]
            public partial class Basic
            {
                [Conv2D(4, 3, Padding = 1, Bias = false)] public partial Conv2DLayer Conv1 { get; }
                [BatchNorm(Activation = Activation.ReLU)] public partial BatchNormLayer Bn1 { get; }
                [Shortcut] public partial Projection Downsample { get; }
            }

            [Sequential]
            public partial class Projection
            {
                [Conv2D(4, 1, Bias = false)] public partial Conv2DLayer Conv { get; }
            }

            [Network, Input(2, 6, 6)]
            public partial class Graph
            {
                [Conv2D(2, 3, Padding = 1)] public partial Conv2DLayer Stem { get; }
                [Repeat(2)] public partial IReadOnlyList<Basic> Blocks { get; }
                [From(nameof(Stem)), Conv2D(4, 1)] public partial Conv2DLayer Side { get; }
                [Add(nameof(Blocks))] public partial AddLayer Join { get; }
                [Concatenate(nameof(Join), nameof(Side))] public partial ConcatenateLayer Merge { get; }
                [Flatten] public partial FlattenLayer Flat { get; }
                [Dense(2)] public partial DenseLayer Output { get; }
            }
            """;
        yield return """
            using TypedNets;

            namespace Zoo;

            [Network, Input(16)]
            public partial class DeepMlp
            {
                [Dense(32)]                       public partial DenseLayer Linear { get; }
                [Dense(32, Activation.LeakyReLU)] public partial DenseLayer Leaky { get; }
                [Dense(24, Activation.Tanh)]      public partial DenseLayer Squash { get; }
                [Dense(16, Activation.GELU)]      public partial DenseLayer Smooth { get; }
                [Dropout(0.25)]                   public partial DropoutLayer Drop { get; }
                [Dense(10, Activation.Softmax)]   public partial DenseLayer Classes { get; }
            }
            """;
        yield return """
            using TypedNets;

            namespace Zoo.Images;

            [Network]
            [Input(1, 28, 28)]
            internal sealed partial class DigitClassifier
            {
                [Flatten]                       private partial FlattenLayer Pixels { get; }
                [Dense(128, Activation.ReLU)]   internal partial DenseLayer Hidden { get; }
                [Dense(10, Activation.Sigmoid)] public partial DenseLayer Digits { get; }
            }
            """;
        yield return """
            using TypedNets;

            public static partial class Models
            {
                [Network, Input(3)]
                public partial class Xor
                {
                    [Dense(units: 4, activation: Activation.Sigmoid)] public partial DenseLayer Hidden { get; }
                    [Dense(1, Activation.Sigmoid)] public partial DenseLayer Output { get; }

                    public int Extra => 1;
                }
            }
            """;
        yield return """
            using TypedNets;

            namespace Zoo
            {
                [Network, Input(2, 5)]
                partial class Sequence
                {
                    [Flatten] public partial FlattenLayer Flat { get; }
                    [Dropout(rate: 0.1)] public partial DropoutLayer Noise { get; }
                    [Dense(3, Activation.Softmax)] internal partial DenseLayer Input { get; }
                }
            }
            """;
    }

    private static SyntaxNode Root(string source) => CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions).GetRoot();

    private static string Replace(string source, Microsoft.CodeAnalysis.Text.TextSpan span, string text)
        => source[..span.Start] + text + source[span.End..];

    private static Mutation? DeleteToken(string source, SplitMix64 random)
    {
        var tokens = Root(source).DescendantTokens().Where(token => !token.IsKind(SyntaxKind.EndOfFileToken)).ToList();
        SyntaxToken token = random.Pick(tokens);
        return new Mutation("delete token", $"'{token.Text}' at {token.SpanStart}", Replace(source, token.Span, string.Empty));
    }

    private static Mutation? SwapAttributeArguments(string source, SplitMix64 random)
    {
        var lists = Root(source).DescendantNodes().OfType<AttributeArgumentListSyntax>().Where(list => list.Arguments.Count >= 2).ToList();
        if (lists.Count == 0)
        {
            return null;
        }

        AttributeArgumentListSyntax arguments = random.Pick(lists);
        int first = random.Next(arguments.Arguments.Count);
        int second = (first + 1 + random.Next(arguments.Arguments.Count - 1)) % arguments.Arguments.Count;
        (AttributeArgumentSyntax a, AttributeArgumentSyntax b) = first < second
            ? (arguments.Arguments[first], arguments.Arguments[second])
            : (arguments.Arguments[second], arguments.Arguments[first]);

        // Replace the later one first so that the earlier span stays valid.
        string swapped = Replace(Replace(source, b.Span, a.ToString()), a.Span, b.ToString());
        return new Mutation("swap arguments", $"{a} <-> {b}", swapped);
    }

    private static Mutation? ReplaceArgument(string source, SplitMix64 random)
    {
        var arguments = Root(source).DescendantNodes().OfType<AttributeArgumentSyntax>().ToList();
        AttributeArgumentSyntax argument = random.Pick(arguments);
        string replacement = random.Pick(WrongArguments);
        return new Mutation("wrong argument", $"{argument.Expression} -> {replacement}", Replace(source, argument.Expression.Span, replacement));
    }

    private static Mutation? DuplicateAttribute(string source, SplitMix64 random)
    {
        var attributes = Root(source).DescendantNodes().OfType<AttributeSyntax>().ToList();
        AttributeSyntax attribute = random.Pick(attributes);
        bool ownList = random.Next(2) == 0;
        string duplicated = ownList
            ? Replace(source, attribute.Parent!.Span, $"[{attribute}] {attribute.Parent}")
            : Replace(source, attribute.Span, $"{attribute}, {attribute}");
        return new Mutation("duplicate attribute", $"{attribute} ({(ownList ? "own list" : "same list")})", duplicated);
    }

    private static Mutation? RemoveAttribute(string source, SplitMix64 random)
    {
        var attributes = Root(source).DescendantNodes().OfType<AttributeSyntax>().ToList();
        AttributeSyntax attribute = random.Pick(attributes);
        var list = (AttributeListSyntax)attribute.Parent!;
        if (list.Attributes.Count == 1)
        {
            return new Mutation("remove attribute", attribute.ToString(), Replace(source, list.Span, string.Empty));
        }

        // Take the attribute with the comma that separates it from its neighbour.
        int index = list.Attributes.IndexOf(attribute);
        SyntaxToken comma = index < list.Attributes.SeparatorCount ? list.Attributes.GetSeparator(index) : list.Attributes.GetSeparator(index - 1);
        var span = Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(Math.Min(attribute.SpanStart, comma.SpanStart), Math.Max(attribute.Span.End, comma.Span.End));
        return new Mutation("remove attribute", attribute.ToString(), Replace(source, span, string.Empty));
    }

    private static Mutation? RemovePartial(string source, SplitMix64 random)
    {
        var partials = Root(source).DescendantTokens().Where(token => token.IsKind(SyntaxKind.PartialKeyword)).ToList();
        SyntaxToken partial = random.Pick(partials);
        return new Mutation("remove partial", $"at {partial.SpanStart} ({partial.Parent?.Kind()})", Replace(source, partial.Span, string.Empty));
    }

    private static Mutation? ChangePropertyType(string source, SplitMix64 random)
    {
        var properties = Root(source).DescendantNodes().OfType<PropertyDeclarationSyntax>().ToList();
        PropertyDeclarationSyntax property = random.Pick(properties);
        string type = random.Pick(PropertyTypes);
        return new Mutation("property type", $"{property.Identifier}: {property.Type} -> {type}", Replace(source, property.Type.Span, type));
    }

    private static Mutation? InsertGarbage(string source, SplitMix64 random)
    {
        var tokens = Root(source).DescendantTokens().ToList();
        SyntaxToken token = random.Pick(tokens);
        string garbage = random.Pick(Garbage);
        return new Mutation("garbage", $"'{garbage}' before '{token.Text}' at {token.SpanStart}", source.Insert(token.SpanStart, garbage + " "));
    }

    private static Mutation? RenameLayer(string source, SplitMix64 random)
    {
        var properties = Root(source).DescendantNodes().OfType<PropertyDeclarationSyntax>().ToList();
        PropertyDeclarationSyntax property = random.Pick(properties);
        string name = random.Pick(LayerNames);
        return new Mutation("rename layer", $"{property.Identifier} -> {name}", Replace(source, property.Identifier.Span, name));
    }
}
