using System.Collections.Generic;
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
/// Makes the output layer and a cross-entropy <c>[Loss]</c> fit (TN0018), the rule Keras and PyTorch users know:
/// <c>CrossEntropy</c> takes 2 or more units with Softmax or logits, <c>BinaryCrossEntropy</c> one unit with Sigmoid or a
/// logit. It offers the output activation the declared loss needs, the loss that fits the declared output, and, for a
/// binary loss on a network that does not end in a <c>[Dense]</c>, the missing <c>[Dense(1, Activation.Sigmoid)]</c>
/// output. For TN0017 (Softmax over one unit) it offers Sigmoid.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LossOutputCodeFix)), Shared]
public sealed class LossOutputCodeFix : CodeFixProvider
{
    /// <summary>The equivalence key of the fix that changes the output layer's activation.</summary>
    public const string ActivationKey = "TypedNets.OutputActivation";

    /// <summary>The equivalence key of the fix that changes the loss.</summary>
    public const string LossKey = "TypedNets.LossForOutput";

    /// <summary>The equivalence key of the fix that adds an output layer.</summary>
    public const string OutputKey = "TypedNets.AddOutput";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds => ["TN0017", "TN0018"];

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
            if (diagnostic.Id == "TN0017")
            {
                PropertyDeclarationSyntax? property = node.FirstAncestorOrSelf<PropertyDeclarationSyntax>();
                if (property is not null && LayerDeclarations.LayerOf(property, model) is { } layer && LayerDeclarations.DenseOf(layer) is { Activation: Activation.Softmax })
                {
                    context.RegisterCodeFix(
                        CodeAction.Create($"Use Activation.Sigmoid on '{layer.Name}'", token => EditAsync(context.Document, model, layer, Activation.Sigmoid, null, token), ActivationKey),
                        diagnostic);
                }

                continue;
            }

