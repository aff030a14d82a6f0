using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Rename;

namespace TypedNets.CodeFixes;

/// <summary>
/// TN0011 on a layer property named like a generated member (<c>Summary</c>, <c>Sample</c>, ...) or like the class:
/// renames the layer, with every reference to it, to the name with <c>Layer</c> appended (<c>SummaryLayer</c>).
/// </summary>
/// <remarks>
/// Other members that clash (a method, a field, a base class member) have no name the fix could choose for the user,
/// so they keep the diagnostic's advice alone.
/// </remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RenameReservedNameCodeFix)), Shared]
public sealed class RenameReservedNameCodeFix : CodeFixProvider
{
    /// <summary>The equivalence key of the fix.</summary>
    public const string Key = "TypedNets.RenameLayer";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds => ["TN0011"];

    // A rename edits every file that refers to the layer; the batch fixer merges text changes per document and would
    // have to reconcile several renames of one solution, which a rename is not made for.
    /// <inheritdoc/>
    public override FixAllProvider? GetFixAllProvider() => null;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            // The diagnostic marks the property's name; a clash reported on the class (a base class member) is not a layer's.
            if (root.FindNode(diagnostic.Location.SourceSpan) is not PropertyDeclarationSyntax property
                || property.Identifier.Span != diagnostic.Location.SourceSpan
                || LayerDeclarations.LayerOf(property, model) is not { Symbol: { } symbol } layer)
            {
                continue;
            }

            string name = LayerDeclarations.FreeName(symbol.ContainingType, layer.Name + "Layer");
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Rename '{layer.Name}' to '{name}'",
                    token => RenameAsync(context.Document.Project.Solution, symbol, name, token),
                    Key),
                diagnostic);
        }
    }

    private static Task<Solution> RenameAsync(Solution solution, ISymbol symbol, string name, CancellationToken cancellationToken)
        => Renamer.RenameSymbolAsync(solution, symbol, new SymbolRenameOptions(), name, cancellationToken);
}
