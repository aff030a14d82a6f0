using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using TypedNets.Generator.Helpers;

namespace TypedNets.Generator.Model;

/// <summary>
/// A diagnostic kept in the pipeline without holding a <see cref="Location"/>: the tree and span rebuild a real
/// source location when it is reported (so <c>#pragma warning disable</c> applies to it).
/// </summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, SyntaxTree? SyntaxTree, TextSpan Span, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, SyntaxNode? node, params string[] arguments)
        => new(descriptor, node?.SyntaxTree, node?.Span ?? default, arguments.ToEquatableArray());

    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
        => new(descriptor, location?.SourceTree, location?.SourceSpan ?? default, arguments.ToEquatableArray());

    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, DiagnosticSite site, params string[] arguments)
        => new(descriptor, site.SyntaxTree, site.Span, arguments.ToEquatableArray());

    public Diagnostic ToDiagnostic()
    {
        Location location = SyntaxTree is null ? Location.None : Location.Create(SyntaxTree, Span);
        object?[] arguments = new object?[Arguments.Length];
        for (int i = 0; i < arguments.Length; i++)
        {
            arguments[i] = Arguments[i];
        }

        return Diagnostic.Create(Descriptor, location, arguments);
    }
}

/// <summary>
/// The result of the transform: the model (absent when the class cannot be generated at all), its diagnostics, and
/// the <c>[EmbeddedWeights]</c> file still to be checked against the project's additional files, if any.
/// </summary>
internal sealed record NetworkInfo(NetworkModel? Model, EquatableArray<DiagnosticInfo> Diagnostics, EmbeddedWeightsRequest? EmbeddedWeights = null);
