extern alias generator;

using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NetworkGenerator = generator::TypedNets.Generator.NetworkGenerator;

namespace TypedNets.Generator.Tests.Infrastructure;

/// <summary>Builds test compilations against the real DSL and runtime assemblies and runs the generator in process.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new CSharpParseOptions(LanguageVersion.Latest)
        // Diagnose, not Parse: the generated XML docs then get their crefs checked like in a project with a doc file.
        .WithDocumentationMode(DocumentationMode.Diagnose);

    public static readonly CSharpCompilationOptions CompilationOptions = new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            nullableContextOptions: NullableContextOptions.Enable,
            deterministic: true)
        .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic>
        {
            // Test declarations are not documented; generated members are. CS1591 would flag only the former.
            ["CS1591"] = ReportDiagnostic.Suppress,
            // Assembly unification notes, suppressed by the .NET SDK as well.
            ["CS1701"] = ReportDiagnostic.Suppress,
            ["CS1702"] = ReportDiagnostic.Suppress,
        });

    // Created once: metadata references are expensive, and sharing them lets the robustness test compile quickly.
    public static readonly ImmutableArray<MetadataReference> References = LoadReferences();

    /// <summary>The path test sources get, so that snapshots and diagnostics name a stable file.</summary>
    public const string SourcePath = "Network.cs";

    public static CSharpCompilation CreateCompilation(params string[] sources)
        => CreateCompilation(sources.Select((source, index) => (index == 0 ? SourcePath : $"Other{index}.cs", source)).ToArray());

    public static CSharpCompilation CreateCompilation(params (string Path, string Source)[] sources)
        => EmptyCompilation.AddSyntaxTrees(sources.Select(source => CSharpSyntaxTree.ParseText(source.Source, ParseOptions, source.Path)));

    // Every test compilation derives from this one. A compilation made with CSharpCompilation.Create binds its ~170
    // references into assembly symbols anew; one derived with AddSyntaxTrees shares its parent's, already bound, so
    // a test compiles only its own sources. The symbols are immutable and thread-safe, as the IDE shares them.
    private static readonly CSharpCompilation EmptyCompilation = CSharpCompilation.Create("TestNetworks", [], References, CompilationOptions);

    /// <summary>A driver for the generator, with the project's additional files (AdditionalFiles items) if any.</summary>
    public static GeneratorDriver CreateDriver(params AdditionalText[] additionalTexts)
        => CSharpGeneratorDriver.Create(
            new[] { new NetworkGenerator().AsSourceGenerator() },
            additionalTexts: additionalTexts,
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static GeneratorRun Run(params string[] sources) => Run(CreateCompilation(sources));

    /// <summary>Runs the generator on one source with the given additional files.</summary>
    public static GeneratorRun Run(string source, params AdditionalText[] additionalTexts) => Run(CreateCompilation(source), additionalTexts);

    /// <summary>
    /// While set (on this thread of control), every run is recorded: <see cref="DeclarationCatalog"/> reads the
    /// declarations of the diagnostic tests this way, by running the tests themselves, so that no source is copied.
    /// </summary>
    public static readonly System.Threading.AsyncLocal<List<(CSharpCompilation Compilation, AdditionalText[] AdditionalTexts)>?> Recorder = new();

    public static GeneratorRun Run(CSharpCompilation compilation, params AdditionalText[] additionalTexts)
    {
        Recorder.Value?.Add((compilation, additionalTexts));
        GeneratorDriver driver = CreateDriver(additionalTexts).RunGeneratorsAndUpdateCompilation(
            compilation, out Compilation output, out ImmutableArray<Diagnostic> driverDiagnostics);
        return new GeneratorRun(compilation, output, driver, driverDiagnostics);
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        // Keyed by file name: the test host's own dependencies (System.Numerics.Tensors among them) are in the
        // trusted platform list too, and two copies of one assembly would be ambiguous.
        var paths = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string trusted = (string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty;
        foreach (string path in trusted.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            paths.TryAdd(Path.GetFileName(path), path);
        }

        foreach (string path in new[]
        {
            typeof(NetworkAttribute).Assembly.Location,
            typeof(DenseLayer).Assembly.Location,
            typeof(System.Numerics.Tensors.TensorPrimitives).Assembly.Location,
        })
        {
            paths[Path.GetFileName(path)] = path;
        }

        // A user's compilation runs the generator as an analyzer, never references it; it also compiles the DSL's enums
        // from their source files, so as a reference it would make TypedNets.Activation ambiguous.
        paths.Remove(Path.GetFileName(GeneratorInternals.Assembly.Location));
        // The code fixes, an IDE's analyzer, compile the same enums in.
        paths.Remove("TypedNets.CodeFixes.dll");

        return paths.Values
            .Where(path => path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    }
}

/// <summary>One generator run: the input and updated compilations and what the driver reported.</summary>
internal sealed class GeneratorRun(CSharpCompilation input, Compilation output, GeneratorDriver driver, ImmutableArray<Diagnostic> driverDiagnostics)
{
    public CSharpCompilation Input { get; } = input;

    public Compilation Output { get; } = output;

    public GeneratorDriver Driver { get; } = driver;

    /// <summary>What the generator reported (TN diagnostics, and CS8785 if it crashed).</summary>
    public ImmutableArray<Diagnostic> DriverDiagnostics { get; } = driverDiagnostics;

    public GeneratorDriverRunResult RunResult => Driver.GetRunResult();

    public GeneratorRunResult Result => RunResult.Results.Single();

    /// <summary>The networks' generated files: every generated file but the one import of the shared API (<see cref="ApiSources"/>).</summary>
    public ImmutableArray<GeneratedSourceResult> GeneratedSources => Result.GeneratedSources.Where(source => source.HintName != ApiHintName).ToImmutableArray();

    /// <summary>The file that imports the runtime's network API into the project: one when there is a network, none otherwise.</summary>
    public ImmutableArray<GeneratedSourceResult> ApiSources => Result.GeneratedSources.Where(source => source.HintName == ApiHintName).ToImmutableArray();

    public const string ApiHintName = "TypedNets-NetworkApi.g.cs";

    public IEnumerable<SyntaxTree> GeneratedTrees => Output.SyntaxTrees.Skip(Input.SyntaxTrees.Length);

    /// <summary>The generator's diagnostics, sorted by position for stable assertions and snapshots.</summary>
    public IReadOnlyList<Diagnostic> GeneratorDiagnostics => Result.Diagnostics
        .OrderBy(diagnostic => diagnostic.Location.SourceTree?.FilePath, StringComparer.Ordinal)
        .ThenBy(diagnostic => diagnostic.Location.SourceSpan.Start)
        .ThenBy(diagnostic => diagnostic.Id, StringComparer.Ordinal)
        .ToList();

    /// <summary>The compiler's diagnostics on the updated compilation (user code plus generated code).</summary>
    public IReadOnlyList<Diagnostic> CompilerDiagnostics => Output.GetDiagnostics()
        .Where(diagnostic => diagnostic.Severity >= DiagnosticSeverity.Warning)
        .OrderBy(diagnostic => diagnostic.Location.SourceTree?.FilePath, StringComparer.Ordinal)
        .ThenBy(diagnostic => diagnostic.Location.SourceSpan.Start)
        .ToList();

    public string GeneratedSource(string hintName) => GeneratedSources.Single(source => source.HintName == hintName).SourceText.ToString();
}
