using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TypedNets.CodeFixes;

/// <summary>TN0010: gives a layer property the type its attribute declares (<c>DenseLayer</c> for <c>[Dense]</c>, ...).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LayerTypeCodeFix)), Shared]
public sealed class LayerTypeCodeFix : CodeFixProvider
{
    /// <summary>The equivalence key of the fix.</summary>
    public const string Key = "TypedNets.LayerType";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds => ["TN0010"];

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <summary>
    /// The type of a layer attribute's property, as the generator's layer rules name it: the layer's name and
    /// <c>Layer</c>, except that the two 2-D and the two 1-D poolings share one type each.
    /// </summary>
    internal static string LayerType(string kind) => kind switch
    {
        "MaxPool2D" or "AvgPool2D" => "Pool2DLayer",
        "MaxPool1D" or "AvgPool1D" => "Pool1DLayer",
        _ => kind + "Layer",
    };

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
            PropertyDeclarationSyntax? property = root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<PropertyDeclarationSyntax>();
            LayerDeclarations.Layer? layer = property is null ? null : LayerDeclarations.LayerOf(property, model);
            if (layer is null)
            {
                continue;
            }

            // Only a type that exists: a newer DSL's attribute whose type this fix does not know is left alone.
            string type = LayerType(layer.Kind);
            if (model.Compilation.GetTypeByMetadataName($"{LayerDeclarations.Namespace}.{type}") is null)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create($"Change the type of '{layer.Name}' to {type}", token => RetypeAsync(context.Document, layer.Property, type, token), Key),
                diagnostic);
        }
    }

    private static async Task<Document> RetypeAsync(Document document, PropertyDeclarationSyntax property, string type, CancellationToken cancellationToken)
    {
        SyntaxNode root = (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!;
        SemanticModel model = (await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false))!;
        TypeSyntax retyped = SyntaxFactory.ParseTypeName(LayerDeclarations.TypeName(model, property.Type.SpanStart, type)).WithTriviaFrom(property.Type);
        return document.WithSyntaxRoot(root.ReplaceNode(property.Type, retyped));
    }
}
