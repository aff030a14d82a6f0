using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// One mistake, one error: every invalid declaration of <see cref="DiagnosticTests"/>, compiled together with user code
/// that calls every member a generated network has, must fail with the TypedNets diagnostics of the mistake alone
/// (and, where the mistake is C# the compiler cannot bind, that one compiler error on the user's line): nothing in the
/// code that uses the network, nothing in generated code, no complaint about an unimplemented partial property.
/// </summary>
public class OneErrorTests
{
    private const string UsagePath = "Usage.cs";

    public static TheoryData<string> InvalidDeclarations => new(DeclarationCatalog.Invalid.Keys);

    [Fact]
    public void The_catalogue_holds_the_invalid_declarations_of_the_diagnostic_tests()
    {
        // A broken recorder would leave the theory below with nothing to check.
        Assert.True(DeclarationCatalog.Invalid.Count >= 60, $"only {DeclarationCatalog.Invalid.Count} invalid declarations were recorded");
        Assert.Contains(DeclarationCatalog.Invalid.Keys, name => name.StartsWith("TN0005_NonPositiveUnits(", StringComparison.Ordinal));
        Assert.Contains(DeclarationCatalog.Invalid.Keys, name => name.StartsWith("TN0031_EmbeddedWeightsMissATensor", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(InvalidDeclarations))]
    public void Code_using_every_generated_member_sees_only_the_declarations_own_errors(string name)
    {
        Declaration declaration = DeclarationCatalog.Invalid[name];

        // One compilation per declaration, with its usage: the declarations reuse class names, and csc stops before
        // method bodies once any declaration error stands, so a usage error of one would hide behind another's
        // declaration error. Compilation.GetDiagnostics binds the bodies all the same (checked: one wrong statement
        // added to the usage fails every case, those with a C# declaration error too), so this count is at least as
        // strict as a build's.
        string usage = Usage(declaration.Compilation);
        CSharpCompilation compilation = declaration.Compilation.AddSyntaxTrees(
            CSharpSyntaxTree.ParseText(usage, GeneratorHarness.ParseOptions, UsagePath));
        GeneratorRun run = GeneratorHarness.Run(compilation, declaration.AdditionalTexts);

        Expect.NoGeneratorException(run);
        var tnErrors = run.GeneratorDiagnostics.Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error).ToList();
        var compilerErrors = run.Output.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error).ToList();

