using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TypedNets.CodeFixes;

/// <summary>
/// What the fixes read from a network declaration: layer properties, their attributes and the values written in them.
/// The generator's diagnostics carry only a location and a message, so each fix finds its way from the span back to the
/// declaration, and offers nothing where the declaration is not the plain form it knows how to edit.
/// </summary>
internal static class LayerDeclarations
{
    /// <summary>The namespace of the TypedNets attributes and layer types.</summary>
    public const string Namespace = "TypedNets";

    /// <summary>A layer property as written: its declaration, its layer attribute and that attribute's class name without the suffix.</summary>
    public sealed record Layer(PropertyDeclarationSyntax Property, AttributeSyntax Attribute, string Kind, IPropertySymbol? Symbol)
    {
        public string Name => Property.Identifier.ValueText;

        /// <summary>The attribute's data as the compiler bound it (constructor and named arguments).</summary>
        public AttributeData? Data => Symbol?.GetAttributes().FirstOrDefault(data => data.ApplicationSyntaxReference?.Span == Attribute.Span);
    }

    /// <summary>The property's layer attribute, when it has one of the TypedNets layer attributes.</summary>
    public static Layer? LayerOf(PropertyDeclarationSyntax property, SemanticModel model)
    {
        foreach (AttributeSyntax attribute in property.AttributeLists.SelectMany(list => list.Attributes))
        {
            if (model.GetTypeInfo(attribute).Type is INamedTypeSymbol type
                && IsTypedNets(type)
                && type.BaseType?.Name == "LayerAttribute"
                && type.Name.EndsWith("Attribute", System.StringComparison.Ordinal))
            {
                string kind = type.Name.Substring(0, type.Name.Length - "Attribute".Length);
                return new Layer(property, attribute, kind, model.GetDeclaredSymbol(property));
            }
        }

        return null;
    }

    /// <summary>The layer properties of a type declaration, in declaration order.</summary>
    public static List<Layer> LayersOf(TypeDeclarationSyntax type, SemanticModel model)
        => type.Members.OfType<PropertyDeclarationSyntax>().Select(property => LayerOf(property, model)).Where(layer => layer is not null).ToList()!;

    /// <summary>
    /// Whether the layer reads the layer declared before it: it has no <c>[From]</c> and its attribute names no
    /// <c>Input</c>. A fix that edits "the layer before" holds only then.
    /// </summary>
    public static bool ReadsPrevious(Layer layer, SemanticModel model)
        => NamedArgument(layer.Attribute, "Input") is null
           && !layer.Property.AttributeLists.SelectMany(list => list.Attributes)
               .Any(attribute => model.GetTypeInfo(attribute).Type is INamedTypeSymbol { Name: "FromAttribute" } type && IsTypedNets(type));

    /// <summary>The layer property declared just before <paramref name="layer"/> in the same type, if any.</summary>
    public static Layer? Previous(Layer layer, SemanticModel model)
    {
        if (layer.Property.Parent is not TypeDeclarationSyntax type)
        {
            return null;
        }

        List<Layer> layers = LayersOf(type, model);
        int index = layers.FindIndex(candidate => candidate.Property == layer.Property);
        return index > 0 ? layers[index - 1] : null;
    }

    /// <summary>The <c>[Loss]</c> of a network class as written and as bound, if it has one of a known kind.</summary>
    public static (AttributeSyntax Syntax, LossKind Kind)? LossOf(TypeDeclarationSyntax type, SemanticModel model)
    {
        if (model.GetDeclaredSymbol(type) is not INamedTypeSymbol symbol)
        {
            return null;
        }

        foreach (AttributeData data in symbol.GetAttributes())
        {
            if (data.AttributeClass is { Name: "LossAttribute" } attribute && IsTypedNets(attribute)
                && data.ApplicationSyntaxReference?.GetSyntax() is AttributeSyntax syntax
                && data.ConstructorArguments.Length == 1 && data.ConstructorArguments[0].Value is int kind
                && System.Enum.IsDefined(typeof(LossKind), kind))
            {
                return (syntax, (LossKind)kind);
            }
        }

        return null;
    }

    /// <summary>A <c>[Dense]</c>'s units and activation as bound, or <see langword="null"/> where one is not a constant.</summary>
    public static (int Units, Activation Activation)? DenseOf(Layer layer)
    {
        AttributeData? data = layer.Data;
        if (layer.Kind != "Dense" || data is null || data.ConstructorArguments.Length != 2
            || data.ConstructorArguments[0].Value is not int units || data.ConstructorArguments[1].Value is not int activation
            || !System.Enum.IsDefined(typeof(Activation), activation))
        {
            return null;
        }

        return (units, (Activation)activation);
    }

    public static bool IsTypedNets(ITypeSymbol type)
        => type.ContainingNamespace is { Name: Namespace, ContainingNamespace.IsGlobalNamespace: true };

    /// <summary>The named argument <c>Name = value</c> of an attribute, if written.</summary>
    public static AttributeArgumentSyntax? NamedArgument(AttributeSyntax attribute, string name)
        => attribute.ArgumentList?.Arguments.FirstOrDefault(argument => argument.NameEquals?.Name.Identifier.ValueText == name);