            if (node.FirstAncestorOrSelf<TypeDeclarationSyntax>() is { } type
                && LayerDeclarations.LossOf(type, model) is { } loss
                && LayerDeclarations.LayersOf(type, model) is { Count: > 0 } layers)
            {
                RegisterLossFixes(context, diagnostic, model, loss, layers);
            }
        }
    }

    private static void RegisterLossFixes(
        CodeFixContext context, Diagnostic diagnostic, SemanticModel model, (AttributeSyntax Syntax, LossKind Kind) loss, List<LayerDeclarations.Layer> layers)
    {
        LayerDeclarations.Layer last = layers[layers.Count - 1];
        bool binary = loss.Kind == LossKind.BinaryCrossEntropy;
        if (last.Kind != "Dense")
        {
            // A binary classifier's output is determined: one Sigmoid unit. (A multi-class one's number of classes is not.)
            if (binary && EndsInAVector(layers, model))
            {
                context.RegisterCodeFix(
                    CodeAction.Create("Add a [Dense(1, Activation.Sigmoid)] output layer", token => AddOutputAsync(context.Document, model, last, token), OutputKey),
                    diagnostic);
            }

            return;
        }

        if (LayerDeclarations.DenseOf(last) is not { } output)
        {
            return;
        }

        // The loss as declared, with the activation it needs; then the other cross-entropy, with the activation it needs.
        foreach (LossKind target in binary ? new[] { LossKind.BinaryCrossEntropy, LossKind.CrossEntropy } : [LossKind.CrossEntropy, LossKind.BinaryCrossEntropy])
        {
            bool targetBinary = target == LossKind.BinaryCrossEntropy;
            if (targetBinary ? output.Units != 1 : output.Units < 2)
            {
                continue;
            }

            Activation fitting = targetBinary ? Activation.Sigmoid : Activation.Softmax;
            Activation? activation = output.Activation is Activation.Identity || output.Activation == fitting ? null : fitting;
            LossKind? newLoss = target == loss.Kind ? null : target;
            if (activation is null && newLoss is null)
            {
                continue;
            }

            string title = (newLoss, activation) switch
            {
                (null, _) => $"Use Activation.{activation} on '{last.Name}'",
                (_, null) => $"Use LossKind.{newLoss}",
                _ => $"Use LossKind.{newLoss} with Activation.{activation} on '{last.Name}'",
            };
            context.RegisterCodeFix(
                CodeAction.Create(
                    title,
                    token => EditAsync(context.Document, model, last, activation, newLoss is { } kind ? (loss.Syntax, kind) : null, token),
                    newLoss is null ? ActivationKey : LossKey),
                diagnostic);
        }
    }

    // Whether the network's output is a vector by the kind of its last layers, which alone the syntax tells: a layer that
    // reduces to a vector, a recurrent layer's last state, or a Dense head on a vector input, seen through any Dropout
    // after it (a Dropout keeps its input's shape). A Dense last is itself the output, handled by the other fixes.
    private static bool EndsInAVector(List<LayerDeclarations.Layer> layers, SemanticModel model)
    {
        for (int i = layers.Count - 1; i >= 0; i--)
        {
            LayerDeclarations.Layer layer = layers[i];
            if (layer.Kind != "Dropout")
            {
                return layer.Kind is "Flatten" or "GlobalAveragePooling1D" or "GlobalMaxPooling1D" or "GlobalAveragePooling2D"
                    || (layer.Kind is "Lstm" or "Gru" && !LayerDeclarations.NamedBool(layer.Data, "ReturnSequences", false))
                    // A Dense head before the Dropout, on a vector input through Dense and Dropout layers only.
                    || (i < layers.Count - 1 && layers.Take(i + 1).All(earlier => earlier.Kind is "Dense" or "Dropout") && HasVectorInput(layer));
            }

            if (!LayerDeclarations.ReadsPrevious(layer, model))
            {
                return false;
            }
        }

        return false;
    }

    private static bool HasVectorInput(LayerDeclarations.Layer layer)
        => layer.Symbol?.ContainingType.GetAttributes().Any(data =>
            data.AttributeClass is { Name: "InputAttribute" } attribute && LayerDeclarations.IsTypedNets(attribute)
            && data.ConstructorArguments.Length == 1 && data.ConstructorArguments[0].Values.Length == 1) == true;

    private static async Task<Document> EditAsync(
        Document document, SemanticModel model, LayerDeclarations.Layer layer, Activation? activation, (AttributeSyntax Syntax, LossKind Kind)? loss, CancellationToken cancellationToken)
    {
        SyntaxNode root = (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!;
        var replacements = new Dictionary<SyntaxNode, SyntaxNode>();
        if (activation is { } newActivation)
        {
            replacements[layer.Attribute] = WithActivation(model, layer.Attribute, newActivation);
        }

        if (loss is { } newLoss && newLoss.Syntax.ArgumentList?.Arguments.FirstOrDefault(argument => argument.NameEquals is null) is { } kind)
        {
            replacements[kind.Expression] = EnumValue(model, kind.Expression, "LossKind", newLoss.Kind.ToString());
        }

        return document.WithSyntaxRoot(root.ReplaceNodes(replacements.Keys, (original, _) => replacements[original]));
    }

    // [Dense(units)] gains the activation as its second argument; a written one has only its member name changed, so
    // that 'Activation.Softmax' and 'TypedNets.Activation.Softmax' keep their form.
    private static AttributeSyntax WithActivation(SemanticModel model, AttributeSyntax attribute, Activation activation)
    {
        SeparatedSyntaxList<AttributeArgumentSyntax> arguments = attribute.ArgumentList!.Arguments;
        AttributeArgumentSyntax? written = arguments.FirstOrDefault(argument => argument.NameColon?.Name.Identifier.ValueText == "activation")
            ?? (arguments.Count > 1 && arguments[1].NameEquals is null && arguments[1].NameColon is null ? arguments[1] : null);
        if (written is not null)
        {
            return attribute.ReplaceNode(written.Expression, EnumValue(model, written.Expression, "Activation", activation.ToString()));
        }

        string activationType = LayerDeclarations.TypeName(model, attribute.SpanStart, "Activation");
        AttributeArgumentSyntax added = SyntaxFactory.AttributeArgument(SyntaxFactory.ParseExpression($"{activationType}.{activation}"));
        // After the units, before any named argument.
        int position = arguments.Count > 0 && arguments[0].NameEquals is null && arguments[0].NameColon is null ? 1 : 0;
        var nodes = arguments.ToList();
        nodes.Insert(position, added);
        var separators = Enumerable.Range(0, nodes.Count - 1)
            .Select(_ => SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space));
        return attribute.WithArgumentList(attribute.ArgumentList.WithArguments(SyntaxFactory.SeparatedList(nodes, separators)));
    }

    private static ExpressionSyntax EnumValue(SemanticModel model, ExpressionSyntax written, string enumName, string member)
    {
        ExpressionSyntax value = written is MemberAccessExpressionSyntax access
            ? access.WithName(SyntaxFactory.IdentifierName(member).WithTriviaFrom(access.Name))
            : SyntaxFactory.ParseExpression($"{LayerDeclarations.TypeName(model, written.SpanStart, enumName)}.{member}");
        return value.WithTriviaFrom(written);
    }

    private static async Task<Document> AddOutputAsync(Document document, SemanticModel model, LayerDeclarations.Layer last, CancellationToken cancellationToken)
    {
        SyntaxNode root = (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!;
        int position = last.Property.SpanStart;
        string activation = LayerDeclarations.TypeName(model, position, "Activation");
        PropertyDeclarationSyntax output = LayerDeclarations.NewLayerProperty(
            last.Property,
            $"{LayerDeclarations.AttributeName(model, position, "Dense")}(1, {activation}.Sigmoid)",
            LayerDeclarations.TypeName(model, position, "DenseLayer"),
            LayerDeclarations.FreeName(last.Symbol?.ContainingType, "Output"));
        return document.WithSyntaxRoot(root.InsertNodesAfter(last.Property, [output]));
    }
}
