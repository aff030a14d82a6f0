using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TypedNets.CodeFixes;

/// <summary>
/// The recurrent layer's <c>ReturnSequences</c>, as Keras' <c>return_sequences</c>: TN0009 on a layer that needs a
/// sequence <c>[steps, features]</c> after an <c>[Lstm]</c> or <c>[Gru]</c> that returns only its last state sets it to
/// <see langword="true"/> there; TN0018 on a classification loss whose output is still a sequence because of one sets
/// it to <see langword="false"/>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReturnSequencesCodeFix)), Shared]
public sealed class ReturnSequencesCodeFix : CodeFixProvider
{
    /// <summary>The equivalence key of the fix that sets <c>ReturnSequences = true</c>.</summary>
    public const string ReturnSequencesKey = "TypedNets.ReturnSequences";

    /// <summary>The equivalence key of the fix that sets <c>ReturnSequences = false</c>.</summary>
    public const string LastStateKey = "TypedNets.ReturnLastState";

    private static readonly ImmutableHashSet<string> NeedsSequence =
        ["Lstm", "Gru", "Conv1D", "MaxPool1D", "AvgPool1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D"];

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds => ["TN0009", "TN0018"];

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

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
            SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan);
            if (diagnostic.Id == "TN0009")
            {
                PropertyDeclarationSyntax? property = node.FirstAncestorOrSelf<PropertyDeclarationSyntax>();
                LayerDeclarations.Layer? layer = property is null ? null : LayerDeclarations.LayerOf(property, model);
                if (layer is null || !NeedsSequence.Contains(layer.Kind) || !LayerDeclarations.ReadsPrevious(layer, model))
                {
                    continue;
                }

                LayerDeclarations.Layer? previous = LayerDeclarations.Previous(layer, model);
                if (previous is { Kind: "Lstm" or "Gru" } && !LayerDeclarations.NamedBool(previous.Data, "ReturnSequences", false))
                {
                    Register(context, diagnostic, previous, true, $"Set ReturnSequences = true on '{previous.Name}'", ReturnSequencesKey);
                }
            }
            else
            {
                // The loss is declared on the class; the sequence comes from its last recurrent layer that returns one.
                TypeDeclarationSyntax? type = node.FirstAncestorOrSelf<TypeDeclarationSyntax>();
                // Only binary cross-entropy: cross-entropy takes a sequence of classes from a Dense on every step.
                LayerDeclarations.Layer? source = type is not null && LayerDeclarations.LossOf(type, model)?.Kind == LossKind.BinaryCrossEntropy
                    ? SequenceSource(type, model)
                    : null;
                if (source is not null)
                {
                    Register(context, diagnostic, source, false, $"Set ReturnSequences = false on '{source.Name}'", LastStateKey);
                }
            }
        }
    }

    // The TN0018 case a returned sequence causes and this fix repairs: the network ends in a Dense that still runs on
    // every step, because no layer after the recurrent one reduces the sequence to a vector. (A network that ends in the
    // recurrent layer itself would then end in no Dense, another TN0018.)
    private static LayerDeclarations.Layer? SequenceSource(TypeDeclarationSyntax type, SemanticModel model)
    {
        var layers = LayerDeclarations.LayersOf(type, model);
        int source = layers.FindLastIndex(layer => layer.Kind is "Lstm" or "Gru" && LayerDeclarations.NamedBool(layer.Data, "ReturnSequences", false));
        if (source < 0 || layers[layers.Count - 1].Kind != "Dense")
        {
            return null;
        }

        for (int i = source + 1; i < layers.Count; i++)
        {
            if (layers[i].Kind is "Flatten" or "GlobalAveragePooling1D" or "GlobalMaxPooling1D" or "Lstm" or "Gru" || !LayerDeclarations.ReadsPrevious(layers[i], model))
            {
                return null;
            }
        }

        return layers[source];
    }

    private static void Register(CodeFixContext context, Diagnostic diagnostic, LayerDeclarations.Layer layer, bool value, string title, string key)
        => context.RegisterCodeFix(
            CodeAction.Create(title, token => SetAsync(context.Document, layer.Attribute, value, token), key),
            diagnostic);

    private static async Task<Document> SetAsync(Document document, AttributeSyntax attribute, bool value, CancellationToken cancellationToken)
    {
        SyntaxNode root = (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!;
        ExpressionSyntax literal = SyntaxFactory.LiteralExpression(value ? SyntaxKind.TrueLiteralExpression : SyntaxKind.FalseLiteralExpression);
        return document.WithSyntaxRoot(root.ReplaceNode(attribute, LayerDeclarations.WithNamedArgument(attribute, "ReturnSequences", literal)));
    }
}
