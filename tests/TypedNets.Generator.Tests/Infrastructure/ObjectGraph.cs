using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;

namespace TypedNets.Generator.Tests.Infrastructure;

/// <summary>
/// Walks an object graph by reflection (fields, and the public properties of the generator's own types; into arrays,
/// reference-type enumerables, records and value tuples) and reports every object a pipeline model must not hold:
/// Roslyn symbols, syntax, locations, compilations and semantic models keep whole compilations alive and defeat the
/// incremental cache, because they never compare equal across runs.
/// </summary>
internal sealed class ObjectGraph
{
    private const int MaxDepth = 64;

    private static readonly Type[] Forbidden = [typeof(ISymbol), typeof(SyntaxNode), typeof(Location), typeof(Compilation), typeof(SemanticModel)];

    private readonly HashSet<object> _visited = new(ReferenceEqualityComparer.Instance);
    private readonly List<string> _problems = [];

    /// <summary>The type names met on the way, so that a test can check that the walk saw what it should.</summary>
    public HashSet<string> VisitedTypeNames { get; } = [];

    public IReadOnlyList<string> Problems => _problems;

    public static ObjectGraph Walk(object? root, string name)
    {
        var graph = new ObjectGraph();
        graph.Visit(root, name, parent: null, depth: 0);
        return graph;
    }

    private void Visit(object? value, string path, object? parent, int depth)
    {
        if (value is null)
        {
            return;
        }

        Type type = value.GetType();
        VisitedTypeNames.Add(type.Name);

        // Each object once, wherever else it is referenced from.
        if (!type.IsValueType && !_visited.Add(value))
        {
            return;
        }

        if (Forbidden.FirstOrDefault(forbidden => forbidden.IsInstanceOfType(value)) is { } kind)
        {
            _problems.Add($"{path} is a {kind.Name} ({type.Name})");
            return;
        }

        if (value is SyntaxTree)
        {
            // Allowed in two places only: the tree of a DiagnosticInfo, as in ComputeSharp's DiagnosticInfo, and of a
            // DiagnosticSite, the same tree and span kept for a diagnostic that a later step reports (the check of
            // embedded weights). A tree is immutable and stays the same instance while its file is unchanged, so it
            // caches; and it lets the diagnostic rebuild a real location that #pragma applies to. It is a leaf: its
            // root is syntax.
            if (parent?.GetType().Name is not ("DiagnosticInfo" or "DiagnosticSite") || !path.EndsWith(".SyntaxTree", StringComparison.Ordinal))
            {
                _problems.Add($"{path} is a SyntaxTree outside a DiagnosticInfo or DiagnosticSite");
            }

            return;
        }

        if (IsLeaf(type))
        {
            return;
        }

        if (depth > MaxDepth)
        {
            _problems.Add($"{path} is nested more than {MaxDepth} levels deep");
            return;
        }

        if (value is Array array)
        {
            int index = 0;
            foreach (object? item in array)
            {
                Visit(item, $"{path}[{index++}]", value, depth + 1);
            }

            return;
        }

        // Value-type collections (EquatableArray, ImmutableArray) are walked through their fields: enumerating a
        // default ImmutableArray throws.
        if (!type.IsValueType && value is IEnumerable enumerable)
        {
            int index = 0;
            foreach (object? item in enumerable)
            {
                Visit(item, $"{path}[{index++}]", value, depth + 1);
            }
        }

        for (Type? declaring = type; declaring is not null && declaring != typeof(object); declaring = declaring.BaseType)
        {
            foreach (FieldInfo field in declaring.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                Visit(field.GetValue(value), $"{path}.{FieldName(field)}", value, depth + 1);
            }
        }

        // Computed properties of the generator's records (OutputShape, DisplayName, ...) are part of what they hand on.
        if (type.Assembly == GeneratorInternals.Assembly)
        {
            foreach (PropertyInfo property in type.GetProperties(BindingFlags.Instance | BindingFlags.Public))
            {
                if (property.GetIndexParameters().Length == 0 && !property.PropertyType.IsByRefLike && property.Name != "EqualityContract")
                {
                    Visit(property.GetValue(value), $"{path}.{property.Name}", value, depth + 1);
                }
            }
        }
    }

    private static bool IsLeaf(Type type)
        => type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || typeof(Type).IsAssignableFrom(type)
            // A descriptor is a static, immutable description of a diagnostic id, shared by every run.
            || type == typeof(DiagnosticDescriptor);

    // "<Model>k__BackingField" (records) and "<Model>i__Field" (anonymous types) read better as "Model".
    private static string FieldName(FieldInfo field)
        => field.Name.StartsWith('<') && field.Name.IndexOf('>') > 1 ? field.Name[1..field.Name.IndexOf('>')] : field.Name;
}
