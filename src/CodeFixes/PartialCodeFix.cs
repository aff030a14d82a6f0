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
/// TN0001 and TN0002: adds the <c>partial</c> modifier the generator needs to a network class, a type enclosing it, or a
/// layer property.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PartialCodeFix)), Shared]
public sealed class PartialCodeFix : CodeFixProvider
{
    /// <summary>The equivalence key of the fix.</summary>
    public const string Key = "TypedNets.MakePartial";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds => ["TN0001", "TN0002"];

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            // TN0001 marks the type's name, TN0002 the property's; another partial declaration of the type may be elsewhere.
            SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan);
            MemberDeclarationSyntax? member = diagnostic.Id == "TN0001"
                ? node.FirstAncestorOrSelf<TypeDeclarationSyntax>()
                : node.FirstAncestorOrSelf<PropertyDeclarationSyntax>();
            if (member is null || member.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                continue;
            }

            string name = member is TypeDeclarationSyntax type ? type.Identifier.ValueText : ((PropertyDeclarationSyntax)member).Identifier.ValueText;
            context.RegisterCodeFix(
                CodeAction.Create($"Make '{name}' partial", token => AddPartialAsync(context.Document, member, token), Key),
                diagnostic);
        }
    }

    private static async Task<Document> AddPartialAsync(Document document, MemberDeclarationSyntax member, CancellationToken cancellationToken)
    {
        SyntaxNode root = (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!;
        return document.WithSyntaxRoot(root.ReplaceNode(member, WithPartial(member)));
    }

    // C# wants partial last among the modifiers, just before 'class', 'record' or the property's type.
    private static MemberDeclarationSyntax WithPartial(MemberDeclarationSyntax member)
    {
        SyntaxTokenList modifiers = member.Modifiers;
        if (modifiers.Count > 0)
        {
            return member.WithModifiers(modifiers.Add(SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space)));
        }

        // No modifiers: partial takes the place, and the leading trivia, of the first token after the attributes.
        SyntaxToken first = member is TypeDeclarationSyntax type ? type.Keyword : ((PropertyDeclarationSyntax)member).Type.GetFirstToken();
        SyntaxToken partial = SyntaxFactory.Token(first.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
        MemberDeclarationSyntax stripped = member.ReplaceToken(first, first.WithLeadingTrivia());
        return stripped.WithModifiers(SyntaxFactory.TokenList(partial));
    }
}
