using System;
using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TypedNets.CodeFixes;

/// <summary>
/// A dropout probability outside [0, 1): a <c>[Dropout]</c> rate (TN0006), an <c>[Lstm]</c>/<c>[Gru]</c>'s
/// <c>Dropout</c> (TN0054) or a <c>[SelfAttention]</c>'s <c>Dropout</c> (TN0058). The fix clamps it into range: a
/// negative or NaN rate to 0 (no dropout), one of 1 or more to 0.99. A rate between 1 and 100 is most likely a
/// percentage, so that reading (50 -> 0.5) is offered first.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RateCodeFix)), Shared]
public sealed class RateCodeFix : CodeFixProvider
{
    /// <summary>The equivalence key of the fix that clamps the rate into [0, 1).</summary>
    public const string ClampKey = "TypedNets.ClampRate";

    /// <summary>The equivalence key of the fix that reads the rate as a percentage.</summary>
    public const string PercentageKey = "TypedNets.RateAsPercentage";

    /// <summary>The highest rate the clamp writes: two decimals below 1, as rates are written.</summary>
    internal const double Highest = 0.99;

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds => ["TN0006", "TN0054", "TN0058"];

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
            // The diagnostic marks the rate's expression; without an argument there (a default) there is nothing to edit.
            AttributeArgumentSyntax? argument = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<AttributeArgumentSyntax>();
            if (argument is null || model.GetConstantValue(argument.Expression, context.CancellationToken) is not { HasValue: true, Value: var value })
            {
                continue;
            }

            double rate = Convert.ToDouble(value, CultureInfo.InvariantCulture);
            if (rate > 1 && rate < 100)
            {
                double fraction = rate / 100;
                context.RegisterCodeFix(
                    CodeAction.Create($"Read {argument.Expression} as a percentage: {Format(fraction)}", token => SetAsync(context.Document, argument, fraction, token), PercentageKey),
                    diagnostic);
            }

            double clamped = rate >= 1 ? Highest : 0;
            context.RegisterCodeFix(
                CodeAction.Create($"Clamp the rate to {Format(clamped)}", token => SetAsync(context.Document, argument, clamped, token), ClampKey),
                diagnostic);
        }
    }

    /// <summary>A rate as C# writes a double: <c>0.0</c>, <c>0.5</c>, <c>0.99</c>.</summary>
    internal static string Format(double rate)
    {
        string text = rate.ToString("R", CultureInfo.InvariantCulture);
        return text.IndexOfAny(['.', 'E', 'e']) < 0 ? text + ".0" : text;
    }

    private static async Task<Document> SetAsync(Document document, AttributeArgumentSyntax argument, double rate, CancellationToken cancellationToken)
    {
        SyntaxNode root = (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!;
        LiteralExpressionSyntax literal = SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(Format(rate), rate));
        return document.WithSyntaxRoot(root.ReplaceNode(argument.Expression, literal.WithTriviaFrom(argument.Expression)));
    }
}
