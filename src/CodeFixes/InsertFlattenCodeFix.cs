using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TypedNets.CodeFixes;

/// <summary>
/// TN0009 on a <c>[Dense]</c> or <c>[LayerNorm]</c> that receives an image: inserts a <c>[Flatten]</c> layer before it,
/// or for a <c>[Dense]</c> a <c>[GlobalAveragePooling2D]</c>, the two ways Keras and PyTorch models turn feature maps
/// into a vector.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(InsertFlattenCodeFix)), Shared]
public sealed class InsertFlattenCodeFix : CodeFixProvider
{
    /// <summary>The equivalence key of the fix that inserts a <c>[Flatten]</c>.</summary>
    public const string FlattenKey = "TypedNets.InsertFlatten";

    /// <summary>The equivalence key of the fix that inserts a <c>[GlobalAveragePooling2D]</c>.</summary>
    public const string PoolingKey = "TypedNets.InsertGlobalAveragePooling2D";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds => ["TN0009"];

    // Inserting one layer per diagnostic is what the user would do by hand, but each insertion changes the shapes after
    // it, so fixing all at once could stack layers that only the first one needed.
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
            PropertyDeclarationSyntax? property = root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<PropertyDeclarationSyntax>();
            LayerDeclarations.Layer? layer = property is null ? null : LayerDeclarations.LayerOf(property, model);
            // TN0009 reaches a Dense or a LayerNorm only for a shape of three or more dimensions (an image).
            if (layer is null || layer.Kind is not ("Dense" or "LayerNorm") || !LayerDeclarations.ReadsPrevious(layer, model))
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Add a [Flatten] layer before '{layer.Name}'",
                    token => InsertBeforeAsync(context.Document, layer, "Flatten", "FlattenLayer", "Flatten", token),
                    FlattenKey),
                diagnostic);
            if (layer.Kind == "Dense")
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        $"Add a [GlobalAveragePooling2D] layer before '{layer.Name}'",
                        token => InsertBeforeAsync(context.Document, layer, "GlobalAveragePooling2D", "GlobalAveragePooling2DLayer", "GlobalPool", token),
                        PoolingKey),
                    diagnostic);
            }
        }
    }

    private static async Task<Document> InsertBeforeAsync(Document document, LayerDeclarations.Layer layer, string kind, string type, string stem, CancellationToken cancellationToken)
    {
        SyntaxNode root = (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!;
        SemanticModel model = (await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false))!;
        int position = layer.Property.SpanStart;
        string name = LayerDeclarations.FreeName(layer.Symbol?.ContainingType, stem);
        PropertyDeclarationSyntax inserted = LayerDeclarations.NewLayerProperty(
            layer.Property,
            LayerDeclarations.AttributeName(model, position, kind),
            LayerDeclarations.TypeName(model, position, type),
            name);
        return document.WithSyntaxRoot(root.InsertNodesBefore(layer.Property, [inserted]));
    }
}
