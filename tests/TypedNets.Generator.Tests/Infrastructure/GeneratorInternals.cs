extern alias generator;

using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using NetworkGenerator = generator::TypedNets.Generator.NetworkGenerator;

namespace TypedNets.Generator.Tests.Infrastructure;

/// <summary>
/// The generator's internal tables, read by reflection: the test project cannot be a friend assembly of the
/// generator without editing it, and these checks exist so that the tables cannot drift from what they describe.
/// </summary>
internal static class GeneratorInternals
{
    public static Assembly Assembly => typeof(NetworkGenerator).Assembly;

    public static Type Type(string fullName)
        => Assembly.GetType(fullName, throwOnError: false) ?? throw new InvalidOperationException($"The generator has no type {fullName}.");

    /// <summary>Every <see cref="DiagnosticDescriptor"/> in <c>DiagnosticDescriptors</c>, by field name.</summary>
    public static IReadOnlyDictionary<string, DiagnosticDescriptor> Descriptors
        => Type("TypedNets.Generator.DiagnosticDescriptors")
            .GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Where(descriptor => descriptor.FieldType == typeof(DiagnosticDescriptor))
            .ToDictionary(descriptor => descriptor.Name, descriptor => (DiagnosticDescriptor)descriptor.GetValue(null)!);

    /// <summary><c>GeneratedNames.Members</c>: every member name the emitter adds, with its description.</summary>
    public static IReadOnlyDictionary<string, string> ReservedMembers
        => (Dictionary<string, string>)Type("TypedNets.Generator.GeneratedNames")
            .GetField("Members", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!
            .GetValue(null)!;

    /// <summary><c>GeneratedNames.LayerField</c>: the private field generated for a layer property.</summary>
    public static string LayerField(string propertyName)
        => (string)Type("TypedNets.Generator.GeneratedNames")
            .GetMethod("LayerField", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!
            .Invoke(null, [propertyName])!;
}
