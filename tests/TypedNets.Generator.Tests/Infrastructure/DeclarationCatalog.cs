using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;
using Xunit.Sdk;

namespace TypedNets.Generator.Tests.Infrastructure;

/// <summary>
/// Every declaration the diagnostic tests give the generator, read by running those tests with
/// <see cref="GeneratorHarness.Recorder"/> set: a new diagnostic test is covered by the tests that read this catalogue
/// without copying its source.
/// </summary>
internal static class DeclarationCatalog
{
    private static readonly Lazy<IReadOnlyDictionary<string, Declaration>> Cases = new(Collect);

    /// <summary>The declarations with a mistake in them (a TypedNets error, or a C# error on the user's own line), by test case.</summary>
    public static IReadOnlyDictionary<string, Declaration> Invalid => Cases.Value;

    private static IReadOnlyDictionary<string, Declaration> Collect()
    {
        var cases = new SortedDictionary<string, Declaration>(StringComparer.Ordinal);
        foreach (MethodInfo method in typeof(DiagnosticTests).GetMethods(BindingFlags.Public | BindingFlags.Instance).OrderBy(method => method.Name, StringComparer.Ordinal))
        {
            FactAttribute? fact = method.GetCustomAttribute<FactAttribute>();
            if (fact is null || fact.Skip is not null)
            {
                continue;
            }

            IEnumerable<object?[]> rows = fact is TheoryAttribute
                ? method.GetCustomAttributes<DataAttribute>().SelectMany(data => data.GetData(method))
                : [[]];
            foreach (object?[] row in rows)
            {
                var runs = new List<(CSharpCompilation Compilation, AdditionalText[] AdditionalTexts)>();
                GeneratorHarness.Recorder.Value = runs;
                try
                {
                    method.Invoke(new DiagnosticTests(), row);
                }
                catch (TargetInvocationException)
                {
                    // The diagnostic test reports its own failure; its declaration is recorded all the same.
                }
                finally
                {
                    GeneratorHarness.Recorder.Value = null;
                }

                string name = method.Name + (row.Length == 0 ? string.Empty : "(" + string.Join(", ", row.Select(Describe)) + ")");
                for (int i = 0; i < runs.Count; i++)
                {
                    var declaration = new Declaration(name + (runs.Count > 1 ? "#" + (i + 1).ToString(CultureInfo.InvariantCulture) : string.Empty), runs[i].Compilation, runs[i].AdditionalTexts);
                    if (declaration.IsInvalid)
                    {
                        cases[declaration.Name] = declaration;
                    }
                }
            }
        }

        return cases;
    }

    private static string Describe(object? value) => value switch
    {
        null => "null",
        string text => text.Length > 40 ? text.Substring(0, 40) + "..." : text,
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}

/// <summary>One declaration of a diagnostic test: the user's sources and additional files as the test gave them.</summary>
internal sealed class Declaration(string name, CSharpCompilation compilation, AdditionalText[] additionalTexts)
{
    public string Name { get; } = name;

    public CSharpCompilation Compilation { get; } = compilation;

    public AdditionalText[] AdditionalTexts { get; } = additionalTexts;

    /// <summary>Whether the generator reports an error on it or the compiler one on the user's own sources.</summary>
    public bool IsInvalid
    {
        get
        {
            GeneratorRun run = GeneratorHarness.Run(Compilation, AdditionalTexts);
            return run.GeneratorDiagnostics.Any(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error)
                || run.Output.GetDiagnostics().Any(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error
                    && diagnostic.Location.SourceTree is { } tree && Compilation.SyntaxTrees.Contains(tree));
        }
    }

    public override string ToString() => Name;
}
