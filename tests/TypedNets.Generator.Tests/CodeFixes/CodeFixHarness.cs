using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests.CodeFixes;

/// <summary>
/// Runs the code fixes as an IDE does: the source is a document of a workspace project, the generator's diagnostics come
/// from running it on that project's compilation (so their locations are in the document's tree), and every exported
/// <see cref="CodeFixProvider"/> of TypedNets.CodeFixes that declares the id is asked for its fixes.
/// </summary>
/// <remarks>
/// In-house rather than Microsoft.CodeAnalysis.Testing's CSharpCodeFixTest: that harness resolves its reference
/// assemblies by downloading them from NuGet when the test runs, and expects the diagnostics from a
/// DiagnosticAnalyzer; ours come from a source generator, which the tests here already run in process.
/// </remarks>
internal static class CodeFixHarness
{
    /// <summary>The code-fix assembly, found by name as the IDE finds it in the analyzer folder.</summary>
    public static readonly Assembly Assembly = Assembly.Load("TypedNets.CodeFixes");

    /// <summary>Every provider the assembly exports, as MEF would find them.</summary>
    public static IReadOnlyList<CodeFixProvider> Providers { get; } = Assembly.GetTypes()
        .Where(type => !type.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(type) && type.GetCustomAttribute<ExportCodeFixProviderAttribute>() is not null)
        .Select(type => (CodeFixProvider)Activator.CreateInstance(type)!)
        .ToList();

    /// <summary>A one-document project of the source, and the generator's diagnostics on it.</summary>
    public static async Task<(Document Document, ImmutableArray<Diagnostic> Diagnostics)> OpenAsync(string source)
    {
        var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        Solution solution = workspace.CurrentSolution.AddProject(ProjectInfo.Create(
            projectId,
            VersionStamp.Create(),
            "TestNetworks",
            "TestNetworks",
            LanguageNames.CSharp,
            compilationOptions: GeneratorHarness.CompilationOptions,
            parseOptions: GeneratorHarness.ParseOptions,
            metadataReferences: GeneratorHarness.References));
        var documentId = DocumentId.CreateNewId(projectId);
        solution = solution.AddDocument(documentId, GeneratorHarness.SourcePath, SourceText.From(source), filePath: GeneratorHarness.SourcePath);
        Document document = solution.GetDocument(documentId)!;
        var compilation = (CSharpCompilation)(await document.Project.GetCompilationAsync())!;
        GeneratorRun run = GeneratorHarness.Run(compilation);
        return (document, run.GeneratorDiagnostics.ToImmutableArray());
    }

    /// <summary>The fixes every provider offers for one diagnostic, in the providers' order.</summary>
    public static async Task<List<(CodeFixProvider Provider, CodeAction Action)>> FixesAsync(Document document, Diagnostic diagnostic)
    {
        var fixes = new List<(CodeFixProvider, CodeAction)>();
        foreach (CodeFixProvider provider in Providers.Where(provider => provider.FixableDiagnosticIds.Contains(diagnostic.Id)))
        {
            var context = new CodeFixContext(document, diagnostic, (action, _) => fixes.Add((provider, action)), CancellationToken.None);
            await provider.RegisterCodeFixesAsync(context);
        }

        return fixes;
    }

    /// <summary>The titles of the fixes offered for the one diagnostic of <paramref name="id"/>.</summary>
    public static async Task<List<string>> TitlesAsync(string source, string id)
    {
        (Document document, ImmutableArray<Diagnostic> diagnostics) = await OpenAsync(source);
        Diagnostic diagnostic = Assert.Single(diagnostics, candidate => candidate.Id == id);
        return (await FixesAsync(document, diagnostic)).Select(fix => fix.Action.Title).ToList();
    }

    /// <summary>
    /// Applies the fix of <paramref name="equivalenceKey"/> to the one diagnostic of <paramref name="id"/>, requires its
    /// title, and returns the document's new text.
    /// </summary>
    public static async Task<string> ApplyAsync(string source, string id, string equivalenceKey, string title)
    {
        (Document document, ImmutableArray<Diagnostic> diagnostics) = await OpenAsync(source);
        Diagnostic diagnostic = Assert.Single(diagnostics, candidate => candidate.Id == id);
        List<(CodeFixProvider Provider, CodeAction Action)> fixes = await FixesAsync(document, diagnostic);
        (CodeFixProvider _, CodeAction action) = Assert.Single(fixes, fix => fix.Action.EquivalenceKey == equivalenceKey);
        Assert.Equal(title, action.Title);
        return await ApplyAsync(document, action);
    }

    /// <summary>Fixes every diagnostic of <paramref name="id"/> in the document at once, as "Fix all in document" does.</summary>
    public static async Task<string> FixAllAsync(string source, string id, string equivalenceKey)
    {
        (Document document, ImmutableArray<Diagnostic> diagnostics) = await OpenAsync(source);
        ImmutableArray<Diagnostic> matching = diagnostics.Where(diagnostic => diagnostic.Id == id).ToImmutableArray();
        Assert.True(matching.Length > 1, $"The source should have several {id}, not {matching.Length}.");
        CodeFixProvider provider = Assert.Single(await FixesAsync(document, matching[0]), fix => fix.Action.EquivalenceKey == equivalenceKey).Provider;
        FixAllProvider fixAll = provider.GetFixAllProvider() ?? throw new Xunit.Sdk.XunitException($"{provider.GetType().Name} has no fix-all provider.");
        var context = new FixAllContext(document, provider, FixAllScope.Document, equivalenceKey, [id], new FixedDiagnostics(matching), CancellationToken.None);
        CodeAction action = await fixAll.GetFixAsync(context) ?? throw new Xunit.Sdk.XunitException("The fix-all provider offered no fix.");
        return await ApplyAsync(document, action);
    }

    private static async Task<string> ApplyAsync(Document document, CodeAction action)
    {
        ImmutableArray<CodeActionOperation> operations = await action.GetOperationsAsync(CancellationToken.None);
        Solution changed = Assert.Single(operations.OfType<ApplyChangesOperation>()).ChangedSolution;
        return (await changed.GetDocument(document.Id)!.GetTextAsync()).ToString();
    }

    /// <summary>
    /// Requires that the fixed source compiles with the generator with no TypedNets diagnostic and no compiler warning
    /// or error: the fix repaired the declaration rather than trading one diagnostic for another.
    /// </summary>
    public static void AssertCompilesClean(string source)
    {
        GeneratorRun run = GeneratorHarness.Run(source);
        Assert.Empty(run.GeneratorDiagnostics.Select(diagnostic => diagnostic.ToString()));
        Assert.Empty(run.CompilerDiagnostics.Select(diagnostic => diagnostic.ToString()));
    }

    private sealed class FixedDiagnostics(ImmutableArray<Diagnostic> diagnostics) : FixAllContext.DiagnosticProvider
    {
        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>([]);

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);
    }
}