    /// <summary>The value of a bool named argument of the attribute as bound, or <paramref name="fallback"/> when absent.</summary>
    public static bool NamedBool(AttributeData? data, string name, bool fallback)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in data?.NamedArguments ?? [])
        {
            if (argument.Key == name && argument.Value.Value is bool value)
            {
                return value;
            }
        }

        return fallback;
    }

    /// <summary>
    /// Sets the named argument <c>Name = value</c> of an attribute: replaces the value where it is written, else appends
    /// it after the other arguments.
    /// </summary>
    public static AttributeSyntax WithNamedArgument(AttributeSyntax attribute, string name, ExpressionSyntax value)
    {
        AttributeArgumentSyntax? existing = NamedArgument(attribute, name);
        if (existing is not null)
        {
            return attribute.ReplaceNode(existing.Expression, value.WithTriviaFrom(existing.Expression));
        }

        AttributeArgumentSyntax argument = SyntaxFactory.AttributeArgument(
            SyntaxFactory.NameEquals(SyntaxFactory.IdentifierName(name), SyntaxFactory.Token(SyntaxKind.EqualsToken).WithLeadingTrivia(SyntaxFactory.Space).WithTrailingTrivia(SyntaxFactory.Space)),
            nameColon: null,
            value);
        return attribute.ArgumentList is null
            ? attribute.WithArgumentList(SyntaxFactory.AttributeArgumentList(SyntaxFactory.SingletonSeparatedList(argument)))
            : attribute.WithArgumentList(attribute.ArgumentList.WithArguments(attribute.ArgumentList.Arguments.AddSeparatedWithSpace(argument)));
    }

    /// <summary>Appends to a separated list with <c>", "</c>, as the arguments are usually written.</summary>
    public static SeparatedSyntaxList<T> AddSeparatedWithSpace<T>(this SeparatedSyntaxList<T> list, T node)
        where T : SyntaxNode
    {
        if (list.Count == 0)
        {
            return list.Add(node);
        }

        var nodes = list.ToList();
        var separators = list.GetSeparators().ToList();
        separators.Add(SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space));
        nodes.Add(node);
        return SyntaxFactory.SeparatedList(nodes, separators);
    }

    /// <summary>
    /// A new layer property written on one line, as the repository's networks are, with the modifiers of
    /// <paramref name="like"/> (<c>public partial</c>) and its indentation.
    /// </summary>
    public static PropertyDeclarationSyntax NewLayerProperty(PropertyDeclarationSyntax like, string attribute, string type, string name)
    {
        string modifiers = string.Join(" ", like.Modifiers.Select(modifier => modifier.ValueText));
        var property = (PropertyDeclarationSyntax)SyntaxFactory.ParseMemberDeclaration($"[{attribute}] {modifiers} {type} {name} {{ get; }}")!;
        SyntaxTriviaList leading = like.GetLeadingTrivia();
        SyntaxTrivia indentation = leading.Count > 0 && leading.Last().IsKind(SyntaxKind.WhitespaceTrivia) ? leading.Last() : default;
        return property
            .WithLeadingTrivia(indentation == default ? SyntaxFactory.TriviaList() : SyntaxFactory.TriviaList(indentation))
            .WithTrailingTrivia(EndOfLine(like));
    }

    /// <summary>The end of line the file uses after <paramref name="node"/>, or a line feed.</summary>
    public static SyntaxTrivia EndOfLine(SyntaxNode node)
    {
        foreach (SyntaxTrivia trivia in node.GetTrailingTrivia())
        {
            if (trivia.IsKind(SyntaxKind.EndOfLineTrivia))
            {
                return trivia;
            }
        }

        return SyntaxFactory.LineFeed;
    }

    /// <summary>
    /// A member name not yet used in the type nor generated by TypedNets: <paramref name="stem"/>, else
    /// <paramref name="stem"/>2, 3, ... as Keras numbers its default layer names.
    /// </summary>
    public static string FreeName(INamedTypeSymbol? type, string stem)
    {
        for (int suffix = 1; ; suffix++)
        {
            string name = suffix == 1 ? stem : stem + suffix.ToString(CultureInfo.InvariantCulture);
            bool taken = type is not null && (type.Name == name || !type.GetMembers(name).IsEmpty);
            if (!taken && !Generator.GeneratedNames.Members.ContainsKey(name))
            {
                return name;
            }
        }
    }

    /// <summary>
    /// The name of a TypedNets type as the declaration can write it: simple where it is in scope at
    /// <paramref name="position"/> (a <c>using TypedNets;</c>), qualified otherwise.
    /// </summary>
    public static string TypeName(SemanticModel model, int position, string simpleName)
        => model.LookupNamespacesAndTypes(position, name: simpleName).OfType<INamedTypeSymbol>().Any(IsTypedNets)
            ? simpleName
            : $"{Namespace}.{simpleName}";

    /// <summary>The name of a TypedNets attribute as the declaration can write it, as <see cref="TypeName"/>.</summary>
    public static string AttributeName(SemanticModel model, int position, string kind)
        => TypeName(model, position, kind + "Attribute") == kind + "Attribute" ? kind : $"{Namespace}.{kind}";
}