        // The user's own C# errors: those the compiler reports on the declaration with no generator at all, but for
        // the unimplemented partial properties (CS9248) and partial members outside a partial type (CS0751), which
        // the generated part is there to answer.
        var own = declaration.Compilation.GetDiagnostics()
            .Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error && diagnostic.Id is not ("CS9248" or "CS0751"))
            .Select(diagnostic => (diagnostic.Id, diagnostic.Location.SourceTree?.FilePath, diagnostic.Location.SourceSpan))
            .ToHashSet();
        bool staticNetwork = Networks(declaration.Compilation).Any(type => type.IsStatic);
        var unexpected = compilerErrors.Where(error =>
                !own.Contains((error.Id, error.Location.SourceTree?.FilePath, error.Location.SourceSpan))

                // A class that is not partial gets its surface all the same, and the compiler names the same mistake
                // at the same place as TN0001.
                && !(error.Id == "CS0260" && tnErrors.Any(tn => tn.Id == "TN0001" && tn.Location.SourceSpan == error.Location.SourceSpan))

                // A static class cannot hold a network's instance members, so its layer properties stay without
                // implementation; TN0013 says why.
                && !(error.Id == "CS9248" && staticNetwork && tnErrors.Any(tn => tn.Id == "TN0013")))
            .ToList();

        // With no TypedNets error the mistake is C# the compiler cannot bind: it is then the one error.
        int ownCount = compilerErrors.Count - unexpected.Count;
        bool counted = tnErrors.Count > 0 || ownCount == 1;
        if (unexpected.Count > 0 || !counted)
        {
            var report = new StringBuilder();
            report.AppendLine($"{tnErrors.Count} TypedNets error(s) and {compilerErrors.Count} compiler error(s), of which {unexpected.Count} are not the declaration's own:");
            foreach (Diagnostic diagnostic in tnErrors.Concat(compilerErrors))
            {
                report.AppendLine($"  {diagnostic.Location.SourceTree?.FilePath}({diagnostic.Location.GetLineSpan().StartLinePosition.Line + 1}): {diagnostic.Id} {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}");
            }

            report.AppendLine().AppendLine(usage);
            Assert.Fail(report.ToString());
        }
    }

    /// <summary>
    /// C# that uses every public member of every network declared in <paramref name="compilation"/>, as a user's code
    /// would: the constructor, the constants, <c>Sample</c> and <c>Prediction</c>, the typed and flat API, every
    /// <c>INetwork</c> member, <c>Engine&lt;T&gt;</c>, the layer properties and, with <c>[EmbeddedWeights]</c>, its members.
    /// </summary>
    private static string Usage(CSharpCompilation compilation)
    {
        var code = new StringBuilder("""
            #nullable enable
            using System;
            using System.Collections.Generic;
            using TypedNets;

            internal static class Usage
            {

            """);
        int index = 0;
        // A static class cannot be instantiated or passed, so no code can use it as a network.
        foreach (INamedTypeSymbol network in Networks(compilation).Where(type => !type.IsStatic))
        {
            string type = TypeName(network);

            // Each statement with the generated members it uses. A name the user's own member has is the user's
            // (TN0011 reports the clash), so statements on it are left out.
            (string Members, string Statement)[] statements =
            [
                (".ctor", $"_ = new {type}();"),
                (".ctor", $"_ = new {type}(maxBatch: 16, seed: 7);"),
                ("InputShape", $"ReadOnlySpan<int> inputShape = {type}.InputShape;"),
                ("OutputShape", $"ReadOnlySpan<int> outputShape = {type}.OutputShape;"),
                ("InputSize OutputSize ParameterCount", $"const int sizes = {type}.InputSize + {type}.OutputSize + {type}.ParameterCount;"),
                ("Summary", $"const string summary = {type}.Summary;"),
                ("Diagram DiagramSvg", $"const string diagrams = {type}.Diagram + {type}.DiagramSvg;"),
                ("Sample", $"{type}.Sample sample = default;"),
                ("Sample", "sample[0] = 1;"),
                ("Sample", $"sample = {type}.Sample.From(sample);"),
                ("Sample", "string text = sample.ToString();"),
                ("Sample Prediction Predict", $"{type}.Prediction prediction = net.Predict(sample);"),
                ("Sample Prediction Predict", $"prediction = {type}.Prediction.From(prediction);"),
                ("Sample Prediction Predict", "int predictedClass = prediction.ArgMax() + prediction.ToString().Length;"),
                ("Sample", $"var samples = new {type}.Sample[2];"),
                ("Prediction", $"var predictions = new {type}.Prediction[2];"),
                ("Sample Prediction Predict", "net.Predict(samples, predictions);"),
                ("Predict", "net.Predict(new float[20], new float[20]);"),
                ("Sample Prediction Forward", $"ReadOnlySpan<{type}.Prediction> typedOutput = net.Forward(samples, training: true);"),
                ("Forward", "ReadOnlySpan<float> flatOutput = net.Forward(new float[10], training: false);"),
                ("Prediction Backward", "net.Backward(predictions);"),
                ("Backward", "net.Backward(new float[2], new float[10]);"),
                ("DeclaredLoss", $"LossFunction? declared = {type}.DeclaredLoss;"),
                ("Loss", "float loss = net.Loss(new float[2]) + net.Loss(new float[2], LossFunction.MeanSquaredError);"),
                ("LossBackward", "float lossBackward = net.LossBackward(new float[2], null, new float[10]);"),
                ("Regularize", "float penalty = net.Regularize();"),
                ("ZeroGradients", "net.ZeroGradients();"),
                ("Initialize", "net.Initialize(seed: 3);"),
                ("ReseedDropout", "net.ReseedDropout(seed: 3);"),
                ("DropoutRandom", "Xoshiro256 random = net.DropoutRandom;"),
                ("DropoutRandom", "net.DropoutRandom = random;"),
                ("MaxBatch", "int maxBatch = net.MaxBatch;"),
                ("Parameters", "Span<float> parameters = net.Parameters;"),
                ("Gradients", "Span<float> gradients = net.Gradients;"),
                ("Buffers", "Span<float> buffers = net.Buffers;"),
                ("Layers", "IReadOnlyList<Layer> layers = net.Layers;"),
                ("Access", "NetworkAccess access = net.Access;"),
                (string.Empty, "INetwork asInterface = net;"),
                (string.Empty, "asInterface.Predict(new float[20], new float[20]);"),
                (string.Empty, "int interfaceSizes = asInterface.InputSize + asInterface.OutputSize + asInterface.MaxBatch + asInterface.Layers.Count;"),
                (string.Empty, "LossFunction? interfaceLoss = asInterface.DeclaredLoss;"),
                ("Engine", $"var engine = new {type}.Engine<double>(maxBatch: 4, seed: 1);"),
                ("Engine", $"IEngine<double> sharedEngine = new {type}.Engine<double>(engine);"),
                ("Engine", "ReadOnlySpan<double> engineOutput = engine.Forward(new double[10], training: true);"),
                ("Engine", "engine.Backward(new double[2], default);"),
                ("Engine", "double engineLoss = engine.Loss(new double[2], LossFunction.MeanSquaredError) + engine.LossBackward(new double[2], LossFunction.MeanSquaredError, default) + engine.Regularize();"),
                ("Engine", "int engineSizes = engine.MaxBatch + engine.Batch + engine.Parameters.Length + engine.Gradients.Length + engine.Buffers.Length + sharedEngine.InputSize;"),
                ("Engine", "engine.ZeroGradients();"),
                ("Engine", "engine.Initialize(1);"),
                ("Engine", "engine.ReseedDropout(1);"),
                ("Engine", "engine.DropoutRandom = engine.DropoutRandom;"),
            ];
            HashSet<string> taken = UserMemberNames(network);
            code.AppendLine($"    public static void Use{index++}({type} net)");
            code.AppendLine("    {");
            foreach ((string members, string statement) in statements)
            {
                if (!members.Split(' ', StringSplitOptions.RemoveEmptyEntries).Any(taken.Contains))
                {
                    code.AppendLine("        " + statement);
                }
            }

            foreach (IPropertySymbol layer in LayerProperties(network))
            {
                code.AppendLine($"        _ = net.{EscapedName(layer.Name)};");
            }

            if (network.GetAttributes().Any(attribute => attribute.AttributeClass?.ToDisplayString() == "TypedNets.EmbeddedWeightsAttribute"))
            {
                code.AppendLine("        net.LoadEmbeddedWeights();");
                code.AppendLine($"        ReadOnlySpan<byte> weightBytes = {type}.EmbeddedWeightBytes;");
            }

            code.AppendLine("    }");
            code.AppendLine();
        }

        return code.Append('}').AppendLine().ToString();
    }

    /// <summary>
    /// The names of the members the user declared in the network or its base classes (<c>.ctor</c> for a constructor
    /// taking an int and a ulong, which the generated one would clash with).
    /// </summary>
    private static HashSet<string> UserMemberNames(INamedTypeSymbol network)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (INamedTypeSymbol? type = network; type is { SpecialType: not SpecialType.System_Object }; type = type.BaseType)
        {
            foreach (ISymbol member in type.GetMembers().Where(member => !member.IsImplicitlyDeclared))
            {
                if (member is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor)
                {
                    if (SymbolEqualityComparer.Default.Equals(type, network)
                        && constructor.Parameters.Select(parameter => parameter.Type.SpecialType).SequenceEqual([SpecialType.System_Int32, SpecialType.System_UInt64]))
                    {
                        names.Add(".ctor");
                    }
                }
                else
                {
                    names.Add(member.Name);
                }
            }
        }

        return names;
    }

    private static IEnumerable<INamedTypeSymbol> Networks(CSharpCompilation compilation)
        => compilation.GetSymbolsWithName(_ => true, SymbolFilter.Type)
            .OfType<INamedTypeSymbol>()
            .Where(type => type.GetAttributes().Any(attribute => attribute.AttributeClass?.ToDisplayString() == "TypedNets.NetworkAttribute"))
            .OrderBy(type => type.ToDisplayString(), StringComparer.Ordinal);

    /// <summary>Properties with a layer attribute that code outside the class can read.</summary>
    private static IEnumerable<IPropertySymbol> LayerProperties(INamedTypeSymbol network)
        => network.GetMembers().OfType<IPropertySymbol>()
            .Where(property => !property.IsStatic && !property.IsIndexer && property.GetMethod is not null
                && property.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal
                && property.GetAttributes().Any(attribute => attribute.AttributeClass?.BaseType?.ToDisplayString() == "TypedNets.LayerAttribute"));

    /// <summary>The type as code outside it names it: a type parameter of a generic declaration becomes <c>float</c>.</summary>
    private static string TypeName(INamedTypeSymbol type)
    {
        string name = EscapedName(type.Name) + (type.Arity == 0 ? string.Empty : "<" + string.Join(", ", type.TypeParameters.Select(_ => "float")) + ">");
        if (type.ContainingType is { } container)
        {
            return TypeName(container) + "." + name;
        }

        return type.ContainingNamespace.IsGlobalNamespace ? "global::" + name : "global::" + type.ContainingNamespace.ToDisplayString() + "." + name;
    }

    private static string EscapedName(string name)
        => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
}
